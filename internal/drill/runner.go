package drill

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/internal/fault"
	"github.com/vigil-ha/vigil/internal/lab"
)

// runner drives one run of a scenario.
type runner struct {
	ctx     context.Context
	timeout time.Duration // of the client's probes
	lab     *lab.Lab
	impl    lab.Impl
	iv      time.Duration
	sc      *Scenario
	rec     *recorder
	daemons map[string]*daemon
	faults  []*fault.Active
}

// daemon is a director daemon started by the runner.
type daemon struct {
	cmd  *exec.Cmd
	out  *os.File // read end of its output pipe
	done chan struct{}
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

// startDaemon starts a director's daemon with its output going through a
// pipe: the runner copies it to STATE/drill-DIRECTOR.log and records the
// VRRP states it reports.
func (r *runner) startDaemon(name string) error {
	argv, err := r.lab.DirectorArgv(name, r.impl)
	if err != nil {
		return err
	}
	cmd, err := r.lab.NetnsCommand(context.Background(), name, argv...)
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(r.lab.Path("drill-"+name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		logf.Close()
		return err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	fmt.Fprintf(logf, "=== %s run %d: %s\n", r.sc.Name, r.rec.rec.Run, strings.Join(argv, " "))
	if r.daemons[name] != nil {
		r.mark(name + ": " + string(r.impl) + " starts")
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		pr.Close()
		logf.Close()
		return fmt.Errorf("starting %s on %s: %w", r.impl, name, err)
	}
	pw.Close()
	r.rec.daemon(name, true, time.Now())
	d := &daemon{cmd: cmd, out: pr, done: make(chan struct{})}
	r.daemons[name] = d
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		defer logf.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			now := time.Now()
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if st := parseStateLine(line); st != "" {
				r.rec.state(name, st, now)
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		r.rec.daemon(name, false, time.Now())
		close(d.done)
	}()
	return nil
}

// kill signals a director's daemon. SIGKILL goes to every process in the
// director's namespace at once (keepalived's VRRP child included), which
// is what a crash of the daemon does; other signals go to the daemon,
// which stops its children itself.
func (r *runner) kill(name string, sig syscall.Signal) error {
	d := r.daemons[name]
	if d == nil {
		return fmt.Errorf("no daemon runs on %s", name)
	}
	if sig == syscall.SIGKILL {
		// Find the processes first: the scan of /proc takes a few
		// milliseconds that must not count as failover time.
		ns := r.lab.MustHost(name).NS
		pids, err := lab.PIDsIn(ns)
		if err != nil {
			return err
		}
		// Dead from the moment of the decision: signal delivery is not
		// what is measured.
		// Recorded before the signals go out, so that the exit the
		// waiting goroutine records cannot come first.
		now := r.mark(fmt.Sprintf("%s %s", sigName(sig), name))
		r.rec.daemon(name, false, now)
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		_, err = lab.SignalAll(ns, syscall.SIGKILL) // anything forked meanwhile
		return err
	}
	r.mark(fmt.Sprintf("%s %s", sigName(sig), name))
	return d.cmd.Process.Signal(sig)
}

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

// waitExit waits until the daemon of a director has exited.
func (r *runner) waitExit(name string) error {
	d := r.daemons[name]
	if d == nil {
		return nil
	}
	select {
	case <-d.done:
		return nil
	case <-time.After(r.maxWait()):
		return fmt.Errorf("the daemon of %s did not exit within %s", name, r.maxWait())
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// waitSole waits until d alone holds the VIP.
func (r *runner) waitSole(d string) error {
	return r.waitFor(d+" alone holding the VIP", r.maxWait(), func() bool { return r.sole(d) })
}

// startPair starts d1, waits until it is master, starts d2 and checks that
// d2 stays backup for longer than its Master_Down_Interval.
func (r *runner) startPair() error {
	if err := r.startDaemon(lab.D1); err != nil {
		return err
	}
	if err := r.waitSole(lab.D1); err != nil {
		return fmt.Errorf("d1 did not become master: %w\n%s", err, r.lab.LogTail("drill-d1", 15))
	}
	if err := r.startDaemon(lab.D2); err != nil {
		return err
	}
	if err := r.hold("d1 master, d2 backup", r.holdFor(), func() bool { return r.sole(lab.D1) }); err != nil {
		return fmt.Errorf("the pair is not stable: %w\n%s", err, r.lab.LogTail("drill-d2", 15))
	}
	return nil
}

// reset brings the lab back to a known state: no daemon on the directors,
// no VIP, links up, no fault, both HTTP servers running.
func (r *runner) reset() error {
	var errs error
	errs = joinErr(errs, r.clearFaults())
	for _, d := range r.lab.Directors() {
		if _, err := lab.SignalAll(d.NS, syscall.SIGKILL); err != nil {
			errs = joinErr(errs, err)
		}
	}
	for name, d := range r.daemons {
		select {
		case <-d.done:
		case <-time.After(5 * time.Second):
			errs = joinErr(errs, fmt.Errorf("the daemon of %s did not exit", name))
		}
		d.out.Close()
	}
	r.daemons = map[string]*daemon{}
	r.lab.RemoveDaemonFiles()
	for _, d := range r.lab.Directors() {
		errs = joinErr(errs, linkUp(r.lab, d.Name))
		errs = joinErr(errs, r.lab.RemoveVIP(d.Name))
		errs = joinErr(errs, r.lab.FlushIPVS(d.Name))
	}
	for _, rs := range r.lab.RealServers() {
		if !r.lab.HTTPDRunning(rs.Name) {
			errs = joinErr(errs, r.lab.StartHTTPD(r.ctx, rs.Name))
		}
	}
	return errs
}

// linkUp sets a director's eth0 up without recording it.
func linkUp(l *lab.Lab, director string) error {
	h, err := l.Netlink(director)
	if err != nil {
		return err
	}
	defer h.Close()
	lk, err := h.LinkByName("eth0")
	if err != nil {
		return err
	}
	return h.LinkSetUp(lk)
}

// runOnce runs the scenario once and returns its record. An error means
// the run could not be set up (no stable pair, no client traffic); a fault
// whose effect never came (no takeover in time) is a record with a note.
func runOnce(ctx context.Context, l *lab.Lab, sc *Scenario, o Options, run int) (*Record, error) {
	impl, iv := o.Impl, o.Interval
	macs := map[string]string{}
	for _, d := range l.Directors() {
		macs[d.Name] = d.MAC
	}
	r := &runner{ctx: ctx, timeout: o.Timeout, lab: l, impl: impl, iv: iv, sc: sc, rec: newRecorder(macs, o.Timeout), daemons: map[string]*daemon{}}
	r.rec.rec.Run = run
	if err := r.reset(); err != nil {
		return nil, fmt.Errorf("resetting the lab: %w", err)
	}
	obs, err := startObservers(ctx, l, r.rec)
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
	defer func() { _ = r.reset() }()

	if err := r.startPair(); err != nil {
		return nil, err
	}
	if sc.WatchesWeights() {
		if err := obs.watchWeights(l, lab.D1, r.rec); err != nil {
			return nil, err
		}
	}
	if sc.setup != nil {
		if err := sc.setup(r); err != nil {
			return nil, fmt.Errorf("setting up %s: %w", sc.Name, err)
		}
	}
	started := time.Now()
	tr, err := startTraffic(ctx, l, r.rec, l.IPVS, r.timeout)
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
	rec.TakeoverBy, rec.FinalMaster = sc.TakeoverBy, sc.FinalMaster
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

// WatchesWeights reports whether the scenario measures real-server weights.
func (s *Scenario) WatchesWeights() bool { return s.NeedsIPVS }

// settled reports whether the failover is over: the expected director
// took over, the final master alone holds the VIP, the dead real server
// left the table, and the client has seen only successes for a while.
func (r *runner) settled(t0 time.Time) bool {
	sc := r.sc
	if sc.TakeoverBy != "" && !r.rec.takeoverSeen(sc.TakeoverBy, t0) {
		return false
	}
	if !r.sole(sc.FinalMaster) {
		return false
	}
	if sc.WatchesWeights() && !r.rec.weightSeen(lab.RS1, 0, t0) {
		return false
	}
	return r.rec.calmFor(r.calm(), t0)
}
