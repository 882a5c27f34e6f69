package healthcheck

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// TCPChecker is healthy when a TCP connection to the target completes,
// or with HalfOpen when the target answers a SYN with a SYN-ACK.
type TCPChecker struct {
	// GracefulClose closes the probe connection with FIN. By default it is
	// reset (SO_LINGER 0) like HAProxy does: thousands of checks per second
	// would otherwise leave as many sockets in TIME_WAIT on the director.
	GracefulClose bool
	// HalfOpen sends a SYN and reads the answer instead of connecting (see
	// halfopen.go): a fraction of the cost on both ends, at the price of
	// proving a listening socket rather than an accepting application.
	// IPv4 only; needs CAP_NET_RAW. GracefulClose does not apply.
	HalfOpen bool
}

// String describes the checker.
func (c TCPChecker) String() string {
	switch {
	case c.HalfOpen:
		return "tcp half-open"
	case c.GracefulClose:
		return "tcp graceful-close"
	}
	return "tcp"
}

// Check connects to t.ProbeAddr() and closes the connection, or sends it a
// SYN if HalfOpen. (The Scheduler does not call it: it runs TCP checks
// through its connect poller, see tcpasync.go, and its half-open prober,
// with the same outcome.)
func (c TCPChecker) Check(ctx context.Context, t Target) Result {
	if c.HalfOpen {
		return probeHalfOpenOnce(ctx, t)
	}
	return tcpResult(probeTCP(ctx, t.Dialer, t.ProbeAddr(), !c.GracefulClose, true))
}

// tcpResult is the check's result for the connect's outcome.
func tcpResult(err error) Result {
	if err != nil {
		return failed(errorReason("tcp", err))
	}
	return healthy("tcp: connected")
}

// probeTCP opens a TCP connection and closes it at once. It works on the
// raw socket rather than through net.Dialer because the TCP check is the one
// that runs thousands of times a second: a probe whose handshake is already
// complete when connect returns (loopback, a near LAN) costs a handful of
// system calls and never parks in the runtime poller. Only a handshake
// still in flight is handed to the poller, bounded by ctx. tryFast=false
// forces that path (for tests).
func probeTCP(ctx context.Context, d Dialer, addr netip.AddrPort, reset, tryFast bool) error {
	fd, sa, done, err := beginTCP(d, addr, reset, tryFast)
	if done {
		return err
	}
	return waitConnected(ctx, fd, sa)
}

// beginTCP starts a probe's connect without blocking. done reports that
// the probe already ended, with err (the socket is closed); otherwise fd is
// connecting to sa and the caller owns it. tryFast asks the socket once
// whether the handshake already completed, as on loopback it has.
func beginTCP(d Dialer, addr netip.AddrPort, reset, tryFast bool) (fd int, sa unix.Sockaddr, done bool, err error) {
	fd, err = newProbeSocket(d, addr.Addr(), reset)
	if err != nil {
		return -1, nil, true, err
	}
	sa, err = sockaddr(addr)
	if err != nil {
		unix.Close(fd)
		return -1, nil, true, err
	}
	err = unix.Connect(fd, sa)
	switch {
	case err == nil:
		unix.Close(fd)
		return -1, nil, true, nil
	case err != unix.EINPROGRESS:
		unix.Close(fd)
		return -1, nil, true, os.NewSyscallError("connect", err)
	}
	if tryFast {
		if done, err := connectDone(fd, sa); done {
			unix.Close(fd)
			return -1, nil, true, err
		}
	}
	return fd, sa, false, nil
}

// newProbeSocket makes a non-blocking TCP socket with the dialer's mark and
// source address, and SO_LINGER 0 when reset is set.
func newProbeSocket(d Dialer, dst netip.Addr, reset bool) (int, error) {
	family := unix.AF_INET
	if dst.Unmap().Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := setupProbeSocket(fd, d, reset); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func setupProbeSocket(fd int, d Dialer, reset bool) error {
	if d.Mark != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(d.Mark)); err != nil {
			return os.NewSyscallError("setsockopt SO_MARK", err)
		}
	}
	if reset {
		if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1}); err != nil {
			return os.NewSyscallError("setsockopt SO_LINGER", err)
		}
	}
	if d.Source.IsValid() {
		sa, err := sockaddr(netip.AddrPortFrom(d.Source, 0))
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, sa); err != nil {
			return os.NewSyscallError("bind", err)
		}
	}
	return nil
}

// connectDone asks a connecting socket, without blocking, whether the
// handshake ended, by calling connect again: 0 or EISCONN means connected,
// EALREADY still in progress, anything else is the connection's error
// (ECONNREFUSED, ...). One system call instead of poll plus SO_ERROR.
func connectDone(fd int, sa unix.Sockaddr) (done bool, err error) {
	for {
		switch err := unix.Connect(fd, sa); err {
		case nil, unix.EISCONN:
			return true, nil
		case unix.EALREADY, unix.EINPROGRESS:
			return false, nil
		case unix.EINTR:
			continue
		default:
			return true, os.NewSyscallError("connect", err)
		}
	}
}

// waitConnected hands the socket to the runtime poller until the handshake
// ends or ctx does. It takes ownership of fd.
func waitConnected(ctx context.Context, fd int, sa unix.Sockaddr) error {
	f := os.NewFile(uintptr(fd), "tcp-probe") // non-blocking: registered with the poller
	defer f.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = f.SetWriteDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var connErr error
	err = rc.Write(func(fd uintptr) bool {
		done, err := connectDone(int(fd), sa)
		connErr = err
		return done
	})
	if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	return connErr
}

// sockaddr converts an address for the raw socket calls; IPv4-mapped IPv6
// addresses become IPv4.
func sockaddr(ap netip.AddrPort) (unix.Sockaddr, error) {
	addr := ap.Addr().Unmap()
	switch {
	case addr.Is4():
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: addr.As4()}, nil
	case addr.Is6():
		sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: addr.As16()}
		if zone := addr.Zone(); zone != "" {
			ifi, err := net.InterfaceByName(zone)
			if err != nil {
				return nil, err
			}
			sa.ZoneId = uint32(ifi.Index)
		}
		return sa, nil
	}
	return nil, errors.New("invalid address")
}

// dialTCP dials the probe address with the target's dialer, for checkers
// that talk over the connection.
func dialTCP(ctx context.Context, t Target) (*net.TCPConn, error) {
	d := t.Dialer.netDialer("tcp")
	if t.Dialer.Source.IsValid() {
		return d.DialTCP(ctx, "tcp", netip.AddrPortFrom(t.Dialer.Source, 0), t.ProbeAddr())
	}
	// Not DialTCP: given no local address it still binds the socket to
	// 0.0.0.0:0, an extra system call that also reserves a port exclusively
	// instead of sharing it across destinations.
	c, err := d.DialContext(ctx, "tcp", t.ProbeAddr().String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}
