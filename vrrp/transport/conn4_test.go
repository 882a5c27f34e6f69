package transport

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

var (
	addrA4  = netip.MustParseAddr("10.77.0.1")
	addrB4  = netip.MustParseAddr("10.77.0.2")
	strayB4 = netip.MustParseAddr("10.77.0.3")
)

// newPair4 is a veth pair with 10.77.0.1/24 in <prefix>a and .2 in <prefix>b.
func newPair4(t *testing.T, prefix string) pair {
	t.Helper()
	needNetns(t)
	p := newPair(t, prefix, false)
	addAddr(t, p.A, addrA4.String()+"/24", "dev", "eth0")
	addAddr(t, p.B, addrB4.String()+"/24", "dev", "eth0")
	return p
}

func TestMulticastIPv4DeliversWithHeaderFields(t *testing.T) {
	p := newPair4(t, "vgt-m4")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 4})
	b := openIn(t, p.B, Config{Interface: "eth0", Family: 4})
	if a.Source() != addrA4 || b.Source() != addrB4 {
		t.Fatalf("sources %s, %s; want the primary addresses %s, %s", a.Source(), b.Source(), addrA4, addrB4)
	}
	if got := a.Destinations(); len(got) != 1 || got[0] != Group4 || a.Unicast() {
		t.Fatalf("destinations %v (unicast %v), want only %s", got, a.Unicast(), Group4)
	}

	sent := samplePayload(51, 150)
	if err := b.Send(sent); err != nil {
		t.Fatal(err)
	}
	got := receiveOK(t, a)
	if !bytes.Equal(got.Payload, sent) {
		t.Errorf("payload % x, want % x", got.Payload, sent)
	}
	if got.Src != addrB4 || got.Dst != Group4 || got.TTL != TTL {
		t.Errorf("src %s dst %s ttl %d; want %s %s %d", got.Src, got.Dst, got.TTL, addrB4, Group4, TTL)
	}
	if want := ifindexIn(t, p.A, "eth0"); got.IfIndex != want {
		t.Errorf("ifindex %d, want %d", got.IfIndex, want)
	}
	if _, idx := a.Interface(); idx != got.IfIndex {
		t.Errorf("Conn.Interface index %d, packet ifindex %d", idx, got.IfIndex)
	}
	if s := b.Stats(); s.Sent != 1 || s.SendErrors != 0 {
		t.Errorf("sender stats %+v, want 1 sent", s)
	}
	if s := a.Stats(); s.Received != 1 {
		t.Errorf("receiver stats %+v, want 1 received", s)
	}
}

func TestOwnMulticastIsNotDeliveredBack(t *testing.T) {
	p := newPair4(t, "vgt-o4")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 4})
	b := openIn(t, p.B, Config{Interface: "eth0", Family: 4})

	mine, theirs := samplePayload(1, 100), samplePayload(1, 200)
	if err := a.Send(mine); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(theirs); err != nil {
		t.Fatal(err)
	}
	// A looped-back copy of our own packet would be queued before the
	// peer's, so the first packet read must be the peer's.
	if got := receiveOK(t, a); !bytes.Equal(got.Payload, theirs) || got.Src != addrB4 {
		t.Fatalf("first packet on the sender: % x from %s; want the peer's % x", got.Payload, got.Src, theirs)
	}
	if got := receiveOK(t, b); !bytes.Equal(got.Payload, mine) {
		t.Fatalf("peer received % x, want % x", got.Payload, mine)
	}
	if s := a.Stats(); s.Rejected[ReasonOwn] != 0 {
		t.Errorf("own packets reached the socket: %+v", s)
	}
}

func TestPacketFromOwnAddressIsRejected(t *testing.T) {
	p := newPair4(t, "vgt-s4")
	second := netip.MustParseAddr("10.77.0.11")
	addAddr(t, p.A, second.String()+"/24", "dev", "eth0")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 4})
	// Loopback on: the crafted packet comes back to a's socket as if a
	// packet of ours had been reflected.
	looped := newCrafter(t, p.A, 4, TTL, true)

	for _, src := range []netip.Addr{addrA4, second} {
		looped.send(t, samplePayload(7, 100), src, Group4)
		rej := receiveRejected(t, a, ReasonOwn)
		if rej.Packet.Src != src {
			t.Errorf("rejected packet from %s, want %s", rej.Packet.Src, src)
		}
	}
	if s := a.Stats(); s.Rejected[ReasonOwn] != 2 || s.Received != 0 {
		t.Errorf("stats %+v, want 2 own rejections", s)
	}
}

func TestTTLOtherThan255IsRejected(t *testing.T) {
	p := newPair4(t, "vgt-t4")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 4})
	forwarded := newCrafter(t, p.B, 4, 64, false)

	forwarded.send(t, samplePayload(9, 100), addrB4, Group4)
	rej := receiveRejected(t, a, ReasonTTL)
	if rej.Packet.TTL != 64 || rej.Packet.Src != addrB4 {
		t.Errorf("rejected packet ttl %d src %s, want 64 from %s", rej.Packet.TTL, rej.Packet.Src, addrB4)
	}
	// The same packet with TTL 255 passes, so TTL alone made the difference.
	newCrafter(t, p.B, 4, TTL, false).send(t, samplePayload(9, 100), addrB4, Group4)
	receiveOK(t, a)
	if s := a.Stats(); s.Rejected[ReasonTTL] != 1 || s.Received != 1 {
		t.Errorf("stats %+v, want 1 ttl rejection and 1 received", s)
	}
}

func TestOtherMulticastGroupIsRejected(t *testing.T) {
	p := newPair4(t, "vgt-g4")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 4})
	other := netip.MustParseAddr("224.0.0.99")
	// Another socket on a's interface joins another group; the raw socket
	// then sees protocol-112 packets sent to it.
	var err error
	inNamespace(t, p.A, func() {
		var c net.PacketConn
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName("eth0"); err != nil {
			return
		}
		if c, err = net.ListenPacket("udp4", "0.0.0.0:0"); err != nil {
			return
		}
		t.Cleanup(func() { _ = c.Close() })
		err = ipv4.NewPacketConn(c).JoinGroup(ifi, &net.IPAddr{IP: other.AsSlice()})
	})
	if err != nil {
		t.Fatal(err)
	}
	newCrafter(t, p.B, 4, TTL, false).send(t, samplePayload(3, 100), addrB4, other)
	if rej := receiveRejected(t, a, ReasonDestination); rej.Packet.Dst != other {
		t.Errorf("rejected packet to %s, want %s", rej.Packet.Dst, other)
	}
}

func TestUnicastIPv4AcceptsOnlyPeers(t *testing.T) {
	p := newPair4(t, "vgt-u4")
	addAddr(t, p.B, strayB4.String()+"/24", "dev", "eth0")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 4, Peers: []netip.Addr{addrB4}})
	b := openIn(t, p.B, Config{Interface: "eth0", Family: 4, Source: addrB4, Peers: []netip.Addr{addrA4}})
	if !a.Unicast() {
		t.Fatal("Conn with peers is not in unicast mode")
	}

	sent := samplePayload(51, 100)
	if err := b.Send(sent); err != nil {
		t.Fatal(err)
	}
	got := receiveOK(t, a)
	if got.Src != addrB4 || got.Dst != addrA4 || got.TTL != TTL || !bytes.Equal(got.Payload, sent) {
		t.Fatalf("got %+v, want % x from %s to %s ttl 255", got, sent, addrB4, addrA4)
	}

	newCrafter(t, p.B, 4, TTL, false).send(t, samplePayload(51, 100), strayB4, addrA4)
	if rej := receiveRejected(t, a, ReasonNotAPeer); rej.Packet.Src != strayB4 {
		t.Errorf("rejected source %s, want %s", rej.Packet.Src, strayB4)
	}

	if err := a.Send(samplePayload(51, 200)); err != nil {
		t.Fatal(err)
	}
	if got := receiveOK(t, b); got.Src != addrA4 || got.Dst != addrB4 {
		t.Errorf("reverse direction: %s -> %s", got.Src, got.Dst)
	}
	if s := a.Stats(); s.Received != 1 || s.Rejected[ReasonNotAPeer] != 1 || s.Sent != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestReceiveUnblocksOnDeadlineAndClose(t *testing.T) {
	p := newPair4(t, "vgt-c4")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 4})

	if err := a.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Receive(make([]byte, MaxPayload)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Receive after deadline: %v, want a deadline error", err)
	}
	if err := a.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.Receive(make([]byte, MaxPayload))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Receive block (it also works if it has not yet)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Receive after Close: %v, want net.ErrClosed", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestOpenFailsWithoutInterfaceOrAddress(t *testing.T) {
	needNetns(t)
	ns := "vgt-e4a"
	newNamespace(t, ns)
	var errMissing, errNoAddr error
	inNamespace(t, ns, func() {
		_, errMissing = Open(Config{Interface: "nosuch0", Family: 4})
		_, errNoAddr = Open(Config{Interface: "lo", Family: 6})
	})
	if errMissing == nil {
		t.Error("Open on a missing interface succeeded")
	}
	// lo has ::1 but no link-local address.
	if !errors.Is(errNoAddr, ErrNoSource) {
		t.Errorf("Open without a link-local address: %v, want ErrNoSource", errNoAddr)
	}
}

func TestOtherInterfacesTrafficIsNotSeen(t *testing.T) {
	p := newPair4(t, "vgt-i4")
	// A third namespace reaches a through a second interface, eth1.
	third := "vgt-i4c"
	newNamespace(t, third)
	run(t, "ip", "-n", p.A, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", third)
	run(t, "ip", "-n", p.A, "link", "set", "eth1", "up")
	run(t, "ip", "-n", third, "link", "set", "eth0", "up")
	addAddr(t, p.A, "10.78.0.1/24", "dev", "eth1")
	addAddr(t, third, "10.78.0.3/24", "dev", "eth0")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 4})
	// The daemon's Conn on eth1 joins the group there too, so the kernel
	// accepts the group's packets on both interfaces.
	aOnEth1 := openIn(t, p.A, Config{Interface: "eth1", Family: 4})
	c := openIn(t, third, Config{Interface: "eth0", Family: 4})
	b := openIn(t, p.B, Config{Interface: "eth0", Family: 4})

	if err := c.Send(samplePayload(5, 1)); err != nil {
		t.Fatal(err)
	}
	want := samplePayload(5, 2)
	if err := b.Send(want); err != nil {
		t.Fatal(err)
	}
	if got := receiveOK(t, a); got.Src != addrB4 || !bytes.Equal(got.Payload, want) {
		t.Fatalf("Conn on eth0 read % x from %s; want only eth0's packet % x from %s", got.Payload, got.Src, want, addrB4)
	}
	if got := receiveOK(t, aOnEth1); got.Src != netip.MustParseAddr("10.78.0.3") {
		t.Fatalf("Conn on eth1 read a packet from %s, want the third namespace's", got.Src)
	}
}

func TestConfiguredSourceIsUsed(t *testing.T) {
	p := newPair4(t, "vgt-c4s")
	addAddr(t, p.B, strayB4.String()+"/24", "dev", "eth0") // a secondary address
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 4})
	b := openIn(t, p.B, Config{Interface: "eth0", Family: 4, Source: strayB4})
	if b.Source() != strayB4 {
		t.Fatalf("Source() = %s, want the configured %s", b.Source(), strayB4)
	}
	if err := b.Send(samplePayload(1, 1)); err != nil {
		t.Fatal(err)
	}
	if got := receiveOK(t, a); got.Src != strayB4 {
		t.Errorf("packet from %s, want the configured source %s", got.Src, strayB4)
	}
}
