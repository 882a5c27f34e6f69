package fault

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/rlimit"
)

// dropRule is what one BPF drop filter matches and how often it drops.
// The filter runs as a tc classifier in direct-action mode and returns
// TC_ACT_UNSPEC for a packet it lets pass: unlike TC_ACT_OK, that lets any
// later tc filter of the host (Cilium, a shaper) still classify the
// packet, so the fault changes nothing but the drops.
type dropRule struct {
	// dropVerdict is what a drop returns: TC_ACT_SHOT on ingress. On egress
	// SHOT makes the sender's sendmsg fail with ENOBUFS, which ping (and
	// any socket with IP_RECVERR) takes for a full queue and retries, so
	// egress drops return TC_ACT_STOLEN: the packet vanishes silently, as
	// it would on a lossy wire.
	dropVerdict int32
	// proto is the IP protocol (IPv4 protocol, IPv6 next header) to
	// match; 0 matches any packet, IP or not.
	proto uint8
	// peer, when valid, matches IP packets from or to this address.
	peer netip.Addr
	// percent is the chance in (0, 100] that a matching packet is dropped.
	percent float64
	// l3Offset is where the IP header starts in the skb data: 14 on
	// Ethernet-like links, 0 on layer-3 links (tun, wireguard, ipip).
	l3Offset int16
}

// ruleFor returns the drop rule of a BPF fault.
func ruleFor(s Spec, l3Offset int16, egress bool) dropRule {
	r := dropRule{dropVerdict: tcActShot, percent: 100, l3Offset: l3Offset}
	if egress {
		r.dropVerdict = tcActStolen
	}
	switch s.Kind {
	case KindLoss:
		r.percent = s.Percent
	case KindDropVRRP:
		r.proto = ipProtoVRRP
	case KindPartition:
		r.peer = s.Peer.Unmap()
	}
	return r
}

// ipProtoVRRP is the IP protocol number of VRRP (RFC 5798).
const ipProtoVRRP = 112

// struct __sk_buff offsets (include/uapi/linux/bpf.h) and tc verdicts.
const (
	skbProtocol = 16 // __be16 in a __u32
	skbData     = 76
	skbDataEnd  = 80

	tcActUnspec = -1
	tcActShot   = 2
	tcActStolen = 4
)

// IP header field offsets.
const (
	ipv4HeaderLen = 20
	ipv4Protocol  = 9
	ipv4Src       = 12
	ipv4Dst       = 16
	ipv6HeaderLen = 40
	ipv6Next      = 6
	ipv6Src       = 8
	ipv6Dst       = 24
)

// Labels of the generated program.
const (
	lblIPv4    = "ipv4"
	lblIPv6    = "ipv6"
	lblIPv6Dst = "ipv6_dst"
	lblVerdict = "verdict"
	lblShot    = "shot"
	lblPass    = "pass"
)

// wireWord returns how a load of 4 (or 2) packet bytes sees them in a
// register on this machine: packet bytes are in network order, registers in
// native order.
func wireWord(b []byte) int32 {
	if len(b) == 2 {
		return int32(binary.NativeEndian.Uint16(b))
	}
	return int32(binary.NativeEndian.Uint32(b))
}

// instructions generates the classifier. counterFD is an array map of one
// u64 that counts the drops, for `show`.
//
// Registers: r6 ctx, r7 skb->protocol, r2 data, r3 data_end, r4 bounds,
// r5 the loaded field.
func (r dropRule) instructions(counterFD int) asm.Instructions {
	insns := asm.Instructions{asm.Mov.Reg(asm.R6, asm.R1)}
	if r.selective() {
		insns = append(insns, r.match()...)
	}
	return append(insns, r.verdict(counterFD)...)
}

// selective reports whether the rule looks at packets at all; a rule that
// does not drops (a share of) every packet.
func (r dropRule) selective() bool { return r.proto != 0 || r.peer.IsValid() }

// match jumps to verdict for a matching packet and to pass otherwise.
func (r dropRule) match() asm.Instructions {
	v4 := r.proto != 0 || r.peer.Is4()
	v6 := r.proto != 0 || r.peer.Is6()
	insns := asm.Instructions{
		// skb->protocol holds the EtherType whatever the link layer, so
		// layer-3 links need no header parsing to tell IPv4 from IPv6.
		asm.LoadMem(asm.R7, asm.R6, skbProtocol, asm.Word),
		asm.LoadMem(asm.R2, asm.R6, skbData, asm.Word),
		asm.LoadMem(asm.R3, asm.R6, skbDataEnd, asm.Word),
	}
	if v4 {
		insns = append(insns, asm.JEq.Imm(asm.R7, wireWord([]byte{0x08, 0x00}), lblIPv4))
	}
	if v6 {
		insns = append(insns, asm.JEq.Imm(asm.R7, wireWord([]byte{0x86, 0xdd}), lblIPv6))
	}
	insns = append(insns, asm.Ja.Label(lblPass))
	if v4 {
		insns = append(insns, r.matchIP(lblIPv4, ipv4HeaderLen, ipv4Protocol, ipv4Src, ipv4Dst)...)
	}
	if v6 {
		insns = append(insns, r.matchIP(lblIPv6, ipv6HeaderLen, ipv6Next, ipv6Src, ipv6Dst)...)
	}
	return insns
}

// matchIP checks the IP header of one family: it must be complete in the
// linear data (the verifier insists, and a truncated header is no packet
// to judge), then the protocol and the addresses.
func (r dropRule) matchIP(label string, hdrLen, protoOff, srcOff, dstOff int16) asm.Instructions {
	l3 := r.l3Offset
	insns := asm.Instructions{
		asm.Mov.Reg(asm.R4, asm.R2).WithSymbol(label),
		asm.Add.Imm(asm.R4, int32(l3+hdrLen)),
		asm.JGT.Reg(asm.R4, asm.R3, lblPass),
	}
	if r.proto != 0 {
		insns = append(insns,
			asm.LoadMem(asm.R5, asm.R2, l3+protoOff, asm.Byte),
			asm.JNE.Imm(asm.R5, int32(r.proto), lblPass),
		)
	}
	if !r.peer.IsValid() {
		return append(insns, asm.Ja.Label(lblVerdict))
	}
	peer := r.peer.AsSlice()
	words := len(peer) / 4
	// The source first: on a match jump to the verdict, else try the
	// destination, whose mismatch passes the packet.
	dstLabel := lblIPv6Dst
	if words == 1 {
		insns = append(insns,
			asm.LoadMem(asm.R5, asm.R2, l3+srcOff, asm.Word),
			asm.JEq.Imm32(asm.R5, wireWord(peer), lblVerdict),
		)
	} else {
		for w := range words {
			insns = append(insns,
				asm.LoadMem(asm.R5, asm.R2, l3+srcOff+int16(4*w), asm.Word),
				asm.JNE.Imm32(asm.R5, wireWord(peer[4*w:4*w+4]), dstLabel),
			)
		}
		insns = append(insns, asm.Ja.Label(lblVerdict))
	}
	for w := range words {
		load := asm.LoadMem(asm.R5, asm.R2, l3+dstOff+int16(4*w), asm.Word)
		if w == 0 && words > 1 {
			load = load.WithSymbol(dstLabel)
		}
		insns = append(insns, load, asm.JNE.Imm32(asm.R5, wireWord(peer[4*w:4*w+4]), lblPass))
	}
	return append(insns, asm.Ja.Label(lblVerdict))
}

// verdict drops a matching packet with probability percent and counts it.
func (r dropRule) verdict(counterFD int) asm.Instructions {
	var insns asm.Instructions
	if r.percent < 100 {
		insns = append(insns,
			asm.FnGetPrandomU32.Call().WithSymbol(lblVerdict),
			asm.LoadImm(asm.R1, int64(lossThreshold(r.percent)), asm.DWord),
			// Unsigned 64-bit compare of the zero-extended random
			// u32: drop when it falls below the threshold.
			asm.JGE.Reg(asm.R0, asm.R1, lblPass),
		)
	}
	count := asm.LoadMapPtr(asm.R1, counterFD)
	if r.percent >= 100 {
		count = count.WithSymbol(lblVerdict)
	}
	insns = append(insns,
		count,
		asm.StoreImm(asm.RFP, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -4),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, lblShot),
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, r.dropVerdict).WithSymbol(lblShot),
		asm.Return(),
	)
	if r.selective() || r.percent < 100 {
		// The verifier rejects unreachable code: a blackhole has no
		// way to pass.
		insns = append(insns,
			asm.Mov.Imm(asm.R0, tcActUnspec).WithSymbol(lblPass),
			asm.Return(),
		)
	}
	return insns
}

// lossThreshold maps a percentage to the bound below which a uniform
// random u32 means "drop".
func lossThreshold(percent float64) uint32 {
	t := math.Round(percent / 100 * (1 << 32))
	if t >= 1<<32 {
		return math.MaxUint32
	}
	return uint32(t)
}

var memlockOnce sync.Once

// loadDropProgram loads the classifier of r into the kernel. The program
// keeps its drop counter map alive; the caller closes the program once a
// filter holds it.
func loadDropProgram(r dropRule) (*ebpf.Program, error) {
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; later
	// ones ignore it and RemoveMemlock does nothing.
	memlockOnce.Do(func() { _ = rlimit.RemoveMemlock() })
	counter, err := ebpf.NewMap(&ebpf.MapSpec{
		Name: "vigil_drops", Type: ebpf.Array, KeySize: 4, ValueSize: 8, MaxEntries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("BPF drop counter: %w (the drop faults need root or CAP_BPF+CAP_NET_ADMIN)", err)
	}
	defer counter.Close()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "vigil_fault",
		Type:         ebpf.SchedCLS,
		License:      "Apache-2.0",
		Instructions: r.instructions(counter.FD()),
	})
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("the kernel rejected the BPF drop program: %+v", ve)
		}
		return nil, fmt.Errorf("BPF drop program: %w", err)
	}
	return prog, nil
}

// dropCount reads the drop counter of the program a filter runs.
func dropCount(progID int) (uint64, error) {
	prog, err := ebpf.NewProgramFromID(ebpf.ProgramID(progID))
	if err != nil {
		return 0, err
	}
	defer prog.Close()
	info, err := prog.Info()
	if err != nil {
		return 0, err
	}
	ids, ok := info.MapIDs()
	if !ok || len(ids) != 1 {
		return 0, errors.New("the program has no drop counter")
	}
	m, err := ebpf.NewMapFromID(ids[0])
	if err != nil {
		return 0, err
	}
	defer m.Close()
	var n uint64
	if err := m.Lookup(uint32(0), &n); err != nil {
		return 0, err
	}
	return n, nil
}
