package director

import (
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/ipvs"
)

// probeConf has via_vip checks on the real servers named in viaVIP.
func probeConf(t *testing.T, viaVIP ...string) *config.Config {
	t.Helper()
	var rs strings.Builder
	for _, a := range []string{"10.99.0.11", "10.99.0.12", "10.99.0.13"} {
		via := "false"
		for _, v := range viaVIP {
			if v == a {
				via = "true"
			}
		}
		rs.WriteString(`  real_server "` + a + `:80" {
    check "tcp" {
      via_vip = ` + via + `
    }
  }
`)
	}
	src := `vrrp_instance "VI_1" {
  interface = "lan0"
  vrid = 51
  virtual_ipaddresses = ["10.99.0.100/24"]
}
virtual_server "web" {
  address = "10.99.0.100:80"
  vrrp_instance = "VI_1"
` + rs.String() + "}\n"
	cfg, diags := config.Parse([]byte(src), "probe.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// probeServicesIn returns the kernel's via_vip probe services: mark -> the
// one destination's address.
func probeServicesIn(t *testing.T, k *ipvs.Fake) map[uint32]netip.Addr {
	t.Helper()
	svcs, err := k.GetServices()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32]netip.Addr{}
	for _, s := range svcs {
		if !config.ProbeMarkReserved(s.Service.Key.FWMark) {
			continue
		}
		ds, err := k.GetDestinations(s.Service.Key)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].Dest.Fwd != ipvs.ForwardDR || ds[0].Dest.Port != 0 || ds[0].Dest.Weight != 1 {
			t.Fatalf("probe service %v: want one DR destination, port 0, weight 1; got %+v", s.Service.Key, ds)
		}
		out[s.Service.Key.FWMark] = ds[0].Dest.Addr
	}
	return out
}

func TestViaVIPProbeServicesAreInstalledOnABackupToo(t *testing.T) {
	k := ipvs.NewFake()
	tabs, err := NewIPVSTables(k, probeConf(t, "10.99.0.11", "10.99.0.13"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := tabs.Sync(); err != nil { // not master: "web" stays out
		t.Fatal(err)
	}
	got := probeServicesIn(t, k)
	want := map[uint32]netip.Addr{
		config.ProbeMarkBase:     netip.MustParseAddr("10.99.0.11"),
		config.ProbeMarkBase + 1: netip.MustParseAddr("10.99.0.13"),
	}
	if len(got) != len(want) || got[config.ProbeMarkBase] != want[config.ProbeMarkBase] || got[config.ProbeMarkBase+1] != want[config.ProbeMarkBase+1] {
		t.Fatalf("probe services %v, want %v", got, want)
	}
	if svcs, _ := k.GetServices(); len(svcs) != 2 {
		t.Fatalf("a backup holds %d services, want only the 2 probe services", len(svcs))
	}
	for addr, want := range map[string]uint32{"10.99.0.11": config.ProbeMarkBase, "10.99.0.13": config.ProbeMarkBase + 1} {
		if m, ok := tabs.ProbeMark(netip.MustParseAddr(addr), "dr"); !ok || m != want {
			t.Errorf("ProbeMark(%s) = %#x %v, want %#x", addr, m, ok, want)
		}
	}
	if got := tabs.ProbeAddrs(); len(got) != 2 || got[0] != netip.MustParseAddr("10.99.0.11") || got[1] != netip.MustParseAddr("10.99.0.13") {
		t.Errorf("ProbeAddrs() = %v, want [10.99.0.11 10.99.0.13]", got)
	}
	if _, ok := tabs.ProbeMark(netip.MustParseAddr("10.99.0.12"), "dr"); ok {
		t.Error("a real server without via_vip checks has a probe mark")
	}
	if err := tabs.Clear(); err != nil {
		t.Fatal(err)
	}
	if svcs, _ := k.GetServices(); len(svcs) != 0 {
		t.Fatalf("Clear left %d services", len(svcs))
	}
}

// A real server keeps its mark across a reload: the check that is already
// probing with it must not reach another server in the meantime.
func TestViaVIPMarksAreStableAcrossReload(t *testing.T) {
	k := ipvs.NewFake()
	tabs, err := NewIPVSTables(k, probeConf(t, "10.99.0.11", "10.99.0.13"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := tabs.Sync(); err != nil {
		t.Fatal(err)
	}
	// .11 stops probing via the VIP, .12 starts: .13 keeps base+1 and .12
	// takes the freed base.
	if err := tabs.Reload(probeConf(t, "10.99.0.12", "10.99.0.13")); err != nil {
		t.Fatal(err)
	}
	got := probeServicesIn(t, k)
	if len(got) != 2 || got[config.ProbeMarkBase+1] != netip.MustParseAddr("10.99.0.13") || got[config.ProbeMarkBase] != netip.MustParseAddr("10.99.0.12") {
		t.Fatalf("after reload: %v", got)
	}
}

// A configuration the IPVS model refuses changes nothing: neither the
// virtual servers nor the probe marks of the old one are lost.
func TestReloadThatDoesNotApplyKeepsTheOldTable(t *testing.T) {
	k := ipvs.NewFake()
	tabs, err := NewIPVSTables(k, probeConf(t, "10.99.0.11"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := tabs.Install("VI_1"); err != nil {
		t.Fatal(err)
	}
	before, err := tabs.Desired()
	if err != nil {
		t.Fatal(err)
	}
	bad := probeConf(t, "10.99.0.12")
	bad.VirtualServers[0].SchedulerFlags = []string{"sh-port"} // rr has no such flag
	if err := tabs.Reload(bad); err == nil {
		t.Fatal("Reload accepted a table the model refuses")
	}
	after, err := tabs.Desired()
	if err != nil {
		t.Fatalf("after a refused reload the old table no longer builds: %v", err)
	}
	if len(after.Services) != len(before.Services) {
		t.Fatalf("services %d -> %d after a refused reload", len(before.Services), len(after.Services))
	}
	if m, ok := tabs.ProbeMark(netip.MustParseAddr("10.99.0.11"), "dr"); !ok || m != config.ProbeMarkBase {
		t.Fatalf("probe mark of the old configuration lost: %#x %v", m, ok)
	}
	ref := RealServerRef{VirtualServer: "web", RealServer: netip.MustParseAddrPort("10.99.0.11:80")}
	if err := tabs.SetHealth(ref, Health{Weight: 0}); err != nil {
		t.Fatalf("health change after a refused reload: %v", err)
	}
}
