package healthcheck

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Probe workers run the checks that may block (all but TCP, see
// tcpasync.go), each on a goroutine of the pool.

// workerIdle is how long a probe worker waits for work before exiting.
// Workers are kept because a fresh goroutine per probe pays for growing its
// stack through the dialer every time.
const workerIdle = 30 * time.Second

// takeSlot waits for a probe slot; false when ctx ends first.
func (s *Scheduler) takeSlot(ctx context.Context) bool {
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	select {
	case s.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Scheduler) releaseSlot() { <-s.slots }

// finishProbe applies a result and gives the probe's slot back.
func (s *Scheduler) finishProbe(j job, res Result) {
	s.apply(j, res)
	s.releaseSlot()
}

// discardProbe gives back the slot of a probe whose result is dropped
// (cut short by shutdown).
func (s *Scheduler) discardProbe(job) { s.releaseSlot() }

// tcpChecker reports whether c is a TCP check the connect poller can run.
func tcpChecker(c Checker) (TCPChecker, bool) {
	switch c := c.(type) {
	case TCPChecker:
		return c, true
	case *TCPChecker:
		if c != nil {
			return *c, true
		}
	}
	return TCPChecker{}, false
}

// launch hands j to an idle worker, or starts a worker if fewer than
// MaxConcurrent exist, or waits for one to become free. It returns false
// when ctx ends first.
func (s *Scheduler) launch(ctx context.Context, j job, probes *sync.WaitGroup) bool {
	for {
		select {
		case s.jobs <- j:
			return true
		default:
		}
		if s.workers.Load() < s.maxWorkers {
			s.workers.Add(1)
			probes.Add(1)
			go s.worker(ctx, j, probes)
			return true
		}
		select {
		case s.jobs <- j:
			return true
		case <-s.workerExited: // count changed: try again
		case <-ctx.Done():
			return false
		}
	}
}

// worker runs probes until it has been idle for workerIdle.
func (s *Scheduler) worker(ctx context.Context, j job, probes *sync.WaitGroup) {
	defer probes.Done()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		s.probe(ctx, j)
		s.releaseSlot()
		idle.Reset(workerIdle)
		select {
		case j = <-s.jobs:
		case <-idle.C:
			s.workers.Add(-1)
			select {
			case s.workerExited <- struct{}{}:
			default:
			}
			return
		case <-ctx.Done():
			s.workers.Add(-1)
			return
		}
	}
}

// probe runs one check and applies its result.
func (s *Scheduler) probe(ctx context.Context, j job) {
	pctx, cancel := context.WithTimeout(ctx, j.timeout)
	res := runChecker(pctx, j.checker, j.target)
	cancel()
	if ctx.Err() != nil {
		return
	}
	s.apply(j, res)
}

// runChecker calls the checker and turns a panic into a failed result, so a
// faulty checker cannot take the director down.
func runChecker(ctx context.Context, c Checker, t Target) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			res = failed(truncate(fmt.Sprintf("checker panicked: %v", p), maxReasonLen))
		}
	}()
	return c.Check(ctx, t)
}
