package healthcheck

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
	"golang.org/x/sys/unix"
)

// fullListener returns a loopback listener whose accept queue is full, so
// further SYNs are dropped and connects hang until they time out.
func fullListener(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil { // never accepted: the queue fills
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4(sa.(*unix.SockaddrInet4).Addr), uint16(sa.(*unix.SockaddrInet4).Port))
	for range 2 {
		c, err := net.DialTimeout("tcp", addr.String(), 100*time.Millisecond)
		if err != nil {
			break // already full
		}
		t.Cleanup(func() { c.Close() })
	}
	return addr
}

func TestProbeTCPPollerPath(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	open, closed := addrOf(t, ln.Addr()), closedPort(t)
	for _, tryFast := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := probeTCP(ctx, Dialer{}, open, true, tryFast); err != nil {
			t.Errorf("tryFast=%t: open port: %v", tryFast, err)
		}
		if err := probeTCP(ctx, Dialer{}, closed, true, tryFast); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("tryFast=%t: closed port: %v, want connection refused", tryFast, err)
		}
		cancel()
	}
}

func TestTCPCheckerTimeout(t *testing.T) {
	addr := fullListener(t)
	start := time.Now()
	r := checkOnce(t, TCPChecker{}, Target{Addr: addr}, 200*time.Millisecond)
	if r.Healthy || r.Reason != "tcp: timeout" {
		t.Fatalf("got %+v, want tcp: timeout", r)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("probe took %v despite a 200ms timeout", took)
	}
}

func TestTCPCheckerCancel(t *testing.T) {
	addr := fullListener(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := probeTCP(ctx, Dialer{}, addr, true, true)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled probe returned %v", err)
	}
}

func TestTCPCheckerIPv6(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	testenv.Need(t, err == nil, "needs IPv6 loopback")
	defer ln.Close()
	r := checkOnce(t, TCPChecker{}, Target{Addr: addrOf(t, ln.Addr())}, time.Second)
	if !r.Healthy {
		t.Fatalf("IPv6 loopback: %s", r.Reason)
	}
}

func TestProbeSocketOptions(t *testing.T) {
	testenv.NeedRoot(t) // SO_MARK needs CAP_NET_ADMIN
	fd, err := newProbeSocket(Dialer{Mark: 0x99, Source: netip.MustParseAddr("127.0.0.3")}, netip.MustParseAddr("127.0.0.1"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	mark, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK)
	if err != nil || mark != 0x99 {
		t.Errorf("SO_MARK %#x, %v; want 0x99", mark, err)
	}
	linger, err := unix.GetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER)
	if err != nil || linger.Onoff != 1 || linger.Linger != 0 {
		t.Errorf("SO_LINGER %+v, %v; want on with 0 s (reset on close)", linger, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil || sa.(*unix.SockaddrInet4).Addr != [4]byte{127, 0, 0, 3} {
		t.Errorf("bound to %+v, %v; want 127.0.0.3", sa, err)
	}
}
