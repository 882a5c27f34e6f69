//go:build vmtest

package drill

import (
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/lab"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// These drills need IPVS: they run in the test VM (make vm-test). The VM
// is emulated and its timers run late by tens of milliseconds, which 10ms
// adverts do not survive: the drills use 100ms adverts and a 1s client
// timeout, and loose bounds; the figures come from the drill itself.
var vmTiming = Options{Interval: 100 * time.Millisecond, Timeout: time.Second}

func needIPVS(t *testing.T) {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.Need(t, lab.IPVSAvailable(t.Context()), "needs IPVS in the kernel (the test VM has it)")
}

func TestVMDrillRealserverDiesMovesWeight(t *testing.T) {
	needIPVS(t)
	rep := runDrill(t, "vgdv1", Options{Scenario: "realserver-dies", N: 1, Interval: vmTiming.Interval, Timeout: vmTiming.Timeout})
	m := rep.Runs[0].Measures
	if rep.Client != "http+ping" {
		t.Errorf("client %q, want http+ping with IPVS", rep.Client)
	}
	if w, ok := m[MWeight]; !ok || w <= 0 || w > 5000 {
		t.Errorf("rs1's weight went to 0 after %v ms (measured: %v), want within 5 s", w, ok)
	}
	if m[MHTTPFail] < 1 {
		t.Errorf("%v HTTP requests failed: the dead server got none before its weight went to 0?", m[MHTTPFail])
	}
	if n := m[MMoves]; n != 0 {
		t.Errorf("the VIP moved %v times for a dead web server", n)
	}
}

func TestVMDrillMasterCrashBreaksAndRestoresHTTP(t *testing.T) {
	needIPVS(t)
	rep := runDrill(t, "vgdv2", Options{Scenario: "master-crash", N: 1, Interval: vmTiming.Interval, Timeout: vmTiming.Timeout})
	m := rep.Runs[0].Measures
	if took, ok := m[MTakeover]; !ok || took <= 0 || took > 5000 {
		t.Errorf("takeover %v ms (measured: %v), want within 5 s", took, ok)
	}
	if m[MHTTPFail] < 1 {
		t.Error("no HTTP request failed although the master died with the VIP")
	}
	if r, ok := m[MRestored]; !ok || r <= 0 {
		t.Errorf("HTTP through the VIP not restored (%v, measured %v)", r, ok)
	}
}
