package healthcheck

import "time"

// Transition reports a real server's new health or weight. The caller sets
// the IPVS destination to Weight, or removes it when Remove is set, and
// restores it (with Weight) on the next healthy Transition.
type Transition struct {
	VirtualServer string
	RealServer    string
	Healthy       bool
	// Weight is the weight to install: the configured or dynamic weight when
	// healthy, 0 when not.
	Weight int
	// Remove asks for the destination to be removed (on_failure "remove").
	Remove bool
	// Reason is the result that caused the transition, e.g.
	// "http: status 500" or "tcp: connection refused".
	Reason string
	// Initial marks the first report for a newly configured real server.
	Initial bool
}

// QuorumEvent reports that a virtual server lost or regained its quorum: on
// loss the caller installs the sorry server, on gain it removes it.
type QuorumEvent struct {
	VirtualServer string
	QuorumUp      bool
	// HealthyWeight is the sum of the weights of the healthy real servers.
	HealthyWeight int
	Quorum        int
	// Initial marks the first report for a newly configured virtual server.
	Initial bool
}

// CheckResult describes one completed probe, for metrics and debugging.
type CheckResult struct {
	VirtualServer string
	RealServer    string
	Check         string
	Result        Result
	// Healthy is the check's state after counting this result.
	Healthy bool
	// Due is when the check was scheduled and Started when the scheduler
	// handed it to a worker: Started-Due is the scheduling lag (negative by
	// up to a millisecond when wake-ups are coalesced).
	Due      time.Time
	Started  time.Time
	Duration time.Duration
}

// Snapshot is the current state of everything the scheduler checks.
type Snapshot struct {
	RealServers    []Transition
	VirtualServers []QuorumEvent
}
