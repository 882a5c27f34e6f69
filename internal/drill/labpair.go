package drill

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/internal/fault"
	"github.com/vigil-ha/vigil/internal/lab"
)

// labPair is the pair of the lab: d1 and d2 in their namespaces, which the
// drill reaches directly (netlink, signals, packet sockets).
type labPair struct {
	lab     *lab.Lab
	impl    lab.Impl
	daemons map[string]*daemon
	faults  []*fault.Active
}

// daemon is a director daemon started by the drill.
type daemon struct {
	cmd  *exec.Cmd
	out  *os.File // read end of its output pipe
	done chan struct{}
}

func newLabPair(l *lab.Lab, impl lab.Impl) *labPair {
	return &labPair{lab: l, impl: impl, daemons: map[string]*daemon{}}
}

func (p *labPair) directors() [2]string { return [2]string{lab.D1, lab.D2} }

func (p *labPair) macs() map[string]string {
	macs := map[string]string{}
	for _, d := range p.lab.Directors() {
		macs[d.Name] = d.MAC
	}
	return macs
}

func (p *labPair) addr(director string) netip.Addr { return p.lab.MustHost(director).Addr }

func (p *labPair) check(sc *Scenario) error {
	if sc.NeedsIPVS && !p.lab.IPVS {
		return fmt.Errorf("scenario %s needs IPVS, which this kernel lacks (no ip_vs module): run it in the test VM (examples/demo/drill.sh does)", sc.Name)
	}
	return nil
}

func (p *labPair) observe(ctx context.Context, r *runner) (stopper, error) {
	obs, err := startObservers(ctx, p.lab, r.rec)
	if err != nil {
		return nil, err
	}
	return obs, nil
}

// watchWeights is labPair's part of realserver-dies: the drill reads the
// master's IPVS table in its namespace.
func (p *labPair) watchWeights(obs stopper, director string, rec *recorder) error {
	return obs.(*observers).watchWeights(p.lab, director, rec)
}

func (p *labPair) traffic(ctx context.Context, r *runner) (stopper, error) {
	tr, err := startTraffic(ctx, p.lab, r.rec, p.lab.IPVS, r.timeout)
	if err != nil {
		return nil, err
	}
	return tr, nil
}

func (p *labPair) logTail(director string) string { return p.lab.LogTail("drill-"+director, 15) }

// close leaves the lab as the last reset left it; Run removes a lab it built.
func (p *labPair) close(context.Context) error { return nil }

// start starts a director's daemon with its output going through a pipe:
// the drill copies it to STATE/drill-DIRECTOR.log and records the VRRP
// states it reports.
func (p *labPair) start(r *runner, name string) error {
	argv, err := p.lab.DirectorArgv(name, p.impl)
	if err != nil {
		return err
	}
	cmd, err := p.lab.NetnsCommand(context.Background(), name, argv...)
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(p.lab.Path("drill-"+name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
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
	if p.daemons[name] != nil {
		r.mark(name + ": " + string(p.impl) + " starts")
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		pr.Close()
		logf.Close()
		return fmt.Errorf("starting %s on %s: %w", p.impl, name, err)
	}
	pw.Close()
	r.rec.daemon(name, true, time.Now())
	d := &daemon{cmd: cmd, out: pr, done: make(chan struct{})}
	p.daemons[name] = d
	rec := r.rec
	go func() {
		defer logf.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			now := time.Now()
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if st := parseStateLine(line); st != "" {
				rec.state(name, st, now)
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		rec.daemon(name, false, time.Now())
		close(d.done)
	}()
	return nil
}

// signal signals a director's daemon. SIGKILL goes to every process in the
// director's namespace at once (keepalived's VRRP child included), which
// is what a crash of the daemon does; other signals go to the daemon,
// which stops its children itself.
func (p *labPair) signal(r *runner, name string, sig syscall.Signal) error {
	d := p.daemons[name]
	if d == nil {
		return fmt.Errorf("no daemon runs on %s", name)
	}
	if sig == syscall.SIGKILL {
		// Find the processes first: the scan of /proc takes a few
		// milliseconds that must not count as failover time.
		ns := p.lab.MustHost(name).NS
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

// waitExit waits until the daemon of a director has exited.
func (p *labPair) waitExit(r *runner, name string) error {
	d := p.daemons[name]
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

// reset brings the lab back to a known state: no daemon on the directors,
// no VIP, links up, no fault, both HTTP servers running.
func (p *labPair) reset(r *runner) error {
	var errs error
	errs = joinErr(errs, p.clearFaults(r))
	l := p.lab
	for _, d := range l.Directors() {
		if _, err := lab.SignalAll(d.NS, syscall.SIGKILL); err != nil {
			errs = joinErr(errs, err)
		}
	}
	for name, d := range p.daemons {
		select {
		case <-d.done:
		case <-time.After(5 * time.Second):
			errs = joinErr(errs, fmt.Errorf("the daemon of %s did not exit", name))
		}
		d.out.Close()
	}
	p.daemons = map[string]*daemon{}
	l.RemoveDaemonFiles()
	for _, d := range l.Directors() {
		errs = joinErr(errs, linkUp(l, d.Name))
		errs = joinErr(errs, l.RemoveVIP(d.Name))
		errs = joinErr(errs, l.FlushIPVS(d.Name))
	}
	for _, rs := range l.RealServers() {
		if !l.HTTPDRunning(rs.Name) {
			errs = joinErr(errs, l.StartHTTPD(r.ctx, rs.Name))
		}
	}
	return errs
}

// linkUp sets a director's eth0 up without recording it.
func linkUp(l *lab.Lab, director string) error {
	h, lk, err := l.LAN(director)
	if err != nil {
		return err
	}
	defer h.Close()
	return h.LinkSetUp(lk)
}

// applyFault installs a fault on a director's eth0 that lasts well past
// the run's heal; the heal or the clean-up removes it.
func (p *labPair) applyFault(r *runner, director string, s fault.Spec) error {
	s.Target = fault.Target{Netns: p.lab.MustHost(director).NS, Interface: "eth0"}
	s.Duration = r.faultDuration()
	a, err := fault.Apply(r.ctx, s)
	if err != nil {
		return err
	}
	// Marked once installed: the drop acts from the moment the filter is
	// attached, at the end of Apply.
	r.mark(fmt.Sprintf("%s on %s", faultLabel(s), s.Target.Netns))
	p.faults = append(p.faults, a)
	return nil
}

// clearFaults removes the faults of the run.
func (p *labPair) clearFaults(*runner) error {
	var err error
	for _, a := range p.faults {
		err = joinErr(err, a.Clear())
	}
	p.faults = nil
	return err
}

// crash kills a director's daemon and takes its link down in one go, as
// when the machine loses power: nothing answers for the VIP any more.
func (p *labPair) crash(r *runner, director string) error {
	ns := p.lab.MustHost(director).NS
	pids, err := lab.PIDsIn(ns)
	if err != nil {
		return err
	}
	h, lk, err := p.lab.LAN(director)
	if err != nil {
		return err
	}
	defer h.Close()
	// The daemon dies first: that stops the adverts, which is what the
	// backup reacts to. Taking a link down can take a while on a slow
	// (emulated) machine; the record has it when the kernel reports it.
	now := r.mark(director + " dies (SIGKILL, eth0 down)")
	r.rec.daemon(director, false, now)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return h.LinkSetDown(lk)
}

// setLink sets a director's eth0 up or down.
func (p *labPair) setLink(r *runner, director string, up bool) error {
	h, lk, err := p.lab.LAN(director)
	if err != nil {
		return err
	}
	defer h.Close()
	if up == (lk.Attrs().Flags&net.FlagUp != 0) {
		return nil
	}
	if up {
		r.mark(director + ": eth0 up")
		return h.LinkSetUp(lk)
	}
	r.mark(director + ": eth0 down")
	return h.LinkSetDown(lk)
}

// killHTTPD kills a real server's HTTP server (realserver-dies).
func (p *labPair) killHTTPD(r *runner, server string) error {
	pid := p.lab.HTTPDPID(server)
	if pid == 0 {
		return fmt.Errorf("%s's HTTP server is not running", server)
	}
	r.mark("SIGKILL " + server + "'s httpd")
	return syscall.Kill(pid, syscall.SIGKILL)
}
