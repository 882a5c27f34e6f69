package drill

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/internal/fault"
)

// The actions of a drill on hosts: daemons, links and faults.

func (p *hostsPair) start(r *runner, name string) error {
	d := p.dir(name)
	restart := p.started[name]
	_, err := d.run(r.ctx, daemonTimeout, "echo "+markLine+"\n"+d.Start, func(t time.Time) {
		if restart {
			r.rec.mark(name+": "+string(p.impl)+" starts", t)
		}
		r.rec.daemon(name, true, t)
	})
	if err != nil {
		r.rec.daemon(name, false, time.Now())
		return fmt.Errorf("starting the daemon: %w", err)
	}
	p.started[name] = true
	return nil
}

// signal runs the kill command (SIGKILL) or the stop command (SIGTERM).
// The kill is marked when the command is done: the signal is the last
// thing it does. The stop is marked when it begins: a stop command may
// wait for the daemon to hand over and exit, and the daemon counts as
// alive until it returns.
func (p *hostsPair) signal(r *runner, name string, sig syscall.Signal) error {
	d := p.dir(name)
	if sig == syscall.SIGKILL {
		line := p.kill(d) + "\nrc=$?\necho " + markLine + "\nexit $rc"
		_, err := d.run(r.ctx, probeTimeout, line, func(t time.Time) {
			r.rec.mark("kill "+name, t)
			r.rec.daemon(name, false, t)
		})
		return err
	}
	_, err := d.run(r.ctx, daemonTimeout, "echo "+markLine+"\n"+d.Stop, func(t time.Time) { r.rec.mark("stop "+name, t) })
	r.rec.daemon(name, false, time.Now())
	return err
}

func (p *hostsPair) waitExit(r *runner, name string) error {
	return p.waitStopped(r.ctx, p.dir(name), r.maxWait())
}

// crash kills the daemon, then takes the link down, with a guard that
// brings the link back should the drill lose the director.
func (p *hostsPair) crash(r *runner, name string) error {
	d := p.dir(name)
	line := guardLine(d.Interface, guardDuration(r)) + p.kill(d) + "\necho " + markLine + "\n" +
		shellWords("ip", "link", "set", "dev", d.Interface, "down")
	out, err := d.run(r.ctx, probeTimeout, line, func(t time.Time) {
		r.rec.mark(fmt.Sprintf("%s dies (kill, %s down)", name, d.Interface), t)
		r.rec.daemon(name, false, t)
	})
	p.takeGuard(name, out)
	return err
}

func (p *hostsPair) setLink(r *runner, name string, up bool) error {
	d := p.dir(name)
	if !up {
		// Marked when ip monitor reports the link down, like the
		// takeover it is compared with: the latency of the stream is in
		// both and cancels, where a mark printed by the command would be
		// off by the time ip takes to start or to exit.
		sent := time.Now()
		line := guardLine(d.Interface, guardDuration(r)) + shellWords("ip", "link", "set", "dev", d.Interface, "down")
		out, err := d.run(r.ctx, probeTimeout, line, nil)
		p.takeGuard(name, out)
		if err != nil {
			return err
		}
		var at time.Time
		if err := r.waitFor(name+"'s link down in ip monitor", r.maxWait(), func() bool {
			var ok bool
			at, ok = r.rec.linkDownSince(name, sent)
			return ok
		}); err != nil {
			return err
		}
		r.rec.mark(name+": "+d.Interface+" down", at)
		return nil
	}
	p.mu.Lock()
	guard := p.guards[name]
	p.mu.Unlock()
	// Up, and marked, only if it is down.
	line := stopGuard(guard) + "if ! " + shellWords("ip", "-o", "link", "show", "dev", d.Interface) + " | grep -q '[<,]UP[,>]'; then echo " + markLine + "; " +
		shellWords("ip", "link", "set", "dev", d.Interface, "up") + "; fi"
	if _, err := d.run(r.ctx, probeTimeout, line, func(t time.Time) { r.rec.mark(name+": "+d.Interface+" up", t) }); err != nil {
		return err
	}
	p.mu.Lock()
	delete(p.guards, name)
	delete(p.downed, name)
	p.mu.Unlock()
	return nil
}

// faultArgs is the `vigil fault` command line for a director.
func faultArgs(d *HostDirector, rest ...string) []string {
	args := []string{d.Vigil, "fault"}
	if d.Netns != "" {
		// Its own record: directors in namespaces of one machine share
		// /run/vigil/fault.
		args = append(args, "-netns", d.Netns)
	}
	return append(append(args, "-interface", d.Interface), rest...)
}

// faultStarted is the line `vigil fault` prints once the fault is in place.
const faultStarted = "Ctrl-C removes it now"

// applyFault runs `vigil fault` on the director in the foreground, as a
// stream, for a duration past the run's end: the fault removes itself
// even if the drill dies. clearFaults ends it earlier.
func (p *hostsPair) applyFault(r *runner, name string, s fault.Spec) error {
	d := p.dir(name)
	rest := []string{"-for", r.faultDuration().String(), string(s.Kind)}
	switch s.Kind {
	case fault.KindDropVRRP:
	case fault.KindPartition:
		rest = append(rest, s.Peer.String())
	case fault.KindFlap:
		rest = append(rest, s.Period.String())
	default:
		return fmt.Errorf("fault %s: not supported on hosts", s.Kind)
	}
	installed := make(chan time.Time, 1)
	st, err := d.startStream("exec "+shellWords(faultArgs(d, rest...)...), func(line string, t time.Time) {
		if strings.Contains(line, faultStarted) {
			select {
			case installed <- t:
			default:
			}
		}
	})
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.faults[name] = st
	if s.Kind == fault.KindFlap {
		p.downed[name] = true
	}
	p.mu.Unlock()
	select {
	case t := <-installed:
		r.rec.mark(fmt.Sprintf("%s on %s", faultLabel(s), name), t)
		return nil
	case <-st.done:
		return fmt.Errorf("vigil fault on %s: %w", name, st.exitError())
	case <-time.After(r.maxWait()):
		return fmt.Errorf("vigil fault on %s: not in place after %s", name, r.maxWait())
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// clearFaults clears the faults of the run with `vigil fault clear` on
// each director that has one, then ends the `vigil fault` commands. A
// director whose clear failed keeps its entry: the next clean-up tries
// again.
func (p *hostsPair) clearFaults(*runner) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	p.mu.Lock()
	names := make([]string, 0, len(p.faults))
	for name := range p.faults {
		names = append(names, name)
	}
	p.mu.Unlock()
	var errs error
	for _, name := range names {
		d := p.dir(name)
		_, err := d.run(ctx, probeTimeout, shellWords(faultArgs(d, "clear")...), nil)
		p.mu.Lock()
		st := p.faults[name]
		p.faults[name] = nil
		if err == nil {
			delete(p.faults, name)
		}
		p.mu.Unlock()
		if st != nil {
			st.terminate(2 * time.Second)
		}
		errs = errors.Join(errs, err)
	}
	return errs
}
