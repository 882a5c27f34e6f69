package main

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// BenchmarkHalfOpenFloor estimates, before anything is built, what a
// half-open TCP check would cost the director (F5's tcp_half_open: send a
// SYN, a SYN-ACK means healthy, a RST refused; the director's kernel, which
// has no socket for the SYN-ACK, resets the half-open connection). The
// prober sends a hand-made SYN through an IPPROTO_RAW socket (which
// receives nothing) and reads the answer from a packet socket on lo whose
// BPF filter runs before the kernel copies anything, so it only ever
// receives answers to its own source port. Custom metrics are per probe.
//
// loopback: the listener's SYN handling, its SYN-ACK and the reset all run
// inside sendto. steered: lo's receive processing runs on other CPUs; ten
// probes are in flight at once and one poll waits for their answers.
func BenchmarkHalfOpenFloor(b *testing.B) {
	testenv.NeedRoot(b)
	addr, pid := floorListener(b)
	b.Run("loopback", func(b *testing.B) {
		p := newHalfOpenProber(b, addr)
		threadCost(b, pid, nil, 1, func() { p.batch(b, 1) })
	})
	b.Run("steered", func(b *testing.B) {
		pin := steer(b)
		p := newHalfOpenProber(b, addr)
		threadCost(b, pid, pin, probesInFlight, func() { p.batch(b, probesInFlight) })
	})
}

type halfOpenProber struct {
	send, recv int
	src        netip.Addr
	ports      []uint16 // one source port per probe in flight
	dst        netip.AddrPort
	sa         unix.SockaddrInet4
	syn        [40]byte
}

// probesInFlight is the steered batch: ten probes to one listener need ten
// source ports, or the listener takes the later SYNs for retransmissions
// of the first (a director probes ten different servers instead).
const probesInFlight = 10

func newHalfOpenProber(b *testing.B, dst netip.AddrPort) *halfOpenProber {
	p := &halfOpenProber{
		src: netip.AddrFrom4([4]byte{127, 0, 0, 1}),
		dst: dst,
		sa:  unix.SockaddrInet4{Addr: dst.Addr().As4()},
	}
	// A bound (not listening) TCP socket reserves a source port: no
	// connection of this host can take it, and the kernel, finding no
	// socket for the SYN-ACKs sent to it, resets them.
	for range probesInFlight {
		reserve, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { unix.Close(reserve) })
		if err := unix.Bind(reserve, &unix.SockaddrInet4{Addr: p.src.As4()}); err != nil {
			b.Fatal(err)
		}
		local, err := unix.Getsockname(reserve)
		if err != nil {
			b.Fatal(err)
		}
		p.ports = append(p.ports, uint16(local.(*unix.SockaddrInet4).Port))
	}
	var err error
	if p.send, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(p.send) })
	// Protocol 0: the packet socket receives nothing until it is bound,
	// after its filter is in place.
	if p.recv, err = unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(p.recv) })
	prog, err := bpf.Assemble(answerFilter(dst.Port()))
	if err != nil {
		b.Fatal(err)
	}
	filter := make([]unix.SockFilter, len(prog))
	for i, ins := range prog {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	if err := unix.SetsockoptSockFprog(p.recv, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
		&unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}); err != nil {
		b.Fatal(err)
	}
	if err := unix.Bind(p.recv, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: 1}); err != nil {
		b.Fatal(err)
	}
	p.buildSYN()
	return p
}

// answerFilter accepts, from the network header on (a SOCK_DGRAM packet
// socket), unfragmented TCP packets received from port with SYN+ACK or RST
// set, and drops everything else, including lo's copy of outgoing packets.
// (A director would match its own reserved destination ports instead.)
func answerFilter(port uint16) []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipTrue: 10},
		bpf.LoadAbsolute{Off: 9, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: unix.IPPROTO_TCP, SkipTrue: 8},
		bpf.LoadAbsolute{Off: 6, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 6},
		bpf.LoadMemShift{Off: 0},
		bpf.LoadIndirect{Off: 0, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(port), SkipTrue: 3},
		bpf.LoadIndirect{Off: 13, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x04, SkipTrue: 2}, // RST
		bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x12, SkipTrue: 1}, // SYN or ACK (the kernel drops a bare SYN to a client port)
		bpf.RetConstant{Val: 0},
		bpf.RetConstant{Val: 60},
	}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// buildSYN fills the IPv4 header (the kernel sets length, id and header
// checksum) and the TCP SYN; each probe sets its own sequence number.
func (p *halfOpenProber) buildSYN() {
	h := p.syn[:]
	h[0] = 0x45
	h[8] = 64 // TTL
	h[9] = unix.IPPROTO_TCP
	src, dst := p.src.As4(), p.dst.Addr().As4()
	copy(h[12:16], src[:])
	copy(h[16:20], dst[:])
	t := h[20:]
	binary.BigEndian.PutUint16(t[2:], p.dst.Port())
	t[12] = 5 << 4 // data offset
	t[13] = 0x02   // SYN
	binary.BigEndian.PutUint16(t[14:], 65535)
}

// setProbe sets the source port, the sequence number and the TCP checksum.
func (p *halfOpenProber) setProbe(port uint16, seq uint32) {
	t := p.syn[20:]
	binary.BigEndian.PutUint16(t[0:], port)
	binary.BigEndian.PutUint32(t[4:], seq)
	t[16], t[17] = 0, 0
	sum := uint32(unix.IPPROTO_TCP) + uint32(len(t))
	for i := 12; i < 20; i += 2 { // pseudo-header addresses
		sum += uint32(binary.BigEndian.Uint16(p.syn[i:]))
	}
	for i := 0; i < len(t); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(t[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(t[16:], ^uint16(sum))
}

// batch sends n SYNs and waits for their n answers.
func (p *halfOpenProber) batch(b *testing.B, n int) {
	seqs := make(map[uint32]bool, n)
	for i := range n {
		seq := rand.Uint32()
		seqs[seq+1] = true
		p.setProbe(p.ports[i], seq)
		if err := unix.Sendto(p.send, p.syn[:], 0, &p.sa); err != nil {
			b.Fatal(err)
		}
	}
	var buf [64]byte
	for len(seqs) > 0 {
		k, _, err := unix.Recvfrom(p.recv, buf[:], 0)
		if err == unix.EAGAIN {
			fds := []unix.PollFd{{Fd: int32(p.recv), Events: unix.POLLIN}}
			if k, err := unix.Poll(fds, 1000); err != nil && err != unix.EINTR {
				b.Fatal(err)
			} else if k == 0 {
				b.Fatalf("%d answers missing after 1 s", len(seqs))
			}
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		ihl := int(buf[0]&0xf) * 4
		if k < ihl+20 {
			continue
		}
		t := buf[ihl:k]
		if t[13]&0x04 != 0 {
			b.Fatal("refused: RST from the listener")
		}
		delete(seqs, binary.BigEndian.Uint32(t[8:])) // ack = seq+1
	}
}
