package healthcheck

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These tests run the scheduler (on a fake clock, so each probe is one
// explicit step) against real servers on loopback, and check that weights
// change after exactly fall failures and rise successes.

// flipServer is an HTTP server whose status the test sets.
func flipServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var status atomic.Int32
	status.Store(200)
	srv := httpStatusServer(t, func() int { return int(status.Load()) }, "", nil)
	return srv, &status
}

func TestHTTPFlipChangesWeightAfterExactlyFallAndRise(t *testing.T) {
	const rise, fall, weight = 2, 3, 5
	srv, status := flipServer(t)
	h := newHarness(t, Options{})
	h.update(VirtualServer{Key: "vs", RealServers: []RealServer{{
		Key: "rs", Addr: addrOf(t, srv.Listener.Addr()), Weight: weight,
		Checks: []Check{{Checker: &HTTPChecker{Path: "/health"}, Settings: quick(rise, fall, StartDown)}},
	}}})
	if tr := h.transition(); !tr.Initial || tr.Healthy || tr.Weight != 0 {
		t.Fatalf("initial transition %+v, want down with weight 0", tr)
	}
	steps := []struct {
		status  int32
		healthy bool
	}{
		{200, false}, {200, true}, // rise = 2 successes
		{500, true}, {500, true}, {500, false}, // fall = 3 failures
		{200, false}, {500, false}, {200, false}, {200, true}, // an interrupted rise restarts
	}
	for i, st := range steps {
		status.Store(st.status)
		var r CheckResult
		if i == 0 {
			r = h.result()
		} else {
			r = h.step(time.Second)
		}
		if (st.status == 200) != r.Result.Healthy {
			t.Fatalf("step %d: probe result %+v for status %d", i, r.Result, st.status)
		}
		h.expectState("vs", "rs", st.healthy, map[bool]int{true: weight}[st.healthy], "step "+strconv.Itoa(i))
	}
	want := []Transition{
		{VirtualServer: "vs", RealServer: "rs", Healthy: true, Weight: weight, Reason: "http: status 200"},
		{VirtualServer: "vs", RealServer: "rs", Healthy: false, Weight: 0, Reason: "http: status 500"},
		{VirtualServer: "vs", RealServer: "rs", Healthy: true, Weight: weight, Reason: "http: status 200"},
	}
	for i, w := range want {
		if got := h.transition(); got != w {
			t.Fatalf("transition %d = %+v, want %+v", i, got, w)
		}
	}
}

func TestTCPListenerClosingRemovesRealServer(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	h := newHarness(t, Options{})
	h.update(VirtualServer{Key: "vs", RealServers: []RealServer{{
		Key: "rs", Addr: addrOf(t, ln.Addr()), Weight: 3, OnFailure: Remove,
		Checks: []Check{{Checker: TCPChecker{}, Settings: quick(1, 2, StartUp)}},
	}}})
	if tr := h.transition(); !tr.Initial || !tr.Healthy || tr.Weight != 3 {
		t.Fatalf("initial transition %+v", tr)
	}
	if r := h.result(); !r.Result.Healthy {
		t.Fatalf("open listener: %+v", r.Result)
	}
	ln.Close()
	if r := h.step(time.Second); r.Result.Reason != "tcp: connection refused" {
		t.Fatalf("closed listener: %+v", r.Result)
	}
	h.expectState("vs", "rs", true, 3, "one failure of fall 2")
	h.step(time.Second)
	got := h.transition()
	want := Transition{VirtualServer: "vs", RealServer: "rs", Healthy: false, Weight: 0, Remove: true, Reason: "tcp: connection refused"}
	if got != want {
		t.Fatalf("transition %+v, want %+v", got, want)
	}
}

func TestSlowServerFailsOnTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	h := newHarness(t, Options{})
	s := quick(1, 1, StartUp)
	s.Timeout = 150 * time.Millisecond
	h.update(VirtualServer{Key: "vs", RealServers: []RealServer{{
		Key: "rs", Addr: addrOf(t, srv.Listener.Addr()), Weight: 1,
		Checks: []Check{{Checker: &HTTPChecker{}, Settings: s}},
	}}})
	h.transition() // initial
	if r := h.result(); r.Result.Reason != "http: timeout" {
		t.Fatalf("slow server: %+v", r.Result)
	}
	if tr := h.transition(); tr.Healthy || tr.Reason != "http: timeout" {
		t.Fatalf("transition %+v", tr)
	}
}

func TestFailingScriptTakesServerDown(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "healthy")
	// Healthy while the marker file exists.
	script := writeScript(t, `[ -e "`+marker+`" ]`)
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Options{})
	h.update(VirtualServer{Key: "vs", RealServers: []RealServer{{
		Key: "rs", Addr: netip.MustParseAddrPort("192.0.2.9:25"), Weight: 4,
		Checks: []Check{{Checker: &ScriptChecker{Path: script}, Settings: quick(2, 2, StartUp)}},
	}}})
	h.transition()
	h.result()
	os.Remove(marker)
	for i, healthy := range []bool{true, false} {
		r := h.step(time.Second)
		if r.Result.Reason != "script: exit status 1" {
			t.Fatalf("failure %d: %+v", i, r.Result)
		}
		h.expectState("vs", "rs", healthy, map[bool]int{true: 4}[healthy], "failure "+strconv.Itoa(i))
	}
	if tr := h.transition(); tr.Healthy || tr.Reason != "script: exit status 1" {
		t.Fatalf("transition %+v", tr)
	}
}

// director stands in for the IPVS side: it applies events to a table.
type director struct {
	weights map[string]int
	sorry   bool
}

func (d *director) apply(tr Transition) {
	if tr.Remove {
		delete(d.weights, tr.RealServer)
		return
	}
	d.weights[tr.RealServer] = tr.Weight
}

func (d *director) applyQuorum(q QuorumEvent) { d.sorry = !q.QuorumUp }

func TestQuorumLossInstallsSorryServer(t *testing.T) {
	srvA, statusA := flipServer(t)
	srvB, statusB := flipServer(t)
	h := newHarness(t, Options{})
	s := quick(1, 1, StartUp)
	h.update(VirtualServer{Key: "vs", Quorum: 3, RealServers: []RealServer{
		{Key: "a", Addr: addrOf(t, srvA.Listener.Addr()), Weight: 2, Checks: []Check{{Checker: &HTTPChecker{}, Settings: s}}},
		{Key: "b", Addr: addrOf(t, srvB.Listener.Addr()), Weight: 2, Checks: []Check{{Checker: &HTTPChecker{}, Settings: s}}},
	}})
	d := &director{weights: map[string]int{}}
	d.apply(h.transition())
	d.apply(h.transition())
	q := h.quorumEvent()
	d.applyQuorum(q)
	if !q.Initial || !q.QuorumUp || q.HealthyWeight != 4 || d.sorry {
		t.Fatalf("initial quorum %+v, want up with weight 4", q)
	}
	h.result()
	h.result()

	statusA.Store(503) // healthy weight 2 < quorum 3
	h.clock.Advance(time.Second)
	h.result()
	h.result()
	d.apply(h.transition())
	q = h.quorumEvent()
	d.applyQuorum(q)
	if q.QuorumUp || q.HealthyWeight != 2 || q.Quorum != 3 || !d.sorry {
		t.Fatalf("quorum event %+v, sorry installed %t; want lost with weight 2", q, d.sorry)
	}
	if d.weights["a"] != 0 || d.weights["b"] != 2 {
		t.Fatalf("weights %v, want a=0 b=2", d.weights)
	}

	statusA.Store(200)
	statusB.Store(200)
	h.clock.Advance(time.Second)
	h.result()
	h.result()
	d.apply(h.transition())
	q = h.quorumEvent()
	d.applyQuorum(q)
	if !q.QuorumUp || q.HealthyWeight != 4 || d.sorry {
		t.Fatalf("quorum event %+v, sorry installed %t; want regained", q, d.sorry)
	}
}

func TestDynamicWeightFromHTTPHeaderIsBounded(t *testing.T) {
	var weight atomic.Value
	weight.Store("7")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Weight", weight.Load().(string))
	}))
	defer srv.Close()
	h := newHarness(t, Options{})
	h.update(VirtualServer{Key: "vs", RealServers: []RealServer{{
		Key: "rs", Addr: addrOf(t, srv.Listener.Addr()), Weight: 10, MaxWeight: 20,
		Checks: []Check{{Checker: &HTTPChecker{WeightHeader: "X-Weight"}, Settings: quick(1, 1, StartDown)}},
	}}})
	h.transition()
	for i, tc := range []struct {
		header string
		want   int
	}{{"7", 7}, {"50", 20}, {"garbage", 10}, {"0", 0}} {
		weight.Store(tc.header)
		if i == 0 {
			h.result()
		} else {
			h.step(time.Second)
		}
		h.expectState("vs", "rs", true, tc.want, "X-Weight "+tc.header)
	}
}

func TestNotifyProgramSeesTransition(t *testing.T) {
	out := filepath.Join(t.TempDir(), "notified")
	script := writeScript(t, `echo "$VIGIL_EVENT $VIGIL_VIRTUAL_SERVER $VIGIL_REAL_SERVER $VIGIL_STATE $VIGIL_WEIGHT $VIGIL_REMOVE $VIGIL_REASON" >> `+out)
	h := newHarness(t, Options{})
	h.update(VirtualServer{Key: "vs", QuorumNotify: []string{script}, RealServers: []RealServer{{
		Key: "rs", Addr: netip.MustParseAddrPort("192.0.2.1:80"), Weight: 6, Notify: []string{script},
		Checks: []Check{{Checker: &scriptedChecker{label: "n", results: []Result{ok}}, Settings: quick(1, 1, StartDown)}},
	}}})
	h.result()
	want := []string{
		"transition vs rs down 0 0 initial state",
		"quorum vs  down   ",
		"transition vs rs up 6 0 fake: ok",
		"quorum vs  up   ",
	}
	deadline := time.Now().Add(waitLimit)
	for {
		raw, _ := os.ReadFile(out)
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) == len(want) {
			// Notify programs run concurrently: compare as sets.
			for _, w := range want {
				if !strings.Contains(string(raw), w+"\n") {
					t.Fatalf("notify output lacks %q:\n%s", w, raw)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("notify output after %v:\n%s", waitLimit, raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
