package drill

import (
	"context"
	"net/netip"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/internal/fault"
	"github.com/vigil-ha/vigil/internal/lab"
)

// pair is the director pair a drill works on: the lab's namespaces
// (labPair) or hosts a file describes (hostsPair). The runner decides
// what happens when and waits for the effects; a pair does the acting and
// the watching. Directors are named as the record names them; methods
// that act record a mark (r.mark or r.rec.mark) at the moment the fault
// takes effect, as well as that moment can be known.
type pair interface {
	// directors names the master at start (the higher priority) and the backup.
	directors() [2]string
	// macs maps each director to its MAC address ("" if unknown).
	macs() map[string]string
	// addr is a director's own address on the VRRP interface.
	addr(director string) netip.Addr
	// check refuses a scenario the pair cannot run, before anything starts.
	check(sc *Scenario) error
	// reset stops both daemons and removes what a run left: faults, links
	// down, a VIP on a killed director.
	reset(r *runner) error
	// observe starts watching the VIP, the links and the daemons' VRRP
	// states (and what else sc measures) into r.rec.
	observe(ctx context.Context, r *runner) (stopper, error)
	// traffic starts the client's probes of the VIP into r.rec.
	traffic(ctx context.Context, r *runner) (stopper, error)
	// start starts a director's daemon.
	start(r *runner, director string) error
	// signal stops a director's daemon: SIGKILL is a crash, SIGTERM a
	// graceful stop.
	signal(r *runner, director string, sig syscall.Signal) error
	// waitExit waits until a stopped daemon has exited.
	waitExit(r *runner, director string) error
	// crash kills the daemon and takes the link down, as a power loss.
	crash(r *runner, director string) error
	// setLink sets a director's VRRP interface up or down.
	setLink(r *runner, director string, up bool) error
	// applyFault installs s (Kind and its arguments; the pair fills in the
	// target and a duration that outlasts the run) on a director.
	applyFault(r *runner, director string, s fault.Spec) error
	// clearFaults removes the faults of the run.
	clearFaults(r *runner) error
	// logTail is the end of a director's daemon log, for messages.
	logTail(director string) string
	// close ends the drill's use of the pair; a pair of hosts is left
	// with both daemons running.
	close(ctx context.Context) error
}

// stopper is something started for one run.
type stopper interface{ stop() }

// name is the director playing a scenario's role (lab.D1, the master at
// start, or lab.D2).
func (r *runner) name(role string) string {
	if role == "" {
		return ""
	}
	if role == lab.D2 {
		return r.dirs[1]
	}
	return r.dirs[0]
}

// The scenarios' actions, by role.

func (r *runner) startDaemon(role string) error { return r.p.start(r, r.name(role)) }

func (r *runner) kill(role string, sig syscall.Signal) error {
	return r.p.signal(r, r.name(role), sig)
}

func (r *runner) waitExit(role string) error { return r.p.waitExit(r, r.name(role)) }

func (r *runner) crash(role string) error { return r.p.crash(r, r.name(role)) }

func (r *runner) setLink(role string, up bool) error { return r.p.setLink(r, r.name(role), up) }

func (r *runner) applyFault(role string, s fault.Spec) error {
	return r.p.applyFault(r, r.name(role), s)
}

func (r *runner) clearFaults() error { return r.p.clearFaults(r) }

// peer is the address of the director playing role.
func (r *runner) peer(role string) netip.Addr { return r.p.addr(r.name(role)) }

// faultDuration outlasts the run's heal; the heal or the clean-up removes
// the fault earlier.
func (r *runner) faultDuration() time.Duration { return r.healAfter() + time.Minute }
