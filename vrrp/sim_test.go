package vrrp

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

const simSeeds = 200

// TestSimulatedElections runs simScenario for many seeds. Reproduce one
// with -run 'TestSimulatedElections/seed=17$'.
func TestSimulatedElections(t *testing.T) {
	for seed := uint64(1); seed <= simSeeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { simScenario(t, seed) })
	}
}

// simConfigs draws 2..5 routers: one version for all, random priorities
// with ties, sometimes one address owner, sometimes different v3 intervals
// (backups must learn the master's), sometimes nopreempt for everyone or a
// preempt_delay.
func simConfigs(rng *rand.Rand) []Config {
	n := 2 + rng.IntN(4)
	version := 3
	intervals := []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, time.Second}
	if rng.IntN(5) == 0 {
		version = 2
		intervals = []time.Duration{time.Second, 2 * time.Second}
	}
	preempt := rng.IntN(5) != 0
	mixed := version == 3 && rng.IntN(3) == 0
	base := intervals[rng.IntN(len(intervals))]
	cfgs := make([]Config, n)
	for i := range cfgs {
		iv := base
		if mixed {
			iv = intervals[rng.IntN(len(intervals))]
		}
		prio := uint8(1 + rng.IntN(254))
		if i > 0 && rng.IntN(4) == 0 {
			prio = cfgs[rng.IntN(i)].Priority // a tie, broken by address
		}
		cfgs[i] = Config{VRID: 1, Priority: prio, AdvertInterval: iv, Version: version, Preempt: preempt, LocalAddr: simAddr(i)}
		if preempt && rng.IntN(4) == 0 {
			cfgs[i].PreemptDelay = time.Duration(1+rng.IntN(3)) * iv
		}
	}
	if rng.IntN(8) == 0 {
		cfgs[rng.IntN(n)].Priority = ownerPriority
	}
	return cfgs
}

// simScenario: lossy start, convergence, a long quiet stretch, the master
// crashes, it comes back, and the master stops gracefully.
func simScenario(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xcafe))
	cfgs := simConfigs(rng)
	s := newSimNet(t, seed, cfgs)
	defer func() {
		if t.Failed() {
			t.Log(s.describe())
		}
	}()

	minIv, maxIv := cfgs[0].AdvertInterval, cfgs[0].AdvertInterval
	var maxPreemptDelay time.Duration
	for _, c := range cfgs {
		minIv, maxIv = min(minIv, c.AdvertInterval), max(maxIv, c.AdvertInterval)
		maxPreemptDelay = max(maxPreemptDelay, c.PreemptDelay)
	}
	version := cfgs[0].Version
	s.maxDelay = minIv / 10
	// No Master_Down_Interval exceeds that of priority 1 at the longest interval.
	maxMDI := MasterDownIntervalFor(version, 1, maxIv)
	settle := maxPreemptDelay + 2*maxMDI + 5*maxIv
	preempt := cfgs[0].Preempt
	// The address owner preempts even when nobody else does.
	highestWins := func() bool {
		for _, n := range s.running() {
			if n.m.Priority() == ownerPriority {
				return true
			}
		}
		return preempt
	}
	mustConverge := func(phase string) *simNode {
		t.Helper()
		m, err := s.converged(highestWins())
		if err != nil {
			t.Fatalf("%s: not converged: %v", phase, err)
		}
		return m
	}
	quiet := func(phase string, d time.Duration) {
		t.Helper()
		before := s.transitions
		s.run(d)
		if s.transitions != before {
			t.Fatalf("%s: %d state changes in a loss-free stretch of %s", phase, s.transitions-before, d)
		}
	}

	// 1. Everyone boots within one interval on a lossy network.
	s.loss = 0.3 * rng.Float64()
	for i := range cfgs {
		s.startAt(t0.Add(time.Duration(rng.Int64N(int64(minIv)))), i)
	}
	s.run(20 * maxIv)

	// 2. Loss stops: exactly one master, the highest when preempting.
	s.loss = 0
	s.run(settle)
	master := mustConverge("after start")

	// 3. No transition without a cause.
	quiet("steady state", 100*maxIv)
	if again := mustConverge("steady state"); again != master {
		t.Fatalf("master moved from %d to %d", master.idx, again.idx)
	}

	// 4. The master crashes at a random point of its advert cycle; the new
	// master must be in place within Master_Down_Interval + one interval.
	s.run(time.Duration(rng.Int64N(int64(master.cfg.AdvertInterval))))
	killedAt, deadIv := s.now, master.cfg.AdvertInterval
	s.crash(master.idx)
	var best uint8
	for _, n := range s.running() {
		best = max(best, n.m.Priority())
	}
	s.run(maxMDI + 3*maxIv)
	successor := mustConverge("after the master crashed")
	took := s.lastTransition.Sub(killedAt)
	// The backups learned deadIv (v3); the highest running priority has the
	// shortest Master_Down_Interval and fires first.
	bound := MasterDownIntervalFor(version, best, deadIv) + deadIv
	if !s.lastTransition.After(killedAt) || took > bound {
		t.Fatalf("failover took %s, bound Master_Down_Interval + interval = %s", took, bound)
	}

	// 5. The crashed router boots again: with preemption the highest wins
	// back; without, the current master stays, provided the booting router
	// hears it before its first Master_Down_Timer (computed from its own
	// interval, RFC 5798 6.4.1) expires: with a much shorter interval than
	// the master's, it takes over by design.
	s.startAt(s.now, master.idx)
	s.run(settle)
	back := mustConverge("after the reboot")
	hearsMaster := MasterDownIntervalFor(version, master.cfg.Priority, master.cfg.AdvertInterval) > successor.cfg.AdvertInterval+s.maxDelay
	if !highestWins() && hearsMaster && back != successor {
		t.Fatalf("nopreempt: master moved from %d to %d after a reboot", successor.idx, back.idx)
	}
	quiet("after the reboot", 50*maxIv)

	// 6. Graceful stop: the addresses are never unowned, and the stopping
	// master lets go as soon as the new master speaks.
	var stoppedAt time.Time
	s.afterEvent = func() {
		if s.vipHolders() == 0 {
			t.Fatalf("%s: nobody holds the addresses during the handover", s.now.Sub(t0))
		}
		if stoppedAt.IsZero() && back.m.State() == StateStopped {
			stoppedAt = s.now
		}
	}
	best = 0
	for _, n := range s.running() {
		if n != back {
			best = max(best, n.m.Priority())
		}
	}
	shutdownAt := s.now
	s.step(back, Shutdown{})
	s.run(maxMDI + 3*maxIv)
	s.afterEvent = nil
	if back.m.State() != StateStopped || back.lastReason != ReasonNewMaster {
		t.Fatalf("stopping master ended in %s (%s), want stopped on new-master", back.m.State(), back.lastReason)
	}
	// The first backup fires Skew_Time after the priority-0 advert reaches
	// it; its advert reaches the stopping master one delay later.
	handover := SkewTimeFor(version, best, back.cfg.AdvertInterval) + 2*s.maxDelay
	if took := stoppedAt.Sub(shutdownAt); took > handover {
		t.Fatalf("handover took %s, want <= Skew_Time + 2 delays = %s", took, handover)
	}
	mustConverge("after the graceful stop")
	quiet("after the graceful stop", 20*maxIv)
}

// TestSimulatedTieBreak: two routers with equal priority that boot at the
// same instant both become master; the higher address must win.
func TestSimulatedTieBreak(t *testing.T) {
	for _, version := range []int{2, 3} {
		cfgs := make([]Config, 3)
		for i := range cfgs {
			cfgs[i] = Config{VRID: 1, Priority: 150, AdvertInterval: time.Second, Version: version, Preempt: true, LocalAddr: simAddr(i)}
		}
		s := newSimNet(t, 1, cfgs)
		for i := range cfgs {
			s.startAt(t0, i)
		}
		s.run(time.Minute)
		master, err := s.converged(true)
		if err != nil {
			t.Fatalf("v%d: %v\n%s", version, err, s.describe())
		}
		if master.idx != len(cfgs)-1 {
			t.Fatalf("v%d: node %d won, want the highest address (node %d)\n%s", version, master.idx, len(cfgs)-1, s.describe())
		}
		for _, n := range s.nodes {
			if n != master && n.lastReason != ReasonTieBreak {
				t.Errorf("v%d: node %d is backup because of %s, want tie-break", version, n.idx, n.lastReason)
			}
		}
	}
}

// TestSimulatedSplitBrainHeals: a partition makes two masters. When it
// heals, the higher master answers the lower one's first advert at once
// (keepalived-style healing) instead of waiting for its own, slower,
// Adver_Timer as RFC 5798's "discard" would.
func TestSimulatedSplitBrainHeals(t *testing.T) {
	cfgs := []Config{
		{VRID: 1, Priority: 200, AdvertInterval: 3 * time.Second, Version: 3, Preempt: true, LocalAddr: simAddr(0)},
		{VRID: 1, Priority: 100, AdvertInterval: time.Second, Version: 3, Preempt: true, LocalAddr: simAddr(1)},
	}
	s := newSimNet(t, 1, cfgs)
	s.startAt(t0, 0)
	s.startAt(t0.Add(100*time.Millisecond), 1)
	s.run(30 * time.Second)
	if m, err := s.converged(true); err != nil || m.idx != 0 {
		t.Fatalf("before the partition: %v\n%s", err, s.describe())
	}
	s.loss = 1
	s.run(30 * time.Second)
	if s.nodes[0].m.State() != StateMaster || s.nodes[1].m.State() != StateMaster {
		t.Fatalf("partition did not split the brain:\n%s", s.describe())
	}
	// Heal just after the higher master's advert: its next one is 3s away.
	next, _ := s.nodes[0].m.Deadline()
	s.runUntil(next.Add(time.Millisecond))
	s.loss = 0
	healedAt := s.now
	s.run(10 * time.Second)
	master, err := s.converged(true)
	if err != nil || master.idx != 0 {
		t.Fatalf("after healing: %v\n%s", err, s.describe())
	}
	// The lower master advertises within its 1s interval; the answer is
	// immediate (no delay in this network).
	if took := s.lastTransition.Sub(healedAt); took > time.Second {
		t.Errorf("healing took %s, want at most the lower master's interval (1s)", took)
	}
	// It hears the lower master's advert and answers; the lower master
	// yields with a farewell advert, which it hears too: two heals. (The
	// start-up preemption, where node 0 took over from node 1, is a
	// hand-over and not counted.)
	if c := s.nodes[0].m.Counters(); c.SplitBrainHeals != 2 {
		t.Errorf("SplitBrainHeals = %d, want 2", c.SplitBrainHeals)
	}
}

// TestSimulatedSplitBrainHealReannouncesWhenTheWinnerSpeaksFirst: when the
// partition heals just before the higher master's advert, the lower master
// yields on hearing it and, by the RFC alone, never speaks again; the
// higher master, master all along, would not re-announce, and clients that
// moved to the lower master's MAC during the split would keep sending
// there until their ARP entries expire (a drill lost ~15 pings at 10 ms
// adverts). The lower master's farewell advert makes the winner
// re-announce.
func TestSimulatedSplitBrainHealReannouncesWhenTheWinnerSpeaksFirst(t *testing.T) {
	cfgs := []Config{
		{VRID: 1, Priority: 200, AdvertInterval: time.Second, Version: 3, Preempt: true, LocalAddr: simAddr(0)},
		{VRID: 1, Priority: 100, AdvertInterval: 3 * time.Second, Version: 3, Preempt: true, LocalAddr: simAddr(1)},
	}
	s := newSimNet(t, 1, cfgs)
	s.startAt(t0, 0)
	s.startAt(t0.Add(100*time.Millisecond), 1)
	s.run(30 * time.Second)
	s.loss = 1
	s.run(30 * time.Second)
	if s.nodes[0].m.State() != StateMaster || s.nodes[1].m.State() != StateMaster {
		t.Fatalf("partition did not split the brain:\n%s", s.describe())
	}
	// Heal just after the lower master's advert: its next one is 3s away,
	// the winner's at most 1s.
	next, _ := s.nodes[1].m.Deadline()
	s.runUntil(next.Add(time.Millisecond))
	s.loss = 0
	before := s.nodes[0].announces
	s.run(2 * time.Second)
	if master, err := s.converged(true); err != nil || master.idx != 0 {
		t.Fatalf("after healing: %v\n%s", err, s.describe())
	}
	if s.nodes[0].announces == before {
		t.Fatalf("the winner did not re-announce the VIPs after the split brain healed:\n%s", s.describe())
	}
}
