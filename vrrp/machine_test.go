package vrrp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Config)
		field string // "" = valid
	}{
		{"base v3 config is valid", func(*Config) {}, ""},
		{"v2 whole seconds is valid", func(c *Config) { c.Version = 2; c.AdvertInterval = 3 * time.Second }, ""},
		{"v3 IPv6 is valid", func(c *Config) { c.LocalAddr = netip.MustParseAddr("fe80::1") }, ""},
		{"v3 smallest interval 10ms", func(c *Config) { c.AdvertInterval = 10 * time.Millisecond }, ""},
		{"v3 largest interval 40.95s", func(c *Config) { c.AdvertInterval = 40950 * time.Millisecond }, ""},
		{"owner priority 255", func(c *Config) { c.Priority = 255 }, ""},
		{"VRID 0", func(c *Config) { c.VRID = 0 }, "VRID"},
		{"priority 0 is reserved", func(c *Config) { c.Priority = 0 }, "Priority"},
		{"version 1", func(c *Config) { c.Version = 1 }, "Version"},
		{"v3 interval below 10ms", func(c *Config) { c.AdvertInterval = 5 * time.Millisecond }, "AdvertInterval"},
		{"v3 interval above 40.95s", func(c *Config) { c.AdvertInterval = 41 * time.Second }, "AdvertInterval"},
		{"v3 interval not whole centiseconds", func(c *Config) { c.AdvertInterval = 15 * time.Millisecond }, "AdvertInterval"},
		{"v2 interval not whole seconds", func(c *Config) { c.Version = 2; c.AdvertInterval = 1500 * time.Millisecond }, "AdvertInterval"},
		{"v2 interval above 255s", func(c *Config) { c.Version = 2; c.AdvertInterval = 256 * time.Second }, "AdvertInterval"},
		{"negative preempt delay", func(c *Config) { c.PreemptDelay = -time.Second }, "PreemptDelay"},
		{"missing LocalAddr", func(c *Config) { c.LocalAddr = netip.Addr{} }, "LocalAddr"},
		{"v2 with IPv6", func(c *Config) { c.Version = 2; c.LocalAddr = netip.MustParseAddr("2001:db8::1") }, "LocalAddr"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := baseConfig()
			c.edit(&cfg)
			err := cfg.Validate()
			_, newErr := NewMachine(cfg)
			if (err == nil) != (newErr == nil) {
				t.Fatalf("Validate = %v but NewMachine = %v", err, newErr)
			}
			if c.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != c.field {
				t.Fatalf("error %v, want a *ConfigError for %s", err, c.field)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("message %q does not name the field", err)
			}
		})
	}
}

func TestMappedLocalAddrIsUnmapped(t *testing.T) {
	cfg := baseConfig()
	cfg.LocalAddr = netip.MustParseAddr("::ffff:10.0.0.5")
	m, err := NewMachine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Step(at(0), Startup{})
	m.Step(at(time.Second), advert(addrSelf, 200, time.Second))
	if m.Counters().OwnAdverts != 1 {
		t.Errorf("own advert from the unmapped form not recognised: %+v", m.Counters())
	}
}

func TestIPv6ZonesDoNotMatter(t *testing.T) {
	cfg := baseConfig()
	cfg.LocalAddr = netip.MustParseAddr("fe80::5%eth0")
	m := newStarted(t, cfg, inMaster...)
	if got := m.Step(at(4*time.Second), advert(netip.MustParseAddr("fe80::5"), 200, time.Second)); len(got) != 0 || m.Counters().OwnAdverts != 1 {
		t.Fatalf("own advert without zone not recognised: %v", got)
	}
	want := []Action{send(100, time.Second, ReasonTieBreak), release(ReasonTieBreak), arm(8600*time.Millisecond, ReasonTieBreak), changed(StateMaster, StateBackup, ReasonTieBreak)}
	if got := m.Step(at(5*time.Second), advert(netip.MustParseAddr("fe80::9%eth0"), 100, time.Second)); !sameActions(got, want) {
		t.Fatalf("tie-break with zoned addresses: got %v, want %v", got, want)
	}
}

func newStarted(t *testing.T, cfg Config, steps ...step) *Machine {
	t.Helper()
	m, err := NewMachine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		m.Step(at(s.at), s.ev)
	}
	return m
}

func TestReconfigure(t *testing.T) {
	t.Run("master priority change is advertised at once", func(t *testing.T) {
		m := newStarted(t, baseConfig(), inMaster...)
		cfg := baseConfig()
		cfg.Priority = 120
		got, err := m.Reconfigure(at(4*time.Second), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if want := []Action{send(120, time.Second, ReasonReconfigured), arm(5*time.Second, ReasonReconfigured)}; !sameActions(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if m.State() != StateMaster || m.Priority() != 120 {
			t.Errorf("state %s priority %d", m.State(), m.Priority())
		}
	})
	t.Run("master interval change is advertised with the new interval", func(t *testing.T) {
		m := newStarted(t, baseConfig(), inMaster...)
		cfg := baseConfig()
		cfg.AdvertInterval = 2 * time.Second
		got, err := m.Reconfigure(at(4*time.Second), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if want := []Action{send(100, 2*time.Second, ReasonReconfigured), arm(6*time.Second, ReasonReconfigured)}; !sameActions(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if m.MasterAdverInterval() != 2*time.Second {
			t.Errorf("MasterAdverInterval = %s", m.MasterAdverInterval())
		}
	})
	t.Run("v3 backup keeps the learned interval", func(t *testing.T) {
		m := newStarted(t, baseConfig(), withSteps(inBackup, step{time.Second, advert(addrHigh, 200, 2*time.Second)})...)
		cfg := baseConfig()
		cfg.AdvertInterval = 500 * time.Millisecond
		got, err := m.Reconfigure(at(2*time.Second), cfg)
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v; want no actions", got, err)
		}
		if m.MasterAdverInterval() != 2*time.Second {
			t.Errorf("MasterAdverInterval = %s, want learned 2s", m.MasterAdverInterval())
		}
	})
	t.Run("v2 backup uses the new interval", func(t *testing.T) {
		cfg := baseConfig()
		cfg.Version, cfg.AdvertInterval = 2, time.Second
		m := newStarted(t, cfg, inBackup...)
		cfg.AdvertInterval = 3 * time.Second
		if _, err := m.Reconfigure(at(time.Second), cfg); err != nil {
			t.Fatal(err)
		}
		if m.MasterAdverInterval() != 3*time.Second {
			t.Errorf("MasterAdverInterval = %s, want 3s", m.MasterAdverInterval())
		}
	})
	t.Run("unchanged configured priority keeps the tracked effective priority", func(t *testing.T) {
		m := newStarted(t, baseConfig(), withSteps(inBackup, step{time.Second, PriorityChanged{Priority: 80}})...)
		cfg := baseConfig()
		cfg.Preempt = false
		got, err := m.Reconfigure(at(2*time.Second), cfg)
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v", got, err)
		}
		if m.Priority() != 80 {
			t.Errorf("Priority = %d, want 80", m.Priority())
		}
		// Preempt is now off: a lower-priority master is accepted.
		if got := m.Step(at(3*time.Second), advert(addrLow, 50, time.Second)); len(got) != 1 || got[0].Kind != ActArmTimer {
			t.Errorf("nopreempt after reconfigure: %v", got)
		}
	})
	t.Run("VRID, Version and invalid values are refused and change nothing", func(t *testing.T) {
		m := newStarted(t, baseConfig(), inMaster...)
		for field, edit := range map[string]func(*Config){
			"VRID":           func(c *Config) { c.VRID = 8 },
			"Version":        func(c *Config) { c.Version = 2 },
			"AdvertInterval": func(c *Config) { c.AdvertInterval = 0 },
		} {
			cfg := baseConfig()
			cfg.Priority = 200
			edit(&cfg)
			got, err := m.Reconfigure(at(4*time.Second), cfg)
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != field || len(got) != 0 {
				t.Errorf("%s: got %v, %v", field, got, err)
			}
		}
		if m.Priority() != 100 || m.Config() != baseConfig() {
			t.Errorf("refused reconfigure changed the machine: %d %+v", m.Priority(), m.Config())
		}
	})
}

func TestStringers(t *testing.T) {
	seen := map[string]bool{}
	for s := StateInitialize; s <= StateStopped; s++ {
		name := s.String()
		if strings.HasPrefix(name, "state(") || seen[name] {
			t.Errorf("state %d has no unique name: %q", s, name)
		}
		seen[name] = true
	}
	for r := ReasonNone; r <= ReasonReconfigured; r++ {
		name := r.String()
		if strings.HasPrefix(name, "reason(") || seen[name] {
			t.Errorf("reason %d has no unique name: %q", r, name)
		}
		seen[name] = true
	}
	for k := ActSendAdvert; k <= ActStateChanged; k++ {
		if name := k.String(); strings.HasPrefix(name, "action(") {
			t.Errorf("action kind %d has no name", k)
		}
	}
	if got := State(99).String(); got != "state(99)" {
		t.Errorf("State(99) = %q", got)
	}
	if got := Reason(99).String(); got != "reason(99)" {
		t.Errorf("Reason(99) = %q", got)
	}
	if got := changed(StateBackup, StateMaster, ReasonPreempt).String(); got != "state-changed(backup->master, preempt)" {
		t.Errorf("Action.String = %q", got)
	}
}

// TestStepDoesNotAllocate guards the hot paths the benchmarks measure.
func TestStepDoesNotAllocate(t *testing.T) {
	backup := newStarted(t, baseConfig(), inBackup...)
	now := at(time.Second)
	ev := advert(addrHigh, 200, time.Second)
	if n := testing.AllocsPerRun(200, func() {
		now = now.Add(time.Second)
		backup.Step(now, ev)
	}); n != 0 {
		t.Errorf("advert in Backup: %v allocs per Step", n)
	}
	master := newStarted(t, baseConfig(), inMaster...)
	if n := testing.AllocsPerRun(200, func() {
		d, _ := master.Deadline()
		master.Step(d, TimerDue{})
	}); n != 0 {
		t.Errorf("timer in Master: %v allocs per Step", n)
	}
	if master.State() != StateMaster || backup.State() != StateBackup {
		t.Errorf("states drifted: %s %s", master.State(), backup.State())
	}
}

// TestStepReusesItsSlice documents the ownership rule of Step's result.
func TestStepReusesItsSlice(t *testing.T) {
	m := newStarted(t, baseConfig(), inMaster...)
	first := m.Step(at(4600*time.Millisecond), TimerDue{})
	second := m.Step(at(5600*time.Millisecond), TimerDue{})
	if &first[0] != &second[0] {
		t.Error("Step did not reuse its action slice")
	}
	if !second[1].At.Equal(at(6600 * time.Millisecond)) {
		t.Errorf("second result wrong: %v", second)
	}
}
