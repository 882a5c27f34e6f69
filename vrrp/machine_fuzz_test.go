package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzMachineStep drives a machine with an arbitrary sequence of events
// (the inputs a hostile network and a flapping host can produce) and checks
// the invariants every driver relies on after each step.
//
// Input: 4 configuration bytes, then 3 bytes per event (kind, argument,
// time advance).
func FuzzMachineStep(f *testing.F) {
	f.Add([]byte{100, 1, 2, 1, 0, 0, 0, 3, 0, 255})             // start, timer: master
	f.Add([]byte{255, 0, 1, 0, 0, 0, 0, 2, 200, 10, 1, 0, 5})   // owner, advert, shutdown
	f.Add([]byte{50, 3, 0, 1, 0, 0, 0, 5, 0, 9, 6, 0, 9, 3, 0}) // fault and recovery
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		cfg := fuzzConfig(data[:4])
		m, err := NewMachine(cfg)
		if err != nil {
			t.Fatalf("fuzzConfig built an invalid config: %v", err)
		}
		now := t0
		holds := false
		for ops := data[4:]; len(ops) >= 3; ops = ops[3:] {
			kind, arg, advance := ops[0], ops[1], ops[2]
			now = now.Add(time.Duration(advance) * 10 * time.Millisecond)
			before := m.State()
			var acts []Action
			switch kind % 9 {
			case 0:
				acts = m.Step(now, Startup{})
			case 1:
				acts = m.Step(now, Shutdown{})
			case 2, 3:
				from := netip.AddrFrom4([4]byte{10, 0, 0, 1 + arg%10}) // 10.0.0.5 is LocalAddr
				acts = m.Step(now, AdvertReceived{From: from, Priority: arg / 10 * 25, Interval: time.Duration(1+arg%3) * cfg.AdvertInterval / 2})
			case 4:
				// Mostly fire when due, so the machine makes progress.
				if d, ok := m.Deadline(); ok && arg%4 != 0 && d.After(now) {
					now = d
				}
				acts = m.Step(now, TimerDue{})
			case 5:
				acts = m.Step(now, PriorityChanged{Priority: arg})
			case 6:
				acts = m.Step(now, InterfaceDown{})
			case 7:
				acts = m.Step(now, InterfaceUp{})
			case 8:
				c := cfg
				c.Priority = max(arg, 1)
				c.Preempt = arg%2 == 0
				acts, err = m.Reconfigure(now, c)
				if err != nil {
					t.Fatalf("valid reconfigure refused: %v", err)
				}
			}
			holds = checkStep(t, m, now, before, holds, acts)
		}
	})
}

func fuzzConfig(b []byte) Config {
	cfg := Config{
		VRID:         1,
		Priority:     max(b[0], 1),
		Version:      3,
		Preempt:      b[1]&1 == 1,
		PreemptDelay: time.Duration(b[1]>>1%4) * time.Second,
		LocalAddr:    netip.AddrFrom4([4]byte{10, 0, 0, 5}),
	}
	cfg.AdvertInterval = time.Duration(1+b[2]%100) * 10 * time.Millisecond
	if b[3]&1 == 1 {
		cfg.Version = 2
		cfg.AdvertInterval = time.Duration(1+b[2]%3) * time.Second
	}
	return cfg
}

// checkStep verifies one step's actions and returns whether the addresses
// are held afterwards.
func checkStep(t *testing.T, m *Machine, now time.Time, before State, holds bool, acts []Action) bool {
	t.Helper()
	state := before
	changes := 0
	armed, deadline := false, time.Time{}
	if d, ok := m.Deadline(); ok {
		armed, deadline = true, d
	}
	if before == StateStopped && len(acts) != 0 {
		t.Fatalf("stopped machine acted: %v", acts)
	}
	var lastTimer *Action
	for i, a := range acts {
		if a.Reason == ReasonNone {
			t.Fatalf("action without reason: %v", a)
		}
		switch a.Kind {
		case ActSendAdvert:
			if before != StateMaster && m.State() != StateMaster {
				t.Fatalf("advert sent from %s to %s: %v", before, m.State(), acts)
			}
			if a.Priority != 0 && a.Priority != m.Priority() {
				t.Fatalf("advert priority %d, effective %d", a.Priority, m.Priority())
			}
		case ActClaimVIPs:
			if holds {
				t.Fatalf("double claim: %v", acts)
			}
			holds = true
		case ActReleaseVIPs:
			if !holds {
				t.Fatalf("release without claim: %v", acts)
			}
			holds = false
		case ActAnnounce:
			if !holds {
				t.Fatalf("announce without the addresses: %v", acts)
			}
		case ActArmTimer:
			if a.At.Before(now) {
				t.Fatalf("timer armed in the past: %v", a)
			}
			lastTimer = &acts[i]
		case ActDisarmTimer:
			lastTimer = &acts[i]
		case ActStateChanged:
			if a.From != state || a.To == a.From {
				t.Fatalf("bad transition %v from %s", a, state)
			}
			state = a.To
			changes++
		default:
			t.Fatalf("unknown action %v", a)
		}
	}
	if changes > 1 || state != m.State() {
		t.Fatalf("%d transitions ending in %s, machine in %s: %v", changes, state, m.State(), acts)
	}
	if holds != m.State().HoldsVIPs() {
		t.Fatalf("holds=%v in %s", holds, m.State())
	}
	if lastTimer != nil && (lastTimer.Kind == ActArmTimer) != armed {
		t.Fatalf("Deadline() disagrees with %v", *lastTimer)
	}
	if lastTimer != nil && armed && !lastTimer.At.Equal(deadline) {
		t.Fatalf("Deadline() %v, last armed %v", deadline, lastTimer.At)
	}
	timerState := m.State() == StateBackup || m.State() == StateMaster || m.State() == StateStopping
	if armed != timerState {
		t.Fatalf("timer armed=%v in %s", armed, m.State())
	}
	return holds
}
