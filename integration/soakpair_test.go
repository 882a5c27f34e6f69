package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// soakPair is a master (d1, priority 150) and a backup (d2, priority 100)
// of one implementation at 10 ms adverts, and the number of state changes
// their logs held when counting started.
type soakPair struct {
	impl   string
	l      *lab
	d1, d2 *daemon
	before int
}

// kaRealtime gives keepalived's VRRP process the real-time priority that
// startVigil gives vigil (SCHED_FIFO 20). With it keepalived also sets
// RLIMIT_RTTIME, by default 10 ms of CPU between blocking calls, which gets
// it killed on a loaded machine; one second keeps the safety net (the same
// setting as the keepalived configuration `vigil lab` writes).
var kaRealtime = []string{"  vrrp_rt_priority 20", "  vrrp_rlimit_rttime 1000000"}

// startPair starts impl ("vigil" or "keepalived") on the lab's d1 and d2
// and waits until d1 is master and d2 a backup that does not take over.
func startPair(l *lab, impl string) *soakPair {
	l.t.Helper()
	p := &soakPair{impl: impl, l: l}
	switch impl {
	case "vigil":
		p.d1 = l.startVigil(l.d1, l.instance(150, "10ms"))
		l.waitFor("VIP on d1", 5*time.Second, func() bool { return l.hasVIP(l.d1) })
		p.d2 = l.startVigil(l.d2, l.instance(100, "10ms"))
		l.waitHearsMaster(l.d2, l.d1)
	case "keepalived":
		needCommand(l.t, "keepalived")
		p.d1 = l.startKeepalived(l.d1, l.keepalivedConf(3, 150, "0.01", kaRealtime...))
		l.waitFor("VIP on d1", 5*time.Second, func() bool { return l.hasVIP(l.d1) })
		p.d2 = l.startKeepalived(l.d2, l.keepalivedConf(3, 100, "0.01", kaRealtime...))
		// keepalived has no status to ask whether d2 hears d1: d2 must
		// log entering backup, then stay backup for many times its
		// Master_Down_Interval (about 36 ms). A d2 that did not hear d1
		// would stay master.
		l.waitFor("d2 to enter backup", 5*time.Second, func() bool { return p.count(p.d2) > 0 })
		l.waitSteady("d2 staying backup", 500*time.Millisecond, 10*time.Second, p.vipHome)
	default:
		l.t.Fatalf("no implementation %q", impl)
	}
	return p
}

// waitSteady waits until cond has held for d without a break, and fails
// after timeout: unlike hold, a blip that heals does not fail the test.
func (l *lab) waitSteady(what string, d, timeout time.Duration, cond func() bool) {
	l.t.Helper()
	since := time.Now()
	l.waitFor(what, timeout, func() bool {
		if !cond() {
			since = time.Now()
		}
		return time.Since(since) >= d
	})
}

// keepalivedStateRE matches keepalived's "(VI_1) Entering MASTER STATE",
// also with BACKUP or FAULT and a reason such as "(init)" after it.
var keepalivedStateRE = regexp.MustCompile(`\) Entering [A-Z]+ STATE`)

// isStateChange reports whether a log line of impl says the daemon
// changed its VRRP state.
func isStateChange(impl, line string) bool {
	if impl == "keepalived" {
		return keepalivedStateRE.MatchString(line)
	}
	return strings.Contains(line, `msg="state changed"`)
}

// stateLinesOf returns the state changes in d's log.
func (p *soakPair) stateLinesOf(d *daemon) []string {
	var out []string
	for _, line := range d.logLines("") {
		if isStateChange(p.impl, line) {
			out = append(out, line)
		}
	}
	return out
}

func (p *soakPair) count(d *daemon) int { return len(p.stateLinesOf(d)) }

// stateLines returns both daemons' state changes, for the test log.
func (p *soakPair) stateLines() []string {
	var out []string
	for _, d := range []*daemon{p.d1, p.d2} {
		name := "d1"
		if d == p.d2 {
			name = "d2"
		}
		for _, line := range p.stateLinesOf(d) {
			out = append(out, name+" "+line)
		}
	}
	return out
}

// mark starts counting.
func (p *soakPair) mark() { p.before = p.count(p.d1) + p.count(p.d2) }

// transitions is the number of state changes since mark.
func (p *soakPair) transitions() int { return p.count(p.d1) + p.count(p.d2) - p.before }

// vipHome reports whether the VIP is where the election put it: on d1
// only.
func (p *soakPair) vipHome() bool { return p.l.hasVIP(p.l.d1) && !p.l.hasVIP(p.l.d2) }

func TestIsStateChange(t *testing.T) {
	for _, c := range []struct {
		impl, line string
		want       bool
	}{
		{"vigil", `time=2026-11-23T08:25:46.081Z level=INFO msg="state changed" instance=VI_1 from=backup to=master reason=master-down priority=100`, true},
		{"vigil", `time=2026-11-23T08:25:46.081Z level=DEBUG msg="advert sent" instance=VI_1`, false},
		{"keepalived", `Mon Nov 23 08:28:38 2026: (VI_1) Entering MASTER STATE`, true},
		{"keepalived", `Mon Nov 23 08:28:38 2026: (VI_1) Entering BACKUP STATE (init)`, true},
		{"keepalived", `Mon Nov 23 08:28:38 2026: (VI_1) Entering FAULT STATE`, true},
		{"keepalived", `Mon Nov 23 08:28:38 2026: (VI_1) Receive advertisement timeout`, false},
		{"keepalived", `Mon Nov 23 08:28:38 2026: (VI_1) received lower priority (100) advert from 10.9.0.2 - discarding`, false},
	} {
		if got := isStateChange(c.impl, c.line); got != c.want {
			t.Errorf("isStateChange(%s, %q) = %v, want %v", c.impl, c.line, got, c.want)
		}
	}
}

// TestSoakCountsForcedTransitions checks the soak's counting against real
// daemons of both implementations: the master loses its link and gets it
// back, so the backup takes over and hands back. The VIP ends where it
// started, so only the counts from the logs can show what happened.
func TestSoakCountsForcedTransitions(t *testing.T) {
	for _, c := range []struct {
		impl, prefix string
		octet        int
	}{{"vigil", "vgc1", 242}, {"keepalived", "vgc2", 243}} {
		t.Run(c.impl, func(t *testing.T) {
			p := startPair(newLab(t, c.prefix, c.octet), c.impl)
			l := p.l
			p.mark()
			if n := p.transitions(); n != 0 {
				t.Fatalf("%d transitions right after mark", n)
			}
			d1, d2 := p.count(p.d1), p.count(p.d2)
			if err := l.d1.Run("ip", "link", "set", "eth0", "down"); err != nil {
				t.Fatal(err)
			}
			l.waitFor("VIP on d2", 5*time.Second, func() bool { return l.hasVIP(l.d2) })
			if err := l.d1.Run("ip", "link", "set", "eth0", "up"); err != nil {
				t.Fatal(err)
			}
			l.waitFor("the VIP back on d1 only", 5*time.Second, p.vipHome)
			// Each daemon left its state and came back to it: two changes
			// at least (d1 goes through fault and backup).
			l.waitFor("both daemons to log leaving their state and coming back", 2*time.Second, func() bool {
				return p.count(p.d1) >= d1+2 && p.count(p.d2) >= d2+2
			})
			t.Logf("%d transitions counted:\n%s", p.transitions(), strings.Join(p.stateLines(), "\n"))
		})
	}
}
