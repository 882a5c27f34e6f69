package fault

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// frame builds an Ethernet frame carrying an IPv4 or IPv6 header with the
// given protocol and addresses and a few payload bytes. Checksums stay zero:
// the classifier never reads them.
func frame(proto uint8, src, dst netip.Addr) []byte {
	eth := make([]byte, 14)
	copy(eth[0:6], []byte{0x02, 0, 0, 0, 0, 1})
	copy(eth[6:12], []byte{0x02, 0, 0, 0, 0, 2})
	payload := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	if src.Is4() {
		binary.BigEndian.PutUint16(eth[12:], 0x0800)
		ip := make([]byte, 20)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
		ip[8] = 64
		ip[9] = proto
		copy(ip[12:16], src.AsSlice())
		copy(ip[16:20], dst.AsSlice())
		return append(append(eth, ip...), payload...)
	}
	binary.BigEndian.PutUint16(eth[12:], 0x86dd)
	ip := make([]byte, 40)
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(payload)))
	ip[6] = proto
	ip[7] = 255
	copy(ip[8:24], src.AsSlice())
	copy(ip[24:40], dst.AsSlice())
	return append(append(eth, ip...), payload...)
}

// arpFrame is a non-IP frame.
func arpFrame() []byte {
	f := make([]byte, 42)
	binary.BigEndian.PutUint16(f[12:], 0x0806)
	return f
}

// loadRule loads r for BPF_PROG_TEST_RUN, closed at cleanup.
func loadRule(t *testing.T, r dropRule) *ebpf.Program {
	t.Helper()
	testenv.NeedRoot(t)
	prog, err := loadDropProgram(r)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog
}

// verdictOf runs prog once on pkt and reports whether it dropped it.
func verdictOf(t *testing.T, prog *ebpf.Program, pkt []byte) bool {
	t.Helper()
	ret, _, err := prog.Test(pkt)
	if err != nil {
		t.Fatalf("test run: %v", err)
	}
	switch int32(ret) {
	case tcActShot, tcActStolen:
		return true
	case tcActUnspec:
		return false
	}
	t.Fatalf("program returned %d, want SHOT (2), STOLEN (4) or UNSPEC (-1)", int32(ret))
	return false
}

var (
	a4    = netip.MustParseAddr("192.0.2.1")
	b4    = netip.MustParseAddr("192.0.2.2")
	peer4 = netip.MustParseAddr("198.51.100.200") // first byte >= 128 in some words
	a6    = netip.MustParseAddr("2001:db8::1")
	b6    = netip.MustParseAddr("2001:db8::2")
	peer6 = netip.MustParseAddr("2001:db8:ffff::c8")
)

func TestProgramDropVRRPOnlyMatchesProtocol112(t *testing.T) {
	prog := loadRule(t, ruleFor(Spec{Kind: KindDropVRRP}, 14, false))
	cases := []struct {
		name string
		pkt  []byte
		drop bool
	}{
		{"vrrp v4", frame(112, a4, b4), true},
		{"vrrp v6", frame(112, a6, b6), true},
		{"icmp v4", frame(1, a4, b4), false},
		{"tcp v4", frame(6, a4, b4), false},
		{"icmpv6", frame(58, a6, b6), false},
		{"arp", arpFrame(), false},
	}
	for _, c := range cases {
		if got := verdictOf(t, prog, c.pkt); got != c.drop {
			t.Errorf("%s: dropped=%v, want %v", c.name, got, c.drop)
		}
	}
}

func TestProgramPartitionMatchesSourceOrDestination(t *testing.T) {
	for _, fam := range []struct {
		name         string
		peer, x, y   netip.Addr
		otherFamilyA netip.Addr
	}{
		{"ipv4", peer4, a4, b4, a6},
		{"ipv6", peer6, a6, b6, a4},
	} {
		t.Run(fam.name, func(t *testing.T) {
			prog := loadRule(t, ruleFor(Spec{Kind: KindPartition, Peer: fam.peer}, 14, false))
			if !verdictOf(t, prog, frame(1, fam.peer, fam.x)) {
				t.Error("packet from the peer passed")
			}
			if !verdictOf(t, prog, frame(17, fam.x, fam.peer)) {
				t.Error("packet to the peer passed")
			}
			if verdictOf(t, prog, frame(1, fam.x, fam.y)) {
				t.Error("packet between two other hosts dropped")
			}
			// An address differing from the peer in one late word
			// only: every word must match.
			near := fam.peer.Next()
			if verdictOf(t, prog, frame(1, near, fam.x)) || verdictOf(t, prog, frame(1, fam.x, near)) {
				t.Errorf("packet from/to %v (not the peer) dropped", near)
			}
			if verdictOf(t, prog, arpFrame()) {
				t.Error("ARP dropped")
			}
		})
	}
}

func TestProgramBlackholeDropsEverything(t *testing.T) {
	prog := loadRule(t, ruleFor(Spec{Kind: KindBlackhole}, 14, false))
	for _, pkt := range [][]byte{frame(1, a4, b4), frame(58, a6, b6), arpFrame()} {
		if !verdictOf(t, prog, pkt) {
			t.Errorf("blackhole passed a frame of EtherType %#x", binary.BigEndian.Uint16(pkt[12:]))
		}
	}
}

func TestProgramDropsSilentlyOnEgress(t *testing.T) {
	for _, c := range []struct {
		egress bool
		want   int32
	}{{false, tcActShot}, {true, tcActStolen}} {
		prog := loadRule(t, ruleFor(Spec{Kind: KindDropVRRP}, 14, c.egress))
		ret, _, err := prog.Test(frame(112, a4, b4))
		if err != nil {
			t.Fatal(err)
		}
		if int32(ret) != c.want {
			t.Errorf("egress=%v: verdict %d, want %d", c.egress, int32(ret), c.want)
		}
	}
}

func TestProgramLossDropsAboutThePercentage(t *testing.T) {
	prog := loadRule(t, ruleFor(Spec{Kind: KindLoss, Percent: 30}, 14, false))
	const n = 4000
	dropped := 0
	for range n {
		if verdictOf(t, prog, frame(1, a4, b4)) {
			dropped++
		}
	}
	// Binomial(4000, 0.3): sd ~ 29, so +-150 is over 5 sd.
	if dropped < 1050 || dropped > 1350 {
		t.Fatalf("dropped %d of %d, want about 1200 (30%%)", dropped, n)
	}
}

func TestProgramCountsDrops(t *testing.T) {
	prog := loadRule(t, ruleFor(Spec{Kind: KindDropVRRP}, 14, false))
	for range 3 {
		verdictOf(t, prog, frame(112, a4, b4))
	}
	verdictOf(t, prog, frame(1, a4, b4))
	info, err := prog.Info()
	if err != nil {
		t.Fatal(err)
	}
	id, ok := info.ID()
	if !ok {
		t.Fatal("no program ID")
	}
	n, err := dropCount(int(id))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("drop counter = %d, want 3", n)
	}
}

func TestLossThresholdBounds(t *testing.T) {
	if got := lossThreshold(100); got != 1<<32-1 {
		t.Errorf("100%% -> %d", got)
	}
	if got := lossThreshold(50); got != 1<<31 {
		t.Errorf("50%% -> %d, want 2^31", got)
	}
	if got := lossThreshold(0.0000001); got == 0 {
		t.Error("a tiny percentage rounds to never")
	}
}

// BenchmarkPartitionProgram measures the per-packet cost the IPv6 partition
// filter (the longest path: eight address words) adds in the kernel.
func BenchmarkPartitionProgram(b *testing.B) {
	testenv.NeedRoot(b)
	prog, err := loadDropProgram(ruleFor(Spec{Kind: KindPartition, Peer: peer6}, 14, false))
	if err != nil {
		b.Fatal(err)
	}
	defer prog.Close()
	pkt := frame(6, a6, b6) // passes: both address checks run in full
	ret, d, err := prog.Benchmark(pkt, b.N, nil)
	if err != nil {
		b.Fatal(err)
	}
	if int32(ret) != tcActUnspec {
		b.Fatalf("verdict %d, want pass", int32(ret))
	}
	b.ReportMetric(float64(d.Nanoseconds()), "ns/packet")
}
