package drill

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Geometry of the timeline, in SVG user units (pixels).
const (
	svgWidth   = 1000.0
	svgLeft    = 150.0 // lane labels
	svgRight   = 20.0
	svgTop     = 70.0 // title, figures, labels of the marks
	laneHeight = 26.0
	laneGap    = 8.0
)

// Colours of the director lanes, by situation; the legend repeats them.
var spanClasses = []struct{ class, fill, legend string }{
	{"holds", "#2e9d4a", "holds the VIP"},
	{"stale", "#e8a33d", "VIP left on a dead daemon or down link"},
	{"standby", "#cfd8dc", "running, no VIP"},
	{"dead", "#455a64", "daemon not running"},
}

func spanClass(s DirState) string {
	switch {
	case s.Holds():
		return "holds"
	case s.VIP:
		return "stale"
	case s.Alive:
		return "standby"
	}
	return "dead"
}

// timeline maps run times to x coordinates.
type timeline struct {
	from, to At
}

func (t timeline) x(a At) float64 {
	a = min(max(a, t.from), t.to)
	span := float64(t.to - t.from)
	if span <= 0 {
		return svgLeft
	}
	return svgLeft + (svgWidth-svgLeft-svgRight)*float64(a-t.from)/span
}

// svgWriter writes elements with escaped text; the first error sticks.
type svgWriter struct {
	w   *bufio.Writer
	err error
}

func (s *svgWriter) printf(format string, a ...any) {
	if s.err == nil {
		_, s.err = fmt.Fprintf(s.w, format, a...)
	}
}

// esc escapes text for an attribute or element.
func esc(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return b.String()
}

func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// WriteTimeline draws one run as a self-contained SVG: a lane per director
// coloured by its situation (holding the VIP, stale VIP, standing by, not
// running) with its logged VRRP states, a lane per kind of client request
// with a green tick per success and a red one per failure, the gratuitous
// ARPs seen by the client, the weight changes, and a vertical line for
// each thing the drill did (the injection is time 0).
func WriteTimeline(w io.Writer, r *Record, m Measures) error {
	sw := &svgWriter{w: bufio.NewWriter(w)}
	tl := timeline{from: r.Begin, to: r.End}
	kinds := probeKinds(r)
	lanes := len(r.Directors()) + len(kinds) + 1 // + GARP lane
	if len(r.Weights) > 0 {
		lanes++
	}
	axisY := svgTop + float64(lanes)*(laneHeight+laneGap)
	height := axisY + 40 + 22*float64((len(spanClasses)+1)/2+1)

	sw.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="12">`+"\n",
		num(svgWidth), num(height), num(svgWidth), num(height))
	sw.printf("<title>%s</title>\n", esc(runTitle(r)))
	sw.printf(`<rect x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", num(svgWidth), num(height))
	sw.printf(`<text class="title" x="10" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", esc(runTitle(r)))
	sw.printf(`<text class="subtitle" x="10" y="38" fill="#444">%s</text>`+"\n", esc(measureLine(m)))

	y := svgTop
	for _, d := range r.Directors() {
		writeDirectorLane(sw, r, tl, d, y)
		y += laneHeight + laneGap
	}
	for _, k := range kinds {
		writeProbeLane(sw, r, tl, k, y)
		y += laneHeight + laneGap
	}
	writeGARPLane(sw, r, tl, y)
	y += laneHeight + laneGap
	if len(r.Weights) > 0 {
		writeWeightLane(sw, r, tl, y)
	}
	writeAxis(sw, tl, axisY)
	writeMarks(sw, r, tl, axisY)
	writeLegend(sw, axisY+40)
	sw.printf("</svg>\n")
	if sw.err != nil {
		return sw.err
	}
	return sw.w.Flush()
}

func runTitle(r *Record) string {
	return fmt.Sprintf("%s, %s, adverts %s, run %d", r.Scenario, r.Impl, r.Interval, r.Run)
}

// measureLine is the run's main figures in one line.
func measureLine(m Measures) string {
	var parts []string
	for _, d := range MeasureDefs {
		v, ok := m[d.Key]
		if !ok || d.Key == MRestored && v == 0 { // nothing failed: the counts say so
			continue
		}
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if d.Unit != "" {
			s = strconv.FormatFloat(v, 'f', 1, 64) + " " + d.Unit
		}
		parts = append(parts, d.Short+" "+s)
	}
	return strings.Join(parts, " · ")
}

func laneLabel(sw *svgWriter, y float64, label string) {
	sw.printf(`<text class="lane-label" x="10" y="%s">%s</text>`+"\n", num(y+laneHeight/2+4), esc(label))
}

func writeDirectorLane(sw *svgWriter, r *Record, tl timeline, d string, y float64) {
	sw.printf(`<g class="lane director" id="lane-%s">`+"\n", esc(d))
	laneLabel(sw, y, d)
	for _, s := range r.Spans() {
		st := s.Dirs[d]
		class := spanClass(st)
		fill := ""
		for _, c := range spanClasses {
			if c.class == class {
				fill = c.fill
			}
		}
		x0, x1 := tl.x(s.From), tl.x(s.To)
		sw.printf(`<rect class="span %s" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s %s from %.1f to %.1f ms</title></rect>`+"\n",
			class, num(x0), num(y), num(math.Max(x1-x0, 0)), num(laneHeight), fill, esc(d), class, s.From.Ms(), s.To.Ms())
	}
	if spans := r.Spans(); len(spans) > 0 && spans[0].Dirs[d].State != "" {
		// The state the director was in when the window opens.
		sw.printf(`<text class="state" x="%s" y="%s" font-size="10">%s</text>`+"\n", num(svgLeft+2), num(y+10), esc(spans[0].Dirs[d].State))
	}
	for _, e := range r.States {
		if e.Director != d || e.At <= tl.from || e.At > tl.to {
			continue
		}
		x := tl.x(e.At)
		sw.printf(`<line class="state" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>`+"\n", num(x), num(y), num(x), num(y+laneHeight))
		sw.printf(`<text class="state" x="%s" y="%s" font-size="10">%s</text>`+"\n", num(x+2), num(y+10), esc(e.State))
	}
	sw.printf("</g>\n")
}

// probeKinds lists the kinds of client requests of the run, http first.
func probeKinds(r *Record) []string {
	var kinds []string
	for _, p := range r.Probes {
		if !slices.Contains(kinds, p.Kind) {
			kinds = append(kinds, p.Kind)
		}
	}
	slices.Sort(kinds) // "http" < "ping"
	return kinds
}

func writeProbeLane(sw *svgWriter, r *Record, tl timeline, kind string, y float64) {
	sw.printf(`<g class="lane probes" id="lane-%s">`+"\n", esc(kind))
	laneLabel(sw, y, "client "+kind)
	for _, p := range r.Probes {
		if p.Kind != kind || p.Sent < tl.from || p.Sent > tl.to {
			continue
		}
		x := tl.x(p.Sent)
		class, color, y0 := "ok", "#2e9d4a", y+laneHeight/2
		if !p.OK {
			class, color, y0 = "fail", "#d32f2f", y
		}
		sw.printf(`<line class="probe %s" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`+"\n",
			class, num(x), num(y0), num(x), num(y+laneHeight), color)
	}
	sw.printf("</g>\n")
}

func writeGARPLane(sw *svgWriter, r *Record, tl timeline, y float64) {
	sw.printf(`<g class="lane garps" id="lane-garp">` + "\n")
	laneLabel(sw, y, "GARP at client")
	for _, g := range r.GARPs {
		if g.At < tl.from || g.At > tl.to {
			continue
		}
		x := tl.x(g.At)
		who := g.Director
		if who == "" {
			who = g.MAC
		}
		sw.printf(`<circle class="garp" cx="%s" cy="%s" r="4" fill="#1565c0"><title>gratuitous ARP from %s at %.1f ms</title></circle>`+"\n",
			num(x), num(y+laneHeight/2), esc(who), g.At.Ms())
	}
	sw.printf("</g>\n")
}

func writeWeightLane(sw *svgWriter, r *Record, tl timeline, y float64) {
	sw.printf(`<g class="lane weights" id="lane-weights">` + "\n")
	laneLabel(sw, y, "IPVS weights")
	for _, e := range r.Weights {
		if e.At < tl.from || e.At > tl.to {
			continue
		}
		x := tl.x(e.At)
		sw.printf(`<text class="weight" x="%s" y="%s" font-size="10">%s=%d</text>`+"\n", num(x), num(y+laneHeight/2+4), esc(e.Server), e.Weight)
	}
	sw.printf("</g>\n")
}

// tickStep picks a round step giving about eight ticks over span.
func tickStep(span At) At {
	ms := span.Ms() / 8
	for _, s := range []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 60000} {
		if s >= ms {
			return At(s * 1e6)
		}
	}
	return At(60000 * 1e6)
}

func writeAxis(sw *svgWriter, tl timeline, y float64) {
	sw.printf(`<g class="axis">` + "\n")
	sw.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>`+"\n", num(svgLeft), num(y), num(svgWidth-svgRight), num(y))
	step := tickStep(tl.to - tl.from)
	first := At(math.Ceil(float64(tl.from)/float64(step))) * step
	for t := first; t <= tl.to; t += step {
		x := tl.x(t)
		sw.printf(`<line class="tick" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#000"/>`+"\n", num(x), num(y), num(x), num(y+5))
		sw.printf(`<text class="tick" x="%s" y="%s" text-anchor="middle" font-size="10">%s</text>`+"\n", num(x), num(y+17), strconv.FormatFloat(t.Ms(), 'f', -1, 64))
	}
	sw.printf(`<text x="%s" y="%s" text-anchor="end" font-size="10">ms after the injection</text>`+"\n", num(svgWidth-svgRight), num(y+30))
	sw.printf("</g>\n")
}

func writeMarks(sw *svgWriter, r *Record, tl timeline, axisY float64) {
	for _, mk := range r.Marks {
		if mk.At < tl.from || mk.At > tl.to {
			continue
		}
		x := tl.x(mk.At)
		sw.printf(`<g class="mark"><line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#d32f2f" stroke-dasharray="4 3"/><text x="%s" y="%s" font-size="10" fill="#d32f2f">%s</text></g>`+"\n",
			num(x), num(svgTop-4), num(x), num(axisY), num(x+3), num(svgTop-6), esc(mk.Label))
	}
}

func writeLegend(sw *svgWriter, y float64) {
	sw.printf(`<g class="legend">` + "\n")
	for i, c := range spanClasses {
		x := 10 + float64(i%2)*480
		yy := y + float64(i/2)*22
		sw.printf(`<rect x="%s" y="%s" width="14" height="14" fill="%s"/><text x="%s" y="%s">%s</text>`+"\n",
			num(x), num(yy), c.fill, num(x+20), num(yy+11), esc(c.legend))
	}
	yy := y + float64((len(spanClasses)+1)/2)*22
	sw.printf(`<line x1="10" y1="%s" x2="10" y2="%s" stroke="#2e9d4a" stroke-width="2"/><line x1="16" y1="%s" x2="16" y2="%s" stroke="#d32f2f" stroke-width="2"/><text x="30" y="%s">client request: success, failure (at its send time)</text>`+"\n",
		num(yy), num(yy+14), num(yy), num(yy+14), num(yy+11))
	sw.printf("</g>\n")
}
