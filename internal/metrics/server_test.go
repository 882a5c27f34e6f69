package metrics

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestDefaultListenIsLoopback(t *testing.T) {
	host, _, err := net.SplitHostPort(DefaultListen)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil || !addr.IsLoopback() {
		t.Fatalf("DefaultListen %s is not a loopback address", DefaultListen)
	}
	// Bind the default host (port 0: 9650 may be taken on this machine).
	s, err := Listen(net.JoinHostPort(host, "0"), http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	bound := s.Addr().(*net.TCPAddr)
	if !bound.IP.IsLoopback() {
		t.Errorf("bound to %v, want loopback", bound)
	}
}

func TestServeScrapeAndStop(t *testing.T) {
	m := New(sampleDaemon().sources())
	s, err := Listen("127.0.0.1:0", m.Handler())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()

	resp, err := http.Get("http://" + s.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `vigil_vrrp_priority{instance="VI_web"} 130`) {
		t.Fatalf("scrape: %d\n%s", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + s.Addr().String() + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/nothing: %d, want 404", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Error("still listening after stop")
	}
}

func TestServeDisabled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := Serve(ctx, "", New(Sources{}).Registry()); err != nil {
		t.Fatalf("Serve(\"\") = %v, want nil at once", err)
	}
}

func TestServeReportsBusyPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	err = Serve(context.Background(), busy.Addr().String(), New(Sources{}).Registry())
	if err == nil || !strings.Contains(err.Error(), "metrics endpoint") {
		t.Fatalf("Serve on a busy port = %v", err)
	}
}
