package healthcheck

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// noopChecker answers at once, so a benchmark measures the scheduler alone.
type noopChecker struct{ calls atomic.Int64 }

func (c *noopChecker) Check(context.Context, Target) Result {
	c.calls.Add(1)
	return Result{Healthy: true, Reason: "noop"}
}

func (c *noopChecker) String() string { return "noop" }

// BenchmarkSchedulerPerCheck is the scheduler's own cost per check (heap,
// timer, worker hand-off, rise/fall, result bookkeeping) with 1,000 checks
// on a 10 ms interval and a checker that does nothing.
func BenchmarkSchedulerPerCheck(b *testing.B) {
	c := &noopChecker{}
	const servers = 1000
	vs := VirtualServer{Key: "vs", Settings: Settings{Interval: 10 * time.Millisecond, Timeout: time.Second,
		Rise: 1, Fall: 3, Start: StartUp}}
	for i := range servers {
		vs.RealServers = append(vs.RealServers, RealServer{Key: fmt.Sprint(i), Weight: 1,
			Addr:   netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 80),
			Checks: []Check{{Checker: c}}})
	}
	s := New(Options{})
	if err := s.Update([]VirtualServer{vs}); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	for c.calls.Load() < servers { // past the warm-up
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	start := c.calls.Load()
	for c.calls.Load()-start < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	checks := c.calls.Load() - start
	b.ReportMetric(float64(processCPU()-cpu0)/float64(checks), "cpu-ns/check")
	cancel()
	<-done
}

// processCPU is the user+system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTCPCheckLoopback is one TCP probe against a loopback listener
// (the listener's accept runs in the same process).
func BenchmarkTCPCheckLoopback(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	target := Target{Addr: netip.MustParseAddrPort(ln.Addr().String())}
	ctx := context.Background()
	var checker TCPChecker
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if r := checker.Check(ctx, target); !r.Healthy {
			b.Fatal(r.Reason)
		}
	}
	// Both ends of the handshake run in this process.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkCounterObserve is the rise/fall step.
func BenchmarkCounterObserve(b *testing.B) {
	var c counter
	for i := 0; b.Loop(); i++ {
		c, _ = c.observe(i%7 != 0, 2, 3)
	}
}
