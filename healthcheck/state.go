package healthcheck

// counter is the rise/fall state of one check: a pure value so the
// counting rules can be tested by table.
type counter struct {
	Healthy bool
	// Successes and Failures count the current run of equal results.
	Successes, Failures int
}

// countCap stops run lengths from growing without bound on long-lived
// checks; any value above the largest rise/fall would do.
const countCap = 1 << 30

// observe applies one result and reports whether the health flipped. A
// healthy check goes down after fall consecutive failures, an unhealthy one
// comes up after rise consecutive successes; any opposite result restarts
// the count.
func (c counter) observe(ok bool, rise, fall int) (counter, bool) {
	if ok {
		c.Failures = 0
		c.Successes = min(c.Successes+1, countCap)
		if !c.Healthy && c.Successes >= rise {
			c.Healthy = true
			return c, true
		}
		return c, false
	}
	c.Successes = 0
	c.Failures = min(c.Failures+1, countCap)
	if c.Healthy && c.Failures >= fall {
		c.Healthy = false
		return c, true
	}
	return c, false
}

// unsettled reports whether the latest results disagree with the state, so
// the next probe should come after the retry delay rather than the interval.
func (c counter) unsettled() bool {
	if c.Healthy {
		return c.Failures > 0
	}
	return c.Successes > 0
}

// checkView is what the real server's state needs from one check.
type checkView struct {
	Healthy   bool
	Weight    int
	WeightSet bool
}

// rsView is the externally visible state of a real server.
type rsView struct {
	Healthy bool
	Weight  int
	Remove  bool
}

// realServerView combines the checks of a real server: it is healthy when
// all checks are; its weight is the configured one, or the smallest dynamic
// weight its checks report, bounded by maxWeight. A failed real server has
// weight 0 and is removed when onFailure says so.
func realServerView(checks []checkView, weight, maxWeight int, onFailure OnFailure) rsView {
	w, dynamic := weight, false
	for _, c := range checks {
		if !c.Healthy {
			return rsView{Healthy: false, Weight: 0, Remove: onFailure == Remove}
		}
		if c.WeightSet {
			cw := clampWeight(c.Weight, maxWeight)
			if !dynamic || cw < w {
				w, dynamic = cw, true
			}
		}
	}
	return rsView{Healthy: true, Weight: w}
}

// quorumThreshold is the effective quorum: zero means 1.
func quorumThreshold(quorum int) int { return max(quorum, 1) }

// initialQuorum decides the quorum state of a new virtual server.
func initialQuorum(sum, quorum, hysteresis int) bool {
	return sum > 0 && sum >= quorumThreshold(quorum)+hysteresis
}

// nextQuorum applies keepalived's rule: quorum is gained when the healthy
// weight reaches quorum+hysteresis and lost when it drops below
// quorum-hysteresis (or to nothing).
func nextQuorum(up bool, sum, quorum, hysteresis int) bool {
	q := quorumThreshold(quorum)
	if up {
		return sum > 0 && sum >= q-hysteresis
	}
	return sum > 0 && sum >= q+hysteresis
}
