package healthcheck

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
)

// checkOnce runs one probe with a timeout, like the scheduler does.
func checkOnce(t *testing.T, c Checker, target Target, timeout time.Duration) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Check(ctx, target)
}

// listenTCP returns a loopback listener that accepts and closes connections.
func listenTCP(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln
}

func addrOf(t *testing.T, a net.Addr) netip.AddrPort {
	t.Helper()
	return mustAddrPort(t, a.String())
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := addrOf(t, ln.Addr())
	ln.Close()
	return ap
}

func TestTCPChecker(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	for _, c := range []TCPChecker{{}, {GracefulClose: true}} {
		if r := checkOnce(t, c, Target{Addr: addrOf(t, ln.Addr())}, time.Second); !r.Healthy {
			t.Fatalf("%s: listener reported unhealthy: %s", c, r.Reason)
		}
	}
	r := checkOnce(t, TCPChecker{}, Target{Addr: closedPort(t)}, time.Second)
	if r.Healthy || r.Reason != "tcp: connection refused" {
		t.Fatalf("closed port: %+v, want tcp: connection refused", r)
	}
}

func TestDialerProbesDialerAddrFromSource(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peers := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		peers <- c.RemoteAddr().(*net.TCPAddr).IP.String()
		c.Close()
	}()
	// Addr is a closed port: healthy proves the probe went to Dialer.Addr.
	target := Target{Addr: closedPort(t), Dialer: Dialer{
		Addr:   addrOf(t, ln.Addr()),
		Source: netip.MustParseAddr("127.0.0.2"),
	}}
	if r := checkOnce(t, TCPChecker{}, target, time.Second); !r.Healthy {
		t.Fatalf("probe via Dialer.Addr failed: %s", r.Reason)
	}
	select {
	case peer := <-peers:
		if peer != "127.0.0.2" {
			t.Fatalf("probe came from %s, want 127.0.0.2", peer)
		}
	case <-time.After(waitLimit):
		t.Fatal("listener saw no connection")
	}
}

func TestDialerUnavailableSource(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	target := Target{Addr: addrOf(t, ln.Addr()), Dialer: Dialer{Source: netip.MustParseAddr("192.0.2.1")}}
	r := checkOnce(t, TCPChecker{}, target, time.Second)
	if r.Healthy || r.Reason != "tcp: source address not available" {
		t.Fatalf("got %+v, want tcp: source address not available", r)
	}
}

// httpStatusServer answers every request with the status in *status.
func httpStatusServer(t *testing.T, status func() int, body string, header http.Header) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("X-Seen-Host", r.Host)
		w.Header().Set("X-Seen-Path", r.URL.RequestURI())
		w.Header().Set("X-Seen-Token", r.Header.Get("X-Token"))
		w.WriteHeader(status())
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func serverTarget(t *testing.T, srv *httptest.Server) Target {
	t.Helper()
	return Target{Addr: addrOf(t, srv.Listener.Addr())}
}

func TestHTTPCheckerStatusAndBody(t *testing.T) {
	body := `{"status":"ok","weight": 17}`
	srv := httpStatusServer(t, func() int { return 200 }, body, http.Header{"X-Weight": {"23"}})
	sum := sha256.Sum256([]byte(body))
	codes301, _ := ParseStatusCodes("301")
	tests := []struct {
		name    string
		c       *HTTPChecker
		healthy bool
		reason  string
		weight  int // -1: none
	}{
		{"default codes accept 200", &HTTPChecker{}, true, "http: status 200", -1},
		{"status not in list", &HTTPChecker{Codes: codes301}, false, "http: status 200", -1},
		{"body regex matches", &HTTPChecker{BodyRegex: regexp.MustCompile(`"status":"ok"`)}, true, "http: status 200", -1},
		{"body regex fails", &HTTPChecker{BodyRegex: regexp.MustCompile(`down`)}, false, "http: body does not match /down/", -1},
		{"digest matches", &HTTPChecker{BodySHA256: hex.EncodeToString(sum[:])}, true, "http: status 200", -1},
		{"digest differs", &HTTPChecker{BodySHA256: strings.Repeat("00", 32)}, false, "http: body digest " + hex.EncodeToString(sum[:8]) + "... differs", -1},
		{"body larger than limit cannot be digested", &HTTPChecker{BodySHA256: hex.EncodeToString(sum[:]), MaxBody: 4}, false, "http: body larger than 4 bytes, cannot digest it", -1},
		{"weight from header", &HTTPChecker{WeightHeader: "X-Weight"}, true, "http: status 200, weight 23", 23},
		{"weight from body", &HTTPChecker{WeightRegex: regexp.MustCompile(`"weight":\s*(\d+)`)}, true, "http: status 200, weight 17", 17},
		{"missing weight header keeps configured", &HTTPChecker{WeightHeader: "X-Nope"}, true, "http: status 200, no X-Nope header", -1},
		{"bad weight keeps configured", &HTTPChecker{WeightRegex: regexp.MustCompile(`"status":"(\w+)"`)}, true,
			`http: status 200, ignored body weight: weight "ok": want a decimal integer`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.Validate(); err != nil && tt.healthy {
				t.Fatal(err)
			}
			r := checkOnce(t, tt.c, serverTarget(t, srv), 2*time.Second)
			if r.Healthy != tt.healthy || r.Reason != tt.reason {
				t.Fatalf("got healthy=%t %q, want %t %q", r.Healthy, r.Reason, tt.healthy, tt.reason)
			}
			if (tt.weight >= 0) != r.WeightSet || (r.WeightSet && r.Weight != tt.weight) {
				t.Fatalf("weight %d set=%t, want %d", r.Weight, r.WeightSet, tt.weight)
			}
		})
	}
}

func TestHTTPCheckerSendsPathHostAndHeaders(t *testing.T) {
	var seen http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = http.Header{"Host": {r.Host}, "Uri": {r.URL.RequestURI()}, "Token": {r.Header.Get("X-Token")},
			"Agent": {r.UserAgent()}}
	}))
	defer srv.Close()
	c := &HTTPChecker{Path: "health?deep=1", Host: "www.example.com", Headers: http.Header{"X-Token": {"s3cret"}}}
	if r := checkOnce(t, c, serverTarget(t, srv), 2*time.Second); !r.Healthy {
		t.Fatal(r.Reason)
	}
	want := http.Header{"Host": {"www.example.com"}, "Uri": {"/health?deep=1"}, "Token": {"s3cret"}, "Agent": {"vigil-healthcheck"}}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("server saw %v, want %v", seen, want)
	}
}

func TestHTTPCheckerDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.RedirectHandler("/elsewhere", http.StatusFound))
	defer srv.Close()
	r := checkOnce(t, &HTTPChecker{}, serverTarget(t, srv), 2*time.Second)
	if r.Healthy || r.Reason != "http: status 302" {
		t.Fatalf("got %+v, want failure with status 302", r)
	}
}

func TestHTTPCheckerTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	r := checkOnce(t, &HTTPChecker{}, serverTarget(t, srv), 100*time.Millisecond)
	if r.Healthy || r.Reason != "http: timeout" {
		t.Fatalf("got %+v, want http: timeout", r)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("probe took %v despite a 100ms timeout", took)
	}
}

func TestHTTPSChecker(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tests := []struct {
		name    string
		c       *HTTPChecker
		healthy bool
		reason  string
	}{
		{"verify off accepts the test certificate", &HTTPChecker{TLS: true}, true, "https: status 200"},
		{"verify on rejects an unknown CA", &HTTPChecker{TLS: true, Verify: true}, false, "https: tls: certificate signed by unknown authority"},
		{"verify on with the CA", &HTTPChecker{TLS: true, Verify: true, RootCAs: pool}, true, "https: status 200"},
		{"server name from Host", &HTTPChecker{TLS: true, Verify: true, RootCAs: pool, Host: "example.com:443"}, true, "https: status 200"},
		{"wrong server name", &HTTPChecker{TLS: true, Verify: true, RootCAs: pool, ServerName: "wrong.example.net"}, false,
			"https: tls: certificate is not valid for wrong.example.net"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := checkOnce(t, tt.c, serverTarget(t, srv), 2*time.Second)
			if r.Healthy != tt.healthy || r.Reason != tt.reason {
				t.Fatalf("got healthy=%t %q, want %t %q", r.Healthy, r.Reason, tt.healthy, tt.reason)
			}
		})
	}
	plain := httpStatusServer(t, func() int { return 200 }, "", nil)
	r := checkOnce(t, &HTTPChecker{TLS: true}, serverTarget(t, plain), 2*time.Second)
	if r.Healthy || r.Reason != "https: tls: server did not answer with TLS" {
		t.Fatalf("TLS to a plain server: %+v", r)
	}
}

func TestHTTPCheckerValidate(t *testing.T) {
	for _, c := range []*HTTPChecker{
		{BodySHA256: "abc"},
		{BodySHA256: strings.Repeat("zz", 32)},
		{Codes: StatusCodes{{300, 200}}},
		{Codes: StatusCodes{{50, 200}}},
		{MaxBody: -1},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", c)
		}
	}
}

func TestCheckerStringsDifferWithSettings(t *testing.T) {
	a := &HTTPChecker{Path: "/a", Headers: http.Header{"B": {"1"}, "A": {"2"}}}
	b := &HTTPChecker{Path: "/a", Headers: http.Header{"A": {"2"}, "B": {"1"}}}
	if a.String() != b.String() {
		t.Fatalf("header order changed the description:\n%s\n%s", a, b)
	}
	c := &HTTPChecker{Path: "/b", Headers: a.Headers}
	if a.String() == c.String() {
		t.Fatal("path change not reflected in the description")
	}
}
