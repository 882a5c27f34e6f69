package healthcheck

import (
	"container/heap"
	"context"
	"os"
	"sync"
	"syscall"
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
	fd       int
	sa       unix.Sockaddr
	job      job
	deadline time.Time
	gen      uint32 // tells a reused descriptor number from this one
	index    int    // in connectPoller.byDeadline
}

// connectPoller owns the connects in flight of every TCP check.
type connectPoller struct {
	s  *Scheduler
	ep *os.File // the epoll set of the connecting sockets, in the runtime poller
	rc syscall.RawConn

	mu         sync.Mutex
	byFD       map[int32]*connectWait
	byDeadline deadlineHeap
	gen        uint32
	armed      time.Time // read deadline of ep: the earliest connect deadline
	stopping   bool

	done chan struct{}
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
	p := &connectPoller{s: s, ep: os.NewFile(uintptr(ep), "tcp-connects"),
		byFD: make(map[int32]*connectWait), done: make(chan struct{})}
	if p.rc, err = p.ep.SyscallConn(); err != nil {
		p.ep.Close()
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
		p.s.finishProbe(j, tcpResult(err))
		return
	}
	w := &connectWait{fd: fd, sa: sa, job: j, deadline: time.Now().Add(j.timeout)}
	p.mu.Lock()
	if p.stopping { // shut down meanwhile: the result would be discarded
		p.mu.Unlock()
		unix.Close(fd)
		p.s.releaseSlot()
		return
	}
	p.gen++
	w.gen = p.gen
	p.byFD[int32(fd)] = w
	heap.Push(&p.byDeadline, w)
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
		p.forget(w)
		p.mu.Unlock()
		p.s.finishProbe(j, tcpResult(err))
		return
	}
	if p.armed.IsZero() || w.deadline.Before(p.armed) {
		p.armDeadline(w.deadline)
	}
	p.mu.Unlock()
}

// armDeadline makes the poller wake up at t (zero: only for events).
// Called with p.mu held.
func (p *connectPoller) armDeadline(t time.Time) {
	p.armed = t
	_ = p.ep.SetReadDeadline(t)
}

// forget takes w out of the tables and closes its socket (which also takes
// it out of the epoll set). Called with p.mu held.
func (p *connectPoller) forget(w *connectWait) {
	delete(p.byFD, int32(w.fd))
	if w.index >= 0 {
		heap.Remove(&p.byDeadline, w.index)
	}
	unix.Close(w.fd)
}

// finished is a probe that ended, waiting for its result to be applied.
type finished struct {
	job job
	err error
}

// run watches the connects until stop; results of probes cut short by
// the end of ctx are discarded, as a worker's are.
func (p *connectPoller) run(ctx context.Context) {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	var ended []finished
	harvest := func(ep uintptr) bool {
		n, err := unix.EpollWait(int(ep), events, 0)
		if err != nil || n == 0 {
			return false // nothing yet: park until the runtime says it is readable
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, ev := range events[:n] {
			w := p.byFD[ev.Fd]
			if w == nil || w.gen != uint32(ev.Pad) {
				continue
			}
			if done, err := connectDone(w.fd, w.sa); done {
				p.forget(w)
				ended = append(ended, finished{w.job, err})
			}
		}
		return true
	}
	for {
		// Returns after a harvest, at the armed deadline, or at stop.
		_ = p.rc.Read(harvest)
		harvested := time.Now()
		p.mu.Lock()
		for len(p.byDeadline) > 0 && !p.byDeadline[0].deadline.After(harvested) {
			w := p.byDeadline[0]
			p.forget(w)
			ended = append(ended, finished{w.job, context.DeadlineExceeded})
		}
		stopping := p.stopping
		if stopping {
			for _, w := range p.byFD {
				p.forget(w)
				ended = append(ended, finished{w.job, context.Canceled})
			}
		} else if next := p.nextDeadline(); !next.Equal(p.armed) {
			p.armDeadline(next)
		}
		p.mu.Unlock()

		for i, f := range ended {
			if ctx.Err() == nil && !stopping {
				p.s.finishProbe(f.job, tcpResult(f.err))
			} else {
				p.s.releaseSlot()
			}
			ended[i] = finished{}
		}
		ended = ended[:0]
		if stopping {
			return
		}
		time.Sleep(harvestGap - time.Since(harvested))
	}
}

// nextDeadline is the earliest deadline in flight, zero when none.
// Called with p.mu held.
func (p *connectPoller) nextDeadline() time.Time {
	if len(p.byDeadline) == 0 {
		return time.Time{}
	}
	return p.byDeadline[0].deadline
}

// stop ends run, closing the connects still in flight, and releases the
// epoll set.
func (p *connectPoller) stop() {
	p.mu.Lock()
	p.stopping = true
	p.armDeadline(time.Unix(1, 0)) // in the past: Read returns at once
	p.mu.Unlock()
	<-p.done
	p.ep.Close()
}

// deadlineHeap orders the connects in flight by deadline.
type deadlineHeap []*connectWait

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *deadlineHeap) Push(x any) {
	w := x.(*connectWait)
	w.index = len(*h)
	*h = append(*h, w)
}

func (h *deadlineHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.index = -1
	return w
}
