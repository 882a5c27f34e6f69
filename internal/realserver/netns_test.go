package realserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/packet"
	"github.com/vigil-ha/vigil/internal/nsexec"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// topo is a director-like "prober" namespace and a real-server namespace
// joined by a veth pair, on 10.213.N.0/24: prober .1, real server .2, VIP .100.
type topo struct {
	pNS, rNS   string
	pIf, rIf   string
	pIP, rIP   netip.Addr
	vip        netip.Addr
	pMAC, rMAC net.HardwareAddr
	state      string // the real server's state file
}

var topoSeq atomic.Int32

// newTopo builds the namespaces and removes them when the test ends, whatever
// happens to the test.
func newTopo(t *testing.T) *topo {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	n := topoSeq.Add(1)
	id := fmt.Sprintf("%d%02d", os.Getpid()%1000, n)
	tp := &topo{
		pNS: "vgr-p" + id, rNS: "vgr-r" + id,
		pIf: "vgrp" + id, rIf: "vgrr" + id,
		pIP:   netip.AddrFrom4([4]byte{10, 213, byte(n), 1}),
		rIP:   netip.AddrFrom4([4]byte{10, 213, byte(n), 2}),
		vip:   netip.AddrFrom4([4]byte{10, 213, byte(n), 100}),
		state: filepath.Join(t.TempDir(), "realserver.json"),
	}
	for _, ns := range []string{tp.pNS, tp.rNS} {
		exec.Command("ip", "netns", "del", ns).Run() // a leftover of a killed run
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	for _, ns := range []string{tp.pNS, tp.rNS} {
		run(t, "ip", "netns", "add", ns)
		// No IPv6 link-local addresses appearing later and making the
		// before/after snapshots differ.
		run(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
	}
	run(t, "ip", "link", "add", tp.pIf, "netns", tp.pNS, "type", "veth", "peer", "name", tp.rIf, "netns", tp.rNS)
	for _, s := range []struct {
		ns, dev string
		ip      netip.Addr
	}{{tp.pNS, tp.pIf, tp.pIP}, {tp.rNS, tp.rIf, tp.rIP}} {
		run(t, "ip", "-n", s.ns, "addr", "add", s.ip.String()+"/24", "dev", s.dev)
		run(t, "ip", "-n", s.ns, "link", "set", s.dev, "up")
		run(t, "ip", "-n", s.ns, "link", "set", "lo", "up")
	}
	waitUp(t, tp.pNS, tp.pIf)
	waitUp(t, tp.rNS, tp.rIf)
	tp.pMAC = macOf(t, tp.pNS, tp.pIf)
	tp.rMAC = macOf(t, tp.rNS, tp.rIf)
	return tp
}

// waitUp waits for the carrier, so the link state is settled before the
// tests take snapshots.
func waitUp(t *testing.T, ns, dev string) {
	t.Helper()
	for range 300 {
		if strings.Contains(run(t, "ip", "-n", ns, "-o", "link", "show", dev), "state UP") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s in %s never came up", dev, ns)
}

// run runs a command and fails the test if it fails.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func macOf(t *testing.T, ns, dev string) net.HardwareAddr {
	t.Helper()
	var mac net.HardwareAddr
	inNS(t, ns, func() {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			t.Fatal(err)
		}
		mac = ifi.HardwareAddr
	})
	return mac
}

// inNS runs fn on an OS thread switched into the named namespace, so that
// netlink, /proc/sys, /proc/thread-self and child processes all see it.
func inNS(t testing.TB, name string, fn func()) {
	t.Helper()
	if err := withNS(name, fn); err != nil {
		t.Fatal(err)
	}
}

func withNS(name string, fn func()) error {
	return nsexec.Run(name, func() error { fn(); return nil })
}

// rsHost returns a Host for the real-server namespace; call it inside inNS.
func (tp *topo) rsHost(t testing.TB) *Host {
	t.Helper()
	h, err := NewHost(tp.state)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// apply and remove run in the real server's namespace.
func (tp *topo) apply(t testing.TB, cfg Config) (*Report, error) {
	var rep *Report
	var err error
	inNS(t, tp.rNS, func() { rep, err = Apply(context.Background(), tp.rsHost(t), cfg) })
	return rep, err
}

func (tp *topo) remove(t testing.TB) (*Report, error) {
	var rep *Report
	var err error
	inNS(t, tp.rNS, func() { rep, err = Remove(context.Background(), tp.rsHost(t)) })
	return rep, err
}

func (tp *topo) check(t testing.TB, cfg Config) []Result {
	t.Helper()
	var res []Result
	var err error
	inNS(t, tp.rNS, func() { res, err = Check(context.Background(), tp.rsHost(t), cfg) })
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// probe runs Probe from the prober namespace.
func (tp *topo) probe(t testing.TB, timeout time.Duration) []Answer {
	t.Helper()
	var answers []Answer
	var err error
	inNS(t, tp.pNS, func() {
		answers, err = Probe(context.Background(), tp.pIf, []netip.Addr{tp.vip}, timeout)
	})
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	return answers
}

// snapshot is everything apply may touch in the real server's namespace.
func (tp *topo) snapshot(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	inNS(t, tp.rNS, func() {
		ps := ProcSys{}
		for _, dev := range []string{"all", "default", "lo", tp.rIf} {
			for _, k := range []string{"arp_ignore", "arp_announce", "rp_filter", "proxy_arp"} {
				v, err := ps.Get(confKey(dev, k))
				fmt.Fprintf(&b, "%s=%s %v\n", confKey(dev, k), v, err)
			}
		}
		for _, c := range [][]string{
			{"ip", "-o", "addr", "show"}, {"ip", "-o", "link", "show"}, {"ip", "route", "show", "table", "all"},
			{"nft", "list", "ruleset"}, {"arptables", "-S"}, {"iptables", "-w", "-t", "nat", "-S"},
		} {
			if _, err := exec.LookPath(c[0]); err != nil {
				continue
			}
			// Standard output only: `ip` warns on stderr ("Peer netns
			// reference is invalid") when another test deletes a namespace
			// at that moment, which says nothing about this host's state.
			out, err := exec.Command(c[0], c[1:]...).Output()
			fmt.Fprintf(&b, "$ %s (%v)\n%s", strings.Join(c, " "), err, out)
		}
	})
	return b.String()
}

// setSysctl sets a value in the real server's namespace (to give remove a
// non-default value to restore).
func (tp *topo) setSysctl(t testing.TB, key, value string) {
	t.Helper()
	inNS(t, tp.rNS, func() {
		if err := (ProcSys{}).Set(key, value); err != nil {
			t.Fatal(err)
		}
	})
}

// exchange sends frame from the prober to the real server's MAC and waits for
// an IPv4 reply matching want. It also returns every ARP packet the real
// server sent meanwhile, so callers can see which sender address it used.
func (tp *topo) exchange(t testing.TB, frame []byte, want func(ipPacket) bool) (bool, []*arpFrame) {
	t.Helper()
	var got bool
	var arps []*arpFrame
	inNS(t, tp.pNS, func() {
		ifi, err := net.InterfaceByName(tp.pIf)
		if err != nil {
			t.Fatal(err)
		}
		ipc, err := packet.Listen(ifi, packet.Raw, etherTypeIPv4, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ipc.Close()
		arpc, err := packet.Listen(ifi, packet.Datagram, etherTypeARP, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer arpc.Close()
		if _, err := ipc.WriteTo(frame, &packet.Addr{HardwareAddr: tp.rMAC}); err != nil {
			t.Fatal(err)
		}
		ipc.SetReadDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 2048)
		for !got {
			n, _, err := ipc.ReadFrom(buf)
			if err != nil {
				break // deadline: no reply
			}
			if p, ok := parseIPv4Frame(buf[:n]); ok && !bytesEqual(p.srcMAC, tp.pMAC) && want(p) {
				got = true
			}
		}
		arpc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		for {
			n, from, err := arpc.ReadFrom(buf)
			if err != nil {
				break
			}
			if pkt, ok := parseARP(buf[:n]); ok {
				arps = append(arps, &arpFrame{from: from.(*packet.Addr).HardwareAddr, pkt: *pkt})
			}
		}
	})
	return got, arps
}

// pingVIP sends an ICMP echo for the VIP to the real server's MAC, as a
// director would forward it, and reports whether the VIP answered.
func (tp *topo) pingVIP(t testing.TB, seq uint16) (bool, []*arpFrame) {
	t.Helper()
	frame := ethernet(tp.rMAC, tp.pMAC, etherTypeIPv4, ipv4(tp.pIP, tp.vip, protoICMP, icmpEcho(0x7667, seq, []byte("vigil realserver"))))
	return tp.exchange(t, frame, func(p ipPacket) bool {
		return p.src == tp.vip && p.dst == tp.pIP && p.isEchoReply(0x7667, seq)
	})
}

// synVIP sends a TCP SYN for VIP:port and reports whether a SYN-ACK from
// VIP:port came back.
func (tp *topo) synVIP(t testing.TB, port uint16) bool {
	t.Helper()
	const sport, seq = 40123, 0x01020304
	frame := ethernet(tp.rMAC, tp.pMAC, etherTypeIPv4, ipv4(tp.pIP, tp.vip, protoTCP, tcpSYN(tp.pIP, tp.vip, sport, port, seq)))
	got, _ := tp.exchange(t, frame, func(p ipPacket) bool {
		return p.src == tp.vip && p.dst == tp.pIP && p.isSYNACK(port, sport, seq)
	})
	return got
}

// flushRSNeighbours makes the real server resolve the prober again, so the
// ARP it sends (and its sender address) shows in the next exchange.
func (tp *topo) flushRSNeighbours(t testing.TB) {
	run(t, "ip", "-n", tp.rNS, "neigh", "flush", "all")
}

// listen opens a TCP listener in the real server's namespace and accepts
// (and closes) connections until the test ends.
func (tp *topo) listen(t testing.TB, addr string) {
	t.Helper()
	var ln net.Listener
	var err error
	inNS(t, tp.rNS, func() { ln, err = net.Listen("tcp4", addr) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				c.Close()
			}
		}
	}()
}

type arpFrame struct {
	from net.HardwareAddr
	pkt  arp.Packet
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// snapshotDiff lists the lines only one of two snapshots has.
func snapshotDiff(before, after string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	b, a := count(before), count(after)
	var out strings.Builder
	for _, l := range strings.Split(before, "\n") {
		if b[l] > a[l] {
			fmt.Fprintf(&out, "- %s\n", l)
			b[l]--
		}
	}
	for _, l := range strings.Split(after, "\n") {
		if a[l] > count(before)[l] {
			fmt.Fprintf(&out, "+ %s\n", l)
			a[l]--
		}
	}
	return out.String()
}
