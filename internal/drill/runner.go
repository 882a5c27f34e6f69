package drill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/internal/lab"
)

// runner drives one run of a scenario on a pair.
type runner struct {
	ctx     context.Context
	timeout time.Duration // of the client's probes
	p       pair
	dirs    [2]string // the directors: master at start, backup
	impl    lab.Impl
	iv      time.Duration
	sc      *Scenario
	rec     *recorder
}

func joinErr(a, b error) error { return errors.Join(a, b) }

// mark records something the drill does now and returns the time.
func (r *runner) mark(label string) time.Time {
	now := time.Now()
	r.rec.mark(label, now)
	return now
}

// Timing of a run, derived from the advert interval.
func (r *runner) healAfter() time.Duration  { return time.Second + 5*r.iv }
func (r *runner) flapPeriod() time.Duration { return max(200*time.Millisecond, 6*r.iv) }

// holdFor is how long the backup must stay backup before a run counts the
// pair as stable: longer than its Master_Down_Interval (about 3.6 adverts).
func (r *runner) holdFor() time.Duration { return 300*time.Millisecond + 4*r.iv }

// calm is how long the client must see only successes for a run to end.
func (r *runner) calm() time.Duration { return max(300*time.Millisecond, 5*r.iv) }

// preWindow is how much of the time before the injection a record keeps.
func (r *runner) preWindow() time.Duration {
	return min(max(200*time.Millisecond, 3*r.iv), 3*time.Second)
}

// maxWait bounds every wait of a run.
func (r *runner) maxWait() time.Duration { return 10*time.Second + 10*r.iv }

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// waitFor polls cond every 2 ms until it holds or timeout passes.
func (r *runner) waitFor(what string, timeout time.Duration, cond func() bool) error {
	end := time.Now().Add(timeout)
	for {
		if cond() {
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("timed out after %s waiting for %s (VIP holders: %v)", timeout, what, r.rec.holders())
		}
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// hold fails if cond stops holding within d.
func (r *runner) hold(what string, d time.Duration, cond func() bool) error {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if !cond() {
			return fmt.Errorf("%s stopped holding (VIP holders: %v)", what, r.rec.holders())
		}
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// sole reports whether only d holds the VIP.
func (r *runner) sole(d string) bool { return slices.Equal(r.rec.holders(), []string{d}) }

// waitSole waits until d alone holds the VIP.
func (r *runner) waitSole(d string) error {
	return r.waitFor(d+" alone holding the VIP", r.maxWait(), func() bool { return r.sole(d) })
}

// startPair starts d1, waits until it is master, starts d2 and checks that
// d2 stays backup for longer than its Master_Down_Interval.
func (r *runner) startPair() error {
	d1, d2 := r.dirs[0], r.dirs[1]
	if err := r.p.start(r, d1); err != nil {
		return err
	}
	if err := r.waitSole(d1); err != nil {
		return fmt.Errorf("%s did not become master: %w%s", d1, err, tail(r.p.logTail(d1)))
	}
	if err := r.p.start(r, d2); err != nil {
		return err
	}
	if err := r.hold(d1+" master, "+d2+" backup", r.holdFor(), func() bool { return r.sole(d1) }); err != nil {
		return fmt.Errorf("the pair is not stable: %w%s", err, tail(r.p.logTail(d2)))
	}
	return nil
}

// tail puts a log excerpt on lines of its own after a message.
func tail(s string) string {
	if s == "" {
		return ""
	}
	return "\n" + s
}

// runOnce runs the scenario once and returns its record. An error means
// the run could not be set up (no stable pair, no client traffic); a fault
// whose effect never came (no takeover in time) is a record with a note.
func runOnce(ctx context.Context, p pair, sc *Scenario, o Options, run int) (*Record, error) {
	impl, iv := o.Impl, o.Interval
	r := &runner{ctx: ctx, timeout: o.Timeout, p: p, dirs: p.directors(), impl: impl, iv: iv, sc: sc, rec: newRecorder(p.macs(), o.Timeout)}
	r.rec.rec.Run = run
	if err := p.reset(r); err != nil {
		return nil, fmt.Errorf("resetting the pair: %w", err)
	}
	obs, err := p.observe(ctx, r)
	if err != nil {
		return nil, err
	}
	stopped := false
	stopObs := func() {
		if !stopped {
			obs.stop()
			stopped = true
		}
	}
	defer stopObs()
	defer func() { _ = p.reset(r) }()

	if err := r.startPair(); err != nil {
		return nil, err
	}
	if sc.WatchesWeights() {
		// check let only a pair that reads IPVS tables get here.
		if err := p.(weightWatcher).watchWeights(obs, r.name(lab.D1), r.rec); err != nil {
			return nil, err
		}
	}
	if sc.setup != nil {
		if err := sc.setup(r); err != nil {
			return nil, fmt.Errorf("setting up %s: %w", sc.Name, err)
		}
	}
	started := time.Now()
	tr, err := p.traffic(ctx, r)
	if err != nil {
		return nil, err
	}
	trafficStopped := false
	stopTraffic := func() {
		if !trafficStopped {
			tr.stop()
			trafficStopped = true
		}
	}
	defer stopTraffic()
	if err := r.waitFor("the client to reach the VIP", r.maxWait(), func() bool { return r.rec.reachable(r.calm(), started) }); err != nil {
		return nil, fmt.Errorf("%w; the client's last errors:\n%s", err, r.rec.lastErrors(5))
	}

	// Time 0 is the moment the fault takes effect: the first mark the
	// injection makes, after any preparation it needs.
	injectStart := time.Now()
	if err := sc.inject(r); err != nil {
		return nil, fmt.Errorf("injecting %s: %w", sc.Name, err)
	}
	t0 := r.rec.firstMarkSince(injectStart)
	var healAt time.Time
	if sc.Heals {
		select {
		case <-time.After(time.Until(t0.Add(r.healAfter()))):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		healAt = time.Now()
		r.mark("heal")
		if err := sc.heal(r); err != nil {
			return nil, fmt.Errorf("healing %s: %w", sc.Name, err)
		}
	}
	note := ""
	if err := r.waitFor("the end of the failover", r.maxWait(), func() bool { return r.settled(t0) }); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		note = err.Error()
	}
	time.Sleep(150 * time.Millisecond) // a little of the aftermath
	end := time.Now()
	stopTraffic()
	stopObs()

	rec := r.rec.finish(t0, end, r.preWindow())
	rec.Scenario, rec.Impl, rec.Interval = sc.Name, string(impl), iv
	rec.TakeoverBy, rec.FinalMaster = r.name(sc.TakeoverBy), r.name(sc.FinalMaster)
	if sc.WatchesWeights() {
		rec.WatchServer = lab.RS1
	}
	if !healAt.IsZero() {
		h := At(healAt.Sub(t0))
		rec.HealAt = &h
	}
	rec.Note = note
	return rec, nil
}

// weightWatcher is a pair that can watch the real servers' weights in a
// director's IPVS table (the lab).
type weightWatcher interface {
	watchWeights(obs stopper, director string, rec *recorder) error
}

// WatchesWeights reports whether the scenario measures real-server weights.
func (s *Scenario) WatchesWeights() bool { return s.NeedsIPVS }

// settled reports whether the failover is over: the expected director
// took over, the final master alone holds the VIP, the dead real server
// left the table, and the client has seen only successes for a while.
func (r *runner) settled(t0 time.Time) bool {
	sc := r.sc
	if sc.TakeoverBy != "" && !r.rec.takeoverSeen(r.name(sc.TakeoverBy), t0) {
		return false
	}
	if !r.sole(r.name(sc.FinalMaster)) {
		return false
	}
	if sc.WatchesWeights() && !r.rec.weightSeen(lab.RS1, 0, t0) {
		return false
	}
	return r.rec.calmFor(r.calm(), t0)
}
