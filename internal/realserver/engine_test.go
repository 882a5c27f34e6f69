package realserver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// These tests drive Apply and Remove against an in-memory host, so the
// record keeping and the rollback logic are tested without root.

// memSysctl is an in-memory /proc/sys.
type memSysctl struct {
	v       map[string]string
	failSet map[string]error // key -> error for writes
}

func (m *memSysctl) Get(key string) (string, error) {
	v, ok := m.v[key]
	if !ok {
		return "", os.ErrNotExist
	}
	return v, nil
}

func (m *memSysctl) Set(key, value string) error {
	if err := m.failSet[key]; err != nil {
		return err
	}
	if _, ok := m.v[key]; !ok {
		return os.ErrNotExist
	}
	m.v[key] = value
	return nil
}

// memNet is an in-memory set of devices and IPv4 addresses.
type memNet struct {
	links []netlink.Link
	addrs map[string][]netlink.Addr // device name -> addresses
}

func newMemNet(devs ...string) *memNet {
	n := &memNet{addrs: map[string][]netlink.Addr{}}
	for i, d := range devs {
		n.links = append(n.links, &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: d, Index: i + 1, Flags: net.FlagUp}})
	}
	return n
}

func (n *memNet) LinkByName(name string) (netlink.Link, error) {
	for _, l := range n.links {
		if l.Attrs().Name == name {
			return l, nil
		}
	}
	return nil, netlink.LinkNotFoundError{}
}
func (n *memNet) LinkList() ([]netlink.Link, error) { return n.links, nil }
func (n *memNet) LinkAdd(l netlink.Link) error      { n.links = append(n.links, l); return nil }
func (n *memNet) LinkDel(l netlink.Link) error      { return errors.New("not used") }
func (n *memNet) LinkSetUp(l netlink.Link) error    { l.Attrs().Flags |= net.FlagUp; return nil }
func (n *memNet) LinkSetDown(l netlink.Link) error  { l.Attrs().Flags &^= net.FlagUp; return nil }
func (n *memNet) AddrList(l netlink.Link, _ int) ([]netlink.Addr, error) {
	return n.addrs[l.Attrs().Name], nil
}
func (n *memNet) AddrAdd(l netlink.Link, a *netlink.Addr) error {
	n.addrs[l.Attrs().Name] = append(n.addrs[l.Attrs().Name], *a)
	return nil
}
func (n *memNet) AddrDel(l netlink.Link, a *netlink.Addr) error {
	list := n.addrs[l.Attrs().Name]
	for i, x := range list {
		if x.IPNet.String() == a.IPNet.String() {
			n.addrs[l.Attrs().Name] = append(list[:i], list[i+1:]...)
			return nil
		}
	}
	return errors.New("no such address")
}
func (n *memNet) RouteListFiltered(int, *netlink.Route, uint64) ([]netlink.Route, error) {
	return nil, nil
}

// memHost is a real server with eth0 (10.0.0.5/24) and lo, all ARP sysctls
// at the kernel defaults.
func memHost(t *testing.T) (*Host, *memSysctl, *memNet) {
	t.Helper()
	sys := &memSysctl{v: map[string]string{}, failSet: map[string]error{}}
	for _, d := range []string{"all", "default", "lo", "eth0"} {
		for _, k := range []string{"arp_ignore", "arp_announce", "rp_filter", "proxy_arp"} {
			sys.v[confKey(d, k)] = "0"
		}
	}
	nl := newMemNet("lo", "eth0")
	eth0, _ := nl.LinkByName("eth0")
	nl.AddrAdd(eth0, &netlink.Addr{IPNet: ipNet(netip.MustParsePrefix("10.0.0.5/24"))})
	h := &Host{Sysctl: sys, Net: nl, StatePath: filepath.Join(t.TempDir(), "state.json"),
		privileged: func() error { return nil }}
	return h, sys, nl
}

var memCfg = Config{VIPs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Interface: "eth0"}

func TestReapplyKeepsFirstPreviousValue(t *testing.T) {
	h, sys, _ := memHost(t)
	sys.v[confKey("lo", "arp_announce")] = "1"
	ctx := context.Background()
	if _, err := Apply(ctx, h, memCfg); err != nil {
		t.Fatal(err)
	}
	// Someone resets a value; a second apply repairs it but must still
	// remember the value from before the first apply.
	sys.v[confKey("all", "arp_ignore")] = "0"
	rep, err := Apply(ctx, h, memCfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changed) != 1 || !strings.Contains(rep.Changed[0], "all.arp_ignore") {
		t.Errorf("second apply changed %v, want only the drifted all.arp_ignore", rep.Changed)
	}
	st, err := LoadState(h.StatePath)
	if err != nil || st.Status != StatusApplied {
		t.Fatalf("state %+v, %v", st, err)
	}
	c, ok := st.find("sysctl:" + confKey("lo", "arp_announce"))
	if !ok || c.Previous != "1" {
		t.Errorf("recorded lo.arp_announce change %+v, want previous 1", c)
	}
	if _, err := Remove(ctx, h); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{confKey("lo", "arp_announce"): "1", confKey("all", "arp_ignore"): "0", confKey("eth0", "arp_announce"): "0"} {
		if sys.v[key] != want {
			t.Errorf("after remove %s = %s, want %s", key, sys.v[key], want)
		}
	}
}

func TestRemoveKeepsWhatItCannotUndo(t *testing.T) {
	h, sys, nl := memHost(t)
	ctx := context.Background()
	if _, err := Apply(ctx, h, memCfg); err != nil {
		t.Fatal(err)
	}
	if len(nl.addrs["lo"]) != 1 {
		t.Fatalf("lo addresses %v, want the VIP", nl.addrs["lo"])
	}
	sys.failSet[confKey("eth0", "arp_ignore")] = errors.New("read-only")
	_, err := Remove(ctx, h)
	if err == nil || !strings.Contains(err.Error(), "left 1 change(s)") {
		t.Fatalf("remove: %v, want one change left", err)
	}
	st, err := LoadState(h.StatePath)
	if err != nil || st == nil || len(st.Changes) != 1 || st.Changes[0].Key != confKey("eth0", "arp_ignore") {
		t.Fatalf("record after a partial remove: %+v %v", st, err)
	}
	if len(nl.addrs["lo"]) != 0 || sys.v[confKey("all", "arp_ignore")] != "0" {
		t.Error("remove did not undo the other changes")
	}
	delete(sys.failSet, confKey("eth0", "arp_ignore"))
	if _, err := Remove(ctx, h); err != nil {
		t.Fatalf("second remove: %v", err)
	}
	if sys.v[confKey("eth0", "arp_ignore")] != "0" {
		t.Error("second remove did not restore eth0.arp_ignore")
	}
	if st, _ := LoadState(h.StatePath); st != nil {
		t.Error("record still there after a complete remove")
	}
}

func TestApplyRefusesAnUnwritableRecord(t *testing.T) {
	h, sys, nl := memHost(t)
	// Reading finds no record; creating the directory fails, even for root.
	h.StatePath = "/proc/vigil-no-such-dir/state.json"
	_, err := Apply(context.Background(), h, memCfg)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "state record cannot be written") {
		t.Fatalf("apply: %v", err)
	}
	for k, v := range sys.v {
		if v != "0" {
			t.Errorf("%s = %s after a refused apply", k, v)
		}
	}
	if len(nl.addrs["lo"]) != 0 {
		t.Error("VIP added by a refused apply")
	}
}

func TestApplyRefusesACorruptRecord(t *testing.T) {
	h, sys, _ := memHost(t)
	os.WriteFile(h.StatePath, []byte("{not json"), 0o644)
	_, err := Apply(context.Background(), h, memCfg)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "delete it by hand only if") {
		t.Fatalf("apply: %v", err)
	}
	if sys.v[confKey("all", "arp_ignore")] != "0" {
		t.Error("changed a sysctl despite the corrupt record")
	}
}

func TestApplyRefusesWithoutPrivilege(t *testing.T) {
	h, sys, _ := memHost(t)
	h.privileged = func() error { return ErrPermission }
	if _, err := Apply(context.Background(), h, memCfg); !errors.Is(err, ErrPermission) {
		t.Fatalf("apply: %v", err)
	}
	if sys.v[confKey("all", "arp_ignore")] != "0" {
		t.Error("changed a sysctl without privilege")
	}
}

func TestApplyTunnelOrder(t *testing.T) {
	h, sys, nl := memHost(t)
	h.hasIPIP = func() bool { return true }
	sys.v[confKey("all", "rp_filter")] = "1"
	// The kernel creates the device's sysctls with the device.
	cfg := Config{VIPs: memCfg.VIPs, Interface: "eth0", Method: MethodTunnel}
	var created bool
	h.Net = addHook{memNet: nl, onAdd: func(l netlink.Link) {
		created = true
		for _, k := range []string{"arp_ignore", "arp_announce", "rp_filter", "proxy_arp"} {
			sys.v[confKey(l.Attrs().Name, k)] = "1"
		}
	}}
	if _, err := Apply(context.Background(), h, cfg); err != nil {
		t.Fatal(err)
	}
	tun, err := nl.LinkByName(DefaultTunnelDevice)
	if !created || err != nil {
		t.Fatalf("tunnel device not created: %v", err)
	}
	ip, ok := tun.(*netlink.Iptun)
	if !ok || !ip.Local.Equal(net.ParseIP("10.0.0.5")) || tun.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("tunnel %+v, want ipip local 10.0.0.5, up", tun)
	}
	if got := sys.v[confKey(DefaultTunnelDevice, "rp_filter")]; got != "0" {
		t.Errorf("tunnel rp_filter %s, want 0", got)
	}
	if got := sys.v[confKey("all", "rp_filter")]; got != "2" {
		t.Errorf("all.rp_filter %s, want 2 (strict would drop decapsulated packets)", got)
	}
	if a := nl.addrs[DefaultTunnelDevice]; len(a) != 1 || a[0].Label != DefaultTunnelDevice+":vip" {
		t.Errorf("tunnel addresses %+v", a)
	}
}

// addHook lets a test act when a device is created.
type addHook struct {
	*memNet
	onAdd func(netlink.Link)
}

func (a addHook) LinkAdd(l netlink.Link) error {
	a.onAdd(l)
	return a.memNet.LinkAdd(l)
}

func TestConcurrentApplyIsRefused(t *testing.T) {
	h, sys, _ := memHost(t)
	unlock, err := lockState(h.StatePath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Apply(context.Background(), h, memCfg)
	if err == nil || !strings.Contains(err.Error(), "another vigil realserver") {
		t.Fatalf("apply while another holds the lock: %v", err)
	}
	if sys.v[confKey("all", "arp_ignore")] != "0" {
		t.Error("apply changed the host while locked out")
	}
	unlock()
	if _, err := Apply(context.Background(), h, memCfg); err != nil {
		t.Fatalf("apply after the lock was released: %v", err)
	}
}
