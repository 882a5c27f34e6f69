package healthcheck

import (
	"math"
	"time"
)

// Pacing: checks that fall due together — because the director stalled
// (CPU starvation, a paused VM, a long GC) or because a reload added many —
// start as a spread, not as a burst hammering the network and the real
// servers at once. The start rate is capped by a token bucket at paceFactor
// times the highest steady rate the configuration can ask for (every check
// at its shorter of interval and retry delay), so pacing never slows
// checks that run on time.
const (
	paceFactor = 1.25
	// paceBurst is how much of the paced rate may start at once; it covers
	// the checks one coalesced wake-up starts.
	paceBurst = time.Millisecond
	// paceMinBurst keeps small configurations from ever being paced.
	paceMinBurst = 16
)

// pacer is a token bucket. Not safe for concurrent use (Scheduler.mu).
type pacer struct {
	rate   float64 // starts per second; 0 means unlimited
	burst  float64
	tokens float64
	last   time.Time
}

// setRate sets the cap from the configuration's peak steady rate (checks
// per second). Tokens carry over, bounded by the new burst.
func (p *pacer) setRate(peak float64) {
	p.rate = peak * paceFactor
	p.burst = max(paceMinBurst, p.rate*paceBurst.Seconds())
	if p.last.IsZero() {
		p.tokens = p.burst
	}
	p.tokens = min(p.tokens, p.burst)
}

// take consumes one start if the bucket allows it at now.
func (p *pacer) take(now time.Time) bool {
	if p.rate <= 0 {
		return true
	}
	if !p.last.IsZero() {
		if elapsed := now.Sub(p.last).Seconds(); elapsed > 0 {
			p.tokens = min(p.burst, p.tokens+elapsed*p.rate)
		}
	}
	p.last = now
	if p.tokens < 1 {
		return false
	}
	p.tokens--
	return true
}

// nextStart is when take will next succeed.
func (p *pacer) nextStart(now time.Time) time.Time {
	if p.rate <= 0 || p.tokens >= 1 {
		return now
	}
	wait := math.Ceil((1 - p.tokens) / p.rate * float64(time.Second))
	return now.Add(time.Duration(wait))
}

// peakRate is the most checks per second the entries can start in steady
// state: each at the shorter of its interval and retry delay.
func peakRate(entries map[string]*checkEntry) float64 {
	var rate float64
	for _, e := range entries {
		rate += 1 / min(e.settings.Interval, e.settings.RetryDelay).Seconds()
	}
	return rate
}
