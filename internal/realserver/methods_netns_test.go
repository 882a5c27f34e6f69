package realserver

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/vigil-ha/vigil/internal/testenv"
	"github.com/vishvananda/netlink"
)

// probeWait is how long a probe listens for answers in the tests; the veth
// pair answers within microseconds.
const probeWait = 600 * time.Millisecond

// TestMethodsAcceptVIPWithoutAnsweringARP configures a real server by each
// method and shows, with frames a director would send, that it accepts
// traffic for the VIP while never claiming the VIP in ARP, that check passes,
// that a second apply changes nothing, and that remove restores everything.
func TestMethodsAcceptVIPWithoutAnsweringARP(t *testing.T) {
	cases := []struct {
		name     string
		command  string
		redirect bool
		cfg      func(tp *topo) Config
	}{
		{name: "sysctl", cfg: func(tp *topo) Config {
			return Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, Ports: []Port{{Proto: "tcp", Port: 80}}}
		}},
		{name: "arptables", command: "arptables", cfg: func(tp *topo) Config {
			return Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, Method: MethodArptables, Ports: []Port{{Proto: "tcp", Port: 80}}}
		}},
		{name: "nftables", command: "nft", cfg: func(tp *topo) Config {
			return Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, Method: MethodNftables, Ports: []Port{{Proto: "tcp", Port: 80}}}
		}},
		{name: "redirect-nft", command: "nft", redirect: true, cfg: func(tp *topo) Config {
			return Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, Method: MethodRedirect, Ports: []Port{{Proto: "tcp", Port: 80, ToPort: 8080}}}
		}},
		{name: "redirect-iptables", command: "iptables", redirect: true, cfg: func(tp *topo) Config {
			return Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, Method: MethodRedirect, RedirectBackend: BackendIptables,
				Ports: []Port{{Proto: "tcp", Port: 80, ToPort: 8080}}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tp := newTopo(t)
			if tc.command != "" {
				testenv.NeedCommand(t, tc.command)
			}
			cfg := tc.cfg(tp)
			// Values remove must put back: a non-default one and defaults.
			tp.setSysctl(t, confKey("lo", "arp_announce"), "1")
			before := tp.snapshot(t)
			if tc.redirect {
				tp.listen(t, "0.0.0.0:8080")
			} else {
				tp.listen(t, "0.0.0.0:80")
			}

			rep, err := tp.apply(t, cfg)
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if len(rep.Changed) == 0 {
				t.Fatal("apply reported no change on a fresh host")
			}
			if res := tp.check(t, cfg); Failed(res) != 0 {
				t.Errorf("check after apply fails:\n%s", resultsText(res))
			}
			if answers := tp.probe(t, probeWait); len(answers) != 0 {
				t.Errorf("the configured real server answers ARP for the VIP: %v", answers)
			}
			if !tc.redirect {
				tp.flushRSNeighbours(t)
				ok, arps := tp.pingVIP(t, 1)
				if !ok {
					t.Error("no ICMP echo reply from the VIP to a frame sent to the real server's MAC")
				}
				assertARPUsesOwnAddress(t, tp, arps)
			}
			if !tp.synVIP(t, 80) {
				t.Error("no SYN-ACK from VIP:80 to a SYN sent to the real server's MAC")
			}

			rep2, err := tp.apply(t, cfg)
			if err != nil {
				t.Fatalf("second apply: %v", err)
			}
			if len(rep2.Changed) != 0 {
				t.Errorf("second apply changed %v, want nothing", rep2.Changed)
			}

			if _, err := tp.remove(t); err != nil {
				t.Fatalf("remove: %v", err)
			}
			if after := tp.snapshot(t); after != before {
				t.Errorf("remove did not restore the host:\n%s", snapshotDiff(before, after))
			}
			if _, err := os.Stat(tp.state); !os.IsNotExist(err) {
				t.Errorf("state file still there after remove: %v", err)
			}
		})
	}
}

// assertARPUsesOwnAddress checks the ARP the real server sent while replying:
// it must have resolved the prober (it was made to forget it), and never with
// the VIP as sender address.
func assertARPUsesOwnAddress(t *testing.T, tp *topo, arps []*arpFrame) {
	t.Helper()
	resolved := false
	for _, f := range arps {
		if !bytes.Equal(f.pkt.SenderHardwareAddr, tp.rMAC) {
			continue
		}
		if f.pkt.SenderIP == tp.vip {
			t.Errorf("the real server sent ARP %s with the VIP as sender", f.pkt.Operation)
		}
		if f.pkt.Operation == arp.OperationRequest && f.pkt.TargetIP == tp.pIP && f.pkt.SenderIP == tp.rIP {
			resolved = true
		}
	}
	if !resolved {
		t.Errorf("did not see the real server resolve %s with its own address %s; ARP seen: %d frames", tp.pIP, tp.rIP, len(arps))
	}
}

func resultsText(res []Result) string {
	var b strings.Builder
	WriteResults(&b, res)
	return b.String()
}

// TestProbeCatchesUnconfiguredRealServer: a host with the VIP but without the
// ARP measures answers the director's who-has; probe names it by MAC and IP,
// and check on that host fails with fixes.
func TestProbeCatchesUnconfiguredRealServer(t *testing.T) {
	for _, dev := range []string{"lo", "interface"} {
		t.Run("VIP on "+dev, func(t *testing.T) {
			tp := newTopo(t)
			d := dev
			if dev == "interface" {
				d = tp.rIf
			}
			run(t, "ip", "-n", tp.rNS, "addr", "add", tp.vip.String()+"/32", "dev", d)
			tp.learnRealServer(t)

			answers := tp.probe(t, probeWait)
			if len(answers) != 1 {
				t.Fatalf("probe found %d answers, want the one real server: %v", len(answers), answers)
			}
			a := answers[0]
			if !bytes.Equal(a.MAC, tp.rMAC) || a.VIP != tp.vip || a.Kind != AnswerReply {
				t.Errorf("answer %v, want a reply for %s from %s", a, tp.vip, tp.rMAC)
			}
			if len(a.HostIPs) != 1 || a.HostIPs[0] != tp.rIP {
				t.Errorf("answer names the host %v, want [%s]", a.HostIPs, tp.rIP)
			}
			if s := Suspects(answers); len(s) != 1 {
				t.Errorf("Suspects without an allowed MAC: %v", s)
			}
			if s := Suspects(answers, tp.rMAC); len(s) != 0 {
				t.Errorf("Suspects with the answering MAC allowed: %v", s)
			}

			cfg := Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf}
			res := tp.check(t, cfg)
			want := DisplayKey(confKey(tp.rIf, "arp_ignore"))
			found := false
			for _, r := range res {
				if r.Name == "sysctl "+want {
					found = true
					if r.OK || !strings.Contains(r.Fix, "sysctl -w "+want+"=1") {
						t.Errorf("check result %+v, want a failure with the sysctl fix", r)
					}
				}
			}
			if !found || Failed(res) == 0 {
				t.Errorf("check on the unconfigured host:\n%s", resultsText(res))
			}
		})
	}
}

// learnRealServer makes the prober talk to the real server's own address, as
// a director does for health checks, so its neighbour table knows the MAC.
func (tp *topo) learnRealServer(t *testing.T) {
	t.Helper()
	inNS(t, tp.pNS, func() {
		c, err := net.Dial("udp4", netip.AddrPortFrom(tp.rIP, 9).String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("hello"))
	})
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(run(t, "ip", "-n", tp.pNS, "neigh", "show", tp.rIP.String()), "lladdr") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the prober never resolved the real server")
}

// TestBadInputChangesNothing: each bad input gets a clear error before any
// change is made.
func TestBadInputChangesNothing(t *testing.T) {
	tp := newTopo(t)
	before := tp.snapshot(t)
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no such interface", Config{VIPs: []netip.Addr{tp.vip}, Interface: "vgrnosuch0"}, "interface vgrnosuch0: no such interface"},
		{"VIP is the host's address", Config{VIPs: []netip.Addr{tp.rIP}, Interface: tp.rIf}, "already an address of this host"},
		{"VIP is the host's address (redirect)", Config{VIPs: []netip.Addr{tp.rIP}, Interface: tp.rIf, Method: MethodRedirect,
			Ports: []Port{{Proto: "tcp", Port: 80}}}, "already an address of this host"},
		{"VIP is the host's address (nftables)", Config{VIPs: []netip.Addr{tp.vip, tp.rIP}, Interface: tp.rIf, Method: MethodNftables}, "already an address of this host"},
		{"IPv6 VIP", Config{VIPs: []netip.Addr{netip.MustParseAddr("2001:db8::1")}, Interface: tp.rIf}, "only IPv4"},
		{"real IP not ours", Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, Method: MethodArptables, RealIP: netip.MustParseAddr("10.213.250.9")}, "not an address of this host"},
		{"redirect without port", Config{VIPs: []netip.Addr{tp.vip}, Method: MethodRedirect}, "needs at least one port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tp.apply(t, tc.cfg)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("apply: %v, want ErrInvalid saying %q", err, tc.want)
			}
			if after := tp.snapshot(t); after != before {
				t.Errorf("a refused apply changed the host:\n%s", snapshotDiff(before, after))
			}
			if _, err := os.Stat(tp.state); !os.IsNotExist(err) {
				t.Errorf("a refused apply left a state file: %v", err)
			}
		})
	}
}

// TestDifferentConfigIsRefused: once applied, another configuration needs a
// remove first, and the first one stays intact.
func TestDifferentConfigIsRefused(t *testing.T) {
	tp := newTopo(t)
	cfg := Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf}
	if _, err := tp.apply(t, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.remove(t) })
	applied := tp.snapshot(t)
	other := cfg
	other.VIPs = []netip.Addr{tp.vip, tp.vip.Next()}
	_, err := tp.apply(t, other)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "run `vigil realserver remove` first") {
		t.Fatalf("apply of another configuration: %v", err)
	}
	if tp.snapshot(t) != applied {
		t.Error("the refused apply changed the host")
	}
}

// failingSysctl fails writes of one value to one key, as a kernel that
// refuses it would, while the preflight (which writes current values) passes.
type failingSysctl struct {
	Sysctl
	key, value string
}

func (f failingSysctl) Set(key, value string) error {
	if key == f.key && value == f.value {
		return errors.New("injected failure")
	}
	return f.Sysctl.Set(key, value)
}

// failingNet fails adding one address.
type failingNet struct {
	Netlink
	addr netip.Addr
}

func (f failingNet) AddrAdd(link netlink.Link, a *netlink.Addr) error {
	if p, ok := prefixOf(a.IPNet); ok && p.Addr() == f.addr {
		return errors.New("injected failure")
	}
	return f.Netlink.AddrAdd(link, a)
}

// TestApplyRollsBackWhenAStepFails: a failure half-way undoes what was done,
// says so, and leaves no record behind.
func TestApplyRollsBackWhenAStepFails(t *testing.T) {
	tp := newTopo(t)
	tp.setSysctl(t, confKey("all", "arp_announce"), "1")
	before := tp.snapshot(t)
	second := tp.vip.Next()
	cfg := Config{VIPs: []netip.Addr{tp.vip, second}, Interface: tp.rIf}
	cases := []struct {
		name string
		wrap func(h *Host)
	}{
		{"sysctl write fails", func(h *Host) {
			h.Sysctl = failingSysctl{Sysctl: h.Sysctl, key: confKey("lo", "arp_announce"), value: "2"}
		}},
		{"second address fails", func(h *Host) { h.Net = failingNet{Netlink: h.Net, addr: second} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			inNS(t, tp.rNS, func() {
				h := tp.rsHost(t)
				tc.wrap(h)
				_, err = Apply(context.Background(), h, cfg)
			})
			if err == nil || !strings.Contains(err.Error(), "injected failure") || !strings.Contains(err.Error(), "rolled back") {
				t.Fatalf("apply: %v, want the failure and the rollback reported", err)
			}
			if after := tp.snapshot(t); after != before {
				t.Errorf("rollback did not restore the host:\n%s", snapshotDiff(before, after))
			}
			if _, err := os.Stat(tp.state); !os.IsNotExist(err) {
				t.Errorf("state file left after a rolled-back apply: %v", err)
			}
		})
	}
}

// TestPersistentFiles: apply writes the sysctl.d and nft files on request and
// remove puts back what was there before.
func TestPersistentFiles(t *testing.T) {
	tp := newTopo(t)
	testenv.NeedCommand(t, "nft")
	dir := t.TempDir()
	sysctlFile := dir + "/90-vigil.conf"
	if err := os.WriteFile(sysctlFile, []byte("# an older file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, SysctlFile: sysctlFile}
	if _, err := tp.apply(t, cfg); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(sysctlFile)
	for _, want := range []string{"net.ipv4.conf.all.arp_ignore = 1", "net.ipv4.conf." + tp.rIf + ".arp_announce = 2", "net.ipv4.conf.lo.arp_announce = 2"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("sysctl file lacks %q:\n%s", want, b)
		}
	}
	if _, err := tp.remove(t); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(sysctlFile)
	fi, _ := os.Stat(sysctlFile)
	if string(b) != "# an older file\n" || fi.Mode().Perm() != 0o600 {
		t.Errorf("remove left %q mode %v, want the older file back", b, fi.Mode())
	}

	nftFile := dir + "/vigil.nft"
	cfg = Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, Method: MethodNftables, NftFile: nftFile}
	if _, err := tp.apply(t, cfg); err != nil {
		t.Fatal(err)
	}
	// The file must load on its own (as from nftables.conf at boot).
	inNS(t, tp.rNS, func() { run(t, "nft", "-c", "-f", nftFile) })
	b, _ = os.ReadFile(nftFile)
	if !strings.Contains(string(b), "arp daddr ip "+tp.vip.String()+" drop") {
		t.Errorf("nft file lacks the drop rule:\n%s", b)
	}
	if _, err := tp.remove(t); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(nftFile); !os.IsNotExist(err) {
		t.Errorf("nft file still there after remove: %v", err)
	}
}

// TestMainApplyCheckRemove drives the command-line entry point the vigil
// binary registers.
func TestMainApplyCheckRemove(t *testing.T) {
	tp := newTopo(t)
	before := tp.snapshot(t)
	var out, errb strings.Builder
	main := func(args ...string) int {
		out.Reset()
		errb.Reset()
		var code int
		inNS(t, tp.rNS, func() { code = Main(context.Background(), args, &out, &errb) })
		return code
	}
	if code := main("apply", "-vip", tp.vip.String(), "-interface", tp.rIf, "-state", tp.state); code != ExitOK {
		t.Fatalf("apply exit %d: %s%s", code, out.String(), errb.String())
	}
	if code := main("check", "-state", tp.state); code != ExitOK || !strings.Contains(out.String(), "0 failed") {
		t.Errorf("check of the recorded configuration: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if code := main("check", "-vip", tp.vip.Next().String(), "-interface", tp.rIf, "-state", tp.state); code != ExitFail ||
		!strings.Contains(out.String(), "FAIL  VIP "+tp.vip.Next().String()) {
		t.Errorf("check of a VIP that is not there: exit %d\n%s", code, out.String())
	}
	if code := main("remove", "-state", tp.state); code != ExitOK {
		t.Fatalf("remove exit %d: %s", code, errb.String())
	}
	if code := main("remove", "-state", tp.state); code != ExitOK || !strings.Contains(out.String(), "nothing to remove") {
		t.Errorf("second remove: exit %d %q", code, out.String())
	}
	if code := main("apply", "-vip", tp.vip.String(), "-interface", "vgrnosuch0", "-state", tp.state); code != ExitConfig ||
		!strings.Contains(errb.String(), "no such interface") {
		t.Errorf("apply on a missing interface: exit %d %q", code, errb.String())
	}
	if tp.snapshot(t) != before {
		t.Error("the host differs after apply and remove through Main")
	}
	var code int
	inNS(t, tp.pNS, func() {
		code = Main(context.Background(), []string{"probe", "-interface", tp.pIf, "-vip", tp.vip.String(), "-timeout", "300ms"}, &out, &errb)
	})
	if code != ExitOK || !strings.Contains(out.String(), "no host answered") {
		t.Errorf("probe of a clean LAN: exit %d %q %q", code, out.String(), errb.String())
	}
}

// TestUnprotectedHostClaimsVIP is the control for the assertions above: with
// the VIP on its interface and no ARP measures, the real server answers the
// who-has and, replying to a client, announces the VIP as its ARP sender.
func TestUnprotectedHostClaimsVIP(t *testing.T) {
	tp := newTopo(t)
	run(t, "ip", "-n", tp.rNS, "addr", "add", tp.vip.String()+"/32", "dev", tp.rIf)
	ok, arps := tp.pingVIP(t, 2)
	if !ok {
		t.Fatal("no echo reply from the VIP")
	}
	leaked := false
	for _, f := range arps {
		leaked = leaked || (bytes.Equal(f.pkt.SenderHardwareAddr, tp.rMAC) && f.pkt.SenderIP == tp.vip)
	}
	if !leaked {
		t.Errorf("expected the unprotected host to use the VIP as ARP sender; saw %d ARP frames", len(arps))
	}
	if answers := tp.probe(t, probeWait); len(answers) == 0 || !bytes.Equal(answers[0].MAC, tp.rMAC) {
		t.Errorf("probe answers %v, want the real server", answers)
	}
}

// TestTunnelNeedsIPIP: on a kernel without ipip, method tunnel is refused
// before anything changes; with ipip it applies and removes cleanly (the
// packet-level test of the tunnel is TestTunnelMethod, build tag vmtest).
func TestTunnelNeedsIPIP(t *testing.T) {
	tp := newTopo(t)
	before := tp.snapshot(t)
	cfg := Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, Method: MethodTunnel}
	_, err := tp.apply(t, cfg)
	if !ipipAvailable() {
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no ipip module") {
			t.Fatalf("apply without ipip: %v", err)
		}
		if after := tp.snapshot(t); after != before {
			t.Errorf("refused apply changed the host:\n%s", snapshotDiff(before, after))
		}
		return
	}
	if err != nil {
		t.Fatalf("apply with ipip available: %v", err)
	}
	if _, err := tp.remove(t); err != nil {
		t.Fatalf("remove: %v", err)
	}
}

// TestStrictRPFilterIsReported: strict reverse-path filtering on the facing
// interface drops clients the default route does not reach through it; apply
// warns and check fails, until the default route leaves through it.
func TestStrictRPFilterIsReported(t *testing.T) {
	tp := newTopo(t)
	tp.setSysctl(t, confKey(tp.rIf, "rp_filter"), "1")
	cfg := Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf}
	rep, err := tp.apply(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.remove(t) })
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "rp_filter is strict (1) on "+tp.rIf) {
		t.Errorf("warnings %q", rep.Warnings)
	}
	rpResult := func() Result {
		for _, r := range tp.check(t, cfg) {
			if strings.HasPrefix(r.Name, "rp_filter on ") {
				return r
			}
		}
		t.Fatal("no rp_filter result")
		return Result{}
	}
	if r := rpResult(); r.OK || !strings.Contains(r.Fix, "rp_filter=2") {
		t.Errorf("strict rp_filter without a default route through %s: %+v", tp.rIf, r)
	}
	run(t, "ip", "-n", tp.rNS, "route", "add", "default", "via", tp.pIP.String(), "dev", tp.rIf)
	if r := rpResult(); !r.OK {
		t.Errorf("strict rp_filter with the default route through %s: %+v", tp.rIf, r)
	}
}
