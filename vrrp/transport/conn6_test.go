package transport

import (
	"bytes"
	"net/netip"
	"testing"
)

var (
	addrA6 = netip.MustParseAddr("fe80::a")
	addrB6 = netip.MustParseAddr("fe80::b")
)

// newPair6 is a veth pair with only the link-local addresses fe80::a in
// <prefix>a and fe80::b in <prefix>b, added without DAD.
func newPair6(t *testing.T, prefix string) pair {
	t.Helper()
	needNetns(t)
	p := newPair(t, prefix, true)
	addAddr(t, p.A, addrA6.String()+"/64", "dev", "eth0", "nodad")
	addAddr(t, p.B, addrB6.String()+"/64", "dev", "eth0", "nodad")
	return p
}

func TestMulticastIPv6DeliversWithHeaderFields(t *testing.T) {
	p := newPair6(t, "vgt-m6")
	// A global address first: the default source must still be link-local.
	addAddr(t, p.A, "fd00:77::1/64", "dev", "eth0", "nodad")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 6})
	b := openIn(t, p.B, Config{Interface: "eth0", Family: 6})
	if a.Source() != addrA6 || b.Source() != addrB6 {
		t.Fatalf("sources %s, %s; want the link-local addresses", a.Source(), b.Source())
	}

	sent := samplePayload(51, 150)
	if err := b.Send(sent); err != nil {
		t.Fatal(err)
	}
	got := receiveOK(t, a)
	if !bytes.Equal(got.Payload, sent) {
		t.Errorf("payload % x, want % x (no IPv6 header)", got.Payload, sent)
	}
	if got.Src != addrB6 || got.Dst != Group6 || got.TTL != TTL {
		t.Errorf("src %s dst %s hop limit %d; want %s %s %d", got.Src, got.Dst, got.TTL, addrB6, Group6, TTL)
	}
	if want := ifindexIn(t, p.A, "eth0"); got.IfIndex != want {
		t.Errorf("ifindex %d, want %d", got.IfIndex, want)
	}
}

func TestHopLimitOtherThan255IsRejected(t *testing.T) {
	p := newPair6(t, "vgt-t6")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 6})

	newCrafter(t, p.B, 6, 64, false).send(t, samplePayload(9, 100), addrB6, Group6)
	if rej := receiveRejected(t, a, ReasonTTL); rej.Packet.TTL != 64 {
		t.Errorf("rejected hop limit %d, want 64", rej.Packet.TTL)
	}
	newCrafter(t, p.B, 6, TTL, false).send(t, samplePayload(9, 100), addrB6, Group6)
	receiveOK(t, a)
}

func TestOwnIPv6PacketIsRejected(t *testing.T) {
	p := newPair6(t, "vgt-s6")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 6})
	newCrafter(t, p.A, 6, TTL, true).send(t, samplePayload(9, 100), addrA6, Group6)
	receiveRejected(t, a, ReasonOwn)
}

func TestUnicastIPv6ToLinkLocalPeer(t *testing.T) {
	p := newPair6(t, "vgt-u6")
	stray := netip.MustParseAddr("fe80::c")
	addAddr(t, p.B, stray.String()+"/64", "dev", "eth0", "nodad")
	a := openIn(t, p.A, Config{Interface: "eth0", Family: 6, Peers: []netip.Addr{addrB6}})
	// A zone on a configured peer is accepted and ignored.
	b := openIn(t, p.B, Config{Interface: "eth0", Family: 6, Source: addrB6,
		Peers: []netip.Addr{addrA6.WithZone("eth0")}})

	sent := samplePayload(51, 100)
	if err := b.Send(sent); err != nil {
		t.Fatal(err)
	}
	got := receiveOK(t, a)
	if got.Src != addrB6 || got.Dst != addrA6 || got.TTL != TTL || !bytes.Equal(got.Payload, sent) {
		t.Fatalf("got %+v, want % x from %s to %s hop limit 255", got, sent, addrB6, addrA6)
	}
	newCrafter(t, p.B, 6, TTL, false).send(t, samplePayload(51, 100), stray, addrA6)
	if rej := receiveRejected(t, a, ReasonNotAPeer); rej.Packet.Src != stray {
		t.Errorf("rejected source %s, want %s", rej.Packet.Src, stray)
	}
}
