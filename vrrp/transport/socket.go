package transport

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// rxMeta is what the kernel tells about a received packet.
type rxMeta struct {
	src, dst netip.Addr
	ttl      int
	ifindex  int
}

// rawSocket is the family-specific part of a Conn.
type rawSocket interface {
	readFrom(b []byte) (int, rxMeta, error)
	writeTo(b []byte, src, dst netip.Addr) error
	setReadDeadline(t time.Time) error
	close() error
}

// listenBound opens a raw socket for network ("ip4:112" or "ip6:112") that
// is bound to the device before anything else happens, so it never sees
// another interface's packets.
func listenBound(network, wildcard, ifname string) (net.PacketConn, error) {
	lc := net.ListenConfig{
		Control: func(_, _ string, rc syscall.RawConn) error {
			var sockErr error
			err := rc.Control(func(fd uintptr) {
				sockErr = unix.BindToDevice(int(fd), ifname)
			})
			if err != nil {
				return err
			}
			if sockErr != nil {
				return fmt.Errorf("SO_BINDTODEVICE %s: %w", ifname, sockErr)
			}
			return nil
		},
	}
	return lc.ListenPacket(context.Background(), network, wildcard)
}

// addrFromNet converts the source address a read returns, dropping any zone:
// the Conn compares addresses without zones.
func addrFromNet(a net.Addr) netip.Addr {
	ipa, ok := a.(*net.IPAddr)
	if !ok {
		return netip.Addr{}
	}
	return ipFromSlice(ipa.IP)
}

// ipFromSlice converts a net.IP (4- or 16-byte form) to netip.Addr.
func ipFromSlice(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}
	}
	return a.Unmap()
}

// sockStep is one socket option Open sets, named for the error message.
type sockStep struct {
	what string
	do   func() error
}

func applySteps(ifname string, steps []sockStep) error {
	for _, st := range steps {
		if err := st.do(); err != nil {
			return fmt.Errorf("transport: %s on %s: %w", st.what, ifname, err)
		}
	}
	return nil
}
