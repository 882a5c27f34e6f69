package healthcheck

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxConcurrent bounds the probes in flight when
// Options.MaxConcurrent is zero.
const DefaultMaxConcurrent = 1024

// Options configure a Scheduler. Every field is optional.
type Options struct {
	// Defaults is the settings level above the virtual servers (the
	// configuration's global block).
	Defaults Settings
	// OnTransition receives real server transitions, in order, from one
	// goroutine. It may call Update.
	OnTransition func(Transition)
	// OnQuorum receives quorum changes, in order with the transitions.
	OnQuorum func(QuorumEvent)
	// OnResult receives every probe result. It is called concurrently from
	// the goroutines that end probes (workers, the TCP connect poller, the
	// scheduling loop itself) and must be fast: a slow OnResult delays the
	// start of due checks. The scheduler state already includes the result
	// when it runs.
	OnResult func(CheckResult)
	// Logger logs transitions (Info), quorum changes (Warn/Info) and check
	// failures (Debug). Nil discards.
	Logger *slog.Logger
	// Clock drives scheduling; nil is the system clock.
	Clock Clock
	// MaxConcurrent bounds the probes in flight; default
	// DefaultMaxConcurrent. When reached, due checks wait for a free slot.
	MaxConcurrent int
	// Jitter returns a random duration in [0, max) for warm-up delays; nil
	// uses math/rand/v2.
	Jitter func(max time.Duration) time.Duration
	// NotifyTimeout bounds a Notify or QuorumNotify program; default 30s.
	NotifyTimeout time.Duration
}

// Scheduler runs the checks of a set of virtual servers and turns their
// results into transitions. Create it with New, give it servers with Update
// (before or while it runs) and run it with Run.
type Scheduler struct {
	opts   Options
	clock  Clock
	log    *slog.Logger
	jitter func(time.Duration) time.Duration

	// Probe workers: jobs hands a job to an idle worker; workers counts
	// them (at most maxWorkers); workerExited wakes a launch waiting for a
	// free worker when one exits.
	jobs         chan job
	workers      atomic.Int64
	maxWorkers   int64
	workerExited chan struct{}
	// slots bounds the probes in flight (MaxConcurrent): the loop takes
	// one before it starts a probe, the probe gives it back when it ends.
	slots chan struct{}
	// tcp runs the TCP checks without workers; nil when its epoll set
	// could not be made (they then run on workers like the others).
	tcp *connectPoller
	// halfOpen runs the half-open TCP checks, made at the first one; used
	// by the scheduling loop only.
	halfOpen      *halfOpenProber
	halfOpenErr   error
	halfOpenRetry time.Time

	mu      sync.Mutex
	vss     map[string]*vsState
	vsOrder []string
	checks  map[string]*checkEntry
	queue   dueQueue
	pace    pacer

	wake    chan struct{}
	events  eventQueue
	started atomic.Bool
	hooks   sync.WaitGroup
}

type vsState struct {
	cfg      VirtualServer // RealServers not kept here
	quorumUp bool
	rss      []*rsState
}

type rsState struct {
	vs     *vsState
	cfg    RealServer // Checks not kept here
	checks []*checkEntry
	view   rsView
}

// checkEntry is one check of one real server: its configuration, rise/fall
// state and place in the due queue. Guarded by Scheduler.mu.
type checkEntry struct {
	name      string
	rs        *rsState
	checker   Checker
	settings  Settings
	target    Target
	state     counter
	weight    int
	weightSet bool
	due       time.Time
	heapIndex int
	running   bool
	removed   bool
}

// job is what a probe goroutine needs, copied under the lock so the probe
// never reads scheduler state.
type job struct {
	entry   *checkEntry
	checker Checker
	target  Target
	timeout time.Duration
	name    string
	due     time.Time
	started time.Time
}

// New returns a scheduler with no servers.
func New(opts Options) *Scheduler {
	s := &Scheduler{
		opts:   opts,
		clock:  opts.Clock,
		log:    opts.Logger,
		jitter: opts.Jitter,
		vss:    make(map[string]*vsState),
		checks: make(map[string]*checkEntry),
		wake:   make(chan struct{}, 1),
	}
	if s.clock == nil {
		s.clock = SystemClock()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.jitter == nil {
		s.jitter = func(max time.Duration) time.Duration { return rand.N(max) }
	}
	n := opts.MaxConcurrent
	if n <= 0 {
		n = DefaultMaxConcurrent
	}
	s.maxWorkers = int64(n)
	s.jobs = make(chan job)
	s.workerExited = make(chan struct{}, 1)
	s.slots = make(chan struct{}, n)
	if s.opts.NotifyTimeout <= 0 {
		s.opts.NotifyTimeout = 30 * time.Second
	}
	s.events.init()
	return s
}

// Run schedules checks and delivers events until ctx is cancelled, then
// waits for the probes in flight (whose results are discarded: a probe cut
// short by shutdown says nothing about the server) and for notify programs.
// It may be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("healthcheck: Scheduler.Run called twice")
	}
	stopDelivery := make(chan struct{})
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		s.deliver(ctx, stopDelivery)
	}()
	if p, err := newConnectPoller(s); err != nil {
		s.log.Warn("TCP checks run on probe workers", "error", err)
	} else {
		s.tcp = p
		go p.run(ctx)
	}
	var probes sync.WaitGroup
	s.loop(ctx, &probes)
	if s.tcp != nil {
		s.tcp.stop()
	}
	if s.halfOpen != nil {
		s.halfOpen.close()
	}
	probes.Wait()
	close(stopDelivery)
	<-delivered
	s.hooks.Wait()
	return nil
}

// coalesce lets one wake-up start every check due within this much of
// now: with 10,000 checks a second it saves most timer wake-ups, and a start
// up to 1 ms early is invisible next to the interval (the phase is kept:
// the next start is computed from the due time, not the start).
const coalesce = time.Millisecond

// loop starts due checks; it sleeps on one timer armed for the earliest.
func (s *Scheduler) loop(ctx context.Context, probes *sync.WaitGroup) {
	timer := s.clock.NewTimer()
	defer timer.Stop()
	var due []*checkEntry
	var jobs []job
	for {
		now := s.clock.Now()
		s.mu.Lock()
		due = s.queue.popDue(now.Add(coalesce), &s.pace, now, due[:0])
		jobs = jobs[:0]
		for _, e := range due {
			e.running = true
			jobs = append(jobs, job{entry: e, checker: e.checker, target: e.target,
				timeout: e.settings.Timeout, name: e.name, due: e.due, started: now})
		}
		next, pending := s.queue.next()
		if pending && !next.After(now.Add(coalesce)) { // due but paced
			next = s.pace.nextStart(now)
		}
		s.mu.Unlock()
		clear(due)

		for _, j := range jobs {
			if len(s.slots) == cap(s.slots) {
				s.flushHalfOpen() // the SYNs built so far hold slots too
			}
			if !s.takeSlot(ctx) {
				return
			}
			if c, ok := tcpChecker(j.checker); ok {
				if c.HalfOpen {
					s.startHalfOpen(ctx, j)
					continue
				}
				if s.tcp != nil {
					s.tcp.start(j, c)
					continue
				}
			}
			if !s.launch(ctx, j, probes) {
				s.releaseSlot()
				return
			}
		}
		s.flushHalfOpen()
		if len(jobs) > 0 {
			continue // time has moved while starting them; look again
		}
		if pending {
			timer.Reset(next)
		}
		select {
		case <-timer.C():
		case <-s.wake:
		case <-ctx.Done():
			return
		}
	}
}

// halfOpenRetryAfter is how long the loop waits before trying again to
// make the half-open prober after it failed (no CAP_NET_RAW, no free
// ports); meanwhile half-open checks fail with that error.
const halfOpenRetryAfter = 10 * time.Second

// startHalfOpen starts the probe of a half-open check, making the prober
// at the first one.
func (s *Scheduler) startHalfOpen(ctx context.Context, j job) {
	if s.halfOpen == nil {
		if s.halfOpenErr != nil && time.Now().Before(s.halfOpenRetry) {
			s.finishProbe(j, halfOpenResult(s.halfOpenErr))
			return
		}
		p, err := newHalfOpenProber(s.finishProbe, s.discardProbe)
		if err != nil {
			if s.halfOpenErr == nil || s.halfOpenErr.Error() != err.Error() {
				s.log.Error("half-open TCP checks cannot run", "error", err)
			}
			s.halfOpenErr, s.halfOpenRetry = err, time.Now().Add(halfOpenRetryAfter)
			s.finishProbe(j, halfOpenResult(err))
			return
		}
		s.halfOpen, s.halfOpenErr = p, nil
		go p.run(ctx)
	}
	s.halfOpen.start(j)
}

// flushHalfOpen sends the SYNs the loop has built.
func (s *Scheduler) flushHalfOpen() {
	if s.halfOpen != nil {
		s.halfOpen.flush()
	}
}

// notifyLoop wakes the loop after the earliest due time changed.
func (s *Scheduler) notifyLoop() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// apply counts a result, reschedules the check and emits what changed.
func (s *Scheduler) apply(j job, res Result) {
	e := j.entry
	s.mu.Lock()
	e.running = false
	if e.removed {
		s.mu.Unlock()
		return
	}
	now := s.clock.Now()
	before := checkView{Healthy: e.state.Healthy, Weight: e.weight, WeightSet: e.weightSet}
	e.state, _ = e.state.observe(res.Healthy, e.settings.Rise, e.settings.Fall)
	if res.Healthy {
		e.weight, e.weightSet = res.Weight, res.WeightSet
	}
	delay := e.settings.Interval
	if e.state.unsettled() {
		delay = e.settings.RetryDelay
	}
	e.due = nextDue(e.due, delay, now)
	s.queue.push(e)
	isHead := s.queue.head() == e
	// The real server's view only depends on its checks' views: most
	// results change nothing, and recomputing it 10,000 times a second
	// showed in profiles.
	if (checkView{Healthy: e.state.Healthy, Weight: e.weight, WeightSet: e.weightSet}) != before {
		s.refreshRealServer(e.rs, res.Reason, false)
	}
	checkHealthy := e.state.Healthy
	vsKey, rsKey := e.rs.vs.cfg.Key, e.rs.cfg.Key
	s.mu.Unlock()

	if isHead {
		s.notifyLoop()
	}
	if !res.Healthy && s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("check failed", "virtual_server", vsKey, "real_server", rsKey,
			"check", j.name, "reason", res.Reason, "healthy", checkHealthy)
	}
	if s.opts.OnResult != nil {
		s.opts.OnResult(CheckResult{VirtualServer: vsKey, RealServer: rsKey, Check: j.name,
			Result: res, Healthy: checkHealthy, Due: j.due, Started: j.started, Duration: now.Sub(j.started)})
	}
}

// nextDue keeps checks on their original phase: the next start is a whole
// number of delays after the previous one, the first such time after now.
// Keeping phases is what keeps warm-up spreading intact after a stall.
func nextDue(prev time.Time, delay time.Duration, now time.Time) time.Time {
	next := prev.Add(delay)
	if next.After(now) {
		return next
	}
	skipped := now.Sub(next)/delay + 1
	return next.Add(skipped * delay)
}

// refreshRealServer recomputes a real server's view and emits a transition
// (then a possible quorum change) when it differs from the last one.
// Called with s.mu held.
func (s *Scheduler) refreshRealServer(rs *rsState, reason string, initial bool) {
	view := rs.computeView()
	if !initial && view == rs.view {
		return
	}
	rs.view = view
	s.events.push(event{transition: &Transition{
		VirtualServer: rs.vs.cfg.Key, RealServer: rs.cfg.Key,
		Healthy: view.Healthy, Weight: view.Weight, Remove: view.Remove,
		Reason: reason, Initial: initial,
	}, notify: rs.cfg.Notify})
	if !initial {
		s.refreshQuorum(rs.vs, false)
	}
}

func (rs *rsState) computeView() rsView {
	var buf [4]checkView // most real servers have one check: no allocation
	views := buf[:0]
	for _, c := range rs.checks {
		views = append(views, checkView{Healthy: c.state.Healthy, Weight: c.weight, WeightSet: c.weightSet})
	}
	return realServerView(views, rs.cfg.Weight, rs.cfg.maxWeight(), rs.cfg.OnFailure)
}

// healthyWeight sums the weights of the healthy real servers.
func (vs *vsState) healthyWeight() int {
	sum := 0
	for _, rs := range vs.rss {
		if rs.view.Healthy {
			sum += rs.view.Weight
		}
	}
	return sum
}

// refreshQuorum emits a quorum event when the state changes (or always for
// a new virtual server). Called with s.mu held.
func (s *Scheduler) refreshQuorum(vs *vsState, initial bool) {
	sum := vs.healthyWeight()
	var up bool
	if initial {
		up = initialQuorum(sum, vs.cfg.Quorum, vs.cfg.Hysteresis)
	} else {
		up = nextQuorum(vs.quorumUp, sum, vs.cfg.Quorum, vs.cfg.Hysteresis)
		if up == vs.quorumUp {
			return
		}
	}
	vs.quorumUp = up
	s.events.push(event{quorum: &QuorumEvent{
		VirtualServer: vs.cfg.Key, QuorumUp: up, HealthyWeight: sum,
		Quorum: quorumThreshold(vs.cfg.Quorum), Initial: initial,
	}, notify: vs.cfg.QuorumNotify})
}

// Snapshot returns the current state of every real and virtual server, in
// configuration order.
func (s *Scheduler) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	var snap Snapshot
	for _, key := range s.vsOrder {
		vs := s.vss[key]
		for _, rs := range vs.rss {
			snap.RealServers = append(snap.RealServers, Transition{
				VirtualServer: vs.cfg.Key, RealServer: rs.cfg.Key,
				Healthy: rs.view.Healthy, Weight: rs.view.Weight, Remove: rs.view.Remove,
			})
		}
		snap.VirtualServers = append(snap.VirtualServers, QuorumEvent{
			VirtualServer: vs.cfg.Key, QuorumUp: vs.quorumUp,
			HealthyWeight: vs.healthyWeight(), Quorum: quorumThreshold(vs.cfg.Quorum),
		})
	}
	return snap
}
