//go:build vmtest

package realserver

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

// ipipEcho wraps an ICMP echo for the VIP in an outer IPv4 header addressed
// to the real server, as an LVS-TUN director forwards a client's packet.
func (tp *topo) ipipEcho(t testing.TB, seq uint16) bool {
	t.Helper()
	inner := ipv4(tp.pIP, tp.vip, protoICMP, icmpEcho(0x7668, seq, []byte("vigil tunnel")))
	frame := ethernet(tp.rMAC, tp.pMAC, etherTypeIPv4, ipv4(tp.pIP, tp.rIP, protoIPIP, inner))
	got, _ := tp.exchange(t, frame, func(p ipPacket) bool {
		return p.src == tp.vip && p.dst == tp.pIP && p.isEchoReply(0x7668, seq)
	})
	return got
}

// TestTunnelMethod needs a kernel with ipip (the namespace kernel of the
// development machines has none). Strict rp_filter on "all" is set first:
// apply must relax it, or the decapsulated echo is dropped.
func TestTunnelMethod(t *testing.T) {
	tp := newTopo(t)
	tp.setSysctl(t, confKey("all", "rp_filter"), "1")
	before := tp.snapshot(t)
	cfg := Config{VIPs: []netip.Addr{tp.vip}, Interface: tp.rIf, Method: MethodTunnel}
	if _, err := tp.apply(t, cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res := tp.check(t, cfg); Failed(res) != 0 {
		t.Errorf("check after apply:\n%s", resultsText(res))
	}
	if answers := tp.probe(t, probeWait); len(answers) != 0 {
		t.Errorf("the tunnel real server answers ARP for the VIP: %v", answers)
	}
	if !tp.ipipEcho(t, 1) {
		t.Error("no echo reply from the VIP to an ipip-encapsulated echo")
	}
	rep, err := tp.apply(t, cfg)
	if err != nil || len(rep.Changed) != 0 {
		t.Errorf("second apply: %v %v", rep, err)
	}
	if _, err := tp.remove(t); err != nil {
		t.Fatalf("remove: %v", err)
	}
	after := tp.snapshot(t)
	// Loading the ipip module creates the fallback device tunl0 in every
	// namespace; it is not ours to delete.
	if strip(after) != strip(before) {
		t.Errorf("remove did not restore the host:\n%s", snapshotDiff(strip(before), strip(after)))
	}
	if _, err := os.Stat(tp.state); !os.IsNotExist(err) {
		t.Errorf("state file still there: %v", err)
	}
}

func strip(snapshot string) string {
	var keep []string
	for _, l := range strings.Split(snapshot, "\n") {
		if !strings.Contains(l, "tunl0") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
