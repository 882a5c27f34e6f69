package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// Config is the configuration of one virtual router instance.
type Config struct {
	// VRID is the virtual router identifier, 1..255.
	VRID uint8
	// Priority is the configured priority, 1..255; 255 means this router
	// owns the virtual addresses (it becomes master at once on Startup and
	// always preempts, ignoring Preempt and PreemptDelay).
	Priority uint8
	// AdvertInterval is Advertisement_Interval: v3 10ms..40.95s in whole
	// centiseconds, v2 1s..255s in whole seconds.
	AdvertInterval time.Duration
	// Version is the protocol version, 2 (RFC 3768) or 3 (RFC 5798). A v3
	// backup learns the master's interval; a v2 backup requires the
	// master's interval to equal its own and drops other adverts.
	Version int
	// Preempt is Preempt_Mode: a backup with a higher priority takes over
	// from a lower-priority master. false is keepalived's nopreempt.
	Preempt bool
	// PreemptDelay (keepalived preempt_delay): after entering Backup, a
	// lower-priority master is accepted as if Preempt were false for this
	// long; preemption can start only afterwards. 0 preempts at once.
	PreemptDelay time.Duration
	// LocalAddr is this router's primary address on the interface, compared
	// with a sender's address to break priority ties. IPv4 for version 2.
	LocalAddr netip.Addr
}

// ConfigError reports an invalid Config field.
type ConfigError struct {
	Field   string // the Config field name, e.g. "AdvertInterval"
	Problem string // what is wrong with it
}

// Error returns "vrrp: invalid <Field>: <Problem>".
func (e *ConfigError) Error() string {
	return "vrrp: invalid " + e.Field + ": " + e.Problem
}

// v3 interval bounds: the Max Adver Int field has 12 bits of centiseconds.
const (
	minIntervalV3 = centisecond
	maxIntervalV3 = 4095 * centisecond
	minIntervalV2 = time.Second
	maxIntervalV2 = 255 * time.Second
)

// Validate checks the configuration and returns a *ConfigError for the
// first problem found.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if c.VRID == 0 {
		return bad("VRID", "must be 1..255")
	}
	if c.Priority == 0 {
		return bad("Priority", "must be 1..255 (0 is reserved for the stop advert)")
	}
	switch c.Version {
	case 2:
		if c.AdvertInterval < minIntervalV2 || c.AdvertInterval > maxIntervalV2 || c.AdvertInterval%time.Second != 0 {
			return bad("AdvertInterval", "%s: VRRPv2 needs whole seconds in 1s..255s", c.AdvertInterval)
		}
	case 3:
		if c.AdvertInterval < minIntervalV3 || c.AdvertInterval > maxIntervalV3 || c.AdvertInterval%centisecond != 0 {
			return bad("AdvertInterval", "%s: VRRPv3 needs whole centiseconds in 10ms..40.95s", c.AdvertInterval)
		}
	default:
		return bad("Version", "%d: must be 2 or 3", c.Version)
	}
	if c.PreemptDelay < 0 {
		return bad("PreemptDelay", "%s: must not be negative", c.PreemptDelay)
	}
	if !c.LocalAddr.IsValid() {
		return bad("LocalAddr", "missing: needed to break priority ties")
	}
	if c.Version == 2 && !c.LocalAddr.Unmap().Is4() {
		return bad("LocalAddr", "%s: VRRPv2 is IPv4 only", c.LocalAddr)
	}
	return nil
}

// normalized returns c with LocalAddr in the form used for comparisons.
func (c Config) normalized() Config {
	c.LocalAddr = cmpAddr(c.LocalAddr)
	return c
}

// cmpAddr strips what must not affect address comparisons: the IPv4 in
// IPv6 mapping and the zone of a link-local IPv6 address (VRRPv3 over IPv6
// uses link-local sources, which a driver may report with or without zone).
func cmpAddr(a netip.Addr) netip.Addr { return a.Unmap().WithZone("") }
