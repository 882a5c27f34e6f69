package healthcheck

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
)

// event is a transition or a quorum change waiting for delivery, with the
// program to notify.
type event struct {
	transition *Transition
	quorum     *QuorumEvent
	notify     []string
}

// eventQueue is an unbounded FIFO: the scheduler never blocks on a slow
// consumer, and a consumer may call back into the scheduler.
type eventQueue struct {
	mu     sync.Mutex
	items  []event
	signal chan struct{}
}

func (q *eventQueue) init() { q.signal = make(chan struct{}, 1) }

func (q *eventQueue) push(e event) {
	q.mu.Lock()
	q.items = append(q.items, e)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *eventQueue) take() []event {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// deliver hands events to the callbacks until stop is closed, then flushes
// what is left.
func (s *Scheduler) deliver(ctx context.Context, stop <-chan struct{}) {
	for {
		select {
		case <-s.events.signal:
			for _, e := range s.events.take() {
				s.dispatch(ctx, e)
			}
		case <-stop:
			for _, e := range s.events.take() {
				s.dispatch(ctx, e)
			}
			return
		}
	}
}

func (s *Scheduler) dispatch(ctx context.Context, e event) {
	switch {
	case e.transition != nil:
		t := *e.transition
		state := "down"
		if t.Healthy {
			state = "up"
		}
		s.log.Info("real server "+state, "virtual_server", t.VirtualServer, "real_server", t.RealServer,
			"weight", t.Weight, "remove", t.Remove, "reason", t.Reason, "initial", t.Initial)
		if s.opts.OnTransition != nil {
			s.opts.OnTransition(t)
		}
		s.runNotify(ctx, e.notify, transitionEnv(t))
	case e.quorum != nil:
		q := *e.quorum
		level, msg := slog.LevelInfo, "quorum gained"
		if !q.QuorumUp {
			level, msg = slog.LevelWarn, "quorum lost"
		}
		s.log.Log(ctx, level, msg, "virtual_server", q.VirtualServer,
			"healthy_weight", q.HealthyWeight, "quorum", q.Quorum, "initial", q.Initial)
		if s.opts.OnQuorum != nil {
			s.opts.OnQuorum(q)
		}
		s.runNotify(ctx, e.notify, quorumEnv(q))
	}
}

// transitionEnv is the environment of a RealServer.Notify program.
func transitionEnv(t Transition) []string {
	remove := "0"
	if t.Remove {
		remove = "1"
	}
	return sanitizeEnv([]string{
		"VIGIL_EVENT=transition",
		"VIGIL_VIRTUAL_SERVER=" + t.VirtualServer,
		"VIGIL_REAL_SERVER=" + t.RealServer,
		"VIGIL_STATE=" + upDown(t.Healthy),
		"VIGIL_WEIGHT=" + strconv.Itoa(t.Weight),
		"VIGIL_REMOVE=" + remove,
		"VIGIL_REASON=" + t.Reason,
	})
}

// quorumEnv is the environment of a VirtualServer.QuorumNotify program.
func quorumEnv(q QuorumEvent) []string {
	return sanitizeEnv([]string{
		"VIGIL_EVENT=quorum",
		"VIGIL_VIRTUAL_SERVER=" + q.VirtualServer,
		"VIGIL_STATE=" + upDown(q.QuorumUp),
		"VIGIL_HEALTHY_WEIGHT=" + strconv.Itoa(q.HealthyWeight),
		"VIGIL_QUORUM=" + strconv.Itoa(q.Quorum),
	})
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// runNotify starts argv in the background; it is killed (with its process
// group) after NotifyTimeout. Shutdown does not cut it short: the last
// transitions are often the most interesting ones.
func (s *Scheduler) runNotify(ctx context.Context, argv []string, env []string) {
	if len(argv) == 0 {
		return
	}
	s.hooks.Add(1)
	go func() {
		defer s.hooks.Done()
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.NotifyTimeout)
		defer cancel()
		cmd := exec.CommandContext(hctx, argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = scriptWaitDelay
		if err := cmd.Run(); err != nil {
			s.log.Warn("notify program failed", "program", argv[0], "error", err)
		}
	}()
}
