package healthcheck

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockingChecker holds each probe until the test releases it.
type blockingChecker struct {
	entered chan struct{}
	release chan Result
}

func (c *blockingChecker) Check(ctx context.Context, _ Target) Result {
	c.entered <- struct{}{}
	return <-c.release
}

func (c *blockingChecker) String() string { return "blocking" }

func TestResultOfRemovedCheckIsDiscarded(t *testing.T) {
	h := newHarness(t, Options{})
	c := &blockingChecker{entered: make(chan struct{}), release: make(chan Result)}
	h.update(oneServer(c, quick(1, 1, StartUp), 1))
	select {
	case <-c.entered:
	case <-time.After(waitLimit):
		t.Fatal("probe did not start")
	}
	h.s.mu.Lock()
	e := h.s.vss["vs"].rss[0].checks[0]
	h.s.mu.Unlock()

	h.update() // the reload drops the virtual server while its probe runs
	c.release <- fail

	deadline := time.Now().Add(waitLimit)
	for {
		h.s.mu.Lock()
		running, queued := e.running, h.s.queue.Len()
		h.s.mu.Unlock()
		if !running {
			if queued != 0 {
				t.Fatalf("removed check was rescheduled (%d queued)", queued)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("result never applied")
		}
		time.Sleep(time.Millisecond)
	}
	if snap := h.s.Snapshot(); len(snap.RealServers) != 0 {
		t.Fatalf("snapshot after removal: %+v", snap)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTransitionsAreLogged(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newHarness(t, Options{Logger: logger})
	c := &scriptedChecker{label: "log", results: []Result{{Reason: "http: status 503"}}}
	h.update(VirtualServer{Key: "vs", RealServers: []RealServer{{Key: "rs", Addr: netip.MustParseAddrPort("192.0.2.1:80"),
		Weight: 1, Checks: []Check{{Checker: c, Settings: quick(1, 1, StartUp)}}}}})
	h.result()
	h.transition()
	h.transition()
	h.quorumEvent()
	h.quorumEvent()
	want := []string{
		`msg="real server down" virtual_server=vs real_server=rs weight=0 remove=false reason="http: status 503"`,
		`level=WARN msg="quorum lost" virtual_server=vs healthy_weight=0 quorum=1`,
		`level=DEBUG msg="check failed" virtual_server=vs real_server=rs check="0:scripted log" reason="http: status 503"`,
	}
	deadline := time.Now().Add(waitLimit)
	for {
		out := buf.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(out, w) {
				missing = w
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %s:\n%s", missing, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
