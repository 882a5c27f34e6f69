package director

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
)

func TestEffectivePriority(t *testing.T) {
	cases := []struct {
		name       string
		configured uint8
		failed     []int
		want       uint8
	}{
		{"nothing failed keeps the configured priority", 150, nil, 150},
		{"weight 0 faults", 150, []int{0}, 0},
		{"negative weight lowers", 150, []int{-60}, 90},
		{"weights add up", 150, []int{-60, -20}, 70},
		{"never below 1", 100, []int{-200}, 1},
		{"never reaches the owner priority", 250, []int{+30}, 254},
		{"one weight-0 failure wins over others", 200, []int{-10, 0}, 0},
	}
	for _, c := range cases {
		if got := effectivePriority(c.configured, c.failed); got != c.want {
			t.Errorf("%s: got %d want %d", c.name, got, c.want)
		}
	}
}

func TestTrackedInterfaceLowersPriorityAndLetsTheBackupPreempt(t *testing.T) {
	_, vips, a, b := newPair(t, "track_interface {\n name = \"uplink0\"\n weight = -100\n}", "")
	tr := NewTracker(a.Director, pairConfig(t, 150, "10ms", "track_interface {\n name = \"uplink0\"\n weight = -100\n}"))
	tr.LinkChanged("uplink0", true)
	time.Sleep(30 * time.Millisecond)
	if a.state() != "master" {
		t.Fatalf("an up link must not change anything, a is %s", a.state())
	}
	tr.LinkChanged("uplink0", false)
	waitFor(t, "b preempts the weakened master", time.Second, func() bool { return b.state() == "master" && a.state() == "backup" })
	if p := a.Status()[0].Priority; p != 50 {
		t.Fatalf("a's effective priority %d, want 50", p)
	}
	tr.LinkChanged("uplink0", true)
	waitFor(t, "a preempts back", time.Second, func() bool { return a.state() == "master" && b.state() == "backup" })
	waitFor(t, "VIP only on a", time.Second, func() bool { h := vips.holdersOf(vip); return len(h) == 1 && h[0] == "a" })
}

func TestOwnInterfaceDownFaultsTheInstance(t *testing.T) {
	_, _, a, b := newPair(t, "", "")
	tr := NewTracker(a.Director, pairConfig(t, 150, "10ms", ""))
	tr.LinkChanged("lan0", false)
	waitFor(t, "a fault, b master", time.Second, func() bool { return a.state() == "fault" && b.state() == "master" })
	tr.LinkChanged("lan0", true)
	waitFor(t, "a master again", time.Second, func() bool { return a.state() == "master" && b.state() == "backup" })
}

func TestScriptRiseAndFall(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "ok")
	script := filepath.Join(dir, "check.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntest -e "+flag+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var reports []bool
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runScript(ctx, config.VRRPScript{Name: "s", Command: []string{script}, Interval: 10 * time.Millisecond,
			Timeout: time.Second, Rise: 2, Fall: 3}, func(ok bool) {
			mu.Lock()
			reports = append(reports, ok)
			mu.Unlock()
		})
	}()
	get := func() []bool { mu.Lock(); defer mu.Unlock(); return append([]bool(nil), reports...) }
	waitFor(t, "first failure report", 2*time.Second, func() bool { return len(get()) == 1 })
	if get()[0] {
		t.Fatal("a failing script was reported healthy")
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "healthy report", 2*time.Second, func() bool { return len(get()) == 2 })
	if !get()[1] {
		t.Fatal("second report should be healthy")
	}
	cancel()
	<-done
	if n := len(get()); n != 2 {
		t.Fatalf("reports %v: a state must be reported once per change", get())
	}
}

func TestMaintenanceHandsOverAndReturns(t *testing.T) {
	_, vips, a, b := newPair(t, "", "")
	tr := NewTracker(a.Director, pairConfig(t, 150, "10ms", ""))
	if err := tr.SetMaintenance("nope", true); err == nil {
		t.Fatal("maintenance of an unknown instance accepted")
	}
	if err := tr.SetMaintenance("VI_1", true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b master while a is in maintenance", time.Second, func() bool { return b.state() == "master" && a.state() == "fault" })
	if f := tr.Failed()["VI_1"]; len(f) != 1 || f[0].Kind != "maintenance" {
		t.Fatalf("failed trackers %v", f)
	}
	if err := tr.SetMaintenance("VI_1", false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a master again", time.Second, func() bool { return a.state() == "master" && b.state() == "backup" })
	waitFor(t, "VIP only on a", time.Second, func() bool { h := vips.holdersOf(vip); return len(h) == 1 && h[0] == "a" })
}

func TestAnnounceOnlyForMaster(t *testing.T) {
	_, _, a, b := newPair(t, "", "")
	before := a.ann.count()
	if err := a.Announce("VI_1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "another announcement", time.Second, func() bool { return a.ann.count() == before+1 })
	if err := b.Announce("VI_1"); err == nil {
		t.Fatal("a backup accepted a GARP request")
	}
	if err := a.Announce("VI_9"); err == nil {
		t.Fatal("unknown instance accepted")
	}
}

// TestMaintenanceHandsOverWithoutGap: a master taken out for maintenance
// keeps the VIP until the backup has taken over, like a graceful stop.
func TestMaintenanceHandsOverWithoutGap(t *testing.T) {
	_, vips, a, b := newPair(t, "", "")
	tr := NewTracker(a.Director, pairConfig(t, 150, "10ms", ""))
	gap := make(chan struct{}, 1)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if len(vips.holdersOf(vip)) == 0 {
				gap <- struct{}{}
				return
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	if err := tr.SetMaintenance("VI_1", true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b master, a in fault", time.Second, func() bool { return b.state() == "master" && a.state() == "fault" })
	waitFor(t, "only b holds", time.Second, func() bool { h := vips.holdersOf(vip); return len(h) == 1 && h[0] == "b" })
	close(stop)
	select {
	case <-gap:
		t.Fatal("the VIP had no holder during the maintenance handover")
	default:
	}
}
