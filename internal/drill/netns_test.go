package drill

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/lab"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// runDrill runs a drill in a lab of its own (prefix) and checks what every
// drill must produce: N runs in the report and the JSON file, and one
// well-formed SVG per run.
func runDrill(t *testing.T, prefix string, o Options) *Report {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	dir := t.TempDir()
	o.Vigil = needVigil(t)
	o.LabSelf = labSelf(t)
	o.Prefix = prefix
	o.StateDir = filepath.Join(dir, "lab")
	o.JSON = filepath.Join(dir, "report.json")
	o.TimelineDir = filepath.Join(dir, "timelines")
	t.Cleanup(func() { _, _ = lab.Down(lab.Options{Prefix: prefix, StateDir: o.StateDir}) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out strings.Builder
	rep, err := Run(ctx, o, &out)
	t.Logf("drill output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != o.N {
		t.Fatalf("%d runs in the report, want %d", len(rep.Runs), o.N)
	}
	b, err := os.ReadFile(o.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("JSON report: %v", err)
	}
	impl := o.Impl
	if impl == "" {
		impl = lab.ImplVigil
	}
	if len(back.Runs) != o.N || back.Scenario != o.Scenario || back.Impl != string(impl) {
		t.Fatalf("JSON report has %d runs of %s/%s, want %d of %s/%s", len(back.Runs), back.Scenario, back.Impl, o.N, o.Scenario, impl)
	}
	for _, r := range back.Runs {
		svg, err := os.ReadFile(r.Timeline)
		if err != nil {
			t.Fatalf("timeline of run %d: %v", r.Run, err)
		}
		var root node
		if err := xml.Unmarshal(svg, &root); err != nil || root.XMLName.Local != "svg" {
			t.Fatalf("timeline of run %d is not an SVG: %v", r.Run, err)
		}
	}
	if _, err := os.Stat(filepath.Join("/run/netns", prefix+"-d1")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	} else if err == nil {
		t.Error("the drill left its lab up")
	}
	return &back
}

// checkTakeover asserts that every run measured a takeover between 0 and 1 s.
func checkTakeover(t *testing.T, rep *Report) {
	t.Helper()
	for _, r := range rep.Runs {
		took, ok := r.Measures[MTakeover]
		if !ok || took <= 0 || took >= 1000 {
			t.Errorf("run %d: takeover %v ms (measured: %v), want more than 0 and less than 1000", r.Run, took, ok)
		}
		if r.Record.Note != "" {
			t.Errorf("run %d: %s", r.Run, r.Record.Note)
		}
	}
}

func TestDrillMasterSigkillVigil(t *testing.T) {
	rep := runDrill(t, "vgdt1", Options{Scenario: "master-sigkill", N: 2, Impl: lab.ImplVigil, Interval: 10 * time.Millisecond})
	checkTakeover(t, rep)
	for _, r := range rep.Runs {
		if _, ok := r.Measures[MGARP]; !ok {
			t.Errorf("run %d: the client saw no gratuitous ARP from d2", r.Run)
		}
	}
}

func TestDrillMasterSigkillKeepalived(t *testing.T) {
	testenv.NeedCommand(t, "keepalived")
	rep := runDrill(t, "vgdt2", Options{Scenario: "master-sigkill", N: 2, Impl: lab.ImplKeepalived, Interval: 10 * time.Millisecond})
	checkTakeover(t, rep)
}
