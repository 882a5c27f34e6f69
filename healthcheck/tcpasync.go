package healthcheck

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// TCP checks run without a goroutine per probe. The scheduler's loop starts
// the connect itself (on loopback or a near LAN it has often completed when
// connect returns), and a connect still in flight waits in one epoll set
// that a single goroutine watches, with the deadlines in a heap. At
// thousands of checks a second this saves, per probe, a goroutine
// hand-off, a context with its timer, the runtime poller's registration
// and deadline timer: together most of the scheduler's own cost per check.
//
// The epoll set is itself registered with the Go runtime's poller, so the
// watching goroutine parks like any other instead of sitting in epoll_wait:
// a goroutine blocked in a system call keeps the runtime's monitor thread
// polling every 20 µs, thousands of wake-ups a second.

// harvestGap is the least time between two harvests of the epoll set.
// Against real servers every connect ends on its own, about one round trip
// after it started: woken for each, the poller would cost a wake-up per
// check. Waiting this long after a harvest lets one wake-up collect the
// connects that ended meanwhile (at 10,000 checks a second, about ten); a
// result is applied at most this much later, which next to intervals and
// timeouts is nothing. At low rates the first connect to end still wakes
// the poller at once.
const harvestGap = time.Millisecond

// tryConnectFast lets start take the result of a connect that completed
// at once; tests turn it off to send loopback connects through the epoll
// set.
var tryConnectFast = true

// connectWait is a connect in flight.
type connectWait struct {
	flight
	fd  int
	sa  unix.Sockaddr
	gen uint32 // tells a reused descriptor number from this one
}

// connectPoller owns the connects in flight of every TCP check.
type connectPoller struct {
	probeWatch[*connectWait] // its file is the epoll set of the connecting sockets

	byFD map[int32]*connectWait // under mu
	gen  uint32
}

// newConnectPoller makes the epoll set; run watches it.
func newConnectPoller(s *Scheduler) (*connectPoller, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	// Non-blocking, os.NewFile registers it with the runtime poller, which
	// reports it readable when a socket in it is ready.
	if err := unix.SetNonblock(ep, true); err != nil {
		unix.Close(ep)
		return nil, os.NewSyscallError("fcntl", err)
	}
	p := &connectPoller{byFD: make(map[int32]*connectWait)}
	p.harvest, p.forget, p.result = p.harvestConnects, p.forgetConnect, tcpResult
	p.deliver, p.discard = s.finishProbe, s.discardProbe
	f := os.NewFile(uintptr(ep), "tcp-connects")
	if err := p.init(f); err != nil {
		f.Close()
		return nil, err
	}
	return p, nil
}

// start runs the probe of a TCP check, on the caller's goroutine as far as
// it does not block: the result of a connect that ends at once is applied
// here, one still in flight is left to run. The caller holds a probe slot,
// which the probe releases when it ends.
func (p *connectPoller) start(j job, c TCPChecker) {
	fd, sa, done, err := beginTCP(j.target.Dialer, j.target.ProbeAddr(), !c.GracefulClose, tryConnectFast)
	if done {
		p.deliver(j, tcpResult(err))
		return
	}
	w := &connectWait{flight: flight{job: j, deadline: time.Now().Add(j.timeout)}, fd: fd, sa: sa}
	p.mu.Lock()
	if p.stopping { // shut down meanwhile: the result would be discarded
		p.mu.Unlock()
		unix.Close(fd)
		p.discard(j)
		return
	}
	p.gen++
	w.gen = p.gen
	p.byFD[int32(fd)] = w
	// Level-triggered: a connecting socket turns writable once, when the
	// handshake ends either way, and is closed at that point.
	var ctlErr error
	err = p.rc.Control(func(ep uintptr) {
		ctlErr = unix.EpollCtl(int(ep), unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(fd), Pad: int32(w.gen)})
	})
	if err == nil && ctlErr != nil {
		err = os.NewSyscallError("epoll_ctl", ctlErr)
	}
	if err != nil {
		p.forgetConnect(w) // not in the heap yet
		p.mu.Unlock()
		p.deliver(j, tcpResult(err))
		return
	}
	p.add(w)
	p.mu.Unlock()
}

// forgetConnect takes w out of the index and closes its socket (which
// also takes it out of the epoll set). Called with p.mu held.
func (p *connectPoller) forgetConnect(w *connectWait) {
	delete(p.byFD, int32(w.fd))
	unix.Close(w.fd)
}

// harvestConnects collects the connects whose sockets the epoll set
// reports ready.
func (p *connectPoller) harvestConnects(ep uintptr, ended []finished) ([]finished, bool) {
	var events [256]unix.EpollEvent
	n, err := unix.EpollWait(int(ep), events[:], 0)
	if err != nil || n == 0 {
		return ended, false // nothing yet: park until the runtime says it is readable
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range events[:n] {
		w := p.byFD[ev.Fd]
		if w == nil || w.gen != uint32(ev.Pad) {
			continue
		}
		if done, err := connectDone(w.fd, w.sa); done {
			p.drop(w)
			ended = append(ended, finished{w.job, err})
		}
	}
	return ended, true
}
