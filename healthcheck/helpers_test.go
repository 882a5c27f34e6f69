package healthcheck

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock that only moves when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	clock    *fakeClock
	c        chan time.Time
	deadline time.Time
	armed    bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer() Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, c: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves time forward and fires the timers whose deadline passed.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		t.fireIfDue()
	}
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Reset(deadline time.Time) {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	t.deadline, t.armed = deadline, true
	t.fireIfDue()
}

func (t *fakeTimer) Stop() {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	t.armed = false
}

// fireIfDue runs with the clock's lock held.
func (t *fakeTimer) fireIfDue() {
	if !t.armed || t.deadline.After(t.clock.now) {
		return
	}
	t.armed = false
	select {
	case t.c <- t.clock.now:
	default:
	}
}

// harness runs a Scheduler on a fake clock and collects what it reports.
type harness struct {
	t           *testing.T
	clock       *fakeClock
	s           *Scheduler
	results     chan CheckResult
	transitions chan Transition
	quorum      chan QuorumEvent
}

const waitLimit = 10 * time.Second

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{
		t:           t,
		clock:       newFakeClock(),
		results:     make(chan CheckResult, 1000),
		transitions: make(chan Transition, 1000),
		quorum:      make(chan QuorumEvent, 1000),
	}
	opts.Clock = h.clock
	opts.OnResult = func(r CheckResult) { h.results <- r }
	opts.OnTransition = func(tr Transition) { h.transitions <- tr }
	opts.OnQuorum = func(q QuorumEvent) { h.quorum <- q }
	h.s = New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := h.s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	for !h.s.started.Load() { // Run has begun: tests may rely on it
		time.Sleep(time.Millisecond)
	}
	return h
}

func (h *harness) update(vss ...VirtualServer) {
	h.t.Helper()
	if err := h.s.Update(vss); err != nil {
		h.t.Fatalf("Update: %v", err)
	}
}

// result waits for the next probe result.
func (h *harness) result() CheckResult {
	h.t.Helper()
	select {
	case r := <-h.results:
		return r
	case <-time.After(waitLimit):
		h.t.Fatal("no check result")
		return CheckResult{}
	}
}

// step advances the clock by d and waits for the probe it starts.
func (h *harness) step(d time.Duration) CheckResult {
	h.t.Helper()
	h.clock.Advance(d)
	return h.result()
}

func (h *harness) transition() Transition {
	h.t.Helper()
	select {
	case tr := <-h.transitions:
		return tr
	case <-time.After(waitLimit):
		h.t.Fatal("no transition")
		return Transition{}
	}
}

func (h *harness) quorumEvent() QuorumEvent {
	h.t.Helper()
	select {
	case q := <-h.quorum:
		return q
	case <-time.After(waitLimit):
		h.t.Fatal("no quorum event")
		return QuorumEvent{}
	}
}

// realServer returns the scheduler's current view of one real server.
func (h *harness) realServer(vs, rs string) Transition {
	h.t.Helper()
	for _, tr := range h.s.Snapshot().RealServers {
		if tr.VirtualServer == vs && tr.RealServer == rs {
			return tr
		}
	}
	h.t.Fatalf("real server %s/%s not in snapshot", vs, rs)
	return Transition{}
}

// nextDue is the earliest scheduled start.
func (h *harness) nextDue() time.Time {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	next, _ := h.s.queue.next()
	return next
}

// scriptedChecker returns preset results in order (repeating the last one).
type scriptedChecker struct {
	mu      sync.Mutex
	label   string
	results []Result
	calls   int
}

func (c *scriptedChecker) Check(context.Context, Target) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := min(c.calls, len(c.results)-1)
	c.calls++
	return c.results[i]
}

func (c *scriptedChecker) String() string { return "scripted " + c.label }

// quick are test settings: uniform 1 s steps and no warm-up.
func quick(rise, fall int, start StartState) Settings {
	return Settings{Interval: time.Second, RetryDelay: time.Second, Timeout: 2 * time.Second,
		Rise: rise, Fall: fall, WarmUp: NoWarmUp, Start: start}
}

func mustAddrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

// expectState asserts a real server's health and weight after a probe.
func (h *harness) expectState(vs, rs string, healthy bool, weight int, context string) {
	h.t.Helper()
	got := h.realServer(vs, rs)
	if got.Healthy != healthy || got.Weight != weight {
		h.t.Fatalf("%s: real server %s healthy=%t weight=%d, want healthy=%t weight=%d",
			context, rs, got.Healthy, got.Weight, healthy, weight)
	}
}
