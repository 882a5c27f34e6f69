package healthcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
)

// UDPChecker sends one datagram. With RequireReply it is healthy only when
// a reply arrives (beginning with Expect, if set) before the timeout.
// Without it, silence until the timeout also counts as healthy and only an
// ICMP error (port unreachable, reported by the kernel as "connection
// refused" on the connected socket) fails the check: many UDP services do
// not answer arbitrary payloads.
type UDPChecker struct {
	// Payload is the datagram sent; empty sends an empty datagram.
	Payload []byte
	// Expect, when set, is the prefix the reply must start with; it implies
	// RequireReply.
	Expect []byte
	// RequireReply fails the check when no reply arrives.
	RequireReply bool
}

// String describes every setting that affects the result.
func (c *UDPChecker) String() string {
	return fmt.Sprintf("udp payload=%x expect=%x require-reply=%t", c.Payload, c.Expect, c.RequireReply)
}

// Check sends the payload to t.ProbeAddr() and waits for a reply or an
// ICMP error until ctx's deadline.
func (c *UDPChecker) Check(ctx context.Context, t Target) Result {
	conn, err := dialUDP(ctx, t)
	if err != nil {
		return failed(errorReason("udp", err))
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(c.Payload); err != nil {
		return failed(errorReason("udp", err))
	}
	buf := make([]byte, 2048)
	n, err := conn.Read(buf)
	requireReply := c.RequireReply || len(c.Expect) > 0
	switch {
	case err == nil:
		if len(c.Expect) > 0 && !bytes.HasPrefix(buf[:n], c.Expect) {
			return failed(fmt.Sprintf("udp: unexpected reply %q", truncate(string(buf[:n]), 32)))
		}
		return healthy(fmt.Sprintf("udp: reply of %d bytes", n))
	case errors.Is(err, os.ErrDeadlineExceeded) && !requireReply && ctx.Err() != context.Canceled:
		return healthy("udp: no ICMP error")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return failed("udp: no reply: timeout")
	default:
		return failed(errorReason("udp", err))
	}
}

// dialUDP connects a UDP socket to the probe address (see dialTCP for why
// not DialUDP without a source).
func dialUDP(ctx context.Context, t Target) (*net.UDPConn, error) {
	d := t.Dialer.netDialer("udp")
	if t.Dialer.Source.IsValid() {
		return d.DialUDP(ctx, "udp", netip.AddrPortFrom(t.Dialer.Source, 0), t.ProbeAddr())
	}
	c, err := d.DialContext(ctx, "udp", t.ProbeAddr().String())
	if err != nil {
		return nil, err
	}
	return c.(*net.UDPConn), nil
}
