package healthcheck

import (
	"context"
	"net/netip"
)

// Target is what one probe checks: a real server of a virtual server.
type Target struct {
	// VirtualServer and RealServer are the caller's keys, passed through so a
	// checker (or a script) can say what it checks.
	VirtualServer string
	RealServer    string
	// Addr is the real server's own address and port.
	Addr netip.AddrPort
	// Dialer says how probes reach it (socket mark, source address, VIP).
	Dialer Dialer
}

// ProbeAddr is where network probes connect: Dialer.Addr when set (the VIP
// in direct routing), otherwise the real server's own address.
func (t Target) ProbeAddr() netip.AddrPort {
	if t.Dialer.Addr.IsValid() {
		return t.Dialer.Addr
	}
	return t.Addr
}

// Checker performs one probe. Implementations must honour ctx (its deadline
// is the check timeout) and be safe for concurrent use: one Checker value may
// serve many targets at once.
type Checker interface {
	Check(ctx context.Context, t Target) Result
	// String describes every setting that affects the result, in a stable
	// form: the scheduler hashes it to decide, on reload, whether a check
	// changed (changed checks restart their rise/fall counting).
	String() string
}

// Result is the outcome of one probe.
type Result struct {
	Healthy bool
	// Reason is short and human-readable: "ok", "http: status 500",
	// "tcp: connection refused", "script: exit status 1", "timeout", ...
	Reason string
	// Weight is a dynamic weight reported by the server (HTTP header or body,
	// script exit code); only meaningful when WeightSet. The scheduler clamps
	// it to the real server's maximum.
	Weight    int
	WeightSet bool
}

// healthy returns a successful Result with the given reason.
func healthy(reason string) Result { return Result{Healthy: true, Reason: reason} }

// failed returns an unsuccessful Result with the given reason.
func failed(reason string) Result { return Result{Reason: reason} }
