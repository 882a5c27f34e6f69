package drill

import (
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/internal/fault"
	"github.com/vigil-ha/vigil/internal/lab"
)

// Scenario is one kind of failure the drill injects.
type Scenario struct {
	Name    string
	Summary string
	// NeedsIPVS marks scenarios about the load balancing itself.
	NeedsIPVS bool
	// TakeoverBy is the director expected to take the VIP ("" if the VIP
	// should not move); FinalMaster holds it alone at the end.
	TakeoverBy, FinalMaster string
	// Heals says the fault ends during the run (after healAfter).
	Heals bool
	// setup runs after the pair is stable, before the client traffic.
	setup func(r *runner) error
	// inject causes the failure; heal (when Heals) removes it.
	inject func(r *runner) error
	heal   func(r *runner) error
}

// Scenarios lists the drills, in the order of the help text.
var Scenarios = []*Scenario{
	{Name: "master-sigkill", Summary: "the master's daemon is killed (SIGKILL): a crash",
		TakeoverBy: lab.D2, FinalMaster: lab.D2,
		inject: func(r *runner) error { return r.kill(lab.D1, syscall.SIGKILL) }},
	{Name: "master-crash", Summary: "the master machine dies: daemon killed and link down at once (power loss)",
		TakeoverBy: lab.D2, FinalMaster: lab.D2,
		inject: func(r *runner) error { return r.crash(lab.D1) }},
	{Name: "graceful-stop", Summary: "the master's daemon is stopped (SIGTERM): it hands over first",
		TakeoverBy: lab.D2, FinalMaster: lab.D2,
		inject: func(r *runner) error { return r.kill(lab.D1, syscall.SIGTERM) }},
	{Name: "master-link-down", Summary: "the master's eth0 goes down",
		TakeoverBy: lab.D2, FinalMaster: lab.D2,
		inject: func(r *runner) error { return r.setLink(lab.D1, false) }},
	{Name: "advert-loss", Summary: "the master's VRRP packets are dropped (both ways): split brain, then heal",
		TakeoverBy: lab.D2, FinalMaster: lab.D1, Heals: true,
		inject: func(r *runner) error {
			return r.applyFault(fault.Spec{Target: r.target(lab.D1), Kind: fault.KindDropVRRP})
		},
		heal: func(r *runner) error { return r.clearFaults() }},
	{Name: "partition", Summary: "the directors cannot reach each other (clients reach both), then heal",
		TakeoverBy: lab.D2, FinalMaster: lab.D1, Heals: true,
		inject: func(r *runner) error {
			d1, d2 := r.lab.MustHost(lab.D1), r.lab.MustHost(lab.D2)
			if err := r.applyFault(fault.Spec{Target: r.target(lab.D1), Kind: fault.KindPartition, Peer: d2.Addr}); err != nil {
				return err
			}
			return r.applyFault(fault.Spec{Target: r.target(lab.D2), Kind: fault.KindPartition, Peer: d1.Addr})
		},
		heal: func(r *runner) error { return r.clearFaults() }},
	{Name: "flap", Summary: "the master's link goes down and up repeatedly, then stays up",
		TakeoverBy: lab.D2, FinalMaster: lab.D1, Heals: true,
		inject: func(r *runner) error {
			return r.applyFault(fault.Spec{Target: r.target(lab.D1), Kind: fault.KindFlap, Period: r.flapPeriod()})
		},
		heal: func(r *runner) error {
			err := r.clearFaults()
			return joinErr(err, r.setLink(lab.D1, true))
		}},
	{Name: "preempt-back", Summary: "the old master returns (its daemon starts) and takes the VIP back",
		TakeoverBy: lab.D1, FinalMaster: lab.D1,
		setup: func(r *runner) error {
			if err := r.kill(lab.D1, syscall.SIGTERM); err != nil {
				return err
			}
			// keepalived lets go of the VIP a while before it exits, and
			// refuses to start while its old process runs.
			if err := r.waitExit(lab.D1); err != nil {
				return err
			}
			return r.waitSole(lab.D2)
		},
		inject: func(r *runner) error { return r.startDaemon(lab.D1) }},
	{Name: "realserver-dies", Summary: "rs1's HTTP server is killed under traffic: the checks set its weight to 0",
		NeedsIPVS: true, FinalMaster: lab.D1,
		inject: func(r *runner) error {
			pid := r.lab.HTTPDPID(lab.RS1)
			if pid == 0 {
				return fmt.Errorf("rs1's HTTP server is not running")
			}
			r.mark("SIGKILL rs1's httpd")
			return syscall.Kill(pid, syscall.SIGKILL)
		}},
}

// LookupScenario finds a scenario by name.
func LookupScenario(name string) (*Scenario, error) {
	for _, s := range Scenarios {
		if s.Name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown scenario %q (one of: %s)", name, strings.Join(ScenarioNames(), ", "))
}

// ScenarioNames lists the scenario names.
func ScenarioNames() []string {
	var out []string
	for _, s := range Scenarios {
		out = append(out, s.Name)
	}
	return out
}

// target is a director's eth0 for the fault package.
func (r *runner) target(director string) fault.Target {
	return fault.Target{Netns: r.lab.MustHost(director).NS, Interface: "eth0"}
}

// applyFault installs a fault that lasts well past the run's heal; the
// heal or the clean-up removes it.
func (r *runner) applyFault(s fault.Spec) error {
	s.Duration = r.healAfter() + time.Minute
	a, err := fault.Apply(r.ctx, s)
	if err != nil {
		return err
	}
	// Marked once installed: the drop acts from the moment the filter is
	// attached, at the end of Apply.
	r.mark(fmt.Sprintf("%s on %s", faultLabel(s), s.Target.Netns))
	r.faults = append(r.faults, a)
	return nil
}

func faultLabel(s fault.Spec) string {
	switch s.Kind {
	case fault.KindPartition:
		return "partition from " + s.Peer.String()
	case fault.KindFlap:
		return "flap every " + s.Period.String()
	}
	return string(s.Kind)
}

// clearFaults removes the faults of the run.
func (r *runner) clearFaults() error {
	var err error
	for _, a := range r.faults {
		err = joinErr(err, a.Clear())
	}
	r.faults = nil
	return err
}

// crash kills a director's daemon and takes its link down in one go, as
// when the machine loses power: nothing answers for the VIP any more.
func (r *runner) crash(director string) error {
	ns := r.lab.MustHost(director).NS
	pids, err := lab.PIDsIn(ns)
	if err != nil {
		return err
	}
	h, err := r.lab.Netlink(director)
	if err != nil {
		return err
	}
	defer h.Close()
	lk, err := h.LinkByName("eth0")
	if err != nil {
		return err
	}
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
func (r *runner) setLink(director string, up bool) error {
	h, err := r.lab.Netlink(director)
	if err != nil {
		return err
	}
	defer h.Close()
	lk, err := h.LinkByName("eth0")
	if err != nil {
		return err
	}
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
