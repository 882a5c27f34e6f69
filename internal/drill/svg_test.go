package drill

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"time"
)

// node is a generic XML element for reading the SVG back.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// walk calls f for n and every element below it.
func (n node) walk(f func(node)) {
	f(n)
	for _, c := range n.Nodes {
		c.walk(f)
	}
}

func (n node) find(pred func(node) bool) []node {
	var out []node
	n.walk(func(m node) {
		if pred(m) {
			out = append(out, m)
		}
	})
	return out
}

func hasClass(n node, class string) bool {
	for _, c := range strings.Fields(n.attr("class")) {
		if c == class {
			return true
		}
	}
	return false
}

func parseSVG(t *testing.T, r *Record) node {
	t.Helper()
	var b strings.Builder
	if err := WriteTimeline(&b, r, Measure(r)); err != nil {
		t.Fatal(err)
	}
	var root node
	if err := xml.Unmarshal([]byte(b.String()), &root); err != nil {
		t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, b.String())
	}
	return root
}

func TestTimelineIsAnSVGWithALanePerDirectorAndProbeKind(t *testing.T) {
	r := crashRecord()
	r.Scenario, r.Impl, r.Interval, r.Run = "master-crash", "vigil", 10*time.Millisecond, 1
	r.Marks = []Mark{{At: 0, Label: "d1 dies"}}
	root := parseSVG(t, r)
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root element %v, want svg in the SVG namespace", root.XMLName)
	}
	if w, err := strconv.ParseFloat(root.attr("width"), 64); err != nil || w <= 0 {
		t.Errorf("width %q", root.attr("width"))
	}
	ids := map[string]bool{}
	for _, g := range root.find(func(n node) bool { return n.XMLName.Local == "g" && hasClass(n, "lane") }) {
		ids[g.attr("id")] = true
	}
	for _, want := range []string{"lane-d1", "lane-d2", "lane-ping", "lane-garp"} {
		if !ids[want] {
			t.Errorf("no lane %s (lanes: %v)", want, ids)
		}
	}
	if ids["lane-http"] || ids["lane-weights"] {
		t.Errorf("lanes for data the run does not have: %v", ids)
	}
}

func TestTimelineDrawsEverySpanProbeAndGARP(t *testing.T) {
	r := crashRecord()
	root := parseSVG(t, r)
	spans := r.Spans()
	for _, d := range []string{"d1", "d2"} {
		lane := root.find(func(n node) bool { return n.attr("id") == "lane-"+d })
		if len(lane) != 1 {
			t.Fatalf("lane-%s found %d times", d, len(lane))
		}
		rects := lane[0].find(func(n node) bool { return n.XMLName.Local == "rect" && hasClass(n, "span") })
		if len(rects) != len(spans) {
			t.Errorf("%s: %d span rectangles, want %d", d, len(rects), len(spans))
		}
	}
	// d1 holds until it dies, then is not running; d2 stands by, then holds.
	d1 := root.find(func(n node) bool { return n.attr("id") == "lane-d1" })[0]
	classes := func(lane node) []string {
		var out []string
		for _, r := range lane.find(func(n node) bool { return hasClass(n, "span") }) {
			out = append(out, strings.Fields(r.attr("class"))[1])
		}
		return out
	}
	if got := classes(d1); got[0] != "holds" || got[len(got)-1] != "stale" {
		t.Errorf("d1 spans %v: want holds first, stale VIP last (dead daemon, link down, VIP still on eth0)", got)
	}
	d2 := root.find(func(n node) bool { return n.attr("id") == "lane-d2" })[0]
	if got := classes(d2); got[0] != "standby" || got[len(got)-1] != "holds" {
		t.Errorf("d2 spans %v: want standby first, holds last", got)
	}

	ok := root.find(func(n node) bool { return n.XMLName.Local == "line" && hasClass(n, "probe") && hasClass(n, "ok") })
	fail := root.find(func(n node) bool { return n.XMLName.Local == "line" && hasClass(n, "probe") && hasClass(n, "fail") })
	if len(fail) != 4 || len(ok)+len(fail) != len(r.Probes) {
		t.Errorf("%d ok and %d failed probe marks, want %d in all with 4 failed", len(ok), len(fail), len(r.Probes))
	}
	if g := root.find(func(n node) bool { return n.XMLName.Local == "circle" && hasClass(n, "garp") }); len(g) != 1 {
		t.Errorf("%d GARP marks, want 1 (the other is before the window)", len(g))
	}
}

func TestTimelinePlacesMarksOnTheTimeAxis(t *testing.T) {
	r := crashRecord()
	r.Marks = []Mark{{At: 0, Label: `kill <d1> & "go"`}}
	root := parseSVG(t, r)
	marks := root.find(func(n node) bool { return n.XMLName.Local == "g" && hasClass(n, "mark") })
	if len(marks) != 1 {
		t.Fatalf("%d marks, want 1", len(marks))
	}
	var line, text node
	for _, c := range marks[0].Nodes {
		switch c.XMLName.Local {
		case "line":
			line = c
		case "text":
			text = c
		}
	}
	if text.Text != `kill <d1> & "go"` {
		t.Errorf("mark label %q: not escaped and read back intact", text.Text)
	}
	x, _ := strconv.ParseFloat(line.attr("x1"), 64)
	tl := timeline{from: r.Begin, to: r.End}
	if want := tl.x(0); x < want-0.1 || x > want+0.1 {
		t.Errorf("mark at x=%v, want %v (time 0)", x, want)
	}
	// Time 0 is a quarter of the way through [-100, 300] ms.
	if want := svgLeft + (svgWidth-svgLeft-svgRight)/4; x < want-0.1 || x > want+0.1 {
		t.Errorf("time 0 at x=%v, want %v", x, want)
	}
	ticks := root.find(func(n node) bool { return n.XMLName.Local == "text" && hasClass(n, "tick") })
	if len(ticks) < 4 {
		t.Errorf("%d axis labels, want at least 4", len(ticks))
	}
}

func TestTickStepIsRound(t *testing.T) {
	for _, c := range []struct {
		span float64
		want float64
	}{{400, 50}, {1300, 200}, {12000, 2000}, {8, 1}} {
		if got := tickStep(ms(c.span)).Ms(); got != c.want {
			t.Errorf("tickStep(%v ms) = %v, want %v", c.span, got, c.want)
		}
	}
}
