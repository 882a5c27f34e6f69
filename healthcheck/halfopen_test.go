package healthcheck

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
)

// countingListener accepts on a loopback port and counts the connections.
func countingListener(t *testing.T) (netip.AddrPort, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return addrOf(t, ln.Addr()), &accepted
}

func TestSchedulerRunsHalfOpenChecks(t *testing.T) {
	testenv.NeedRoot(t) // CAP_NET_RAW
	open, accepted := countingListener(t)
	full := fullListener(t)
	fds := openFDs(t)
	var lo uint16 // the prober's first port
	// Registered before the harness, so it runs after Run has returned:
	// Run closed the prober, its sockets are gone and the ports can be
	// bound again.
	t.Cleanup(func() {
		if n := openFDs(t); n != fds {
			t.Errorf("%d descriptors open after Run returned, %d before it started", n, fds)
		}
		again, err := bindPorts(lo, halfOpenPorts)
		if err != nil {
			t.Errorf("reserved ports not released: %v", err)
		}
		for _, fd := range again {
			syscall.Close(fd)
		}
	})
	h := newHarness(t, Options{})
	settings := quick(1, 1, StartUp)
	settings.Timeout = 300 * time.Millisecond
	h.update(tcpServer(settings, TCPChecker{HalfOpen: true}, open.String(), closedPort(t).String(), full.String()))
	got := map[string]string{}
	for range 3 {
		r := h.result()
		got[r.RealServer] = r.Result.Reason
	}
	want := map[string]string{"0": "tcp: SYN-ACK", "1": "tcp: connection refused", "2": "tcp: timeout"}
	for rs, reason := range want {
		if got[rs] != reason {
			t.Errorf("real server %s: %q, want %q", rs, got[rs], reason)
		}
	}
	if n := h.s.workers.Load(); n != 0 {
		t.Errorf("%d probe workers started for half-open checks, want none", n)
	}
	// The listener's kernel answered, but no connection was completed.
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Errorf("the listener accepted %d connections from half-open checks", n)
	}
	// Checks keep running on the same prober: the next round too. (The
	// loop set s.halfOpen before it started the probes whose results came.)
	p := h.s.halfOpen
	if p == nil {
		t.Fatal("no half-open prober")
	}
	lo = p.lo
	h.clock.Advance(time.Second)
	for range 3 {
		h.result()
	}
	if h.s.halfOpen != p {
		t.Fatal("the second round made a new prober")
	}
}

func TestHalfOpenCheckOnce(t *testing.T) {
	testenv.NeedRoot(t)
	open, accepted := countingListener(t)
	c := TCPChecker{HalfOpen: true}
	if r := checkOnce(t, c, Target{Addr: open}, time.Second); !r.Healthy || r.Reason != "tcp: SYN-ACK" {
		t.Fatalf("listener: %+v, want healthy tcp: SYN-ACK", r)
	}
	if r := checkOnce(t, c, Target{Addr: closedPort(t)}, time.Second); r.Healthy || r.Reason != "tcp: connection refused" {
		t.Fatalf("closed port: %+v, want tcp: connection refused", r)
	}
	// Through Dialer.Addr and from a given source, as the scheduler's
	// probes may be.
	via := Target{Addr: netip.MustParseAddrPort("127.0.0.1:1"),
		Dialer: Dialer{Addr: open, Source: netip.MustParseAddr("127.0.0.1")}}
	if r := checkOnce(t, c, via, time.Second); !r.Healthy {
		t.Fatalf("via Dialer.Addr: %+v", r)
	}
	if r := checkOnce(t, c, Target{Addr: netip.MustParseAddrPort("[::1]:80")}, time.Second); r.Healthy || r.Reason != "tcp: half-open checks are IPv4 only" {
		t.Fatalf("IPv6: %+v", r)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the listener accepted %d connections", n)
	}
}

func TestHalfOpenProbesOfOneTargetUseDifferentPorts(t *testing.T) {
	testenv.NeedRoot(t)
	full := fullListener(t) // never answers: the probes stay in flight
	results := make(chan Result, 2*halfOpenPorts)
	p, err := newHalfOpenProber(func(_ job, r Result) { results <- r }, func(job) {})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.run(ctx)
	defer p.close()
	for range halfOpenPorts + 1 {
		p.start(job{target: Target{Addr: full}, timeout: time.Minute, started: time.Now()})
	}
	p.flush()
	// The ninth has no port left.
	select {
	case r := <-results:
		if r.Healthy || r.Reason != "tcp: more than 8 half-open probes of "+full.String()+" at once" {
			t.Fatalf("result %+v", r)
		}
	case <-time.After(waitLimit):
		t.Fatal("no result for the probe without a free port")
	}
	p.mu.Lock()
	ports := map[uint16]bool{}
	for k := range p.byKey {
		ports[k.sport] = true
	}
	p.mu.Unlock()
	if len(ports) != halfOpenPorts {
		t.Fatalf("%d probes in flight from %d ports, want %d distinct", halfOpenPorts, len(ports), halfOpenPorts)
	}
}

// verifyTCPChecksum checks a segment's checksum the way a receiver does,
// independently of tcpChecksum: the one's complement sum of the pseudo
// header and the segment, checksum included, is all ones.
func verifyTCPChecksum(src, dst netip.Addr, seg []byte) bool {
	var sum uint64
	s, d := src.As4(), dst.As4()
	sum += uint64(binary.BigEndian.Uint16(s[:2])) + uint64(binary.BigEndian.Uint16(s[2:]))
	sum += uint64(binary.BigEndian.Uint16(d[:2])) + uint64(binary.BigEndian.Uint16(d[2:]))
	sum += 6 + uint64(len(seg))
	padded := append([]byte(nil), seg...)
	if len(padded)%2 == 1 {
		padded = append(padded, 0)
	}
	for i := 0; i < len(padded); i += 2 {
		sum += uint64(binary.BigEndian.Uint16(padded[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return sum == 0xffff
}

func TestBuildSYN(t *testing.T) {
	src := netip.MustParseAddr("10.0.0.1")
	for _, dst := range []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.2:80"),
		netip.MustParseAddrPort("192.168.255.254:65535"),
		netip.MustParseAddrPort("255.255.255.255:1"),
	} {
		for _, seq := range []uint32{0, 1, 0xffffffff, 0x12345678} {
			var b [synLen]byte
			buildSYN(b[:], src, 40000, dst, seq)
			if !verifyTCPChecksum(src, dst.Addr(), b[20:]) {
				t.Fatalf("%v seq %#x: bad TCP checksum", dst, seq)
			}
			if b[0] != 0x45 || b[9] != 6 || netip.AddrFrom4([4]byte(b[16:20])) != dst.Addr() ||
				binary.BigEndian.Uint16(b[22:]) != dst.Port() || binary.BigEndian.Uint32(b[24:]) != seq ||
				b[33] != tcpSYN || b[32]>>4 != 6 {
				t.Fatalf("%v seq %#x: header % x", dst, seq, b)
			}
		}
	}
}

// answerPacket builds an IPv4 TCP packet from src:sport to dst:dport.
func answerPacket(src, dst netip.Addr, sport, dport uint16, ack uint32, flags byte) []byte {
	p := make([]byte, 40)
	p[0] = 0x45
	p[9] = 6
	s, d := src.As4(), dst.As4()
	copy(p[12:], s[:])
	copy(p[16:], d[:])
	binary.BigEndian.PutUint16(p[20:], sport)
	binary.BigEndian.PutUint16(p[22:], dport)
	binary.BigEndian.PutUint32(p[28:], ack)
	p[32] = 5 << 4
	p[33] = flags
	return p
}

func TestParseAnswer(t *testing.T) {
	rs, dir := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.1")
	key := halfOpenKey{addr: rs.As4(), port: 80, sport: 40001}
	var syn [synLen]byte
	buildSYN(syn[:], dir, 40001, netip.AddrPortFrom(rs, 80), 41)
	icmp := func(code byte) []byte {
		p := make([]byte, 20+8, 20+8+synLen)
		p[0] = 0x45
		p[9] = 1
		p[20], p[21] = 3, code
		return append(p, syn[:28]...) // an ICMP error quotes the header and 8 bytes
	}
	fragment := answerPacket(rs, dir, 80, 40001, 42, tcpSYN|tcpACK)
	fragment[7] = 1 // offset 8 bytes
	for _, c := range []struct {
		name string
		pkt  []byte
		ok   bool
		err  error
	}{
		{"SYN-ACK", answerPacket(rs, dir, 80, 40001, 42, tcpSYN|tcpACK), true, nil},
		{"RST-ACK", answerPacket(rs, dir, 80, 40001, 42, tcpRST|tcpACK), true, syscall.ECONNREFUSED},
		{"RST without ACK", answerPacket(rs, dir, 80, 40001, 42, tcpRST), false, nil},
		{"bare ACK", answerPacket(rs, dir, 80, 40001, 42, tcpACK), false, nil},
		{"bare SYN", answerPacket(rs, dir, 80, 40001, 42, tcpSYN), false, nil},
		{"port unreachable", icmp(3), true, syscall.ECONNREFUSED},
		{"host unreachable", icmp(1), true, syscall.EHOSTUNREACH},
		{"net unreachable", icmp(0), true, syscall.ENETUNREACH},
		{"prohibited", icmp(13), true, syscall.EACCES},
		{"truncated quote", icmp(1)[:20+8+20+4], false, nil},
		{"truncated TCP", answerPacket(rs, dir, 80, 40001, 42, tcpSYN|tcpACK)[:30], false, nil},
		{"fragment", fragment, false, nil},
		{"IPv6", append([]byte{0x60}, make([]byte, 60)...), false, nil},
		{"empty", nil, false, nil},
	} {
		a, ok := parseAnswer(c.pkt)
		if ok != c.ok {
			t.Errorf("%s: ok=%t, want %t", c.name, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if a.key != key || a.seq != 41 || !errors.Is(a.err, c.err) && a.err != c.err {
			t.Errorf("%s: %+v, want key %+v seq 41 err %v", c.name, a, key, c.err)
		}
	}
}

func TestAnswerSocketReceivesOnlyAnswers(t *testing.T) {
	testenv.NeedRoot(t)
	p, err := newHalfOpenProber(func(job, Result) {}, func(job) {})
	if err != nil {
		t.Fatal(err)
	}
	defer p.closeSockets()
	defer p.file.Close()
	fd := int(p.file.Fd())
	open, _ := countingListener(t)
	// Ordinary traffic: a whole connection, its data and its close.
	c, err := net.Dial("tcp4", open.String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello"))
	c.Close()
	checkOnce(t, TCPChecker{}, Target{Addr: closedPort(t)}, time.Second) // a RST to another port
	// One SYN from a reserved port: the SYN-ACK must come through, not
	// the copy of the SYN or of the director's reset.
	var syn [synLen]byte
	buildSYN(syn[:], netip.MustParseAddr("127.0.0.1"), p.lo+3, open, 7)
	send, err := p.sendSocket(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Sendto(send, syn[:], 0, &syscall.SockaddrInet4{Addr: open.Addr().As4()}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	var got []answer
	buf := make([]byte, 2048)
	for {
		n, _, err := syscall.Recvfrom(fd, buf, syscall.MSG_DONTWAIT)
		if err != nil {
			break
		}
		a, ok := parseAnswer(buf[:n])
		if !ok {
			t.Fatalf("the filter let through a packet that is no answer: % x", buf[:n])
		}
		got = append(got, a)
	}
	want := answer{key: halfOpenKey{addr: open.Addr().As4(), port: open.Port(), sport: p.lo + 3}, seq: 7}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("answers %+v, want only %+v", got, want)
	}
}
