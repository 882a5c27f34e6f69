//go:build vmtest

package ipvs

// Benchmarks of the reconciler against the real kernel, side by side with
// ipvsadm on the same table in the same boot. `make bench-ipvs` runs them in
// the test VM (-test.bench '^BenchmarkVMIPVS$' -test.benchtime 1x
// -test.count 5: each sub-benchmark runs five times in a row, one sample
// each) and prints the medians as a table; `make vm-test` does not run them.
//
// Every sub-benchmark reports, besides ns/op (wall time of one operation):
//
//	msgs/op   netlink write messages: for vigil each NewService,
//	          UpdateService, DelService, NewDestination, UpdateDestination
//	          and DelDestination call (moby/ipvs sends one request per call
//	          and waits for its ack); for ipvsadm one per rule it is given,
//	          plus one for the flush ipvsadm-restore always does first.
//	dumps/op  netlink read (dump) requests vigil sent to learn the kernel's
//	          table; ipvsadm reads nothing.
//
// The ipvsadm times are taken by bash inside the namespace around the
// command, so they include starting ipvsadm (and ipvsadm-restore's shell)
// but not `ip netns exec`. vigil's times start with an open Handle, as in a
// running daemon.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/nstest"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// countingKernel passes everything to the kernel and counts the requests.
type countingKernel struct {
	Kernel
	writes, dumps int
}

func (c *countingKernel) GetServices() ([]ServiceStatus, error) {
	c.dumps++
	return c.Kernel.GetServices()
}

func (c *countingKernel) GetDestinations(k ServiceKey) ([]DestStatus, error) {
	c.dumps++
	return c.Kernel.GetDestinations(k)
}

func (c *countingKernel) NewService(s Service) error    { c.writes++; return c.Kernel.NewService(s) }
func (c *countingKernel) UpdateService(s Service) error { c.writes++; return c.Kernel.UpdateService(s) }
func (c *countingKernel) DelService(k ServiceKey) error { c.writes++; return c.Kernel.DelService(k) }

func (c *countingKernel) NewDestination(k ServiceKey, d Dest) error {
	c.writes++
	return c.Kernel.NewDestination(k, d)
}

func (c *countingKernel) UpdateDestination(k ServiceKey, d Dest) error {
	c.writes++
	return c.Kernel.UpdateDestination(k, d)
}

func (c *countingKernel) DelDestination(k ServiceKey, d DestKey) error {
	c.writes++
	return c.Kernel.DelDestination(k, d)
}

// ipvsadmRules renders tab as ipvsadm -R input (what ipvsadm-save -n
// writes): one -A line per service, one -a line per real server.
func ipvsadmRules(tb testing.TB, tab Table) (rules string, n int) {
	tb.Helper()
	var b strings.Builder
	for _, s := range tab.normalized() {
		svc := ipvsadmService(tb, s.Key)
		if s.Flags != 0 || s.Timeout != 0 {
			tb.Fatalf("ipvsadmRules renders plain services only, not %+v", s)
		}
		fmt.Fprintf(&b, "-A %s -s %s\n", svc, s.Scheduler)
		n++
		for _, d := range s.Dests {
			if d.Upper != 0 || d.Lower != 0 {
				tb.Fatalf("ipvsadmRules renders no thresholds (%s)", d.Key())
			}
			fmt.Fprintf(&b, "-a %s -r %s %s -w %d\n", svc, d.Key(), ipvsadmForward(tb, d.Fwd), d.Weight)
			n++
		}
	}
	return b.String(), n
}

// ipvsadmService is the service option of an ipvsadm rule.
func ipvsadmService(tb testing.TB, k ServiceKey) string {
	opt := map[Protocol]string{TCP: "-t", UDP: "-u", SCTP: "--sctp-service"}[k.Protocol]
	if k.IsFWMark() || opt == "" {
		tb.Fatalf("ipvsadmService: %s not rendered", k)
	}
	return opt + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

func ipvsadmForward(tb testing.TB, f Forward) string {
	switch f {
	case ForwardDR:
		return "-g"
	case ForwardNAT:
		return "-m"
	case ForwardTunnel:
		return "-i"
	}
	tb.Fatalf("ipvsadmForward: %s", f)
	return ""
}

// timeIn runs argv inside ns with stdin from the file stdin and returns the
// wall time bash measured around it, inside the namespace.
func timeIn(tb testing.TB, ns netns, stdin string, argv ...string) time.Duration {
	tb.Helper()
	const script = `s=$EPOCHREALTIME; "${@:2}" <"$1" >&2 || exit; e=$EPOCHREALTIME; echo "$s $e"`
	out := ns.run(tb, append([]string{"bash", "-c", script, "bash", stdin}, argv...)...)
	f := strings.Fields(out)
	if len(f) != 2 {
		tb.Fatalf("%v: timing output %q", argv, out)
	}
	// EPOCHREALTIME is seconds with exactly six decimals: read microseconds.
	us := func(s string) int64 {
		v, err := strconv.ParseInt(strings.Replace(s, ".", "", 1), 10, 64)
		if err != nil {
			tb.Fatalf("%v: timing output %q: %v", argv, out, err)
		}
		return v
	}
	return time.Duration(us(f[1])-us(f[0])) * time.Microsecond
}

// benchNS is a network namespace of the benchmark with a handle on its
// table. Unlike newNetns it is dropped by the benchmark, not at cleanup: a
// measurement from empty gets a fresh namespace, and only one table per
// tool lives in the kernel at a time. A fresh namespace matters: IPVS keeps
// deleted real servers in a per-namespace trash for a minute and searches
// it on every add, so re-adding a just-flushed table is slower.
type benchNS struct {
	netns
	h      *Handle
	loaded bool // holds the table (ipvsadm's namespace)
}

// waitQuiet is nstest.WaitQuiet: no deferred kernel work during a measurement.
var waitQuiet = nstest.WaitQuiet

// freshNS drops *cur, if any, and replaces it with a new namespace.
func freshNS(tb testing.TB, cur **benchNS) {
	tb.Helper()
	if *cur != nil {
		(*cur).drop(tb)
		*cur = nil
	}
	testenv.NeedCommand(tb, "ip")
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		tb.Fatal(err)
	}
	n := &benchNS{netns: netns{name: "vgbench-" + hex.EncodeToString(suffix)}} // 14 characters
	n.path = "/run/netns/" + n.name
	if out, err := exec.Command("ip", "netns", "add", n.name).CombinedOutput(); err != nil {
		tb.Fatalf("ip netns add: %v: %s", err, out)
	}
	*cur = n
	n.run(tb, "ip", "link", "set", "lo", "up")
	h, err := Open(n.path)
	if err != nil {
		tb.Fatalf("Open(%s): %v", n.path, err)
	}
	n.h = h
	waitQuiet(tb)
}

// drop empties the table and deletes the namespace.
func (n *benchNS) drop(tb testing.TB) {
	tb.Helper()
	if n.h != nil {
		n.h.Close()
	}
	n.run(tb, "ipvsadm", "-C")
	if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
		tb.Errorf("ip netns del %s: %v: %s", n.name, err, out)
	}
}

// reportIpvsadm sets the results of an ipvsadm sub-benchmark: the times
// bash measured and the messages the rules amount to.
func reportIpvsadm(b *testing.B, took time.Duration, msgs int) {
	b.ReportMetric(float64(took.Nanoseconds())/float64(b.N), "ns/op")
	b.ReportMetric(float64(msgs)/float64(b.N), "msgs/op")
	b.ReportMetric(0, "dumps/op")
}

// reportVigil sets the request counts of a vigil sub-benchmark.
func reportVigil(b *testing.B, k *countingKernel) {
	b.ReportMetric(float64(k.writes)/float64(b.N), "msgs/op")
	b.ReportMetric(float64(k.dumps)/float64(b.N), "dumps/op")
}

// checkSame fails unless the kernel behind k holds exactly tab.
func checkSame(tb testing.TB, k Kernel, tab Table) {
	tb.Helper()
	snap, err := ReadSnapshot(k)
	if err != nil {
		tb.Fatal(err)
	}
	want := tab.normalized()
	if len(snap.Services) != len(want) {
		tb.Fatalf("kernel has %d services, want %d", len(snap.Services), len(want))
	}
	for i, s := range snap.Services {
		w := want[i]
		if s.Service.Key != w.Key || !sameServiceAttrs(w, s.Service) || len(s.Dests) != len(w.Dests) {
			tb.Fatalf("kernel service %s (%d real servers), want %s (%d)", s.Service.Key, len(s.Dests), w.Key, len(w.Dests))
		}
		for j, d := range s.Dests {
			if d.Dest != w.Dests[j] {
				tb.Fatalf("%s: kernel real server %+v, want %+v", w.Key, d.Dest, w.Dests[j])
			}
		}
	}
}

// weightIn returns the kernel's weight of real server d of service s.
func weightIn(tb testing.TB, k Kernel, s ServiceKey, d DestKey) int {
	tb.Helper()
	dests, err := k.GetDestinations(s)
	if err != nil {
		tb.Fatal(err)
	}
	for _, ds := range dests {
		if ds.Dest.Key() == d {
			return ds.Dest.Weight
		}
	}
	tb.Fatalf("%s has no real server %s", s, d)
	return 0
}

// BenchmarkVMIPVS: 1,000 services × 10 real servers (benchTable) applied
// from empty (each sample in a fresh namespace), then one weight change, a
// no-op and removal of everything on the loaded table; vigil's reconciler
// in one namespace, ipvsadm in another. Sub-benchmarks are named
// operation/tool and depend on the ones before (run them all, in order).
// With ipvsadm, changing a table means reloading it (ipvsadm-restore:
// flush, then every rule), or one hand-written command (ipvsadm -e).
func BenchmarkVMIPVS(b *testing.B) {
	testenv.Need(b, fileExists("/proc/net/ip_vs"), "needs IPVS; run make bench-ipvs")
	testenv.NeedCommand(b, "bash")
	testenv.NeedCommand(b, "ipvsadm-restore")
	desired := benchTable()
	// The real server whose weight changes: the middle one of the middle service.
	changed := &desired.Services[500].Dests[5]
	changedSvc, changedDest := desired.Services[500].Key, DestKey{Addr: changed.Addr, Port: 80}
	dir := b.TempDir()
	rulesFile := func(tab Table) (string, int) {
		rules, n := ipvsadmRules(b, tab)
		p := filepath.Join(dir, "rules")
		if err := os.WriteFile(p, []byte(rules), 0o644); err != nil {
			b.Fatal(err)
		}
		return p, n
	}

	// One namespace per tool; a measurement from empty replaces it, the
	// others work on the table left in it.
	var vns, ins *benchNS
	b.Cleanup(func() {
		for _, n := range []*benchNS{vns, ins} {
			if n != nil {
				n.drop(b)
			}
		}
	})
	k := &countingKernel{}
	var managed KeySet // nil: vigil's namespace holds no table
	// load gives vigil's namespace the table, outside any measurement.
	load := func(b *testing.B) {
		if vns == nil {
			freshNS(b, &vns)
		}
		if managed == nil {
			res, err := Reconcile(vns.h, desired, nil)
			if err != nil {
				b.Fatal(err)
			}
			managed = res.Managed
		}
	}
	restore := func(b *testing.B, tab Table) (time.Duration, int) {
		if ins == nil {
			freshNS(b, &ins)
		}
		rules, n := rulesFile(tab)
		took := timeIn(b, ins.netns, rules, "ipvsadm-restore")
		ins.loaded = true
		return took, 1 + n // ipvsadm-restore flushes first
	}

	b.Run("apply/vigil", func(b *testing.B) {
		b.StopTimer()
		*k = countingKernel{}
		for range b.N {
			freshNS(b, &vns)
			managed = nil
			k.Kernel = vns.h
			b.StartTimer()
			res, err := Reconcile(k, desired, nil)
			b.StopTimer()
			if err != nil || res.Writes != 11000 || len(res.Managed) != 1000 {
				b.Fatalf("apply: %v, %s", err, res.Summary())
			}
			managed = res.Managed
		}
		reportVigil(b, k)
		checkSame(b, vns.h, desired)
	})
	b.Run("apply/ipvsadm-restore", func(b *testing.B) {
		if vns != nil { // as vigil's did, ipvsadm's apply runs alone
			vns.drop(b)
			vns, managed = nil, nil
		}
		var took time.Duration
		msgs := 0
		for range b.N {
			freshNS(b, &ins)
			t, n := restore(b, desired)
			took += t
			msgs += n
		}
		reportIpvsadm(b, took, msgs)
		checkSame(b, ins.h, desired)
	})

	weight := changed.Weight
	nextWeight := func() int { weight = 3 - weight%2; return weight } // 1 -> 2 -> 3 -> 2 ...: always a change
	b.Run("weight/vigil", func(b *testing.B) {
		b.StopTimer()
		load(b)
		*k = countingKernel{Kernel: vns.h}
		for range b.N {
			changed.Weight = nextWeight()
			b.StartTimer()
			res, err := Reconcile(k, desired, managed)
			b.StopTimer()
			if err != nil || res.Writes != 1 || len(res.UpdatedDests) != 1 {
				b.Fatalf("weight change: %v, %s", err, res.Summary())
			}
		}
		reportVigil(b, k)
		if got := weightIn(b, vns.h, changedSvc, changedDest); got != weight {
			b.Fatalf("kernel weight %d, want %d", got, weight)
		}
	})
	b.Run("weight/ipvsadm-restore", func(b *testing.B) {
		if ins == nil || !ins.loaded {
			restore(b, desired)
		}
		var took time.Duration
		msgs := 0
		for range b.N {
			changed.Weight = nextWeight()
			t, n := restore(b, desired)
			took += t
			msgs += n
		}
		reportIpvsadm(b, took, msgs)
		if got := weightIn(b, ins.h, changedSvc, changedDest); got != weight {
			b.Fatalf("kernel weight %d, want %d", got, weight)
		}
	})
	b.Run("weight/ipvsadm-e", func(b *testing.B) {
		if ins == nil || !ins.loaded {
			restore(b, desired)
		}
		var took time.Duration
		for range b.N {
			changed.Weight = nextWeight()
			args := append([]string{"ipvsadm", "-e"}, strings.Fields(ipvsadmService(b, changedSvc))...)
			took += timeIn(b, ins.netns, "/dev/null", append(args, "-r", changedDest.String(), "-g", "-w", strconv.Itoa(weight))...)
		}
		reportIpvsadm(b, took, b.N)
		if got := weightIn(b, ins.h, changedSvc, changedDest); got != weight {
			b.Fatalf("kernel weight %d, want %d", got, weight)
		}
	})

	b.Run("noop/vigil", func(b *testing.B) {
		b.StopTimer()
		load(b)
		if res, err := Reconcile(vns.h, desired, managed); err != nil { // catch up with the ipvsadm weights
			b.Fatalf("%v, %s", err, res.Summary())
		}
		*k = countingKernel{Kernel: vns.h}
		for range b.N {
			b.StartTimer()
			res, err := Reconcile(k, desired, managed)
			b.StopTimer()
			if err != nil || res.Writes != 0 {
				b.Fatalf("no-op: %v, %s", err, res.Summary())
			}
		}
		reportVigil(b, k)
	})
	b.Run("noop/ipvsadm-restore", func(b *testing.B) {
		var took time.Duration
		msgs := 0
		for range b.N {
			t, n := restore(b, desired)
			took += t
			msgs += n
		}
		reportIpvsadm(b, took, msgs)
		if svcs, err := ins.h.GetServices(); err != nil || len(svcs) != len(desired.Services) {
			b.Fatalf("after the restore: %d services, %v", len(svcs), err)
		}
	})

	b.Run("remove/vigil", func(b *testing.B) {
		b.StopTimer()
		load(b)
		*k = countingKernel{Kernel: vns.h}
		for range b.N {
			load(b)
			b.StartTimer()
			res, err := Clear(k, managed)
			b.StopTimer()
			if err != nil || len(res.DeletedServices) != 1000 || len(res.Managed) != 0 {
				b.Fatalf("clear: %v, %s", err, res.Summary())
			}
			managed = nil
		}
		reportVigil(b, k)
		checkSame(b, vns.h, Table{})
	})
	b.Run("remove/ipvsadm-C", func(b *testing.B) {
		var took time.Duration
		for range b.N {
			if ins == nil || !ins.loaded {
				restore(b, desired)
			}
			took += timeIn(b, ins.netns, "/dev/null", "ipvsadm", "-C")
			ins.loaded = false
		}
		reportIpvsadm(b, took, b.N)
		checkSame(b, ins.h, Table{})
	})
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
