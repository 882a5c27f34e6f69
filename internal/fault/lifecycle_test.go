package fault

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestFaultRemovesItselfWhenItExpires(t *testing.T) {
	a, b := newPair(t, "ex", 10)
	inj := testInjector(t)
	before := tcState(t, a)
	act := mustApply(t, inj, Spec{Target: a.target(), Kind: KindBlackhole, Duration: time.Second})
	if got := ping(t, a.ns, b.ip4, 1, 200*time.Millisecond); got != 0 {
		t.Fatal("blackhole let a ping through")
	}
	select {
	case <-act.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the fault did not remove itself")
	}
	if err := act.Wait(); err != nil {
		t.Fatalf("removal: %v", err)
	}
	if time.Now().Before(act.Expires) {
		t.Fatalf("removed before its expiry %v", act.Expires)
	}
	if after := tcState(t, a); after != before {
		t.Fatalf("expiry left tc changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if got := ping(t, a.ns, b.ip4, 2, 200*time.Millisecond); got != 2 {
		t.Fatalf("after expiry %d of 2 pings came back", got)
	}
}

// A fault whose process died is removed by the next command of any
// process once its time is up: here the record's expiry is moved into the
// past, as if the applying process had been killed long ago.
func TestExpiredFaultIsRemovedByTheNextShow(t *testing.T) {
	a, b := newPair(t, "ek", 11)
	inj := testInjector(t)
	before := tcState(t, a)
	act := mustApply(t, inj, Spec{Target: a.target(), Kind: KindBlackhole, Duration: time.Hour})
	st := inj.store()
	rec, err := st.load(a.target())
	if err != nil || rec == nil {
		t.Fatalf("no record: %v", err)
	}
	rec.Expires = time.Now().Add(-time.Second)
	if err := st.save(rec); err != nil {
		t.Fatal(err)
	}
	other := &Injector{StateDir: inj.StateDir}
	list, err := other.Show(Target{})
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	if len(list) != 0 {
		t.Fatalf("show lists the expired fault: %+v", list)
	}
	if after := tcState(t, a); after != before {
		t.Fatalf("expired fault left tc changed:\n%s", after)
	}
	if got := ping(t, a.ns, b.ip4, 1, 200*time.Millisecond); got != 1 {
		t.Fatal("ping fails after the expired fault was removed")
	}
	// The applying process finds its fault gone and is content.
	if err := act.Clear(); err != nil {
		t.Fatalf("clear of an already removed fault: %v", err)
	}
}

func TestClearKeepsAClsactQdiscVigilDidNotCreate(t *testing.T) {
	a, _ := newPair(t, "cq", 12)
	inj := testInjector(t)
	run(t, "tc", "-n", a.ns, "qdisc", "add", "dev", a.dev, "clsact")
	before := tcState(t, a)
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindDropVRRP, Direction: DirIn})
	mid := tcState(t, a)
	if strings.Count(mid, FilterName) != 1 {
		t.Fatalf("want one vigil filter (ingress only):\n%s", mid)
	}
	if _, err := inj.Clear(a.target()); err != nil {
		t.Fatal(err)
	}
	after := tcState(t, a)
	if after != before || !strings.Contains(after, "clsact") {
		t.Fatalf("clear changed what was there before:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// Clear finds vigil's filters even without a record (a run killed between
// attaching and recording, or a lost state directory).
func TestClearRemovesFiltersWithoutARecord(t *testing.T) {
	a, _ := newPair(t, "cr", 13)
	inj := testInjector(t)
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindLoss, Percent: 10})
	if err := inj.store().remove(a.target()); err != nil {
		t.Fatal(err)
	}
	list, err := inj.Show(Target{Netns: a.ns})
	if err != nil || len(list) != 1 || list[0].Spec != nil || list[0].Problem == "" {
		t.Fatalf("show of a fault without record: %+v %v", list, err)
	}
	if _, err := inj.Apply(context.Background(), Spec{Target: a.target(), Kind: KindBlackhole}); !errors.Is(err, ErrActive) {
		t.Fatalf("apply over unrecorded vigil filters: %v, want ErrActive", err)
	}
	done, err := inj.Clear(Target{Netns: a.ns}) // every fault in the namespace
	if err != nil || len(done) == 0 {
		t.Fatalf("clear: %v %v", done, err)
	}
	if state := tcState(t, a); strings.Contains(state, FilterName) {
		t.Fatalf("vigil filter left:\n%s", state)
	}
}

func TestBadInputLeavesTheInterfaceUntouched(t *testing.T) {
	a, _ := newPair(t, "bi", 14)
	inj := testInjector(t)
	ctx := context.Background()
	before := tcState(t, a)
	cases := []struct {
		name string
		spec Spec
		want error
	}{
		{"unknown interface", Spec{Target: Target{Netns: a.ns, Interface: "vgfnone"}, Kind: KindBlackhole}, ErrNoInterface},
		{"unknown namespace", Spec{Target: Target{Netns: "vgf-none", Interface: a.dev}, Kind: KindBlackhole}, ErrNoInterface},
		{"loss over 100", Spec{Target: a.target(), Kind: KindLoss, Percent: 101}, ErrInvalid},
		{"loss 0", Spec{Target: a.target(), Kind: KindLoss}, ErrInvalid},
		{"partition without peer", Spec{Target: a.target(), Kind: KindPartition}, ErrInvalid},
		{"delay inbound", Spec{Target: a.target(), Kind: KindDelay, Delay: time.Millisecond, Direction: DirIn}, ErrInvalid},
	}
	for _, c := range cases {
		_, err := inj.Apply(ctx, c.spec)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
		if after := tcState(t, a); after != before {
			t.Fatalf("%s changed tc:\n%s", c.name, after)
		}
	}

	// An interface with an ingress qdisc has no room for clsact.
	run(t, "tc", "-n", a.ns, "qdisc", "add", "dev", a.dev, "ingress")
	withIngress := tcState(t, a)
	if _, err := inj.Apply(ctx, Spec{Target: a.target(), Kind: KindBlackhole}); !errors.Is(err, ErrBusy) {
		t.Errorf("apply next to an ingress qdisc: %v, want ErrBusy", err)
	}
	if after := tcState(t, a); after != withIngress {
		t.Fatalf("the failed apply changed tc:\n%s", after)
	}
	run(t, "tc", "-n", a.ns, "qdisc", "del", "dev", a.dev, "ingress")

	// A second fault on a busy interface fails and leaves the first.
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindDropVRRP})
	busy := tcState(t, a)
	_, err := inj.Apply(ctx, Spec{Target: a.target(), Kind: KindLoss, Percent: 5})
	if !errors.Is(err, ErrActive) || !strings.Contains(err.Error(), "drop-vrrp") {
		t.Errorf("second fault: %v, want ErrActive naming drop-vrrp", err)
	}
	if after := tcState(t, a); after != busy {
		t.Fatalf("the refused fault changed tc:\nbefore:\n%s\nafter:\n%s", busy, after)
	}
}

// linkUp reads the administrative state of a host's interface.
func linkUp(t *testing.T, h host) bool {
	t.Helper()
	ns, err := netns.GetFromName(h.ns)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	nl, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	l, err := nl.LinkByName(h.dev)
	if err != nil {
		t.Fatal(err)
	}
	return isLinkUp(l)
}

func TestFlapTogglesTheLinkAndLeavesItUp(t *testing.T) {
	a, _ := newPair(t, "fl", 15)
	inj := testInjector(t)
	act := mustApply(t, inj, Spec{Target: a.target(), Kind: KindFlap, Period: 300 * time.Millisecond, Duration: 2 * time.Second})
	if linkUp(t, a) {
		t.Fatal("flap did not take the link down at once")
	}
	sawUp, sawDown := false, false
	for time.Now().Before(act.Expires.Add(-400 * time.Millisecond)) {
		// Sample mid-period, away from the toggles.
		time.Sleep(150 * time.Millisecond)
		if linkUp(t, a) {
			sawUp = true
		} else if sawUp {
			sawDown = true
		}
	}
	if !sawUp || !sawDown {
		t.Errorf("the link did not alternate: saw up %v, down again %v", sawUp, sawDown)
	}
	if err := act.Wait(); err != nil {
		t.Fatal(err)
	}
	if !linkUp(t, a) {
		t.Fatal("the link stayed down after the flap")
	}
}

func TestClearStopsAFlapAndSetsTheLinkUp(t *testing.T) {
	a, _ := newPair(t, "fc", 16)
	inj := testInjector(t)
	act := mustApply(t, inj, Spec{Target: a.target(), Kind: KindFlap, Period: 100 * time.Millisecond, Duration: time.Minute})
	time.Sleep(50 * time.Millisecond)
	other := &Injector{StateDir: inj.StateDir} // as from another shell
	if _, err := other.Clear(a.target()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-act.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the flap goes on after clear")
	}
	for range 5 {
		if !linkUp(t, a) {
			t.Fatal("the link is down after clear")
		}
		time.Sleep(60 * time.Millisecond)
	}
}

func TestShowDescribesTheFault(t *testing.T) {
	a, _ := newPair(t, "sh", 17)
	inj := testInjector(t)
	peer := netip.MustParseAddr("192.0.2.9")
	act := mustApply(t, inj, Spec{Target: a.target(), Kind: KindPartition, Peer: peer, Direction: DirOut, Duration: time.Minute})
	list, err := inj.Show(a.target())
	if err != nil || len(list) != 1 {
		t.Fatalf("show: %+v %v", list, err)
	}
	s := list[0]
	if s.Spec == nil || s.Spec.Kind != KindPartition || s.Spec.Peer != peer || s.Problem != "" {
		t.Fatalf("show: %+v", s)
	}
	if len(s.Hooks) != 1 || s.Hooks[0] != "egress" || !s.Expires.Equal(act.Expires) {
		t.Fatalf("show: hooks %v expires %v, want egress and %v", s.Hooks, s.Expires, act.Expires)
	}
	var b strings.Builder
	s.Describe(&b, act.Expires.Add(-30*time.Second))
	line := b.String()
	for _, want := range []string{a.ns + "/" + a.dev, "partition 192.0.2.9 out", "expires in 30s", "bpf egress"} {
		if !strings.Contains(line, want) {
			t.Errorf("description %q lacks %q", line, want)
		}
	}
}
