package vrrp

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// The expected timer values below are worked out by hand from RFC 5798
// section 6.1 for the base configuration (priority 100, v3, 1s):
//
//	Skew_Time            = (256-100) * 100cs / 256 = 60.9cs -> 60cs = 600ms
//	Master_Down_Interval = 3 * 1s + 600ms = 3.6s
//
// so a machine started at 0 becomes master at 3.6s and its Adver_Timer is
// due at 4.6s.

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

var (
	addrLow  = netip.MustParseAddr("10.0.0.1")
	addrSelf = netip.MustParseAddr("10.0.0.5")
	addrHigh = netip.MustParseAddr("10.0.0.9")
)

func baseConfig() Config {
	return Config{
		VRID:           7,
		Priority:       100,
		AdvertInterval: time.Second,
		Version:        3,
		Preempt:        true,
		LocalAddr:      addrSelf,
	}
}

func at(d time.Duration) time.Time { return t0.Add(d) }

// Constructors for expected actions.
func send(p uint8, iv time.Duration, r Reason) Action {
	return Action{Kind: ActSendAdvert, Priority: p, Interval: iv, Reason: r}
}
func claim(r Reason) Action                { return Action{Kind: ActClaimVIPs, Reason: r} }
func release(r Reason) Action              { return Action{Kind: ActReleaseVIPs, Reason: r} }
func announce(r Reason) Action             { return Action{Kind: ActAnnounce, Reason: r} }
func arm(d time.Duration, r Reason) Action { return Action{Kind: ActArmTimer, At: at(d), Reason: r} }
func disarm(r Reason) Action               { return Action{Kind: ActDisarmTimer, Reason: r} }
func changed(from, to State, r Reason) Action {
	return Action{Kind: ActStateChanged, From: from, To: to, Reason: r}
}

func advert(from netip.Addr, prio uint8, iv time.Duration) AdvertReceived {
	return AdvertReceived{From: from, Priority: prio, Interval: iv}
}

// step is one input at t0+at.
type step struct {
	at time.Duration
	ev Event
}

// Setups reaching the states under test with the base timings.
var (
	inBackup   = []step{{0, Startup{}}}
	inMaster   = []step{{0, Startup{}}, {3600 * time.Millisecond, TimerDue{}}}
	inStopping = append(slices.Clip(inMaster), step{5 * time.Second, Shutdown{}})
)

func withSteps(base []step, more ...step) []step {
	return append(slices.Clip(base), more...)
}

func sameActions(got, want []Action) bool {
	return slices.EqualFunc(got, want, func(a, b Action) bool {
		return a.Kind == b.Kind && a.Reason == b.Reason && a.Priority == b.Priority &&
			a.Interval == b.Interval && a.At.Equal(b.At) && a.From == b.From && a.To == b.To
	})
}

// ruleCase feeds setup, then ev at t0+at, and checks the actions, the state
// and optionally more (check may step further).
type ruleCase struct {
	rule      string // the RFC rule (section and sentence) or extension checked
	cfg       func(*Config)
	setup     []step
	at        time.Duration
	ev        Event
	want      []Action
	wantState State
	check     func(t *testing.T, m *Machine)
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			cfg := baseConfig()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			m, err := NewMachine(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.setup {
				m.Step(at(s.at), s.ev)
			}
			got := slices.Clone(m.Step(at(c.at), c.ev))
			if !sameActions(got, c.want) {
				t.Errorf("actions:\n got  %v\n want %v", got, c.want)
			}
			if m.State() != c.wantState {
				t.Errorf("state = %s, want %s", m.State(), c.wantState)
			}
			if c.check != nil {
				c.check(t, m)
			}
		})
	}
}

// expectStep steps m and compares the actions.
func expectStep(t *testing.T, m *Machine, d time.Duration, ev Event, want ...Action) {
	t.Helper()
	if got := m.Step(at(d), ev); !sameActions(got, want) {
		t.Errorf("step %T at %s:\n got  %v\n want %v", ev, d, got, want)
	}
}

func expectDeadline(t *testing.T, m *Machine, d time.Duration) {
	t.Helper()
	got, ok := m.Deadline()
	if !ok || !got.Equal(at(d)) {
		t.Errorf("deadline = %v (armed %v), want %v", got.Sub(t0), ok, d)
	}
}

func TestRFC5798Initialize(t *testing.T) {
	runRuleCases(t, []ruleCase{{
		rule: "6.4.1 Startup and Priority = 255: Send an ADVERTISEMENT, broadcast gratuitous ARP, Set the Adver_Timer to Advertisement_Interval, Transition to Master",
		cfg:  func(c *Config) { c.Priority = 255 },
		ev:   Startup{},
		want: []Action{
			send(255, time.Second, ReasonOwner), claim(ReasonOwner), announce(ReasonOwner),
			arm(time.Second, ReasonOwner), changed(StateInitialize, StateMaster, ReasonOwner),
		},
		wantState: StateMaster,
		check: func(t *testing.T, m *Machine) {
			if a, ok := m.Master(); !ok || a != addrSelf {
				t.Errorf("Master() = %v, %v; want own address", a, ok)
			}
		},
	}, {
		rule:      "6.4.1 Startup else: Set Master_Adver_Interval to Advertisement_Interval, Set the Master_Down_Timer to Master_Down_Interval, Transition to Backup",
		ev:        Startup{},
		want:      []Action{arm(3600*time.Millisecond, ReasonStartup), changed(StateInitialize, StateBackup, ReasonStartup)},
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			if m.MasterAdverInterval() != time.Second || m.SkewTime() != 600*time.Millisecond || m.MasterDownInterval() != 3600*time.Millisecond {
				t.Errorf("timers = %s/%s/%s, want 1s/600ms/3.6s", m.MasterAdverInterval(), m.SkewTime(), m.MasterDownInterval())
			}
			if _, ok := m.Master(); ok {
				t.Error("master known before any advert")
			}
		},
	}, {
		rule:      "6.4.1 Initialize: adverts are not processed before Startup",
		ev:        advert(addrHigh, 200, time.Second),
		wantState: StateInitialize,
		check: func(t *testing.T, m *Machine) {
			if m.Counters().AdvertsIgnored != 1 {
				t.Errorf("AdvertsIgnored = %d, want 1", m.Counters().AdvertsIgnored)
			}
		},
	}, {
		rule:      "6.4.1 Initialize: no timer runs before Startup, TimerDue does nothing",
		at:        time.Hour,
		ev:        TimerDue{},
		wantState: StateInitialize,
	}, {
		rule:      "6.4.1 Initialize: Shutdown before Startup stops without actions on addresses",
		ev:        Shutdown{},
		want:      []Action{changed(StateInitialize, StateStopped, ReasonShutdown)},
		wantState: StateStopped,
	}})
}

func TestRFC5798Backup(t *testing.T) {
	runRuleCases(t, []ruleCase{{
		rule:      "6.4.2 If a Shutdown event is received: Cancel the Master_Down_Timer, Transition to the Initialize state (terminal Stopped)",
		setup:     inBackup,
		at:        time.Second,
		ev:        Shutdown{},
		want:      []Action{disarm(ReasonShutdown), changed(StateBackup, StateStopped, ReasonShutdown)},
		wantState: StateStopped,
	}, {
		rule:  "6.4.2 If the Master_Down_Timer fires: Send an ADVERTISEMENT, broadcast gratuitous ARP, Set the Adver_Timer to Advertisement_Interval, Transition to Master",
		setup: inBackup,
		at:    3600 * time.Millisecond,
		ev:    TimerDue{},
		want: []Action{
			send(100, time.Second, ReasonMasterDown), claim(ReasonMasterDown), announce(ReasonMasterDown),
			arm(4600*time.Millisecond, ReasonMasterDown), changed(StateBackup, StateMaster, ReasonMasterDown),
		},
		wantState: StateMaster,
	}, {
		rule:      "6.4.2 the Master_Down_Timer has not fired before Master_Down_Interval: early TimerDue is ignored",
		setup:     inBackup,
		at:        3599 * time.Millisecond,
		ev:        TimerDue{},
		wantState: StateBackup,
	}, {
		rule:      "6.4.2 If the Priority in the ADVERTISEMENT is zero: Set the Master_Down_Timer to Skew_Time",
		setup:     withSteps(inBackup, step{time.Second, advert(addrHigh, 200, time.Second)}),
		at:        2 * time.Second,
		ev:        advert(addrHigh, 0, time.Second),
		want:      []Action{arm(2600*time.Millisecond, ReasonMasterResigned)},
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			if _, ok := m.Master(); ok {
				t.Error("resigned master still reported")
			}
			expectStep(t, m, 2600*time.Millisecond, TimerDue{},
				send(100, time.Second, ReasonMasterResigned), claim(ReasonMasterResigned), announce(ReasonMasterResigned),
				arm(3600*time.Millisecond, ReasonMasterResigned), changed(StateBackup, StateMaster, ReasonMasterResigned))
		},
	}, {
		// Skew_Time = 156 * 200cs / 256 = 121cs; 3 * 2s + 1.21s = 7.21s.
		rule:      "6.4.2 Priority in the ADVERTISEMENT greater than the local Priority: Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT, Recompute the Master_Down_Interval, Reset the Master_Down_Timer",
		setup:     inBackup,
		at:        time.Second,
		ev:        advert(addrHigh, 200, 2*time.Second),
		want:      []Action{arm(8210*time.Millisecond, ReasonAdvertReceived)},
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			if m.MasterAdverInterval() != 2*time.Second || m.MasterDownInterval() != 7210*time.Millisecond {
				t.Errorf("learned %s / %s, want 2s / 7.21s", m.MasterAdverInterval(), m.MasterDownInterval())
			}
			if a, ok := m.Master(); !ok || a != addrHigh {
				t.Errorf("Master() = %v, %v; want %v", a, ok, addrHigh)
			}
		},
	}, {
		rule:      "6.4.2 Priority in the ADVERTISEMENT equal to the local Priority (any address): accept and Reset the Master_Down_Timer",
		setup:     inBackup,
		at:        time.Second,
		ev:        advert(addrLow, 100, time.Second),
		want:      []Action{arm(4600*time.Millisecond, ReasonAdvertReceived)},
		wantState: StateBackup,
	}, {
		// Skew_Time = 156 * 50cs / 256 = 30cs; 3 * 500ms + 300ms = 1.8s.
		rule:      "6.4.2 If Preempt_Mode is False (nopreempt): a lower-priority advert is accepted, its interval learned, the Master_Down_Timer reset",
		cfg:       func(c *Config) { c.Preempt = false },
		setup:     inBackup,
		at:        time.Second,
		ev:        advert(addrLow, 50, 500*time.Millisecond),
		want:      []Action{arm(2800*time.Millisecond, ReasonAdvertReceived)},
		wantState: StateBackup,
	}, {
		rule:      "6.4.2 else (Preempt_Mode True, lower Priority): Discard the ADVERTISEMENT; the running Master_Down_Timer then preempts",
		setup:     inBackup,
		at:        time.Second,
		ev:        advert(addrLow, 50, 2*time.Second),
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			expectDeadline(t, m, 3600*time.Millisecond)
			if m.MasterAdverInterval() != time.Second {
				t.Errorf("learned %s from a discarded advert", m.MasterAdverInterval())
			}
			if m.Counters().AdvertsDiscarded != 1 {
				t.Errorf("AdvertsDiscarded = %d, want 1", m.Counters().AdvertsDiscarded)
			}
			expectStep(t, m, 3600*time.Millisecond, TimerDue{},
				send(100, time.Second, ReasonPreempt), claim(ReasonPreempt), announce(ReasonPreempt),
				arm(4600*time.Millisecond, ReasonPreempt), changed(StateBackup, StateMaster, ReasonPreempt))
		},
	}, {
		rule:      "6.4.2 a v3 backup that learned the master's interval advertises its own Advertisement_Interval once master",
		setup:     withSteps(inBackup, step{time.Second, advert(addrHigh, 200, 2*time.Second)}),
		at:        8210 * time.Millisecond,
		ev:        TimerDue{},
		want:      []Action{send(100, time.Second, ReasonMasterDown), claim(ReasonMasterDown), announce(ReasonMasterDown), arm(9210*time.Millisecond, ReasonMasterDown), changed(StateBackup, StateMaster, ReasonMasterDown)},
		wantState: StateMaster,
		check: func(t *testing.T, m *Machine) {
			if m.MasterAdverInterval() != time.Second {
				t.Errorf("MasterAdverInterval = %s, want own 1s", m.MasterAdverInterval())
			}
		},
	}, {
		rule:      "6.4.2 adverts from our own LocalAddr (multicast loopback) are ignored",
		setup:     inBackup,
		at:        time.Second,
		ev:        advert(addrSelf, 200, time.Second),
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			expectDeadline(t, m, 3600*time.Millisecond)
			if m.Counters().OwnAdverts != 1 {
				t.Errorf("OwnAdverts = %d, want 1", m.Counters().OwnAdverts)
			}
		},
	}})
}

func TestRFC5798Master(t *testing.T) {
	runRuleCases(t, []ruleCase{{
		rule:  "6.4.3 If a Shutdown event is received: Cancel the Adver_Timer, Send an ADVERTISEMENT with Priority = 0 (graceful stop keeps the addresses)",
		setup: inMaster,
		at:    5 * time.Second,
		ev:    Shutdown{},
		// Handover deadline: 5s + Skew_Time 600ms + interval 1s.
		want:      []Action{send(0, time.Second, ReasonShutdown), arm(6600*time.Millisecond, ReasonShutdown), changed(StateMaster, StateStopping, ReasonShutdown)},
		wantState: StateStopping,
	}, {
		rule:      "6.4.3 If the Adver_Timer fires: Send an ADVERTISEMENT, Reset the Adver_Timer to Advertisement_Interval",
		setup:     inMaster,
		at:        4600 * time.Millisecond,
		ev:        TimerDue{},
		want:      []Action{send(100, time.Second, ReasonAdverTimer), arm(5600*time.Millisecond, ReasonAdverTimer)},
		wantState: StateMaster,
	}, {
		rule:      "6.4.3 the Adver_Timer has not fired yet: early or stale TimerDue is ignored",
		setup:     inMaster,
		at:        4 * time.Second,
		ev:        TimerDue{},
		wantState: StateMaster,
	}, {
		rule:      "6.4.3 If the Priority in the ADVERTISEMENT is zero: Send an ADVERTISEMENT, Reset the Adver_Timer to Advertisement_Interval",
		setup:     inMaster,
		at:        4 * time.Second,
		ev:        advert(addrLow, 0, time.Second),
		want:      []Action{send(100, time.Second, ReasonMasterResigned), arm(5*time.Second, ReasonMasterResigned)},
		wantState: StateMaster,
	}, {
		// Skew_Time = 156 * 200cs / 256 = 121cs; 3 * 2s + 1.21s = 7.21s.
		rule:      "6.4.3 Priority in the ADVERTISEMENT greater than the local Priority: Cancel Adver_Timer, Set Master_Adver_Interval, Recompute Skew_Time and Master_Down_Interval, Set Master_Down_Timer, Transition to Backup",
		setup:     inMaster,
		at:        4 * time.Second,
		ev:        advert(addrLow, 200, 2*time.Second),
		want:      []Action{send(100, time.Second, ReasonHigherPriority), release(ReasonHigherPriority), arm(11210*time.Millisecond, ReasonHigherPriority), changed(StateMaster, StateBackup, ReasonHigherPriority)},
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			if a, _ := m.Master(); a != addrLow {
				t.Errorf("Master() = %v, want %v", a, addrLow)
			}
		},
	}, {
		rule:      "6.4.3 Priority equal to the local Priority and the primary IPvX Address of the sender greater than the local one: Transition to Backup",
		setup:     inMaster,
		at:        4 * time.Second,
		ev:        advert(addrHigh, 100, time.Second),
		want:      []Action{send(100, time.Second, ReasonTieBreak), release(ReasonTieBreak), arm(7600*time.Millisecond, ReasonTieBreak), changed(StateMaster, StateBackup, ReasonTieBreak)},
		wantState: StateBackup,
	}, {
		// Master since 3.6s; Master_Down_Interval 3.61s: from 7.21s on it is
		// no longer a fresh take-over.
		rule:      "6.4.3 else Discard the ADVERTISEMENT (equal Priority, lower address) + split-brain healing: advert and announce at once",
		setup:     inMaster,
		at:        8 * time.Second,
		ev:        advert(addrLow, 100, time.Second),
		want:      []Action{send(100, time.Second, ReasonSplitBrain), announce(ReasonSplitBrain), arm(9*time.Second, ReasonSplitBrain)},
		wantState: StateMaster,
	}, {
		rule:      "6.4.3 else Discard the ADVERTISEMENT (lower Priority) + split-brain healing: advert and announce at once, counted",
		setup:     inMaster,
		at:        8 * time.Second,
		ev:        advert(addrHigh, 99, time.Second),
		want:      []Action{send(100, time.Second, ReasonSplitBrain), announce(ReasonSplitBrain), arm(9*time.Second, ReasonSplitBrain)},
		wantState: StateMaster,
		check: func(t *testing.T, m *Machine) {
			if m.Counters().SplitBrainHeals != 1 {
				t.Errorf("SplitBrainHeals = %d, want 1", m.Counters().SplitBrainHeals)
			}
		},
	}, {
		rule:      "6.4.3 else Discard (lower Priority) within Master_Down_Interval of taking over: a hand-over, not a split brain: advert at once, no announcement, not counted",
		setup:     inMaster,
		at:        4 * time.Second,
		ev:        advert(addrHigh, 99, time.Second),
		want:      []Action{send(100, time.Second, ReasonHandover), arm(5*time.Second, ReasonHandover)},
		wantState: StateMaster,
		check: func(t *testing.T, m *Machine) {
			if m.Counters().SplitBrainHeals != 0 {
				t.Errorf("SplitBrainHeals = %d, want 0", m.Counters().SplitBrainHeals)
			}
		},
	}, {
		rule:      "6.4.3 note: in the Master state the Preempt_Mode flag is not considered (nopreempt master still yields to a higher priority)",
		cfg:       func(c *Config) { c.Preempt = false },
		setup:     inMaster,
		at:        4 * time.Second,
		ev:        advert(addrLow, 101, time.Second),
		want:      []Action{send(100, time.Second, ReasonHigherPriority), release(ReasonHigherPriority), arm(7600*time.Millisecond, ReasonHigherPriority), changed(StateMaster, StateBackup, ReasonHigherPriority)},
		wantState: StateBackup,
	}})
}

func TestVersion2Timing(t *testing.T) {
	v2 := func(c *Config) {
		c.Version = 2
		c.AdvertInterval = 2 * time.Second
	}
	// RFC 3768: Skew_Time = (256-100)/256 s = 609.375ms, independent of
	// the interval; Master_Down_Interval = 3 * 2s + 609.375ms.
	const mdi = 6609375 * time.Microsecond
	runRuleCases(t, []ruleCase{{
		rule:      "RFC 3768 6.1 Skew_Time = (256-Priority)/256 seconds; Master_Down_Interval = 3*Master_Adver_Interval + Skew_Time",
		cfg:       v2,
		ev:        Startup{},
		want:      []Action{arm(mdi, ReasonStartup), changed(StateInitialize, StateBackup, ReasonStartup)},
		wantState: StateBackup,
	}, {
		rule:      "RFC 3768 6.4.2 an advert with the local interval resets the Master_Down_Timer",
		cfg:       v2,
		setup:     inBackup,
		at:        time.Second,
		ev:        advert(addrHigh, 200, 2*time.Second),
		want:      []Action{arm(time.Second+mdi, ReasonAdvertReceived)},
		wantState: StateBackup,
	}, {
		rule:      "RFC 3768 7.1 the Adver Interval MUST match the local one, else discard (v2 does not learn)",
		cfg:       v2,
		setup:     inBackup,
		at:        time.Second,
		ev:        advert(addrHigh, 200, 3*time.Second),
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			expectDeadline(t, m, mdi)
			if m.MasterAdverInterval() != 2*time.Second || m.Counters().IntervalMismatch != 1 {
				t.Errorf("interval %s, mismatches %d; want 2s, 1", m.MasterAdverInterval(), m.Counters().IntervalMismatch)
			}
		},
	}})
}

func TestPreemptionExtensions(t *testing.T) {
	delay := func(c *Config) { c.PreemptDelay = 10 * time.Second }
	runRuleCases(t, []ruleCase{{
		rule:      "preempt_delay: within PreemptDelay after entering Backup a lower-priority master is accepted as with nopreempt",
		cfg:       delay,
		setup:     withSteps(inBackup, step{time.Second, advert(addrLow, 50, time.Second)}),
		at:        4 * time.Second,
		ev:        advert(addrLow, 50, time.Second),
		want:      []Action{arm(7600*time.Millisecond, ReasonAdvertReceived)},
		wantState: StateBackup,
	}, {
		rule: "preempt_delay: once PreemptDelay has passed the lower-priority advert is discarded and the timer preempts",
		cfg:  delay,
		setup: withSteps(inBackup,
			step{3 * time.Second, advert(addrLow, 50, time.Second)},
			step{6 * time.Second, advert(addrLow, 50, time.Second)},
			step{9 * time.Second, advert(addrLow, 50, time.Second)}),
		at:        10 * time.Second,
		ev:        advert(addrLow, 50, time.Second),
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			expectDeadline(t, m, 12600*time.Millisecond)
			expectStep(t, m, 12600*time.Millisecond, TimerDue{},
				send(100, time.Second, ReasonPreempt), claim(ReasonPreempt), announce(ReasonPreempt),
				arm(13600*time.Millisecond, ReasonPreempt), changed(StateBackup, StateMaster, ReasonPreempt))
		},
	}, {
		rule:      "preempt_delay restarts when a master steps down to Backup",
		cfg:       delay,
		setup:     withSteps(inMaster, step{4 * time.Second, advert(addrHigh, 200, time.Second)}),
		at:        13 * time.Second, // < 4s + 10s
		ev:        advert(addrLow, 50, time.Second),
		want:      []Action{arm(16600*time.Millisecond, ReasonAdvertReceived)},
		wantState: StateBackup,
	}, {
		rule:      "preempt_delay does not delay taking over from a master that resigned (priority 0 -> Skew_Time)",
		cfg:       delay,
		setup:     withSteps(inBackup, step{time.Second, advert(addrLow, 50, time.Second)}),
		at:        2 * time.Second,
		ev:        advert(addrLow, 0, time.Second),
		want:      []Action{arm(2600*time.Millisecond, ReasonMasterResigned)},
		wantState: StateBackup,
	}, {
		// Owner: Skew_Time = 1 * 100cs / 256 = 0; Master_Down_Interval = 3s.
		rule:      "address owner (255) always preempts, even with Preempt=false",
		cfg:       func(c *Config) { c.Priority = 255; c.Preempt = false },
		setup:     []step{{0, Startup{}}, {500 * time.Millisecond, advert(addrHigh, 255, time.Second)}},
		at:        time.Second,
		ev:        advert(addrLow, 200, time.Second),
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			expectDeadline(t, m, 3500*time.Millisecond)
		},
	}})
}

func TestFault(t *testing.T) {
	runRuleCases(t, []ruleCase{{
		rule:      "fault: InterfaceDown in Backup stops the Master_Down_Timer",
		setup:     inBackup,
		at:        time.Second,
		ev:        InterfaceDown{},
		want:      []Action{disarm(ReasonInterfaceDown), changed(StateBackup, StateFault, ReasonInterfaceDown)},
		wantState: StateFault,
	}, {
		rule:      "fault: InterfaceDown in Master releases the addresses and stops adverts",
		setup:     inMaster,
		at:        4 * time.Second,
		ev:        InterfaceDown{},
		want:      []Action{release(ReasonInterfaceDown), disarm(ReasonInterfaceDown), changed(StateMaster, StateFault, ReasonInterfaceDown)},
		wantState: StateFault,
	}, {
		rule:      "fault: effective priority 0 in Master resigns like a graceful stop: priority-0 advert, addresses kept until the handover (RFC 6.4.3 shutdown rule applied to a fault)",
		setup:     inMaster,
		at:        4 * time.Second,
		ev:        PriorityChanged{Priority: 0},
		want:      []Action{send(0, time.Second, ReasonPriorityZero), arm(6*time.Second, ReasonPriorityZero), changed(StateMaster, StateStopping, ReasonPriorityZero)},
		wantState: StateStopping,
	}, {
		rule:      "fault: a resigning master lets go and enters Fault when the new master is heard",
		setup:     withSteps(inMaster, step{4 * time.Second, PriorityChanged{Priority: 0}}),
		at:        4100 * time.Millisecond,
		ev:        advert(addrLow, 100, time.Second),
		want:      []Action{release(ReasonNewMaster), disarm(ReasonNewMaster), changed(StateStopping, StateFault, ReasonNewMaster)},
		wantState: StateFault,
	}, {
		rule:      "fault: a resigning master whose handover deadline passes lets go and enters Fault",
		setup:     withSteps(inMaster, step{4 * time.Second, PriorityChanged{Priority: 0}}),
		at:        6 * time.Second,
		ev:        TimerDue{},
		want:      []Action{release(ReasonHandoverTimeout), disarm(ReasonHandoverTimeout), changed(StateStopping, StateFault, ReasonHandoverTimeout)},
		wantState: StateFault,
	}, {
		rule:  "fault: a resigning master whose priority came back rejoins as backup after the handover",
		setup: withSteps(inMaster, step{4 * time.Second, PriorityChanged{Priority: 0}}, step{4050 * time.Millisecond, PriorityChanged{Priority: 100}}),
		at:    4100 * time.Millisecond,
		ev:    advert(addrLow, 100, time.Second),
		want: []Action{release(ReasonNewMaster), disarm(ReasonNewMaster), changed(StateStopping, StateFault, ReasonNewMaster),
			arm(7700*time.Millisecond, ReasonFaultCleared), changed(StateFault, StateBackup, ReasonFaultCleared)},
		wantState: StateBackup,
	}, {
		rule:      "shutdown while resigning ends in Stopped, not Fault",
		setup:     withSteps(inMaster, step{4 * time.Second, PriorityChanged{Priority: 0}}),
		at:        4100 * time.Millisecond,
		ev:        Shutdown{},
		want:      []Action{release(ReasonShutdown), disarm(ReasonShutdown), changed(StateStopping, StateStopped, ReasonShutdown)},
		wantState: StateStopped,
	}, {
		rule:      "fault: effective priority 0 in Backup",
		setup:     inBackup,
		at:        time.Second,
		ev:        PriorityChanged{Priority: 0},
		want:      []Action{disarm(ReasonPriorityZero), changed(StateBackup, StateFault, ReasonPriorityZero)},
		wantState: StateFault,
	}, {
		rule:      "fault: InterfaceUp returns to Backup with a fresh Master_Down_Timer",
		setup:     withSteps(inBackup, step{time.Second, InterfaceDown{}}),
		at:        5 * time.Second,
		ev:        InterfaceUp{},
		want:      []Action{arm(8600*time.Millisecond, ReasonFaultCleared), changed(StateFault, StateBackup, ReasonFaultCleared)},
		wantState: StateBackup,
	}, {
		rule:      "fault: InterfaceUp while the priority is still 0 stays in Fault",
		setup:     withSteps(inBackup, step{time.Second, InterfaceDown{}}, step{2 * time.Second, PriorityChanged{Priority: 0}}),
		at:        3 * time.Second,
		ev:        InterfaceUp{},
		wantState: StateFault,
	}, {
		// Priority 80: Skew_Time = 176 * 100cs / 256 = 68cs; 3.68s.
		rule:      "fault: priority back above 0 returns to Backup, timers use the new priority",
		setup:     withSteps(inBackup, step{time.Second, PriorityChanged{Priority: 0}}),
		at:        5 * time.Second,
		ev:        PriorityChanged{Priority: 80},
		want:      []Action{arm(8680*time.Millisecond, ReasonFaultCleared), changed(StateFault, StateBackup, ReasonFaultCleared)},
		wantState: StateBackup,
	}, {
		rule:  "fault: the address owner leaves Fault straight to Master",
		cfg:   func(c *Config) { c.Priority = 255 },
		setup: []step{{0, Startup{}}, {time.Second, InterfaceDown{}}},
		at:    2 * time.Second,
		ev:    InterfaceUp{},
		want: []Action{
			send(255, time.Second, ReasonOwner), claim(ReasonOwner), announce(ReasonOwner),
			arm(3*time.Second, ReasonOwner), changed(StateFault, StateMaster, ReasonOwner),
		},
		wantState: StateMaster,
	}, {
		rule:      "fault: Startup with the interface already down enters Fault",
		setup:     []step{{0, InterfaceDown{}}},
		at:        time.Second,
		ev:        Startup{},
		want:      []Action{changed(StateInitialize, StateFault, ReasonInterfaceDown)},
		wantState: StateFault,
	}, {
		rule:      "fault: adverts are ignored in Fault",
		setup:     withSteps(inBackup, step{time.Second, InterfaceDown{}}),
		at:        2 * time.Second,
		ev:        advert(addrHigh, 0, time.Second),
		wantState: StateFault,
	}, {
		rule:      "priority change in Master is advertised at once",
		setup:     inMaster,
		at:        4 * time.Second,
		ev:        PriorityChanged{Priority: 120},
		want:      []Action{send(120, time.Second, ReasonPriorityChanged), arm(5*time.Second, ReasonPriorityChanged)},
		wantState: StateMaster,
	}, {
		// Priority 120: Skew_Time = 136 * 100cs / 256 = 53cs.
		rule:      "priority change in Backup changes Skew_Time but keeps the running timer",
		setup:     inBackup,
		at:        time.Second,
		ev:        PriorityChanged{Priority: 120},
		wantState: StateBackup,
		check: func(t *testing.T, m *Machine) {
			expectDeadline(t, m, 3600*time.Millisecond)
			if m.Priority() != 120 || m.MasterDownInterval() != 3530*time.Millisecond {
				t.Errorf("priority %d, Master_Down_Interval %s; want 120, 3.53s", m.Priority(), m.MasterDownInterval())
			}
		},
	}})
}

func TestGracefulStop(t *testing.T) {
	runRuleCases(t, []ruleCase{{
		rule:      "graceful stop: the new master's advert (priority > 0) releases the addresses and stops",
		setup:     inStopping,
		at:        5700 * time.Millisecond,
		ev:        advert(addrLow, 50, time.Second),
		want:      []Action{release(ReasonNewMaster), disarm(ReasonNewMaster), changed(StateStopping, StateStopped, ReasonNewMaster)},
		wantState: StateStopped,
	}, {
		rule:      "graceful stop: the addresses are kept until Skew_Time + Advertisement_Interval",
		setup:     inStopping,
		at:        6599 * time.Millisecond,
		ev:        TimerDue{},
		wantState: StateStopping,
		check: func(t *testing.T, m *Machine) {
			if !m.State().HoldsVIPs() {
				t.Error("stopping master gave up the addresses early")
			}
		},
	}, {
		rule:      "graceful stop: nobody took over by Skew_Time + Advertisement_Interval: release and stop",
		setup:     inStopping,
		at:        6600 * time.Millisecond,
		ev:        TimerDue{},
		want:      []Action{release(ReasonHandoverTimeout), disarm(ReasonHandoverTimeout), changed(StateStopping, StateStopped, ReasonHandoverTimeout)},
		wantState: StateStopped,
	}, {
		rule:      "graceful stop: another priority-0 advert is not a new master",
		setup:     inStopping,
		at:        5500 * time.Millisecond,
		ev:        advert(addrLow, 0, time.Second),
		wantState: StateStopping,
	}, {
		rule:      "graceful stop: a second Shutdown releases at once",
		setup:     inStopping,
		at:        5500 * time.Millisecond,
		ev:        Shutdown{},
		want:      []Action{release(ReasonShutdown), disarm(ReasonShutdown), changed(StateStopping, StateStopped, ReasonShutdown)},
		wantState: StateStopped,
	}, {
		rule:      "graceful stop: InterfaceDown while stopping releases at once",
		setup:     inStopping,
		at:        5500 * time.Millisecond,
		ev:        InterfaceDown{},
		want:      []Action{release(ReasonInterfaceDown), disarm(ReasonInterfaceDown), changed(StateStopping, StateStopped, ReasonInterfaceDown)},
		wantState: StateStopped,
	}, {
		rule:      "graceful stop: Shutdown in Fault stops",
		setup:     withSteps(inBackup, step{time.Second, InterfaceDown{}}),
		at:        2 * time.Second,
		ev:        Shutdown{},
		want:      []Action{changed(StateFault, StateStopped, ReasonShutdown)},
		wantState: StateStopped,
	}})
}

// TestStoppedIsTerminal: after stop every event produces no action.
func TestStoppedIsTerminal(t *testing.T) {
	for _, setup := range [][]step{
		withSteps(inBackup, step{time.Second, Shutdown{}}),
		withSteps(inStopping, step{6 * time.Second, advert(addrLow, 50, time.Second)}),
	} {
		m, err := NewMachine(baseConfig())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range setup {
			m.Step(at(s.at), s.ev)
		}
		if m.State() != StateStopped {
			t.Fatalf("setup left state %s", m.State())
		}
		for i, ev := range []Event{
			Startup{}, Shutdown{}, TimerDue{}, advert(addrHigh, 200, time.Second), advert(addrLow, 0, time.Second),
			PriorityChanged{Priority: 0}, PriorityChanged{Priority: 255}, InterfaceDown{}, InterfaceUp{},
		} {
			if got := m.Step(at(time.Minute+time.Duration(i)*time.Second), ev); len(got) != 0 {
				t.Errorf("%T after stop produced %v", ev, got)
			}
		}
		if _, ok := m.Deadline(); ok || m.State() != StateStopped {
			t.Errorf("after stop: state %s, timer armed %v", m.State(), ok)
		}
	}
}
