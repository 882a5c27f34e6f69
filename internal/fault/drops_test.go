package fault

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func mustApply(t *testing.T, inj *Injector, s Spec) *Active {
	t.Helper()
	a, err := inj.Apply(context.Background(), s)
	if err != nil {
		t.Fatalf("apply %s on %s: %v", s, s.Target, err)
	}
	t.Cleanup(func() { _ = a.Clear() })
	return a
}

func TestLoss100BlocksPingAndClearRestoresIt(t *testing.T) {
	a, b := newPair(t, "l1", 1)
	inj := testInjector(t)
	before := tcState(t, a)
	if got := ping(t, a.ns, b.ip4, 2, 200*time.Millisecond); got != 2 {
		t.Fatalf("before the fault %d of 2 pings came back", got)
	}
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindLoss, Percent: 100})
	state := tcState(t, a)
	if !strings.Contains(state, "clsact") || !strings.Contains(state, FilterName) {
		t.Fatalf("tc shows no clsact qdisc with vigil's filter:\n%s", state)
	}
	if got := ping(t, a.ns, b.ip4, 3, 200*time.Millisecond); got != 0 {
		t.Fatalf("loss 100%%: %d of 3 pings came back", got)
	}
	done, err := inj.Clear(a.target())
	if err != nil {
		t.Fatalf("clear: %v", err)
	}
	if len(done) == 0 {
		t.Fatal("clear reported nothing done")
	}
	if got := ping(t, a.ns, b.ip4, 2, 200*time.Millisecond); got != 2 {
		t.Fatalf("after clear %d of 2 pings came back", got)
	}
	if after := tcState(t, a); after != before {
		t.Fatalf("clear left tc changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestLoss50DropsAboutHalf(t *testing.T) {
	a, b := newPair(t, "l5", 2)
	inj := testInjector(t)
	// Only the requests leaving a are dropped, so a reply comes back
	// with probability 1/2.
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindLoss, Percent: 50, Direction: DirOut})
	const n = 200
	got := ping(t, a.ns, b.ip4, n, 10*time.Millisecond)
	// Binomial(200, 0.5) has sd ~7: 50..150 is over 7 sd wide.
	if got < n/4 || got > 3*n/4 {
		t.Fatalf("loss 50%%: %d of %d pings came back, want 25%%..75%%", got, n)
	}
	st, err := inj.Show(a.target())
	if err != nil || len(st) != 1 {
		t.Fatalf("show: %v %v", st, err)
	}
	// The counter also sees the odd ARP request the filter dropped.
	if lost := uint64(n - got); st[0].Dropped < lost || st[0].Dropped > lost+10 {
		t.Errorf("drop counter %d, want the %d lost pings (and a few ARP)", st[0].Dropped, lost)
	}
}

// sendProto sends one packet of IP protocol proto from host from to to
// and reports whether to received it.
func sendProto(t *testing.T, from, to host, proto string, dst net.IP) bool {
	t.Helper()
	var rx, tx net.PacketConn
	var err error
	inNamespace(t, to.ns, func() { rx, err = net.ListenPacket(proto, "") })
	if err != nil {
		t.Fatalf("listen %s in %s: %v", proto, to.ns, err)
	}
	defer rx.Close()
	inNamespace(t, from.ns, func() { tx, err = net.ListenPacket(proto, "") })
	if err != nil {
		t.Fatalf("listen %s in %s: %v", proto, from.ns, err)
	}
	defer tx.Close()
	payload := []byte("vigil-fault-probe")
	if _, err := tx.WriteTo(payload, &net.IPAddr{IP: dst}); err != nil {
		t.Fatalf("send %s: %v", proto, err)
	}
	buf := make([]byte, 1500)
	_ = rx.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
	for {
		n, _, err := rx.ReadFrom(buf)
		if err != nil {
			return false
		}
		if strings.Contains(string(buf[:n]), string(payload)) {
			return true
		}
	}
}

func TestDropVRRPDropsProtocol112ButNotICMP(t *testing.T) {
	a, b := newPair(t, "dv", 3)
	inj := testInjector(t)
	for _, c := range []struct{ proto string }{{"ip4:112"}, {"ip6:112"}} {
		dst := b.ip4
		if strings.HasPrefix(c.proto, "ip6") {
			dst = b.ip6
		}
		if !sendProto(t, a, b, c.proto, dst) {
			t.Fatalf("%s did not arrive before any fault: the test network is broken", c.proto)
		}
	}
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindDropVRRP})
	if sendProto(t, a, b, "ip4:112", b.ip4) {
		t.Error("VRRP over IPv4 leaving a arrived")
	}
	if sendProto(t, a, b, "ip6:112", b.ip6) {
		t.Error("VRRP over IPv6 leaving a arrived")
	}
	if sendProto(t, b, a, "ip4:112", a.ip4) {
		t.Error("VRRP over IPv4 coming in to a arrived")
	}
	if !sendProto(t, a, b, "ip4:113", b.ip4) {
		t.Error("IP protocol 113 was dropped too")
	}
	if got := ping(t, a.ns, b.ip4, 2, 200*time.Millisecond); got != 2 {
		t.Errorf("drop-vrrp: %d of 2 pings came back", got)
	}
}

func TestPartitionCutsOffOnlyThePeer(t *testing.T) {
	hosts := newStar(t, "pt", 4)
	a, b, c := hosts[0], hosts[1], hosts[2]
	inj := testInjector(t)
	for _, h := range []host{b, c} {
		if got := ping(t, a.ns, h.ip4, 1, 200*time.Millisecond); got != 1 {
			t.Fatalf("before the fault %s does not answer", h.ns)
		}
	}
	peer, _ := netip.AddrFromSlice(c.ip4.To4())
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindPartition, Peer: peer})
	if got := ping(t, a.ns, c.ip4, 3, 200*time.Millisecond); got != 0 {
		t.Errorf("a reached the partitioned peer: %d of 3", got)
	}
	if got := ping(t, c.ns, a.ip4, 3, 200*time.Millisecond); got != 0 {
		t.Errorf("the partitioned peer reached a: %d of 3", got)
	}
	if got := ping(t, a.ns, b.ip4, 3, 200*time.Millisecond); got != 3 {
		t.Errorf("a lost b too: %d of 3", got)
	}
	if got := ping(t, b.ns, c.ip4, 3, 200*time.Millisecond); got != 3 {
		t.Errorf("b lost c, though only a is partitioned: %d of 3", got)
	}
}

func TestBlackholeDropsEverything(t *testing.T) {
	a, b := newPair(t, "bh", 5)
	inj := testInjector(t)
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindBlackhole})
	if got := ping(t, a.ns, b.ip4, 3, 200*time.Millisecond); got != 0 {
		t.Errorf("blackhole: %d of 3 IPv4 pings came back", got)
	}
	if got := ping(t, b.ns, a.ip6, 3, 200*time.Millisecond); got != 0 {
		t.Errorf("blackhole: %d of 3 IPv6 pings came back", got)
	}
	if sendProto(t, b, a, "ip4:112", a.ip4) {
		t.Error("blackhole let VRRP in")
	}
	st, err := inj.Show(a.target())
	if err != nil || len(st) != 1 {
		t.Fatalf("show: %v %v", st, err)
	}
	if st[0].Dropped == 0 || len(st[0].Hooks) != 2 {
		t.Errorf("show: hooks %v dropped %d, want both hooks and drops", st[0].Hooks, st[0].Dropped)
	}
}
