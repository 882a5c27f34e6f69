package healthcheck

import (
	"container/heap"
	"context"
	"os"
	"sync"
	"syscall"
	"time"
)

// probeWatch is what the two probers that run without a goroutine per
// probe share (TCP connects, tcpasync.go; half-open SYNs, halfopen.go):
// the probes in flight ordered by deadline, one file in the Go runtime's
// poller whose readiness or read deadline wakes a single watching
// goroutine, and that goroutine's loop. The owner keeps its own index of
// the probes (by descriptor, by packet key) under the same mutex.
type probeWatch[W inFlight] struct {
	file *os.File
	rc   syscall.RawConn

	// harvest collects, without blocking, the probes that ended and appends
	// them to ended; it reports whether it found anything to read (false
	// parks the goroutine until file is readable). It takes mu itself.
	harvest func(fd uintptr, ended []finished) ([]finished, bool)
	// forget drops a probe from the owner's index, with mu held.
	forget func(W)
	// deliver applies the result of a probe that ended; discard releases
	// one whose result is dropped (shutdown).
	deliver func(job, Result)
	discard func(job)
	// result turns a probe's outcome into its check result.
	result func(error) Result

	mu         sync.Mutex
	byDeadline deadlineHeap[W]
	armed      time.Time // read deadline of file: the earliest probe deadline
	stopping   bool
	done       chan struct{}
}

// flight is a probe in flight, embedded in each prober's own record.
type flight struct {
	job      job
	deadline time.Time
	index    int // in probeWatch.byDeadline; -1 when out
}

func (f *flight) inFlight() *flight { return f }

// inFlight is a prober's record of a probe in flight.
type inFlight interface {
	comparable
	inFlight() *flight
}

// finished is a probe that ended, waiting for its result to be applied.
type finished struct {
	job job
	err error
}

// init takes file (non-blocking, so os.NewFile registered it with the
// runtime poller) as the one to watch.
func (w *probeWatch[W]) init(file *os.File) error {
	rc, err := file.SyscallConn()
	if err != nil {
		return err
	}
	w.file, w.rc, w.done = file, rc, make(chan struct{})
	return nil
}

// add puts a probe in flight; with mu held. It wakes the watcher earlier
// if this deadline is the earliest.
func (w *probeWatch[W]) add(x W) {
	heap.Push(&w.byDeadline, x)
	if d := x.inFlight().deadline; w.armed.IsZero() || d.Before(w.armed) {
		w.arm(d)
	}
}

// drop takes a probe out of flight; with mu held.
func (w *probeWatch[W]) drop(x W) {
	if i := x.inFlight().index; i >= 0 {
		heap.Remove(&w.byDeadline, i)
	}
	w.forget(x)
}

// arm makes the watcher wake up at t (zero: only when file is readable);
// with mu held.
func (w *probeWatch[W]) arm(t time.Time) {
	w.armed = t
	_ = w.file.SetReadDeadline(t)
}

// run watches the probes until stop; results of probes cut short by the
// end of ctx or by stop are discarded, as a worker's are.
func (w *probeWatch[W]) run(ctx context.Context) {
	defer close(w.done)
	var ended []finished
	harvest := func(fd uintptr) bool {
		var got bool
		ended, got = w.harvest(fd, ended)
		return got
	}
	for {
		// Returns after a harvest, at the armed deadline, or at stop.
		_ = w.rc.Read(harvest)
		harvested := time.Now()
		w.mu.Lock()
		for len(w.byDeadline) > 0 && !w.byDeadline[0].inFlight().deadline.After(harvested) {
			x := w.byDeadline[0]
			w.drop(x)
			ended = append(ended, finished{x.inFlight().job, context.DeadlineExceeded})
		}
		stopping := w.stopping
		if stopping {
			for len(w.byDeadline) > 0 {
				x := w.byDeadline[0]
				w.drop(x)
				ended = append(ended, finished{x.inFlight().job, context.Canceled})
			}
		} else if next := w.nextDeadline(); !next.Equal(w.armed) {
			w.arm(next)
		}
		w.mu.Unlock()

		for i, f := range ended {
			if ctx.Err() == nil && !stopping {
				w.deliver(f.job, w.result(f.err))
			} else {
				w.discard(f.job)
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

// nextDeadline is the earliest deadline in flight, zero when none; with
// mu held.
func (w *probeWatch[W]) nextDeadline() time.Time {
	if len(w.byDeadline) == 0 {
		return time.Time{}
	}
	return w.byDeadline[0].inFlight().deadline
}

// stop ends run, discarding the probes still in flight, and closes file.
func (w *probeWatch[W]) stop() {
	w.mu.Lock()
	w.stopping = true
	w.arm(time.Unix(1, 0)) // in the past: Read returns at once
	w.mu.Unlock()
	<-w.done
	w.file.Close()
}

// deadlineHeap orders probes in flight by deadline.
type deadlineHeap[W inFlight] []W

func (h deadlineHeap[W]) Len() int { return len(h) }
func (h deadlineHeap[W]) Less(i, j int) bool {
	return h[i].inFlight().deadline.Before(h[j].inFlight().deadline)
}
func (h deadlineHeap[W]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].inFlight().index, h[j].inFlight().index = i, j
}

func (h *deadlineHeap[W]) Push(x any) {
	w := x.(W)
	w.inFlight().index = len(*h)
	*h = append(*h, w)
}

func (h *deadlineHeap[W]) Pop() any {
	old := *h
	w := old[len(old)-1]
	var zero W
	old[len(old)-1] = zero
	*h = old[:len(old)-1]
	w.inFlight().index = -1
	return w
}
