package drill

import (
	"fmt"
	"strings"
	"syscall"

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
	// should not move); FinalMaster holds it alone at the end. Scenarios
	// name directors by role, lab.D1 (the master at start) and lab.D2:
	// the runner's actions take roles, r.name gives the pair's name.
	TakeoverBy, FinalMaster string
	// Heals says the fault ends during the run (after healAfter).
	Heals bool
	// usesFault marks scenarios that apply a fault of package fault (on
	// described hosts, `vigil fault` runs on the directors).
	usesFault bool
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
		TakeoverBy: lab.D2, FinalMaster: lab.D1, Heals: true, usesFault: true,
		inject: func(r *runner) error {
			return r.applyFault(lab.D1, fault.Spec{Kind: fault.KindDropVRRP})
		},
		heal: func(r *runner) error { return r.clearFaults() }},
	{Name: "partition", Summary: "the directors cannot reach each other (clients reach both), then heal",
		TakeoverBy: lab.D2, FinalMaster: lab.D1, Heals: true, usesFault: true,
		inject: func(r *runner) error {
			if err := r.applyFault(lab.D1, fault.Spec{Kind: fault.KindPartition, Peer: r.peer(lab.D2)}); err != nil {
				return err
			}
			return r.applyFault(lab.D2, fault.Spec{Kind: fault.KindPartition, Peer: r.peer(lab.D1)})
		},
		heal: func(r *runner) error { return r.clearFaults() }},
	{Name: "flap", Summary: "the master's link goes down and up repeatedly, then stays up",
		TakeoverBy: lab.D2, FinalMaster: lab.D1, Heals: true, usesFault: true,
		inject: func(r *runner) error {
			return r.applyFault(lab.D1, fault.Spec{Kind: fault.KindFlap, Period: r.flapPeriod()})
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
			return r.waitSole(r.name(lab.D2))
		},
		inject: func(r *runner) error { return r.startDaemon(lab.D1) }},
	{Name: "realserver-dies", Summary: "rs1's HTTP server is killed under traffic: the checks set its weight to 0",
		NeedsIPVS: true, FinalMaster: lab.D1,
		inject: func(r *runner) error {
			// Only the lab has real servers the drill controls; check
			// refuses this scenario on other pairs.
			return r.p.(*labPair).killHTTPD(r, lab.RS1)
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

func faultLabel(s fault.Spec) string {
	switch s.Kind {
	case fault.KindPartition:
		return "partition from " + s.Peer.String()
	case fault.KindFlap:
		return "flap every " + s.Period.String()
	}
	return string(s.Kind)
}
