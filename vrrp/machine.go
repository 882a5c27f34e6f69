package vrrp

import (
	"net/netip"
	"time"
)

// Machine is the VRRP state machine of one virtual router instance. It is
// pure: no sockets, goroutines, clock or randomness. It is not safe for
// concurrent use; one driver goroutine owns it.
type Machine struct {
	cfg      Config
	state    State
	priority uint8 // effective priority (Config.Priority adjusted by PriorityChanged)
	ifDown   bool

	// masterAdverInterval is the RFC's Master_Adver_Interval: the interval
	// learned from the master in Backup (v3), our own interval otherwise.
	masterAdverInterval time.Duration
	// masterSince is when the machine last became master.
	masterSince time.Time
	// deadline is the single timer: Master_Down_Timer in Backup, Adver_Timer
	// in Master, the handover deadline in Stopping. Valid while armed.
	deadline time.Time
	armed    bool
	// preemptAt is when a backup may start preempting (PreemptDelay).
	preemptAt time.Time
	// master is the current master's address, if known.
	master netip.Addr
	// faultAfterHandover marks a Stopping master that resigned (priority
	// 0) rather than stopped: the handover ends in Fault, not Stopped.
	faultAfterHandover bool
	// downReason is reported if the Master_Down_Timer fires: master-down,
	// master-resigned after a priority-0 advert, or preempt while a
	// lower-priority master is being ignored.
	downReason Reason

	counters Counters
	out      []Action // reused by every Step: see Step
}

// Counters are cumulative event counts of a Machine, for metrics.
type Counters struct {
	Transitions          uint64 // state changes
	BecameMaster         uint64 // transitions into StateMaster
	AdvertsSent          uint64 // ActSendAdvert actions, priority-0 ones included
	AdvertsReceived      uint64 // adverts processed in Backup, Master or Stopping
	AdvertsDiscarded     uint64 // lower-priority adverts a preempting backup ignored
	AdvertsIgnored       uint64 // adverts arriving in Initialize, Fault or Stopped
	OwnAdverts           uint64 // adverts from our own LocalAddr (looped back), ignored
	IntervalMismatch     uint64 // v2 adverts with another interval, dropped (RFC 3768 7.1)
	PriorityZeroReceived uint64 // priority-0 adverts processed
	PriorityZeroSent     uint64 // priority-0 adverts sent (stop, or fault as master)
	SplitBrainHeals      uint64 // lower-priority masters heard while master
}

// initialActionCap bounds the actions of one Step (at most 5 today), so the
// reused slice never grows.
const initialActionCap = 8

// NewMachine validates cfg and returns a machine in StateInitialize. Send it
// Startup to begin.
func NewMachine(cfg Config) (*Machine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.normalized()
	return &Machine{
		cfg:                 cfg,
		state:               StateInitialize,
		priority:            cfg.Priority,
		masterAdverInterval: cfg.AdvertInterval,
		out:                 make([]Action, 0, initialActionCap),
	}, nil
}

// Step feeds one event observed at now and returns the actions to execute,
// in order. now must not go backwards between calls.
//
// The returned slice is owned by the machine and reused: it is valid only
// until the next call to Step or Reconfigure. Copy it to keep it.
func (m *Machine) Step(now time.Time, ev Event) []Action {
	m.out = m.out[:0]
	switch e := ev.(type) {
	case Startup:
		m.onStartup(now)
	case Shutdown:
		m.onShutdown(now)
	case AdvertReceived:
		m.onAdvert(now, e)
	case TimerDue:
		m.onTimerDue(now)
	case PriorityChanged:
		m.setPriority(now, e.Priority, ReasonPriorityChanged)
	case InterfaceDown:
		m.onInterfaceDown(now)
	case InterfaceUp:
		m.onInterfaceUp(now)
	}
	return m.out
}

// Reconfigure applies a new configuration in place, keeping the state.
// VRID and Version cannot change (build a new Machine). A changed
// Priority becomes the effective priority, as if PriorityChanged had been
// sent; an unchanged one keeps the effective priority set by trackers. A
// master sends an advert at once when its priority or interval changes.
// The returned slice follows the rules of Step.
func (m *Machine) Reconfigure(now time.Time, cfg Config) ([]Action, error) {
	m.out = m.out[:0]
	if err := cfg.Validate(); err != nil {
		return m.out, err
	}
	if cfg.VRID != m.cfg.VRID {
		return m.out, &ConfigError{Field: "VRID", Problem: "cannot change in place"}
	}
	if cfg.Version != m.cfg.Version {
		return m.out, &ConfigError{Field: "Version", Problem: "cannot change in place"}
	}
	cfg = cfg.normalized()
	old := m.cfg
	m.cfg = cfg
	if m.state == StateMaster {
		m.master = cfg.LocalAddr
	}
	intervalChanged := cfg.AdvertInterval != old.AdvertInterval
	// A v3 backup keeps the interval it learned from the master; everyone
	// else runs on the configured one.
	if intervalChanged && (m.state != StateBackup || cfg.Version == 2) {
		m.masterAdverInterval = cfg.AdvertInterval
	}
	switch {
	case cfg.Priority != old.Priority && cfg.Priority != m.priority:
		m.setPriority(now, cfg.Priority, ReasonReconfigured)
	case intervalChanged && m.state == StateMaster:
		m.sendAdvert(m.priority, ReasonReconfigured)
		m.arm(now.Add(cfg.AdvertInterval), ReasonReconfigured)
	}
	return m.out, nil
}

// Config returns the current configuration (LocalAddr unmapped, zone removed).
func (m *Machine) Config() Config { return m.cfg }

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Priority returns the effective priority.
func (m *Machine) Priority() uint8 { return m.priority }

// MasterAdverInterval returns Master_Adver_Interval: in Backup the interval
// learned from the master (v3) or the configured one (v2); otherwise the
// configured AdvertInterval.
func (m *Machine) MasterAdverInterval() time.Duration { return m.masterAdverInterval }

// SkewTime returns Skew_Time for the effective priority and
// MasterAdverInterval.
func (m *Machine) SkewTime() time.Duration {
	return SkewTimeFor(m.cfg.Version, m.priority, m.masterAdverInterval)
}

// MasterDownInterval returns Master_Down_Interval =
// 3 * MasterAdverInterval + SkewTime.
func (m *Machine) MasterDownInterval() time.Duration {
	return MasterDownIntervalFor(m.cfg.Version, m.priority, m.masterAdverInterval)
}

// Master returns the current master's primary address: LocalAddr in
// Master and Stopping, the sender of the last accepted advert in Backup.
// ok is false when unknown (no advert yet, or the master resigned).
func (m *Machine) Master() (addr netip.Addr, ok bool) {
	return m.master, m.master.IsValid()
}

// Deadline returns the armed timer deadline; ok is false when no timer is
// armed. It always agrees with the last ActArmTimer/ActDisarmTimer.
func (m *Machine) Deadline() (at time.Time, ok bool) {
	if !m.armed {
		return time.Time{}, false
	}
	return m.deadline, true
}

// Counters returns a copy of the cumulative counters.
func (m *Machine) Counters() Counters { return m.counters }
