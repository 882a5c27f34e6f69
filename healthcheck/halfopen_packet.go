package healthcheck

import (
	"encoding/binary"
	"net/netip"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The packets of half-open TCP checks (see halfopen.go): the SYN the
// director sends, the answers it reads back, and the packet filter that
// lets only those answers reach vigil.

// synLen is an IPv4 header, a TCP header and an MSS option: a SYN as plain
// as a kernel's, so that firewalls between the director and the real
// server treat it as one.
const synLen = 20 + 20 + 4

// synMSS is the MSS the SYN announces (Ethernet's); the server never sends
// data, so it only has to look ordinary.
const synMSS = 1460

// answerSnap is how much of an answer the filter keeps: an ICMP error
// quotes an IP header (up to 60 bytes) and the first 8 bytes of our SYN
// after its own 20-byte IP and 8-byte ICMP headers.
const answerSnap = 20 + 8 + 60 + 8

// buildSYN writes into b (synLen bytes) a SYN from src:sport to dst with
// sequence number seq. The kernel fills in the IP length, id and header
// checksum (IP_HDRINCL); the TCP checksum is ours.
func buildSYN(b []byte, src netip.Addr, sport uint16, dst netip.AddrPort, seq uint32) {
	clear(b[:synLen])
	b[0] = 0x45 // version 4, 5-word header
	b[6] = 0x40 // don't fragment
	b[8] = 64   // TTL
	b[9] = unix.IPPROTO_TCP
	s, d := src.As4(), dst.Addr().As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	t := b[20:synLen]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dst.Port())
	binary.BigEndian.PutUint32(t[4:], seq)
	t[12] = 6 << 4 // data offset: 24 bytes
	t[13] = tcpSYN
	binary.BigEndian.PutUint16(t[14:], 64240) // window
	t[20], t[21] = 2, 4                       // option MSS, length 4
	binary.BigEndian.PutUint16(t[22:], synMSS)
	binary.BigEndian.PutUint16(t[16:], tcpChecksum(s, d, t))
}

// tcpChecksum is the TCP checksum of segment t (its checksum field zero)
// between IPv4 addresses src and dst.
func tcpChecksum(src, dst [4]byte, t []byte) uint16 {
	sum := uint32(unix.IPPROTO_TCP) + uint32(len(t))
	for i := 0; i < 4; i += 2 {
		sum += uint32(src[i])<<8 | uint32(src[i+1])
		sum += uint32(dst[i])<<8 | uint32(dst[i+1])
	}
	for i := 0; i+1 < len(t); i += 2 {
		sum += uint32(t[i])<<8 | uint32(t[i+1])
	}
	if len(t)%2 == 1 {
		sum += uint32(t[len(t)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

const (
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// halfOpenKey names a probe in flight: the target and our source port.
// The target's answer carries the same three values.
type halfOpenKey struct {
	addr  [4]byte
	port  uint16 // the target's
	sport uint16 // ours
}

// answer is what a packet says about a probe: which one, the sequence
// number it acknowledges (ack) or quotes (icmp), and its outcome: nil
// for a SYN-ACK, otherwise the error a connect would have returned.
type answer struct {
	key halfOpenKey
	// seq is the SYN's sequence number the packet refers to.
	seq uint32
	err error
}

// parseAnswer reads an IPv4 packet (from its IP header on) that the
// filter let through: a SYN-ACK or RST from a target, or an ICMP
// destination-unreachable quoting one of our SYNs. ok is false for
// anything else, truncated or malformed.
func parseAnswer(p []byte) (a answer, ok bool) {
	ip, rest, ok := ipv4Payload(p)
	if !ok {
		return answer{}, false
	}
	switch ip[9] {
	case unix.IPPROTO_TCP:
		if len(rest) < 20 {
			return answer{}, false
		}
		copy(a.key.addr[:], ip[12:16])
		a.key.port = binary.BigEndian.Uint16(rest[0:])
		a.key.sport = binary.BigEndian.Uint16(rest[2:])
		a.seq = binary.BigEndian.Uint32(rest[8:]) - 1 // ack = seq + 1
		flags := rest[13]
		switch {
		case flags&tcpRST != 0:
			if flags&tcpACK == 0 {
				return answer{}, false // a reset that acknowledges nothing is not an answer to a SYN
			}
			a.err = syscall.ECONNREFUSED
		case flags&(tcpSYN|tcpACK) == tcpSYN|tcpACK:
		default:
			return answer{}, false
		}
		return a, true
	case unix.IPPROTO_ICMP:
		// type, code, checksum, unused; then the offending packet.
		if len(rest) < 8 || rest[0] != 3 {
			return answer{}, false
		}
		quoted, qrest, ok := ipv4Payload(rest[8:])
		if !ok || quoted[9] != unix.IPPROTO_TCP || len(qrest) < 8 {
			return answer{}, false
		}
		copy(a.key.addr[:], quoted[16:20])
		a.key.sport = binary.BigEndian.Uint16(qrest[0:])
		a.key.port = binary.BigEndian.Uint16(qrest[2:])
		a.seq = binary.BigEndian.Uint32(qrest[4:])
		a.err = unreachableError(rest[1])
		return a, true
	}
	return answer{}, false
}

// ipv4Payload splits an unfragmented IPv4 packet into its header and what
// follows it, which may be cut short (ICMP quotes, the filter's snap).
func ipv4Payload(p []byte) (header, payload []byte, ok bool) {
	if len(p) < 20 || p[0]>>4 != 4 {
		return nil, nil, false
	}
	ihl := int(p[0]&0x0f) * 4
	if ihl < 20 || len(p) < ihl {
		return nil, nil, false
	}
	if binary.BigEndian.Uint16(p[6:])&0x1fff != 0 { // a later fragment: no TCP header
		return nil, nil, false
	}
	return p[:ihl], p[ihl:], true
}

// unreachableError is the error connect reports for an ICMP
// destination-unreachable code (RFC 792, RFC 1812).
func unreachableError(code byte) error {
	switch code {
	case 0, 6, 11: // network unreachable, unknown, for TOS
		return syscall.ENETUNREACH
	case 3: // port unreachable
		return syscall.ECONNREFUSED
	case 9, 10, 13: // administratively prohibited
		return syscall.EACCES
	default: // host unreachable and the rest
		return syscall.EHOSTUNREACH
	}
}

// answerFilter is the classic BPF program of the answer socket, run by
// the kernel on every IPv4 packet the host receives, before anything is
// copied: it keeps, from the network header on, unfragmented TCP packets
// to our source ports [lo, hi] with RST, or SYN and ACK, set, and ICMP
// destination-unreachables; it drops everything else, including the copies
// of packets the host sends.
func answerFilter(lo, hi uint16) []bpf.Instruction {
	const icmp, keep, drop = 14, 17, 18 // indexes of the jump targets below
	to := func(from, target int) uint8 { return uint8(target - from - 1) }
	return []bpf.Instruction{
		/* 0 */ bpf.LoadExtension{Num: bpf.ExtType},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipTrue: to(1, drop)},
		/* 2 */ bpf.LoadAbsolute{Off: 6, Size: 2},
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: to(3, drop)},
		/* 4 */ bpf.LoadMemShift{Off: 0},
		/* 5 */ bpf.LoadAbsolute{Off: 9, Size: 1},
		/* 6 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.IPPROTO_TCP, SkipFalse: to(6, icmp)},
		/* 7 */ bpf.LoadIndirect{Off: 2, Size: 2}, // destination port
		/* 8 */ bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: uint32(lo), SkipFalse: to(8, drop)},
		/* 9 */ bpf.JumpIf{Cond: bpf.JumpGreaterThan, Val: uint32(hi), SkipTrue: to(9, drop)},
		/* 10 */ bpf.LoadIndirect{Off: 13, Size: 1}, // flags
		/* 11 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: tcpRST, SkipTrue: to(11, keep)},
		/* 12 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: tcpSYN, SkipFalse: to(12, drop)},
		/* 13 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: tcpACK, SkipTrue: to(13, keep), SkipFalse: to(13, drop)},
		/* 14 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.IPPROTO_ICMP, SkipFalse: to(14, drop)},
		/* 15 */ bpf.LoadIndirect{Off: 0, Size: 1}, // ICMP type
		/* 16 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: 3, SkipFalse: to(16, drop)},
		/* 17 */ bpf.RetConstant{Val: answerSnap},
		/* 18 */ bpf.RetConstant{Val: 0},
	}
}
