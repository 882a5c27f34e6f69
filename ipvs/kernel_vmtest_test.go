//go:build vmtest

package ipvs

// Real-kernel tests, run inside the test VM (root, IPVS, ipvsadm in PATH):
//
//	go test -tags vmtest -run VM ./ipvs/
//
// Every test works in a fresh network namespace, so the VM's own table is
// never touched. The kernel needs ip_vs with IPv6 and SCTP support, the rr,
// wrr, wlc, lc, sh and mh schedulers, and the dummy link type.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
	"golang.org/x/sys/unix"
)

// netns is a throwaway network namespace.
type netns struct {
	name string
	path string
}

func newNetns(t testing.TB) netns {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	testenv.NeedCommand(t, "ipvsadm")
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	ns := netns{name: "vgipvs-" + hex.EncodeToString(suffix)} // 13 characters
	ns.path = "/run/netns/" + ns.name
	if out, err := exec.Command("ip", "netns", "add", ns.name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", ns.name, err, out)
		}
	})
	ns.run(t, "ip", "link", "set", "lo", "up")
	return ns
}

// run executes a command inside the namespace and returns its output.
func (ns netns) run(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns.name}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v: %s", args, err, errOut.String())
	}
	return out.String()
}

func openIn(t testing.TB, ns netns) *Handle {
	t.Helper()
	h, err := Open(ns.path)
	if err != nil {
		t.Fatalf("Open(%s): %v", ns.path, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// vmTable exercises what the model can say, within the real kernel's rules.
func vmTable() Table {
	return Table{Services: []Service{
		{Key: AddrKey(TCP, ap("192.0.2.10:80")), Scheduler: "wrr", Flags: FlagPersistent, Timeout: 300, Netmask: 24,
			Dests: []Dest{{Addr: addr("10.0.0.1"), Weight: 1}, {Addr: addr("10.0.0.2"), Weight: 2, Upper: 100, Lower: 10}}},
		{Key: AddrKey(UDP, ap("192.0.2.10:53")), Scheduler: "rr", Flags: FlagOnePacket,
			Dests: []Dest{{Addr: addr("10.0.0.1"), Port: 5353, Fwd: ForwardNAT, Weight: 1}}},
		{Key: AddrKey(SCTP, ap("192.0.2.11:3868")), Scheduler: "sh", Flags: FlagSHFallback | FlagSHPort,
			Dests: []Dest{{Addr: addr("10.0.0.3"), Fwd: ForwardTunnel, Weight: 65535}}},
		{Key: AddrKey(TCP, ap("[2001:db8::1]:443")), Flags: FlagPersistent, Timeout: 60, Netmask: 64,
			Dests: []Dest{{Addr: addr("2001:db8::10"), Weight: 100}}},
		{Key: FWMarkKey(IPv4, 7), Scheduler: "mh", Flags: FlagMHPort,
			Dests: []Dest{{Addr: addr("10.0.0.4")}}},
		{Key: FWMarkKey(IPv6, 7), Scheduler: "rr",
			Dests: []Dest{{Addr: addr("2001:db8::20"), Fwd: ForwardNAT, Weight: 1}}},
	}}
}

// addUnmanaged creates a service with ipvsadm, as an operator would.
func addUnmanaged(t testing.TB, ns netns) {
	t.Helper()
	ns.run(t, "ipvsadm", "-A", "-t", "198.51.100.1:25", "-s", "lc")
	ns.run(t, "ipvsadm", "-a", "-t", "198.51.100.1:25", "-r", "10.9.9.9:25", "-m", "-w", "5")
}

// format renders the handle's table as Format does.
func format(t testing.TB, h *Handle, mode FormatMode) string {
	t.Helper()
	snap, err := ReadSnapshot(h)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Format(&b, snap, FormatOptions{Mode: mode}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestVMAvailable(t *testing.T) {
	testenv.NeedRoot(t)
	if err := CheckAvailable(context.Background()); err != nil {
		t.Fatalf("CheckAvailable in the VM: %v", err)
	}
	if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
		t.Fatalf("IPVS reported available but %v", err)
	}
}

func TestVMReconcileMatchesIpvsadm(t *testing.T) {
	ns := newNetns(t)
	addUnmanaged(t, ns)
	h := openIn(t, ns)
	desired := vmTable()

	res, err := Reconcile(h, desired, nil)
	if err != nil {
		t.Fatalf("Reconcile: %v (%s)", err, res.Summary())
	}
	if res.Writes != 6+7 || len(res.Managed) != 6 {
		t.Fatalf("first reconcile: %s, managed %v", res.Summary(), res.Managed.Sorted())
	}
	assertHolds(t, h, desired)

	// Our rendering of the kernel's table must be ipvsadm's, byte for byte.
	for _, c := range []struct {
		mode FormatMode
		args []string
	}{
		{FormatList, []string{"-Ln"}},
		{FormatStats, []string{"-Ln", "--stats"}},
		{FormatRate, []string{"-Ln", "--rate"}},
	} {
		want := ns.run(t, append([]string{"ipvsadm"}, c.args...)...)
		if got := format(t, h, c.mode); got != want {
			t.Errorf("ipvsadm %v\n--- ipvsadm\n%s--- Format\n%s", c.args, want, got)
		}
	}

	res, err = Reconcile(h, desired, res.Managed)
	if err != nil || res.Writes != 0 {
		t.Fatalf("second reconcile: %v, %s", err, res.Summary())
	}

	desired.Services[0].Dests[1].Weight = 7
	res, err = Reconcile(h, desired, res.Managed)
	if err != nil || res.Writes != 1 || len(res.UpdatedDests) != 1 {
		t.Fatalf("weight change: %v, %s", err, res.Summary())
	}
	if out := ns.run(t, "ipvsadm", "-Ln", "-t", "192.0.2.10:80"); !strings.Contains(out, fmt.Sprintf("  -> %-28s %-7s %-6d ", "10.0.0.2:80", "Route", 7)) {
		t.Fatalf("ipvsadm does not show the new weight:\n%s", out)
	}

	res, err = Clear(h, res.Managed)
	if err != nil || len(res.DeletedServices) != 6 || len(res.Managed) != 0 {
		t.Fatalf("clear: %v, %s", err, res.Summary())
	}
	out := ns.run(t, "ipvsadm", "-Ln")
	if !strings.Contains(out, "TCP  198.51.100.1:25 lc") || !strings.Contains(out, fmt.Sprintf("  -> %-28s %-7s %-6d ", "10.9.9.9:25", "Masq", 5)) {
		t.Fatalf("the unmanaged service did not survive:\n%s", out)
	}
	if strings.Contains(out, "192.0.2.10") || strings.Contains(out, "FWM") {
		t.Fatalf("Clear left managed services:\n%s", out)
	}
}

func TestVMUpdatesInPlace(t *testing.T) {
	ns := newNetns(t)
	h := openIn(t, ns)
	desired := vmTable()
	res, err := Reconcile(h, desired, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &desired.Services[0]
	s.Scheduler, s.Timeout, s.Netmask = "lc", 30, 16
	s.Dests[0].Fwd, s.Dests[0].Upper, s.Dests[0].Lower = ForwardTunnel, 50, 5
	res, err = Reconcile(h, desired, res.Managed)
	if err != nil || res.Writes != 2 || len(res.UpdatedServices) != 1 || len(res.UpdatedDests) != 1 {
		t.Fatalf("in-place update: %v, %s", err, res.Summary())
	}
	assertHolds(t, h, desired)
	if res, err := Reconcile(h, desired, res.Managed); err != nil || res.Writes != 0 {
		t.Fatalf("after the update: %v, %s", err, res.Summary())
	}
}

func TestVMInfoMatchesIpvsadm(t *testing.T) {
	ns := newNetns(t)
	h := openIn(t, ns)
	info, err := h.Info()
	if err != nil || info.Version == 0 || info.ConnTableSize == 0 {
		t.Fatalf("Info() = %+v, %v", info, err)
	}
	first := strings.SplitN(ns.run(t, "ipvsadm", "-Ln"), "\n", 2)[0]
	if want := "IP Virtual Server version " + info.VersionString(); !strings.HasPrefix(first, want) {
		t.Fatalf("ipvsadm says %q, we say %q", first, want)
	}
}

func TestVMSyncDaemon(t *testing.T) {
	ns := newNetns(t)
	ns.run(t, "ip", "link", "add", "vgsync0", "type", "dummy")
	ns.run(t, "ip", "link", "set", "vgsync0", "multicast", "on", "up")
	h := openIn(t, ns)

	master := SyncDaemon{State: SyncMaster, Interface: "vgsync0", SyncID: 5}
	if err := h.StartSyncDaemon(master); err != nil {
		t.Fatal(err)
	}
	running, err := h.SyncDaemons()
	want := SyncDaemon{State: SyncMaster, Interface: "vgsync0", SyncID: 5, MaxLen: 1500 - 28,
		Group: DefaultSyncGroup, Port: DefaultSyncPort, TTL: DefaultSyncTTL}
	if err != nil || len(running) != 1 || running[0] != want {
		t.Fatalf("SyncDaemons() = %+v, %v; want [%+v]", running, err, want)
	}
	if out := ns.run(t, "ipvsadm", "-L", "--daemon"); !strings.Contains(out, "master sync daemon (mcast=vgsync0, syncid=5") {
		t.Fatalf("ipvsadm --daemon:\n%s", out)
	}
	if err := h.StartSyncDaemon(master); !errors.Is(err, unix.EEXIST) {
		t.Fatalf("second start = %v, want EEXIST", err)
	}
	if changed, err := EnsureSyncDaemon(h, master); err != nil || changed {
		t.Fatalf("ensure of the running daemon: %v, %v", changed, err)
	}

	backup := SyncDaemon{State: SyncBackup, Interface: "vgsync0", SyncID: 5, MaxLen: 1200,
		Group: addr("239.1.2.3"), Port: 9000, TTL: 3}
	if changed, err := SwitchSyncDaemon(h, backup); err != nil || !changed {
		t.Fatalf("switch to backup: %v, %v", changed, err)
	}
	running, err = h.SyncDaemons()
	if err != nil || len(running) != 1 || running[0] != backup {
		t.Fatalf("after the switch: %+v, %v; want [%+v]", running, err, backup)
	}
	if out := ns.run(t, "ipvsadm", "-L", "--daemon"); !strings.Contains(out, "backup sync daemon (mcast=vgsync0, syncid=5, maxlen=1200, group=239.1.2.3, port=9000, ttl=3)") {
		t.Fatalf("ipvsadm --daemon:\n%s", out)
	}
	if err := h.StopSyncDaemon(SyncBackup); err != nil {
		t.Fatal(err)
	}
	if err := h.StopSyncDaemon(SyncBackup); !errors.Is(err, unix.ESRCH) {
		t.Fatalf("stop of a stopped daemon = %v, want ESRCH", err)
	}
	if running, err := h.SyncDaemons(); err != nil || len(running) != 0 {
		t.Fatalf("after stop: %+v, %v", running, err)
	}
}

func TestVMFailureIsReported(t *testing.T) {
	ns := newNetns(t)
	h := openIn(t, ns)
	// The model cannot know the namespace's broadcast addresses; the kernel
	// refuses one as a real server (ip_vs_new_dest: not RTN_UNICAST/LOCAL).
	ns.run(t, "ip", "link", "add", "vgdum0", "type", "dummy")
	ns.run(t, "ip", "link", "set", "vgdum0", "up")
	ns.run(t, "ip", "addr", "add", "10.5.0.1/24", "dev", "vgdum0")
	desired := Table{Services: []Service{{Key: AddrKey(TCP, ap("192.0.2.10:80")),
		Dests: []Dest{{Addr: addr("10.0.0.1"), Weight: 1}, {Addr: addr("10.5.0.255"), Weight: 1}}}}}
	res, err := Reconcile(h, desired, nil)
	if !errors.Is(err, unix.EINVAL) || len(res.Incomplete) != 1 || len(res.AddedDests) != 1 || !res.Managed.Has(desired.Services[0].Key) {
		t.Fatalf("reconcile with a refused real server: %v, %+v", err, res)
	}
}

// BenchmarkVMReconcile measures the real kernel with the fake's workload.
func BenchmarkVMReconcile(b *testing.B) {
	ns := newNetns(b)
	h := openIn(b, ns)
	desired := benchTable()
	b.Run("FromEmpty", func(b *testing.B) {
		writes := 0
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			ns.run(b, "ipvsadm", "-C")
			b.StartTimer()
			res, err := Reconcile(h, desired, nil)
			if err != nil {
				b.Fatal(err)
			}
			writes += res.Writes
		}
		b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
	})
	res, err := Reconcile(h, desired, nil)
	if err != nil {
		b.Fatal(err)
	}
	managed := res.Managed
	b.Run("NoOp", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if res, err := Reconcile(h, desired, managed); err != nil || res.Writes != 0 {
				b.Fatal(err, res.Writes)
			}
		}
		b.ReportMetric(0, "writes/op")
	})
	b.Run("OneWeightChange", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			desired.Services[500].Dests[5].Weight = 2 + i%2
			if res, err := Reconcile(h, desired, managed); err != nil || res.Writes != 1 {
				b.Fatal(err, res.Writes)
			}
		}
		b.ReportMetric(1, "writes/op")
	})
}
