package healthcheck

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	ok   = Result{Healthy: true, Reason: "fake: ok"}
	fail = Result{Reason: "fake: failed"}
)

func oneServer(c Checker, s Settings, weight int) VirtualServer {
	return VirtualServer{Key: "vs", RealServers: []RealServer{{
		Key: "rs", Addr: netip.MustParseAddrPort("192.0.2.1:80"), Weight: weight,
		Checks: []Check{{Checker: c, Settings: s}},
	}}}
}

func TestSchedulerRetryDelayAndPhase(t *testing.T) {
	h := newHarness(t, Options{})
	c := &scriptedChecker{label: "timing", results: []Result{ok, fail, fail, fail, ok, ok, ok}}
	s := Settings{Interval: 10 * time.Second, RetryDelay: 2 * time.Second, Timeout: time.Second,
		Rise: 2, Fall: 3, WarmUp: NoWarmUp, Start: StartUp}
	t0 := h.clock.Now()
	h.update(oneServer(c, s, 5))
	if tr := h.transition(); !tr.Initial || !tr.Healthy || tr.Weight != 5 || tr.Reason != ReasonInitial {
		t.Fatalf("initial transition %+v", tr)
	}
	// Offsets of each start: a failure while up, or a success while down,
	// is retried after RetryDelay; settled states wait Interval.
	starts := []time.Duration{0, 10, 12, 14, 24, 26, 36}
	healthyAfter := []bool{true, true, true, false, false, true, true}
	for i, off := range starts {
		var r CheckResult
		if i == 0 {
			r = h.result()
		} else {
			r = h.step(off*time.Second - starts[i-1]*time.Second)
		}
		if want := t0.Add(off * time.Second); !r.Started.Equal(want) {
			t.Fatalf("probe %d started at +%v, want +%v", i, r.Started.Sub(t0), off*time.Second)
		}
		h.expectState("vs", "rs", healthyAfter[i], map[bool]int{true: 5, false: 0}[healthyAfter[i]], "probe "+strconv.Itoa(i))
		if i+1 < len(starts) {
			if got, want := h.nextDue(), t0.Add(starts[i+1]*time.Second); !got.Equal(want) {
				t.Fatalf("after probe %d next due +%v, want +%v", i, got.Sub(t0), want.Sub(t0))
			}
		}
	}
	if tr := h.transition(); tr.Healthy || tr.Weight != 0 || tr.Reason != "fake: failed" {
		t.Fatalf("down transition %+v", tr)
	}
	if tr := h.transition(); !tr.Healthy || tr.Weight != 5 || tr.Reason != "fake: ok" {
		t.Fatalf("up transition %+v", tr)
	}
}

func TestSchedulerWarmUpSpreadsFirstProbe(t *testing.T) {
	var asked []time.Duration
	h := newHarness(t, Options{Jitter: func(max time.Duration) time.Duration {
		asked = append(asked, max)
		return max / 4
	}})
	t0 := h.clock.Now()
	c := &scriptedChecker{label: "warm", results: []Result{ok}}
	h.update(oneServer(c, Settings{Interval: 8 * time.Second}, 1))
	if len(asked) != 1 || asked[0] != 8*time.Second {
		t.Fatalf("jitter asked for %v, want one call with the interval 8s (the default warm-up)", asked)
	}
	if got := h.nextDue(); !got.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("first probe due at +%v, want +2s", got.Sub(t0))
	}
	if r := h.step(2 * time.Second); !r.Started.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("first probe started at +%v", r.Started.Sub(t0))
	}
}

func TestSchedulerDefaultJitterStaysBelowMax(t *testing.T) {
	s := New(Options{})
	for range 1000 {
		if d := s.jitter(time.Second); d < 0 || d >= time.Second {
			t.Fatalf("jitter %v outside [0, 1s)", d)
		}
	}
}

func TestNextDueKeepsPhase(t *testing.T) {
	base := time.Unix(1000, 0)
	tests := []struct {
		prev, now time.Duration
		delay     time.Duration
		want      time.Duration
	}{
		{0, 0, 10, 10},  // normal
		{0, 5, 10, 10},  // probe took 5
		{0, 10, 10, 20}, // result exactly at the next slot: skip to the one after
		{0, 35, 10, 40}, // stalled for several intervals: keep the phase
		{3, 100, 10, 103},
	}
	for _, tt := range tests {
		got := nextDue(base.Add(tt.prev*time.Second), tt.delay*time.Second, base.Add(tt.now*time.Second))
		if want := base.Add(tt.want * time.Second); !got.Equal(want) {
			t.Errorf("nextDue(prev +%ds, delay %ds, now +%ds) = +%v, want +%ds", tt.prev, tt.delay, tt.now, got.Sub(base), tt.want)
		}
	}
}

func TestSchedulerUpdateKeepsUnchangedChecks(t *testing.T) {
	h := newHarness(t, Options{})
	keep := &scriptedChecker{label: "keep", results: []Result{ok}}
	change := &scriptedChecker{label: "change", results: []Result{ok}}
	s := quick(1, 1, StartDown)
	config := func(rs1Weight int, rs2Checker Checker, extra bool) VirtualServer {
		vs := VirtualServer{Key: "vs", Quorum: 1, RealServers: []RealServer{
			{Key: "rs1", Addr: netip.MustParseAddrPort("192.0.2.1:80"), Weight: rs1Weight, Checks: []Check{{Checker: keep, Settings: s}}},
			{Key: "rs2", Addr: netip.MustParseAddrPort("192.0.2.2:80"), Weight: 1, Checks: []Check{{Checker: rs2Checker, Settings: s}}},
		}}
		if extra {
			vs.RealServers = append(vs.RealServers, RealServer{Key: "rs3", Addr: netip.MustParseAddrPort("192.0.2.3:80"), Weight: 2})
		}
		return vs
	}
	h.update(config(5, change, false))
	for range 2 {
		if tr := h.transition(); !tr.Initial || tr.Healthy {
			t.Fatalf("initial transition %+v, want down", tr)
		}
	}
	h.result()
	h.result()
	for range 2 {
		if tr := h.transition(); !tr.Healthy {
			t.Fatalf("transition %+v, want up", tr)
		}
	}
	h.expectState("vs", "rs1", true, 5, "after first probes")
	h.expectState("vs", "rs2", true, 1, "after first probes")
	entryOf := func(rs string) *checkEntry {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		for _, r := range h.s.vss["vs"].rss {
			if r.cfg.Key == rs {
				return r.checks[0]
			}
		}
		return nil
	}
	before := entryOf("rs1")
	dueOf := func(e *checkEntry) time.Time {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		return e.due
	}
	dueBefore := dueOf(before)

	// Reload: rs1 only changes weight, rs2 gets another checker, rs3 is new.
	other := &scriptedChecker{label: "other", results: []Result{ok}}
	h.update(config(8, other, true))
	if entryOf("rs1") != before {
		t.Fatal("unchanged check of rs1 was recreated")
	}
	if got := dueOf(before); !got.Equal(dueBefore) {
		t.Fatalf("kept check rescheduled: %v, was %v", got, dueBefore)
	}
	got := map[string]Transition{}
	for range 3 {
		tr := h.transition()
		got[tr.RealServer] = tr
	}
	if tr := got["rs1"]; !tr.Healthy || tr.Weight != 8 || tr.Reason != ReasonConfigChanged {
		t.Fatalf("rs1 after reload: %+v, want healthy weight 8 (state kept)", tr)
	}
	if tr := got["rs2"]; tr.Healthy || tr.Reason != ReasonConfigChanged {
		t.Fatalf("rs2 after reload: %+v, want down (changed check restarts)", tr)
	}
	if tr := got["rs3"]; !tr.Initial || !tr.Healthy || tr.Weight != 2 {
		t.Fatalf("rs3 after reload: %+v, want initial healthy (no checks)", tr)
	}
	h.s.mu.Lock()
	nChecks := len(h.s.checks)
	h.s.mu.Unlock()
	if nChecks != 2 {
		t.Fatalf("%d check entries after reload, want 2 (the replaced one dropped)", nChecks)
	}
}

func TestSchedulerUpdateRejectsInvalidConfig(t *testing.T) {
	h := newHarness(t, Options{})
	good := oneServer(&scriptedChecker{label: "a", results: []Result{ok}}, quick(1, 1, StartUp), 1)
	h.update(good)
	bad := []struct {
		name string
		vss  []VirtualServer
		want string
	}{
		{"duplicate virtual server", []VirtualServer{good, good}, "duplicate key"},
		{"empty real server key", []VirtualServer{{Key: "x", RealServers: []RealServer{{}}}}, "empty key"},
		{"nil checker", []VirtualServer{{Key: "x", RealServers: []RealServer{{Key: "r", Checks: []Check{{}}}}}}, "no checker"},
		{"bad settings", []VirtualServer{oneServer(&TCPChecker{}, Settings{Rise: -1}, 1)}, "rise"},
		{"checker validation", []VirtualServer{oneServer(&ScriptChecker{}, Settings{}, 1)}, "empty path"},
		{"negative weight", []VirtualServer{oneServer(&TCPChecker{}, Settings{}, -3)}, "negative weight"},
	}
	for _, tt := range bad {
		if err := h.s.Update(tt.vss); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Update error %v, want %q", tt.name, err, tt.want)
		}
	}
	if snap := h.s.Snapshot(); len(snap.RealServers) != 1 || snap.RealServers[0].RealServer != "rs" {
		t.Fatalf("a rejected update changed the state: %+v", snap)
	}
}

type panicChecker struct{}

func (panicChecker) Check(context.Context, Target) Result { panic("boom") }
func (panicChecker) String() string                       { return "panic" }

func TestSchedulerSurvivesPanickingChecker(t *testing.T) {
	h := newHarness(t, Options{})
	h.update(oneServer(panicChecker{}, quick(1, 1, StartUp), 1))
	if r := h.result(); r.Result.Healthy || r.Result.Reason != "checker panicked: boom" {
		t.Fatalf("got %+v", r.Result)
	}
	h.expectState("vs", "rs", false, 0, "after panic")
}

func TestSchedulerRunOnlyOnce(t *testing.T) {
	h := newHarness(t, Options{})
	if err := h.s.Run(context.Background()); err == nil {
		t.Fatal("second Run accepted")
	}
}
