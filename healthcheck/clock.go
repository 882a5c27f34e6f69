package healthcheck

import "time"

// Clock is the scheduler's source of time, replaceable in tests so timing
// can be stepped without sleeping. Probe timeouts are not driven by it: they
// are real socket and process deadlines.
type Clock interface {
	Now() time.Time
	// NewTimer returns a stopped timer.
	NewTimer() Timer
}

// Timer fires once on C after Reset, at an absolute deadline so that a
// clock moving between computing and arming the deadline cannot delay it.
type Timer interface {
	C() <-chan time.Time
	// Reset (re)arms the timer for deadline; a past deadline fires at once.
	Reset(deadline time.Time)
	Stop()
}

// SystemClock is the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer() Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return systemTimer{t}
}

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time { return s.t.C }

// Reset relies on Go ≥ 1.23 timer semantics: no stale value is left in C.
func (s systemTimer) Reset(deadline time.Time) { s.t.Reset(time.Until(deadline)) }

func (s systemTimer) Stop() { s.t.Stop() }
