package healthcheck

import (
	"math"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

func TestPacerCapsBurstsAndRefills(t *testing.T) {
	const peak = 20000 // checks per second
	var p pacer
	p.setRate(peak)
	rate := peak * paceFactor
	burst := math.Floor(rate * paceBurst.Seconds())
	if p.rate != rate || math.Floor(p.burst) != burst {
		t.Fatalf("rate %v burst %v, want %v and %v", p.rate, p.burst, rate, burst)
	}
	t0 := time.Unix(100, 0)
	started := 0
	for p.take(t0) {
		started++
	}
	if float64(started) != burst {
		t.Fatalf("%d starts at once, want the burst of %v", started, burst)
	}
	next := p.nextStart(t0)
	tokenTime := time.Duration(float64(time.Second) / rate)
	if gap := next.Sub(t0); gap <= 0 || gap > tokenTime+time.Microsecond {
		t.Fatalf("next start after %v, want at most one token time (%v)", gap, tokenTime)
	}
	if !p.take(next) {
		t.Fatal("no start at nextStart")
	}
	// Over 10 ms at most the burst plus 10 ms of the paced rate may start,
	// and pacing lets about that rate through.
	window := 10 * time.Millisecond
	started = 0
	for at := next; at.Before(next.Add(window)); at = at.Add(10 * time.Microsecond) {
		for p.take(at) {
			started++
		}
	}
	perWindow := rate * window.Seconds()
	if float64(started) > burst+perWindow {
		t.Fatalf("%d starts in %v, want at most %v", started, window, burst+perWindow)
	}
	if float64(started) < 0.95*perWindow {
		t.Fatalf("%d starts in %v, want about the paced %v", started, window, perWindow)
	}
}

func TestPacerSmallConfigurationsAreNotPaced(t *testing.T) {
	var p pacer
	p.setRate(2) // two checks a second
	t0 := time.Unix(100, 0)
	for i := range paceMinBurst {
		if !p.take(t0) {
			t.Fatalf("start %d refused: small configurations must not be paced", i)
		}
	}
}

func TestPacerUnlimitedWithoutRate(t *testing.T) {
	var p pacer
	for range 1000 {
		if !p.take(time.Unix(1, 0)) {
			t.Fatal("a pacer without rate refused a start")
		}
	}
	if now := time.Unix(1, 0); !p.nextStart(now).Equal(now) {
		t.Fatal("a pacer without rate delays starts")
	}
}

func TestPeakRateUsesShorterDelay(t *testing.T) {
	entries := map[string]*checkEntry{
		"a": {settings: Settings{Interval: time.Second, RetryDelay: 250 * time.Millisecond}},
		"b": {settings: Settings{Interval: 500 * time.Millisecond, RetryDelay: 2 * time.Second}},
	}
	if got := peakRate(entries); got != 6 {
		t.Fatalf("peak rate %v, want 4+2", got)
	}
}

func TestSchedulerPacesChecksDueTogether(t *testing.T) {
	h := newHarness(t, Options{})
	c := &scriptedChecker{label: "paced", results: []Result{ok}}
	const n = 40 // peak 40 checks/s: n*paceFactor starts/s paced, burst paceMinBurst
	vs := VirtualServer{Key: "vs"}
	for i := range n {
		vs.RealServers = append(vs.RealServers, RealServer{Key: strconv.Itoa(i), Weight: 1,
			Addr:   netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), uint16(1000+i)),
			Checks: []Check{{Checker: c, Settings: quick(1, 1, StartUp)}}})
	}
	h.update(vs)
	t0 := h.clock.Now()
	dueNow := func() int {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		count := 0
		for _, e := range h.s.queue {
			if !e.due.After(t0) {
				count++
			}
		}
		return count
	}
	for range paceMinBurst {
		h.result()
	}
	if got := dueNow(); got != n-paceMinBurst {
		t.Fatalf("%d checks still due after the burst, want %d held back", got, n-paceMinBurst)
	}
	// One token comes every 1/(n*paceFactor) s.
	h.step(time.Duration(float64(time.Second)/(n*paceFactor)) + time.Millisecond)
	if got := dueNow(); got != n-paceMinBurst-1 {
		t.Fatalf("%d checks still due one token later, want %d", got, n-paceMinBurst-1)
	}
}
