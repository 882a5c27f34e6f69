package transport

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// openIn opens a Conn inside namespace ns and closes it at cleanup.
func openIn(t *testing.T, ns string, cfg Config) *Conn {
	t.Helper()
	var c *Conn
	var err error
	inNamespace(t, ns, func() { c, err = Open(cfg) })
	if err != nil {
		t.Fatalf("Open(%+v) in %s: %v", cfg, ns, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ifindexIn looks the interface index up inside namespace ns.
func ifindexIn(t *testing.T, ns, name string) int {
	t.Helper()
	var ifi *net.Interface
	var err error
	inNamespace(t, ns, func() { ifi, err = net.InterfaceByName(name) })
	if err != nil {
		t.Fatalf("interface %s in %s: %v", name, ns, err)
	}
	return ifi.Index
}

// receive reads one packet, failing the test if nothing comes within 5 s.
func receive(t *testing.T, c *Conn) (Packet, error) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	p, err := c.Receive(make([]byte, MaxPayload))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("nothing received: %v", err)
	}
	return p, err
}

// receiveOK reads one packet that must be accepted.
func receiveOK(t *testing.T, c *Conn) Packet {
	t.Helper()
	p, err := receive(t, c)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return p
}

// receiveRejected reads one packet that must be rejected for want.
func receiveRejected(t *testing.T, c *Conn, want Reason) *RejectError {
	t.Helper()
	p, err := receive(t, c)
	var rej *RejectError
	if !errors.As(err, &rej) {
		t.Fatalf("Receive = %+v, %v; want a rejection %q", p, err, want)
	}
	if rej.Reason != want {
		t.Fatalf("rejected for %q (%v), want %q", rej.Reason, rej, want)
	}
	return rej
}

// crafter sends protocol-112 packets with chosen TTL, source and loopback
// from a plain raw socket, bypassing the Conn's rules.
type crafter struct {
	v4      *ipv4.PacketConn
	v6      *ipv6.PacketConn
	ifindex int
}

// newCrafter opens a raw socket in namespace ns that sends on eth0.
func newCrafter(t *testing.T, ns string, family, ttl int, loopback bool) *crafter {
	t.Helper()
	cr := &crafter{}
	var err error
	inNamespace(t, ns, func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName("eth0"); err != nil {
			return
		}
		cr.ifindex = ifi.Index
		if family == 4 {
			var c net.PacketConn
			if c, err = net.ListenPacket("ip4:112", "0.0.0.0"); err != nil {
				return
			}
			cr.v4 = ipv4.NewPacketConn(c)
			err = errors.Join(cr.v4.SetTTL(ttl), cr.v4.SetMulticastTTL(ttl),
				cr.v4.SetMulticastLoopback(loopback), cr.v4.SetMulticastInterface(ifi))
			return
		}
		var c net.PacketConn
		if c, err = net.ListenPacket("ip6:112", "::"); err != nil {
			return
		}
		cr.v6 = ipv6.NewPacketConn(c)
		err = errors.Join(cr.v6.SetHopLimit(ttl), cr.v6.SetMulticastHopLimit(ttl),
			cr.v6.SetMulticastLoopback(loopback), cr.v6.SetMulticastInterface(ifi))
	})
	if err != nil {
		t.Fatalf("crafting socket in %s: %v", ns, err)
	}
	t.Cleanup(func() {
		if cr.v4 != nil {
			_ = cr.v4.Close()
		}
		if cr.v6 != nil {
			_ = cr.v6.Close()
		}
	})
	return cr
}

func (cr *crafter) send(t *testing.T, payload []byte, src, dst netip.Addr) {
	t.Helper()
	var err error
	if cr.v4 != nil {
		_, err = cr.v4.WriteTo(payload, &ipv4.ControlMessage{Src: src.AsSlice(), IfIndex: cr.ifindex},
			&net.IPAddr{IP: dst.AsSlice()})
	} else {
		_, err = cr.v6.WriteTo(payload, &ipv6.ControlMessage{Src: src.AsSlice(), IfIndex: cr.ifindex},
			&net.IPAddr{IP: dst.AsSlice()})
	}
	if err != nil {
		t.Fatalf("crafted send %s -> %s: %v", src, dst, err)
	}
}

// samplePayload is a VRRPv3-shaped advertisement; the transport does not
// look inside, the bytes only identify the packet.
func samplePayload(vrid, prio byte) []byte {
	return []byte{0x31, vrid, prio, 1, 0x00, 0x64, 0x00, 0x00, 10, 0, 0, 100}
}
