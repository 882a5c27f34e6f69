package healthcheck

import (
	"errors"
	"fmt"
	"time"
)

// StartState is the health a check assumes before its first result.
type StartState int

const (
	// StartInherit takes the start state from the enclosing level.
	StartInherit StartState = iota
	// StartDown (the default) starts unhealthy: rise successes are needed
	// before a new real server receives traffic, like keepalived's alpha.
	StartDown
	// StartUp starts healthy: fall failures are needed to take it out.
	StartUp
)

// String returns "down", "up" or "inherit".
func (s StartState) String() string {
	switch s {
	case StartDown:
		return "down"
	case StartUp:
		return "up"
	default:
		return "inherit"
	}
}

// NoWarmUp as Settings.WarmUp starts a new check at once instead of after a
// random delay. (Zero means "inherit", so it cannot express "none".)
const NoWarmUp time.Duration = -1

// Settings are the timing and counting parameters of a check. A zero field
// means "not set here": Inherit fills it from the enclosing level
// (virtual server → real server → check), and WithDefaults from the package
// defaults.
type Settings struct {
	// Interval between two checks while the state is stable.
	Interval time.Duration
	// Timeout bounds one probe.
	Timeout time.Duration
	// Rise is the number of consecutive successes that bring a failed real
	// server back.
	Rise int
	// Fall is the number of consecutive failures that take a healthy real
	// server out.
	Fall int
	// RetryDelay replaces Interval after a failure that has not yet reached
	// Fall (keepalived's delay_before_retry), so a flapping server is
	// confirmed down quickly. Default: Interval.
	RetryDelay time.Duration
	// WarmUp is the upper bound of the random delay before the first probe
	// of a new check, so thousands of checks added at once spread over time.
	// Default: Interval. NoWarmUp (negative) disables it.
	WarmUp time.Duration
	// Start is the health assumed before the first result. Default StartDown.
	Start StartState
}

// DefaultSettings are used where no level sets a value.
func DefaultSettings() Settings {
	return Settings{
		Interval: 5 * time.Second,
		Timeout:  3 * time.Second,
		Rise:     2,
		Fall:     3,
		Start:    StartDown,
		// RetryDelay and WarmUp default to Interval in WithDefaults.
	}
}

// Inherit returns s with every unset field taken from parent.
func (s Settings) Inherit(parent Settings) Settings {
	if s.Interval == 0 {
		s.Interval = parent.Interval
	}
	if s.Timeout == 0 {
		s.Timeout = parent.Timeout
	}
	if s.Rise == 0 {
		s.Rise = parent.Rise
	}
	if s.Fall == 0 {
		s.Fall = parent.Fall
	}
	if s.RetryDelay == 0 {
		s.RetryDelay = parent.RetryDelay
	}
	if s.WarmUp == 0 {
		s.WarmUp = parent.WarmUp
	}
	if s.Start == StartInherit {
		s.Start = parent.Start
	}
	return s
}

// WithDefaults fills the fields still unset from DefaultSettings; RetryDelay
// and WarmUp default to the resulting Interval.
func (s Settings) WithDefaults() Settings {
	s = s.Inherit(DefaultSettings())
	if s.RetryDelay == 0 {
		s.RetryDelay = s.Interval
	}
	if s.WarmUp == 0 {
		s.WarmUp = s.Interval
	}
	return s
}

// Validate reports settings that cannot be scheduled. Call it on resolved
// settings (after WithDefaults).
func (s Settings) Validate() error {
	var errs []error
	if s.Interval <= 0 {
		errs = append(errs, fmt.Errorf("interval %v must be positive", s.Interval))
	}
	if s.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout %v must be positive", s.Timeout))
	}
	if s.RetryDelay <= 0 {
		errs = append(errs, fmt.Errorf("retry delay %v must be positive", s.RetryDelay))
	}
	if s.Rise < 1 {
		errs = append(errs, fmt.Errorf("rise %d must be at least 1", s.Rise))
	}
	if s.Fall < 1 {
		errs = append(errs, fmt.Errorf("fall %d must be at least 1", s.Fall))
	}
	if s.Start != StartDown && s.Start != StartUp {
		errs = append(errs, fmt.Errorf("start state %d unknown", s.Start))
	}
	return errors.Join(errs...)
}

// ResolveSettings applies the inheritance chain global → virtual server →
// real server → check and the package defaults.
func ResolveSettings(global, virtualServer, realServer, check Settings) Settings {
	return check.Inherit(realServer.Inherit(virtualServer.Inherit(global))).WithDefaults()
}
