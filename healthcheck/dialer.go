package healthcheck

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// Dialer says how probes reach a real server.
//
// In direct routing (DR) the real server owns the VIP on a non-ARPing
// interface. Probing only its own address does not prove it answers for the
// VIP; to prove that, set Addr to VIP:port and Mark to a firewall mark. The
// director then routes packets carrying that mark with a policy route
// ("ip rule add fwmark MARK table T"; table T sends the VIP to the real
// server's address as gateway, i.e. to its MAC) instead of delivering them
// locally, as Seesaw does. Source optionally binds the probe to a local
// address (for example an address the real server's firewall allows).
// Setting a mark needs CAP_NET_ADMIN.
type Dialer struct {
	// Addr, when valid, is dialled instead of the real server's address.
	Addr netip.AddrPort
	// Mark is the SO_MARK of probe sockets; 0 leaves it unset.
	Mark uint32
	// Source, when valid, is the local address probes are sent from.
	Source netip.Addr
}

// String describes the dialer for logs and change detection.
func (d Dialer) String() string {
	return fmt.Sprintf("via=%v mark=%d src=%v", d.Addr, d.Mark, d.Source)
}

// netDialer builds a net.Dialer that applies the mark and the source address.
// The local port is left to the kernel.
func (d Dialer) netDialer(network string) *net.Dialer {
	nd := &net.Dialer{KeepAlive: -1, FallbackDelay: -1}
	if d.Source.IsValid() {
		src := netip.AddrPortFrom(d.Source, 0)
		switch network {
		case "udp", "udp4", "udp6":
			nd.LocalAddr = net.UDPAddrFromAddrPort(src)
		default:
			nd.LocalAddr = net.TCPAddrFromAddrPort(src)
		}
	}
	if d.Mark != 0 {
		mark := int(d.Mark)
		nd.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, mark)
			}); err != nil {
				return err
			}
			if serr != nil {
				return fmt.Errorf("set SO_MARK %d: %w", mark, serr)
			}
			return nil
		}
	}
	return nd
}

// DialContext connects like net.Dialer.DialContext with the mark and source
// address applied. It is usable as http.Transport.DialContext.
func (d Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return d.netDialer(network).DialContext(ctx, network, address)
}
