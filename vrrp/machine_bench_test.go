package vrrp

import (
	"testing"
	"time"
)

// BenchmarkStepBackupAdvert: the common Backup path, an accepted advert that
// resets the Master_Down_Timer.
func BenchmarkStepBackupAdvert(b *testing.B) {
	m, err := NewMachine(baseConfig())
	if err != nil {
		b.Fatal(err)
	}
	now := at(0)
	m.Step(now, Startup{})
	ev := advert(addrHigh, 200, time.Second)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		if acts := m.Step(now, ev); len(acts) != 1 {
			b.Fatalf("unexpected actions %v", acts)
		}
	}
}

// BenchmarkStepMasterTimer: the common Master path, Adver_Timer firing.
func BenchmarkStepMasterTimer(b *testing.B) {
	m, err := NewMachine(baseConfig())
	if err != nil {
		b.Fatal(err)
	}
	m.Step(at(0), Startup{})
	d, _ := m.Deadline()
	m.Step(d, TimerDue{})
	b.ReportAllocs()
	for b.Loop() {
		d, _ = m.Deadline()
		if acts := m.Step(d, TimerDue{}); len(acts) != 2 {
			b.Fatalf("unexpected actions %v", acts)
		}
	}
}

// BenchmarkStepFailover: a full Backup -> Master -> Backup cycle (timer
// fires, then a higher-priority advert), the most expensive transitions.
func BenchmarkStepFailover(b *testing.B) {
	m, err := NewMachine(baseConfig())
	if err != nil {
		b.Fatal(err)
	}
	m.Step(at(0), Startup{})
	ev := advert(addrHigh, 200, time.Second)
	b.ReportAllocs()
	for b.Loop() {
		d, _ := m.Deadline()
		m.Step(d, TimerDue{})
		m.Step(d.Add(time.Millisecond), ev)
	}
	if m.State() != StateBackup {
		b.Fatalf("state %s", m.State())
	}
}
