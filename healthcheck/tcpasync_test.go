package healthcheck

import (
	"context"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"
)

// tcpServer is a virtual server of TCP-checked real servers at addrs.
func tcpServer(settings Settings, c Checker, addrs ...string) VirtualServer {
	vs := VirtualServer{Key: "vs"}
	for i, a := range addrs {
		vs.RealServers = append(vs.RealServers, RealServer{Key: strconv.Itoa(i), Weight: 1,
			Addr: netip.MustParseAddrPort(a), Checks: []Check{{Checker: c, Settings: settings}}})
	}
	return vs
}

// withSlowConnects sends every loopback connect of the test through the
// epoll set, as connects to real servers go.
func withSlowConnects(t *testing.T) {
	tryConnectFast = false
	t.Cleanup(func() { tryConnectFast = true })
}

func TestSchedulerRunsTCPChecksWithoutWorkers(t *testing.T) {
	for _, slow := range []bool{false, true} {
		t.Run("slow="+strconv.FormatBool(slow), func(t *testing.T) {
			if slow {
				withSlowConnects(t)
			}
			ln := listenTCP(t, "127.0.0.1:0")
			h := newHarness(t, Options{})
			for _, c := range []Checker{TCPChecker{}, &TCPChecker{GracefulClose: true}} {
				h.update(tcpServer(quick(1, 1, StartUp), c, ln.Addr().String(), closedPort(t).String()))
				got := map[string]string{}
				for range 2 {
					r := h.result()
					got[r.RealServer] = r.Result.Reason
				}
				if got["0"] != "tcp: connected" || got["1"] != "tcp: connection refused" {
					t.Fatalf("%s: results %v, want connected and connection refused", c, got)
				}
			}
			if n := h.s.workers.Load(); n != 0 {
				t.Fatalf("%d probe workers started for TCP checks, want none", n)
			}
			h.s.tcp.mu.Lock()
			waited := h.s.tcp.gen // connects that went through the epoll set
			h.s.tcp.mu.Unlock()
			if slow && waited < 4 || !slow && waited != 0 {
				t.Fatalf("%d of 4 connects waited in the epoll set", waited)
			}
		})
	}
}

func TestSchedulerTCPTimeoutInPoller(t *testing.T) {
	addr := fullListener(t)
	h := newHarness(t, Options{})
	settings := quick(1, 1, StartUp)
	settings.Timeout = 200 * time.Millisecond
	start := time.Now()
	h.update(tcpServer(settings, TCPChecker{}, addr.String()))
	r := h.result()
	if r.Result.Reason != "tcp: timeout" {
		t.Fatalf("result %+v, want tcp: timeout", r.Result)
	}
	if took := time.Since(start); took < settings.Timeout {
		t.Fatalf("timed out after %v, before the %v timeout", took, settings.Timeout)
	}
}

func TestSchedulerTCPConnectsBoundedByMaxConcurrent(t *testing.T) {
	addr := fullListener(t)
	h := newHarness(t, Options{MaxConcurrent: 1})
	settings := quick(1, 1, StartUp)
	settings.Timeout = 150 * time.Millisecond
	start := time.Now()
	h.update(tcpServer(settings, TCPChecker{}, addr.String(), addr.String()))
	h.result()
	h.result()
	// One slot: the second connect starts when the first times out.
	if took := time.Since(start); took < 2*settings.Timeout {
		t.Fatalf("two timeouts in %v with one probe slot, want at least %v", took, 2*settings.Timeout)
	}
}

func TestSchedulerShutdownClosesConnectsInFlight(t *testing.T) {
	addr := fullListener(t)
	fds := openFDs(t)
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan CheckResult, 10)
	s := New(Options{OnResult: func(r CheckResult) { results <- r }})
	settings := quick(1, 1, StartUp)
	settings.Timeout = time.Minute
	if err := s.Update([]VirtualServer{tcpServer(settings, TCPChecker{}, addr.String(), addr.String())}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	// Two connecting sockets and the epoll set.
	for deadline := time.Now().Add(waitLimit); openFDs(t) < fds+3; {
		if time.Now().After(deadline) {
			t.Fatal("the connects did not start")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return with connects in flight")
	}
	if n := openFDs(t); n != fds {
		t.Fatalf("%d descriptors open after Run returned, %d before it started", n, fds)
	}
	select {
	case r := <-results:
		t.Fatalf("a connect cut short by shutdown reported %+v", r)
	default:
	}
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
