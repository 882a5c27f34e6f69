package director

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/vrrp"
)

var vip = netip.MustParseAddr("10.99.0.100")

func pairConfig(t *testing.T, priority int, interval string, extra string) *config.Config {
	t.Helper()
	src := fmt.Sprintf(`
vrrp_instance "VI_1" {
  interface = "lan0"
  vrid = 51
  priority = %d
  advert_interval = %q
  virtual_ipaddresses = ["10.99.0.100/24"]
  %s
}
`, priority, interval, extra)
	cfg, diags := config.Parse([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatalf("config: %s", diags.Error())
	}
	return cfg
}

type testDirector struct {
	*Director
	name   string
	ann    *countingAnnouncer
	tables *fakeTables
}

func startDirector(t *testing.T, b *bus, vips *vipTable, name string, addr string, cfg *config.Config) *testDirector {
	t.Helper()
	td := &testDirector{name: name, ann: &countingAnnouncer{}, tables: &fakeTables{installed: map[string]bool{}}}
	deps := Deps{
		Network:   host{bus: b, addr: netip.MustParseAddr(addr)},
		Addresses: hostVIPs{t: vips, name: name, order: b.order},
		Announcer: td.ann,
		Tables:    td.tables,
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	td.Director = New(deps, Hooks{}, log)
	if err := td.Start(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = td.Shutdown(ctx)
	})
	return td
}

func (td *testDirector) state() string {
	st := td.Status()
	if len(st) == 0 {
		return "none"
	}
	return st[0].State
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
	return 0
}

func newPair(t *testing.T, extraA, extraB string) (*bus, *vipTable, *testDirector, *testDirector) {
	b := &bus{}
	vips := &vipTable{holders: map[netip.Addr][]string{}}
	a := startDirector(t, b, vips, "a", "10.99.0.1", pairConfig(t, 150, "10ms", extraA))
	// Start b only once a is master: two routers that start together may
	// both become master for an instant, which is correct VRRP but not
	// what these tests look at.
	waitFor(t, "a master", 2*time.Second, func() bool { return a.state() == "master" })
	bb := startDirector(t, b, vips, "b", "10.99.0.2", pairConfig(t, 100, "10ms", extraB))
	waitFor(t, "a master, b backup", 2*time.Second, func() bool { return a.state() == "master" && bb.state() == "backup" })
	return b, vips, a, bb
}

func TestHigherPriorityBecomesMasterAndHoldsEverything(t *testing.T) {
	_, vips, a, b := newPair(t, "", "")
	if h := vips.holdersOf(vip); len(h) != 1 || h[0] != "a" {
		t.Fatalf("VIP holders %v, want [a]", h)
	}
	if !a.tables.has("VI_1") || b.tables.has("VI_1") {
		t.Fatalf("IPVS tables: a=%v b=%v, want only a", a.tables.has("VI_1"), b.tables.has("VI_1"))
	}
	if a.ann.count() < 1 || b.ann.count() != 0 {
		t.Fatalf("announcements a=%d b=%d", a.ann.count(), b.ann.count())
	}
	waitFor(t, "the backup to learn the master's address", time.Second, func() bool {
		return b.Status()[0].Master == netip.MustParseAddr("10.99.0.1")
	})
}

func TestSilentMasterIsReplacedWithinMasterDownInterval(t *testing.T) {
	bs, vips, a, b := newPair(t, "", "")
	silenced := netip.MustParseAddr("10.99.0.1")
	bs.mu.Lock()
	bs.drop = func(src netip.Addr) bool { return src == silenced }
	bs.mu.Unlock()
	// Master_Down_Interval for priority 100 at 10ms: 3*10ms + (156*10ms)/256 = 36.09ms.
	took := waitFor(t, "b master", time.Second, func() bool { return b.state() == "master" })
	// A coarse bound only: the measured failover times come from the
	// namespace drills, not from a unit test on a shared machine.
	if took > 500*time.Millisecond {
		t.Errorf("takeover took %s, far beyond Master_Down_Interval", took)
	}
	if h := vips.holdersOf(vip); len(h) != 2 {
		t.Fatalf("during the partition both should hold the VIP, got %v", h)
	}
	// Heal: the higher-priority master re-asserts and b steps down.
	bs.mu.Lock()
	bs.drop = nil
	bs.mu.Unlock()
	waitFor(t, "b back to backup", time.Second, func() bool { return b.state() == "backup" })
	waitFor(t, "only a holds the VIP", time.Second, func() bool {
		h := vips.holdersOf(vip)
		return len(h) == 1 && h[0] == "a"
	})
	if a.state() != "master" {
		t.Fatalf("a is %s after healing", a.state())
	}
}

func TestGracefulShutdownHandsOverWithoutGap(t *testing.T) {
	_, vips, a, b := newPair(t, "", "")
	gap := make(chan string, 1)
	stop := make(chan struct{})
	go func() {
		defer close(gap)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if h := vips.holdersOf(vip); len(h) == 0 {
				gap <- "no holder"
				return
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	waitFor(t, "b master", time.Second, func() bool { return b.state() == "master" })
	close(stop)
	if g, ok := <-gap; ok {
		t.Fatalf("VIP had %s during the handover", g)
	}
	if h := vips.holdersOf(vip); len(h) != 1 || h[0] != "b" {
		t.Fatalf("after handover holders %v, want [b]", h)
	}
	// Skew_Time of b (priority 100) is 6ms; the handover must not wait
	// for long (coarse bound, see above).
	if took > 500*time.Millisecond {
		t.Errorf("graceful stop took %s", took)
	}
}

func TestReloadUnchangedKeepsStateAndInPlaceUpdatePreempts(t *testing.T) {
	_, _, a, bb := newPair(t, "", "")
	before := a.Status()[0].Transitions
	done, err := a.Reload(pairConfig(t, 150, "10ms", ""))
	if err != nil || done["VI_1"] != "unchanged" {
		t.Fatalf("reload: %v %v", done, err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := a.Status()[0].Transitions; got != before || a.state() != "master" {
		t.Fatalf("unchanged reload caused transitions %d -> %d (state %s)", before, got, a.state())
	}
	done, err = bb.Reload(pairConfig(t, 200, "10ms", ""))
	if err != nil || done["VI_1"] != "updated" {
		t.Fatalf("reload: %v %v", done, err)
	}
	waitFor(t, "b preempts after its priority rose", time.Second, func() bool { return bb.state() == "master" && a.state() == "backup" })
}

func TestNopreemptKeepsLowerPriorityMaster(t *testing.T) {
	b := &bus{}
	vips := &vipTable{holders: map[netip.Addr][]string{}}
	// 100ms adverts: the newcomer must hear the master within its
	// Master_Down_Interval, which a loaded test machine can miss at 10ms.
	low := startDirector(t, b, vips, "b", "10.99.0.2", pairConfig(t, 100, "100ms", "preempt = false"))
	waitFor(t, "b master alone", time.Second, func() bool { return low.state() == "master" })
	high := startDirector(t, b, vips, "a", "10.99.0.1", pairConfig(t, 150, "100ms", "preempt = false"))
	time.Sleep(time.Second)
	if low.state() != "master" || high.state() != "backup" {
		t.Fatalf("with nopreempt: b=%s a=%s, want master/backup", low.state(), high.state())
	}
}

func TestPriorityZeroEventFaultsAndReleases(t *testing.T) {
	_, vips, a, b := newPair(t, "", "")
	if !a.Deliver("VI_1", vrrp.PriorityChanged{Priority: 0}) {
		t.Fatal("event not delivered")
	}
	waitFor(t, "a fault, b master", time.Second, func() bool { return a.state() == "fault" && b.state() == "master" })
	waitFor(t, "only b holds", time.Second, func() bool {
		h := vips.holdersOf(vip)
		return len(h) == 1 && h[0] == "b"
	})
}

func TestTakeoverClaimsVIPsBeforeTheFirstAdvert(t *testing.T) {
	b := &bus{order: &orderLog{}}
	vips := &vipTable{holders: map[netip.Addr][]string{}}
	a := startDirector(t, b, vips, "a", "10.99.0.1", pairConfig(t, 150, "10ms", ""))
	waitFor(t, "a master", 2*time.Second, func() bool { return a.state() == "master" })
	evs := b.order.events()
	if len(evs) < 2 || evs[0] != "add a" || evs[1] != "send 10.99.0.1" {
		t.Fatalf("side effects in order %v, want the VIP added before the first advert", evs[:min(len(evs), 4)])
	}
}

// TestTwoInstancesShareOneSocketAndSplitMastership runs two VRRP instances
// per director on one interface (one shared socket, routed by VRID), each
// director preferred for one of them: active/active.
func TestTwoInstancesShareOneSocketAndSplitMastership(t *testing.T) {
	two := func(p1, p2 int) *config.Config {
		src := fmt.Sprintf(`
vrrp_instance "VI_1" {
  interface = "lan0"
  vrid = 51
  priority = %d
  advert_interval = "10ms"
  virtual_ipaddresses = ["10.99.0.100/24"]
}
vrrp_instance "VI_2" {
  interface = "lan0"
  vrid = 52
  priority = %d
  advert_interval = "10ms"
  virtual_ipaddresses = ["10.99.0.101/24"]
}
`, p1, p2)
		cfg, diags := config.Parse([]byte(src), "two.hcl")
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		return cfg
	}
	b := &bus{}
	vips := &vipTable{holders: map[netip.Addr][]string{}}
	a := startDirector(t, b, vips, "a", "10.99.0.1", two(150, 100))
	waitFor(t, "a master of both alone", 2*time.Second, func() bool {
		st := a.Status()
		return st[0].State == "master" && st[1].State == "master"
	})
	bb := startDirector(t, b, vips, "b", "10.99.0.2", two(100, 150))
	second := netip.MustParseAddr("10.99.0.101")
	waitFor(t, "b takes VI_2 (preempt), a keeps VI_1", 2*time.Second, func() bool {
		h1, h2 := vips.holdersOf(vip), vips.holdersOf(second)
		return len(h1) == 1 && h1[0] == "a" && len(h2) == 1 && h2[0] == "b"
	})
	if n := len(a.Links()); n != 1 {
		t.Fatalf("two instances on one interface should share one socket, got %d", n)
	}
	if got := bb.Status(); got[0].State != "backup" || got[1].State != "master" {
		t.Fatalf("b: %s/%s, want backup/master", got[0].State, got[1].State)
	}
}

func TestStatusForgetsAMasterThatResigned(t *testing.T) {
	_, _, a, b := newPair(t, "", "")
	waitFor(t, "b knows a", time.Second, func() bool { return b.Status()[0].Master == netip.MustParseAddr("10.99.0.1") })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b reports itself as master", time.Second, func() bool {
		st := b.Status()[0]
		return st.State == "master" && st.Master == netip.MustParseAddr("10.99.0.2")
	})
}

func TestTakeoverTimeIsReported(t *testing.T) {
	b := &bus{}
	vips := &vipTable{holders: map[netip.Addr][]string{}}
	a := startDirector(t, b, vips, "a", "10.99.0.1", pairConfig(t, 150, "10ms", ""))
	waitFor(t, "a master", 2*time.Second, func() bool { return a.state() == "master" })
	got := make(chan time.Duration, 1)
	td := &testDirector{name: "b", ann: &countingAnnouncer{}, tables: &fakeTables{installed: map[string]bool{}}}
	td.Director = New(Deps{Network: host{bus: b, addr: netip.MustParseAddr("10.99.0.2")},
		Addresses: hostVIPs{t: vips, name: "b"}, Announcer: td.ann, Tables: td.tables},
		Hooks{Takeover: func(_ string, d time.Duration) { got <- d }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := td.Start(pairConfig(t, 100, "10ms", "")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = td.Shutdown(context.Background()) })
	waitFor(t, "b backup hearing a", time.Second, func() bool { return td.Status()[0].Master == netip.MustParseAddr("10.99.0.1") })
	b.mu.Lock()
	b.drop = func(src netip.Addr) bool { return src == netip.MustParseAddr("10.99.0.1") }
	b.mu.Unlock()
	select {
	case d := <-got:
		// At least Master_Down_Interval (36 ms) after the last advert.
		if d < 30*time.Millisecond || d > 2*time.Second {
			t.Fatalf("take-over time %s", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no take-over time reported")
	}
}
