//go:build vmtest

package integration

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/internal/nstest"
	"github.com/vigil-ha/vigil/internal/testenv"
	"github.com/vigil-ha/vigil/ipvs"
)

// What ipvs_follow costs, with a big table: VI_1 carries 1,000 virtual
// servers × 10 DR real servers, and the director's own IPVSTables drives a
// real kernel table (a fresh network namespace of the test VM) through the
// life of a backup that takes over and later steps back. `make bench-ipvs`
// runs it; `make vm-test` does not.
//
// The IPVS steps are the ones the director takes (internal/director
// instance.go): at startup IPVSTables.Sync; on becoming master, claim calls
// Install before it adds the VIPs, only with ipvs_follow = "master"; on
// leaving master, release calls Remove, only with "master". So the
// take-over time is what a new master with "master" spends before its VIP
// goes up, and "always" pays at startup instead, and on every health
// event while backup.
//
// Why not a vigil pair: today every one of the 11,000 initial health
// transitions (one per real server, one quorum event per virtual server)
// makes IPVSTables reconcile the whole table, 1,001 netlink dumps each, so
// a director that holds the table ("always", or any master) does not settle
// for hours under the VM's emulated CPUs, and in one VM both directors share
// the kernel's IPVS locks. The take-over step itself is measured here on
// the same code and kernel.

const (
	followServices    = 1000
	followRealServers = 10
	followPortBase    = 1000 // virtual server vsN listens on VIP:followPortBase+N
)

var (
	followVIP      = netip.MustParseAddr("10.245.0.100")
	followRSPrefix = netip.MustParsePrefix("10.245.0.0/24") // real servers .11 to .20
)

// followConf is one director's configuration: VI_1 with the big table.
func followConf(follow string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `vrrp_instance "VI_1" {
  interface = "eth0"
  vrid = 51
  priority = 100
  advert_interval = "100ms"
  virtual_ipaddresses = ["%s/24"]
  ipvs_follow = %q
}
`, followVIP, follow)
	for i := range followServices {
		port := followPortBase + i
		fmt.Fprintf(&b, "virtual_server \"vs%d\" {\n  address = \"%s:%d\"\n  scheduler = \"rr\"\n  vrrp_instance = \"VI_1\"\n", i, followVIP, port)
		for _, rs := range followRealServerAddrs() {
			fmt.Fprintf(&b, "  real_server \"%s:%d\" {}\n", rs, port)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

func followRealServerAddrs() []netip.Addr {
	out := make([]netip.Addr, followRealServers)
	a := followRSPrefix.Addr()
	for range 10 {
		a = a.Next()
	}
	for i := range out {
		a = a.Next()
		out[i] = a
	}
	return out
}

// followLastKey is the service the reconciler installs last (it goes in
// key order): when it has all its real servers, the table is complete.
func followLastKey() ipvs.ServiceKey {
	keys := make([]ipvs.ServiceKey, followServices)
	for i := range keys {
		keys[i] = ipvs.AddrKey(ipvs.TCP, netip.AddrPortFrom(followVIP, uint16(followPortBase+i)))
	}
	return slices.MaxFunc(keys, ipvs.ServiceKey.Compare)
}

// countingKernel counts the netlink requests IPVSTables sends: a write
// (New/Update/Del) is one message, a read one dump request.
type countingKernel struct {
	ipvs.Kernel
	writes, dumps int
}

func (c *countingKernel) GetServices() ([]ipvs.ServiceStatus, error) {
	c.dumps++
	return c.Kernel.GetServices()
}

func (c *countingKernel) GetDestinations(k ipvs.ServiceKey) ([]ipvs.DestStatus, error) {
	c.dumps++
	return c.Kernel.GetDestinations(k)
}

func (c *countingKernel) NewService(s ipvs.Service) error {
	c.writes++
	return c.Kernel.NewService(s)
}

func (c *countingKernel) UpdateService(s ipvs.Service) error {
	c.writes++
	return c.Kernel.UpdateService(s)
}

func (c *countingKernel) DelService(k ipvs.ServiceKey) error {
	c.writes++
	return c.Kernel.DelService(k)
}

func (c *countingKernel) NewDestination(k ipvs.ServiceKey, d ipvs.Dest) error {
	c.writes++
	return c.Kernel.NewDestination(k, d)
}

func (c *countingKernel) UpdateDestination(k ipvs.ServiceKey, d ipvs.Dest) error {
	c.writes++
	return c.Kernel.UpdateDestination(k, d)
}

func (c *countingKernel) DelDestination(k ipvs.ServiceKey, d ipvs.DestKey) error {
	c.writes++
	return c.Kernel.DelDestination(k, d)
}

// freshIPVS returns the IPVS table of a new, empty network namespace.
func freshIPVS(tb testing.TB) *ipvs.Handle {
	tb.Helper()
	testenv.NeedCommand(tb, "ip")
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		tb.Fatal(err)
	}
	name := "vgfol-" + hex.EncodeToString(suffix)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		tb.Fatalf("ip netns add: %v: %s", err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			tb.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	// With lo down the namespace has no local routing table yet, and the
	// kernel refuses every IPv4 real server (inet_addr_type says broadcast).
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		tb.Fatalf("ip link set lo up: %v: %s", err, out)
	}
	h, err := ipvs.Open("/run/netns/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { h.Close() })
	waitQuiet(tb)
	return h
}

// waitQuiet is nstest.WaitQuiet: no deferred kernel work during a measurement.
var waitQuiet = nstest.WaitQuiet

// followStep is what one step of a director's life cost.
type followStep struct {
	took          time.Duration
	writes, dumps int
}

// BenchmarkVMIPVSFollow measures, for ipvs_follow = "master" and "always",
// each step of a director that starts as backup, gets one health event,
// takes over and steps back, in a fresh namespace per iteration. Metrics
// (per iteration; run with -benchtime 1x -count N for medians):
//
//	takeover-ms/-writes  becoming master -> table complete (the VIP waits for it)
//	startup-ms/-writes   IPVSTables.Sync when the daemon starts as backup
//	health-ms/-dumps     one health event (an unchanged weight) while backup
//	release-ms/-writes   leaving master
func BenchmarkVMIPVSFollow(b *testing.B) {
	testenv.Need(b, fileExists("/proc/net/ip_vs"), "needs a kernel with IPVS (make bench-ipvs)")
	for _, follow := range []string{config.IPVSFollowMaster, config.IPVSFollowAlways} {
		b.Run(follow, func(b *testing.B) {
			cfg, diags := config.Parse([]byte(followConf(follow)), "follow.hcl")
			if diags.HasErrors() {
				b.Fatal(diags)
			}
			var startup, health, takeover, release followStep
			for range b.N {
				s := followLife(b, cfg, follow)
				for i, sum := range []*followStep{&startup, &health, &takeover, &release} {
					sum.took += s[i].took
					sum.writes += s[i].writes
					sum.dumps += s[i].dumps
				}
			}
			report := func(s followStep, name, count string) {
				b.ReportMetric(float64(s.took)/float64(time.Millisecond)/float64(b.N), name+"-ms")
				n := s.writes
				if count == "dumps" {
					n = s.dumps
				}
				b.ReportMetric(float64(n)/float64(b.N), name+"-"+count)
			}
			b.ReportMetric(0, "ns/op")
			report(takeover, "takeover", "writes")
			report(startup, "startup", "writes")
			report(health, "health", "dumps")
			report(release, "release", "writes")
		})
	}
}

// followLife runs one director's IPVS life in a fresh namespace and checks
// the kernel table after each step. It returns startup, health event,
// take-over and release, in that order.
func followLife(b *testing.B, cfg *config.Config, follow string) [4]followStep {
	b.StopTimer()
	h := freshIPVS(b)
	k := &countingKernel{Kernel: h}
	tables, err := director.NewIPVSTables(k, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tables.Clear() }) // before the namespace goes
	holdsTable := follow == config.IPVSFollowAlways
	last := followLastKey()
	step := func(f func() error) followStep {
		*k = countingKernel{Kernel: h}
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		return followStep{took: time.Since(start), writes: k.writes, dumps: k.dumps}
	}
	var out [4]followStep

	out[0] = step(tables.Sync) // the daemon starts; VRRP says backup
	checkFollowTable(b, h, holdsTable)

	rs := followRealServerAddrs()[5]
	out[1] = step(func() error {
		return tables.SetHealth(director.RealServerRef{VirtualServer: "vs500",
			RealServer: netip.AddrPortFrom(rs, followPortBase+500)}, director.Health{Weight: 1})
	})

	// Take-over, as instance.claim does it; then the table must be complete.
	out[2] = step(func() error {
		if follow == config.IPVSFollowMaster {
			if err := tables.Install("VI_1"); err != nil {
				return err
			}
		}
		dests, err := h.GetDestinations(last)
		if err == nil && len(dests) != followRealServers {
			err = fmt.Errorf("new master: %s has %d real servers", last, len(dests))
		}
		return err
	})
	checkFollowTable(b, h, true)

	// Stepping back, as instance.release does it.
	out[3] = step(func() error {
		if follow == config.IPVSFollowMaster {
			return tables.Remove("VI_1")
		}
		return nil
	})
	checkFollowTable(b, h, holdsTable)
	return out
}

// checkFollowTable fails unless the kernel holds the whole table (full) or
// nothing.
func checkFollowTable(b *testing.B, h *ipvs.Handle, full bool) {
	b.Helper()
	snap, err := ipvs.ReadSnapshot(h)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, s := range snap.Services {
		n += len(s.Dests)
	}
	wantSvcs, wantDests := 0, 0
	if full {
		wantSvcs, wantDests = followServices, followServices*followRealServers
	}
	if len(snap.Services) != wantSvcs || n != wantDests {
		b.Fatalf("kernel holds %d services, %d real servers; want %d, %d", len(snap.Services), n, wantSvcs, wantDests)
	}
}
