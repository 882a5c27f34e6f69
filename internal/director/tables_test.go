package director

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/ipvs"
)

const tablesConf = `
vrrp_instance "VI_1" {
  interface = "lan0"
  vrid = 51
  virtual_ipaddresses = ["10.99.0.100/24"]
}
vrrp_instance "VI_2" {
  interface = "lan0"
  vrid = 52
  ipvs_follow = "always"
  virtual_ipaddresses = ["10.99.0.101/24"]
}
virtual_server "web" {
  address = "10.99.0.100:80"
  scheduler = "rr"
  vrrp_instance = "VI_1"
  sorry_server = "10.99.0.50:80"
  persistence {
    timeout = "60s"
  }
  real_server "10.99.0.11:80" {
    weight = 3
  }
  real_server "10.99.0.12:80" {
    weight = 5
  }
}
virtual_server "dns" {
  address = "10.99.0.101:53"
  protocol = "udp"
  vrrp_instance = "VI_2"
  real_server "10.99.0.11:53" {}
}
`

func newTables(t *testing.T) (*IPVSTables, *ipvs.Fake) {
	t.Helper()
	cfg, diags := config.Parse([]byte(tablesConf), "t.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	k := ipvs.NewFake()
	tabs, err := NewIPVSTables(k, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return tabs, k
}

func services(t *testing.T, k *ipvs.Fake) map[string][]ipvs.DestStatus {
	t.Helper()
	svcs, err := k.GetServices()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]ipvs.DestStatus{}
	for _, s := range svcs {
		ds, err := k.GetDestinations(s.Service.Key)
		if err != nil {
			t.Fatal(err)
		}
		out[s.Service.Key.String()] = ds
	}
	return out
}

func TestTablesFollowMasterAndAlways(t *testing.T) {
	tabs, k := newTables(t)
	if err := tabs.Sync(); err != nil {
		t.Fatal(err)
	}
	got := services(t, k)
	if _, ok := got["udp/10.99.0.101:53"]; !ok || len(got) != 1 {
		t.Fatalf("before any master only the ipvs_follow=always service belongs, got %v", got)
	}
	if err := tabs.Install("VI_1"); err != nil {
		t.Fatal(err)
	}
	web := services(t, k)["tcp/10.99.0.100:80"]
	if len(web) != 2 || web[0].Dest.Weight != 3 || web[1].Dest.Weight != 5 {
		t.Fatalf("web after Install: %+v", web)
	}
	if err := tabs.Remove("VI_1"); err != nil {
		t.Fatal(err)
	}
	if got := services(t, k); len(got) != 1 {
		t.Fatalf("after Remove: %v", got)
	}
}

func TestHealthChangesAreOneWriteEach(t *testing.T) {
	tabs, k := newTables(t)
	if err := tabs.Install("VI_1"); err != nil {
		t.Fatal(err)
	}
	k.ResetWrites()
	ref := RealServerRef{VirtualServer: "web", RealServer: netip.MustParseAddrPort("10.99.0.11:80")}
	if err := tabs.SetHealth(ref, Health{Weight: 0}); err != nil {
		t.Fatal(err)
	}
	if w := k.Writes().Total(); w != 1 {
		t.Fatalf("inhibiting one real server took %d writes, want 1", w)
	}
	web := services(t, k)["tcp/10.99.0.100:80"]
	if web[0].Dest.Weight != 0 || web[1].Dest.Weight != 5 {
		t.Fatalf("weights %+v", web)
	}
	k.ResetWrites()
	if err := tabs.SetHealth(ref, Health{Remove: true}); err != nil {
		t.Fatal(err)
	}
	if w := k.Writes().Total(); w != 1 || len(services(t, k)["tcp/10.99.0.100:80"]) != 1 {
		t.Fatalf("removal: %d writes, dests %+v", w, services(t, k)["tcp/10.99.0.100:80"])
	}
	k.ResetWrites()
	if err := tabs.Sync(); err != nil || k.Writes().Total() != 0 {
		t.Fatalf("a no-op sync wrote %d times (err %v)", k.Writes().Total(), err)
	}
}

func TestQuorumLossInstallsSorryServer(t *testing.T) {
	tabs, k := newTables(t)
	if err := tabs.Install("VI_1"); err != nil {
		t.Fatal(err)
	}
	if err := tabs.SetQuorum("web", false); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range services(t, k)["tcp/10.99.0.100:80"] {
		if d.Dest.Addr == netip.MustParseAddr("10.99.0.50") {
			found = true
		}
	}
	if !found {
		t.Fatal("sorry server not installed when quorum was lost")
	}
	if err := tabs.SetQuorum("web", true); err != nil {
		t.Fatal(err)
	}
	if n := len(services(t, k)["tcp/10.99.0.100:80"]); n != 2 {
		t.Fatalf("sorry server still there after quorum returned: %d dests", n)
	}
}

// TestHealthEventsThatChangeNothingDoNotReadTheKernel: at start-up every
// real server reports healthy once; none of that may cost a sync (a sync
// reads the whole table), nor may any event for a service not installed.
func TestHealthEventsThatChangeNothingDoNotReadTheKernel(t *testing.T) {
	tabs, k := newTables(t)
	counting := &countingKernel{Kernel: k}
	tabs.rec = ipvs.NewReconciler(counting, nil)
	ref := RealServerRef{VirtualServer: "web", RealServer: netip.MustParseAddrPort("10.99.0.11:80")}
	// VI_1 is not master: "web" is not installed, so even a failure is free.
	if err := tabs.SetHealth(ref, Health{Weight: 0}); err != nil {
		t.Fatal(err)
	}
	if counting.reads != 0 {
		t.Fatalf("health of a service that is not installed read the kernel %d times", counting.reads)
	}
	if err := tabs.Install("VI_1"); err != nil {
		t.Fatal(err)
	}
	counting.reads = 0
	// Healthy again at its configured weight (3) and the same quorum: both change
	// the table once; repeating them changes nothing and must read nothing.
	if err := tabs.SetHealth(ref, Health{Weight: 3}); err != nil {
		t.Fatal(err)
	}
	afterChange := counting.reads
	if afterChange == 0 {
		t.Fatal("a real change did not sync")
	}
	for i := 0; i < 5; i++ {
		if err := tabs.SetHealth(ref, Health{Weight: 3}); err != nil {
			t.Fatal(err)
		}
		if err := tabs.SetQuorum("web", true); err != nil {
			t.Fatal(err)
		}
	}
	if counting.reads != afterChange {
		t.Fatalf("repeated unchanged verdicts read the kernel %d more times", counting.reads-afterChange)
	}
	if w := services(t, k)["tcp/10.99.0.100:80"][0].Dest.Weight; w != 3 {
		t.Fatalf("weight %d after recovery, want 3", w)
	}
}

// countingKernel counts the table reads a reconcile makes.
type countingKernel struct {
	ipvs.Kernel
	reads int
}

func (c *countingKernel) GetServices() ([]ipvs.ServiceStatus, error) {
	c.reads++
	return c.Kernel.GetServices()
}
