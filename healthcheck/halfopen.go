package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Half-open TCP checks (F5's tcp_half_open, TCPChecker.HalfOpen): the
// director sends a hand-made SYN from a source port that it has reserved
// but on which nothing listens, and reads the answer:
//
//   - SYN-ACK: healthy. The director's kernel, which has no socket for
//     it, answers with a reset, so the real server drops the half-open
//     connection at once, and no accept() ever happens there.
//   - RST: refused. An ICMP destination-unreachable: its error.
//   - nothing within the timeout: timeout.
//
// A SYN-ACK proves that the server's kernel has a listening socket on the
// port, not that the application accepts connections; the connect check
// proves a little more. What it saves is most of the cost of a probe on
// both ends: no socket, no connect, no close, and no connection for the
// server to accept; SYNs leave in batches, one system call for all the
// checks one wake-up of the scheduler starts, and answers are read in
// batches too. It needs CAP_NET_RAW.
//
// Answers are read from one packet socket whose filter (answerFilter)
// the kernel runs on every IPv4 packet the director receives and which
// passes only answers to the reserved ports: a handful of instructions per
// packet. IPv4 only for now.

// halfOpenPorts is how many source ports the prober reserves, contiguous
// so that the filter tests a range. Probes of the same target at the same
// time (virtual servers sharing a real server) need different ones.
const halfOpenPorts = 8

// halfOpenBatch bounds the SYNs sent, and the answers read, per system
// call.
const halfOpenBatch = 64

// sourceTTL is how long the prober trusts the source address it looked up
// for a target: routes change rarely, and a lookup costs four system
// calls.
const sourceTTL = 30 * time.Second

// halfOpenWait is a SYN in flight.
type halfOpenWait struct {
	flight
	key halfOpenKey
	seq uint32
}

// halfOpenProber owns the half-open probes in flight.
type halfOpenProber struct {
	probeWatch[*halfOpenWait] // its file is the answer socket

	reserved []int  // bound, never listening TCP sockets holding the ports
	lo       uint16 // first reserved port

	// Used by the goroutine that starts probes (the scheduling loop) only.
	send    map[uint32]int // raw sockets by SO_MARK
	sources map[sourceKey]cachedSource
	pending []pendingSYN
	rotate  int
	tx      *mmsgBuffers

	rx      *mmsgBuffers // the watcher's
	answers *[halfOpenBatch][answerSnap]byte

	byKey map[halfOpenKey]*halfOpenWait // under mu
}

type sourceKey struct {
	dst  netip.Addr
	mark uint32
}

type cachedSource struct {
	addr  netip.Addr
	until time.Time
}

// pendingSYN is a SYN built but not yet sent.
type pendingSYN struct {
	w    *halfOpenWait
	mark uint32
	pkt  [synLen]byte
	to   unix.RawSockaddrInet4
}

// newHalfOpenProber reserves the source ports and opens the answer socket.
// deliver and discard are as in probeWatch.
func newHalfOpenProber(deliver func(job, Result), discard func(job)) (*halfOpenProber, error) {
	p := &halfOpenProber{send: make(map[uint32]int), sources: make(map[sourceKey]cachedSource),
		byKey: make(map[halfOpenKey]*halfOpenWait), tx: new(mmsgBuffers), rx: new(mmsgBuffers),
		answers: new([halfOpenBatch][answerSnap]byte)}
	for i := range p.rx.hdrs {
		p.rx.iovs[i].Base = &p.answers[i][0]
		p.rx.iovs[i].SetLen(answerSnap)
		p.rx.hdrs[i].hdr.Iov = &p.rx.iovs[i]
		p.rx.hdrs[i].hdr.SetIovlen(1)
	}
	p.harvest, p.forget, p.result = p.harvestAnswers, p.forgetSYN, halfOpenResult
	p.deliver, p.discard = deliver, discard
	if err := p.reservePorts(); err != nil {
		return nil, err
	}
	fd, err := answerSocket(p.lo, p.lo+halfOpenPorts-1)
	if err != nil {
		p.closeSockets()
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "tcp-half-open")
	if err := p.init(f); err != nil {
		f.Close()
		p.closeSockets()
		return nil, err
	}
	return p, nil
}

// halfOpenResult is the check's result for a probe's outcome.
func halfOpenResult(err error) Result {
	if err != nil {
		return failed(errorReason("tcp", err))
	}
	return healthy("tcp: SYN-ACK")
}

// reservePorts binds halfOpenPorts consecutive ports, picked at random in
// the ephemeral range, to TCP sockets that never listen: no connection of
// the host can take them, and the kernel resets the SYN-ACKs sent to them.
func (p *halfOpenProber) reservePorts() error {
	lo, hi := ephemeralRange()
	var lastErr error
	for range 64 {
		base := uint16(lo + rand.IntN(hi-lo-halfOpenPorts+1))
		fds, err := bindPorts(base, halfOpenPorts)
		if err == nil {
			p.reserved, p.lo = fds, base
			return nil
		}
		lastErr = err
	}
	return fmt.Errorf("half-open checks: no %d free consecutive source ports: %w", halfOpenPorts, lastErr)
}

// ephemeralRange is the host's local port range, or Linux's default.
func ephemeralRange() (lo, hi int) {
	lo, hi = 32768, 60999
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var a, z int
		if n, _ := fmt.Sscan(string(b), &a, &z); n == 2 && a > 0 && z-a > 2*halfOpenPorts {
			lo, hi = a, z
		}
	}
	return lo, hi
}

// bindPorts binds n TCP sockets to 0.0.0.0:base... or none.
func bindPorts(base uint16, n int) ([]int, error) {
	var fds []int
	for i := range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrInet4{Port: int(base) + i})
			if err != nil {
				unix.Close(fd)
			}
		}
		if err != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			return nil, os.NewSyscallError("bind", err)
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// answerSocket opens the packet socket that receives the answers to the
// ports lo..hi on every interface.
func answerSocket(lo, hi uint16) (int, error) {
	// Protocol 0: it receives nothing until bound, after the filter is set.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket AF_PACKET", err)
	}
	prog, err := bpf.Assemble(answerFilter(lo, hi))
	if err == nil {
		filter := make([]unix.SockFilter, len(prog))
		for i, ins := range prog {
			filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
		}
		err = os.NewSyscallError("setsockopt SO_ATTACH_FILTER", unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET,
			unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}))
	}
	if err == nil {
		// Room for the answers of a burst of checks.
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		err = os.NewSyscallError("bind AF_PACKET", unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP)}))
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// closeSockets closes the reserved ports and the raw sockets.
func (p *halfOpenProber) closeSockets() {
	for _, fd := range p.reserved {
		unix.Close(fd)
	}
	for _, fd := range p.send {
		unix.Close(fd)
	}
	p.reserved, p.send = nil, nil
}

// close stops the watcher and releases every socket.
func (p *halfOpenProber) close() {
	p.stop()
	p.closeSockets()
}

// start builds the SYN of j and queues it for flush; the caller holds a
// probe slot, which the probe releases when it ends. A probe that cannot
// be sent ends here.
func (p *halfOpenProber) start(j job) {
	dst := j.target.ProbeAddr()
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	if !dst.Addr().Is4() {
		p.deliver(j, failed("tcp: half-open checks are IPv4 only"))
		return
	}
	src, err := p.source(j.target.Dialer, dst.Addr(), j.started)
	if err != nil {
		p.deliver(j, halfOpenResult(err))
		return
	}
	w := &halfOpenWait{flight: flight{job: j, deadline: time.Now().Add(j.timeout)},
		key: halfOpenKey{addr: dst.Addr().As4(), port: dst.Port()}, seq: rand.Uint32()}
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		p.discard(j)
		return
	}
	// Round robin over the ports, skipping one this target is already
	// being probed from.
	free := false
	for range halfOpenPorts {
		w.key.sport = p.lo + uint16(p.rotate)
		p.rotate = (p.rotate + 1) % halfOpenPorts
		if p.byKey[w.key] == nil {
			free = true
			break
		}
	}
	if !free {
		p.mu.Unlock()
		p.deliver(j, failed(fmt.Sprintf("tcp: more than %d half-open probes of %v at once", halfOpenPorts, dst)))
		return
	}
	p.byKey[w.key] = w
	p.add(w)
	p.mu.Unlock()

	p.pending = append(p.pending, pendingSYN{w: w, mark: j.target.Dialer.Mark,
		to: unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: w.key.addr}})
	buildSYN(p.pending[len(p.pending)-1].pkt[:], src, w.key.sport, dst, w.seq)
}

// source is the address the director sends from to dst: the dialer's, or
// the one the routing table picks (a connected UDP socket asks it without
// sending anything). It is part of the TCP checksum, so it must be known
// before the kernel routes the SYN.
func (p *halfOpenProber) source(d Dialer, dst netip.Addr, now time.Time) (netip.Addr, error) {
	if d.Source.IsValid() {
		if !d.Source.Unmap().Is4() {
			return netip.Addr{}, errors.New("source address is not IPv4")
		}
		return d.Source.Unmap(), nil
	}
	key := sourceKey{dst, d.Mark}
	if c, ok := p.sources[key]; ok && now.Before(c.until) {
		return c.addr, nil
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return netip.Addr{}, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	if err := setupProbeSocket(fd, d, false); err != nil { // the mark: d.Source is not set here
		return netip.Addr{}, err
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: 9, Addr: dst.As4()}); err != nil {
		return netip.Addr{}, os.NewSyscallError("connect", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.Addr{}, os.NewSyscallError("getsockname", err)
	}
	src := netip.AddrFrom4(sa.(*unix.SockaddrInet4).Addr)
	p.sources[key] = cachedSource{src, now.Add(sourceTTL)}
	return src, nil
}

// flush sends the queued SYNs, a batch per system call. A SYN the kernel
// refuses (no route, ...) ends its probe with that error.
func (p *halfOpenProber) flush() {
	for q := p.pending; len(q) > 0; {
		// One batch: the longest run of SYNs with the same mark.
		n := 1
		for n < len(q) && n < halfOpenBatch && q[n].mark == q[0].mark {
			n++
		}
		sent, err := p.sendBatch(q[:n])
		if err != nil { // q[sent] failed; the ones before it left
			p.fail(q[sent].w, err)
			sent++
		}
		q = q[sent:]
	}
	clear(p.pending) // no references to ended probes
	p.pending = p.pending[:0]
	if cap(p.pending) > 4*halfOpenBatch { // after a burst: give the memory back
		p.pending = nil
	}
}

// fail ends a probe whose SYN could not be sent.
func (p *halfOpenProber) fail(w *halfOpenWait, err error) {
	p.mu.Lock()
	if p.byKey[w.key] != w { // already ended (stop)
		p.mu.Unlock()
		return
	}
	p.drop(w)
	p.mu.Unlock()
	p.deliver(w.job, halfOpenResult(err))
}

// mmsghdr is struct mmsghdr of sendmmsg(2) and recvmmsg(2).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// mmsgBuffers are the headers of one sendmmsg or recvmmsg, one buffer per
// message, kept from call to call.
type mmsgBuffers struct {
	hdrs [halfOpenBatch]mmsghdr
	iovs [halfOpenBatch]unix.Iovec
}

// sendBatch sends the SYNs of batch (all with the same mark) with one
// sendmmsg; it returns how many left and, if not all did, the error of the
// first that did not.
func (p *halfOpenProber) sendBatch(batch []pendingSYN) (int, error) {
	fd, err := p.sendSocket(batch[0].mark)
	if err != nil {
		return 0, err
	}
	hdrs, iovs := &p.tx.hdrs, &p.tx.iovs
	for i := range batch {
		iovs[i].Base = &batch[i].pkt[0]
		iovs[i].SetLen(synLen)
		h := &hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&batch[i].to))
		h.Namelen = unix.SizeofSockaddrInet4
		h.Iov = &iovs[i]
		h.SetIovlen(1)
	}
	sent := 0
	for sent < len(batch) {
		r, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&hdrs[sent])),
			uintptr(len(batch)-sent), 0, 0, 0)
		switch {
		case errno == unix.EINTR:
			continue
		case errno != 0:
			runtime.KeepAlive(batch)
			return sent, os.NewSyscallError("sendmmsg", errno)
		}
		sent += int(r)
	}
	runtime.KeepAlive(batch)
	return sent, nil
}

// sendSocket is the raw socket for SYNs with mark.
func (p *halfOpenProber) sendSocket(mark uint32) (int, error) {
	if fd, ok := p.send[mark]; ok {
		return fd, nil
	}
	// IPPROTO_RAW: the SYN comes with its IP header (IP_HDRINCL); such a
	// socket receives nothing. Blocking: a full send buffer waits for the
	// device rather than losing SYNs that would then time out.
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return -1, os.NewSyscallError("socket SOCK_RAW", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 1<<20) // a burst's SYNs
	if err := setupProbeSocket(fd, Dialer{Mark: mark}, false); err != nil {
		unix.Close(fd)
		return -1, err
	}
	p.send[mark] = fd
	return fd, nil
}

// forgetSYN drops w from the index; with mu held.
func (p *halfOpenProber) forgetSYN(w *halfOpenWait) { delete(p.byKey, w.key) }

// harvestAnswers reads the answers waiting on the packet socket, a batch
// per system call, and ends the probes they answer.
func (p *halfOpenProber) harvestAnswers(fd uintptr, ended []finished) ([]finished, bool) {
	bufs, hdrs := p.answers, &p.rx.hdrs
	got := false
	for {
		r, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), halfOpenBatch,
			unix.MSG_DONTWAIT, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 || r == 0 {
			break
		}
		got = true
		n := int(r)
		p.mu.Lock()
		for i := range n {
			a, ok := parseAnswer(bufs[i][:min(int(hdrs[i].len), answerSnap)])
			if !ok {
				continue
			}
			w := p.byKey[a.key]
			if w == nil || w.seq != a.seq { // not ours, or a late answer to an earlier probe
				continue
			}
			p.drop(w)
			ended = append(ended, finished{w.job, a.err})
		}
		p.mu.Unlock()
		if n < halfOpenBatch {
			break
		}
	}
	return ended, got
}

// probeHalfOpenOnce is one half-open probe with a prober of its own, for
// callers other than the Scheduler.
func probeHalfOpenOnce(ctx context.Context, t Target) Result {
	out := make(chan Result, 2) // the result, and a discard racing ctx
	p, err := newHalfOpenProber(func(_ job, r Result) { out <- r },
		func(job) { out <- halfOpenResult(context.Canceled) })
	if err != nil {
		return halfOpenResult(err)
	}
	defer p.close()
	go p.run(ctx)
	timeout := time.Minute
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	p.start(job{target: t, timeout: timeout, started: time.Now()})
	p.flush()
	select {
	case r := <-out:
		return r
	case <-ctx.Done():
		return halfOpenResult(ctx.Err())
	}
}
