package healthcheck

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// OnFailure says what happens to a real server that fails its checks.
type OnFailure int

const (
	// Inhibit (the default) keeps the real server with weight 0 so
	// persistent and established connections drain (keepalived's
	// inhibit_on_failure).
	Inhibit OnFailure = iota
	// Remove takes the real server out of the virtual server.
	Remove
)

// String returns "inhibit" or "remove".
func (o OnFailure) String() string {
	if o == Remove {
		return "remove"
	}
	return "inhibit"
}

// ParseOnFailure reads "inhibit" (or "") and "remove", in any case.
func ParseOnFailure(s string) (OnFailure, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "inhibit":
		return Inhibit, nil
	case "remove":
		return Remove, nil
	}
	return Inhibit, fmt.Errorf("on_failure %q: want \"inhibit\" or \"remove\"", truncate(s, 32))
}

// VirtualServer groups real servers whose healthy weight is compared with a
// quorum.
type VirtualServer struct {
	// Key identifies the virtual server in events (the caller's choice,
	// for instance "tcp/192.0.2.10:80").
	Key string
	// Quorum is the healthy weight below which the sorry server should be
	// installed; zero means 1 (keepalived's default): the quorum is lost
	// when no healthy weight remains.
	Quorum int
	// Hysteresis widens the quorum: it is lost below Quorum-Hysteresis and
	// regained at Quorum+Hysteresis.
	Hysteresis int
	// Settings are inherited by the real servers and their checks.
	Settings Settings
	// QuorumNotify, when set, is a program (argv, no shell) run on every
	// quorum change, with VIGIL_EVENT=quorum, VIGIL_VIRTUAL_SERVER,
	// VIGIL_STATE (up/down), VIGIL_HEALTHY_WEIGHT and VIGIL_QUORUM in its
	// environment.
	QuorumNotify []string
	RealServers  []RealServer
}

// RealServer is one backend of a virtual server.
type RealServer struct {
	// Key identifies the real server within its virtual server.
	Key string
	// Addr is the real server's address and port; checks probe it unless
	// their Dialer says otherwise.
	Addr netip.AddrPort
	// Weight is the configured weight, restored when the server rises.
	Weight int
	// MaxWeight bounds dynamic weights reported by checks; zero means Weight.
	MaxWeight int
	// OnFailure chooses between weight 0 (default) and removal.
	OnFailure OnFailure
	// Settings are inherited by the checks, overriding the virtual server.
	Settings Settings
	// Notify, when set, is a program (argv, no shell) run on every
	// transition of this real server, with VIGIL_EVENT=transition,
	// VIGIL_VIRTUAL_SERVER, VIGIL_REAL_SERVER, VIGIL_STATE (up/down),
	// VIGIL_WEIGHT, VIGIL_REMOVE (0/1) and VIGIL_REASON in its environment.
	// It runs in the background and is killed after Options.NotifyTimeout.
	Notify []string
	// Checks must all pass for the real server to be healthy. A real server
	// without checks is always healthy.
	Checks []Check
}

// Check is one checker applied to a real server.
type Check struct {
	// Name labels the check in logs; default the checker's description.
	Name     string
	Checker  Checker
	Settings Settings
	// Dialer says how the probe reaches the real server.
	Dialer Dialer
}

// validator is implemented by checkers that can reject their configuration
// before the first probe.
type validator interface{ Validate() error }

// maxWeight is the bound for dynamic weights.
func (rs *RealServer) maxWeight() int {
	if rs.MaxWeight > 0 {
		return rs.MaxWeight
	}
	return rs.Weight
}

// validateConfig checks keys, weights, checkers and resolved settings.
func validateConfig(global Settings, vss []VirtualServer) error {
	var errs []error
	seenVS := make(map[string]bool, len(vss))
	for _, vs := range vss {
		if vs.Key == "" {
			errs = append(errs, errors.New("virtual server with an empty key"))
		}
		if seenVS[vs.Key] {
			errs = append(errs, fmt.Errorf("virtual server %q: duplicate key", vs.Key))
		}
		seenVS[vs.Key] = true
		if vs.Quorum < 0 || vs.Hysteresis < 0 {
			errs = append(errs, fmt.Errorf("virtual server %q: negative quorum or hysteresis", vs.Key))
		}
		seenRS := make(map[string]bool, len(vs.RealServers))
		for _, rs := range vs.RealServers {
			where := fmt.Sprintf("virtual server %q real server %q", vs.Key, rs.Key)
			if rs.Key == "" {
				errs = append(errs, fmt.Errorf("virtual server %q: real server with an empty key", vs.Key))
			}
			if seenRS[rs.Key] {
				errs = append(errs, fmt.Errorf("%s: duplicate key", where))
			}
			seenRS[rs.Key] = true
			if rs.Weight < 0 || rs.MaxWeight < 0 {
				errs = append(errs, fmt.Errorf("%s: negative weight", where))
			}
			for i, c := range rs.Checks {
				if c.Checker == nil {
					errs = append(errs, fmt.Errorf("%s check %d: no checker", where, i))
					continue
				}
				if v, ok := c.Checker.(validator); ok {
					if err := v.Validate(); err != nil {
						errs = append(errs, fmt.Errorf("%s check %d: %w", where, i, err))
					}
				}
				if err := ResolveSettings(global, vs.Settings, rs.Settings, c.Settings).Validate(); err != nil {
					errs = append(errs, fmt.Errorf("%s check %d: %w", where, i, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}
