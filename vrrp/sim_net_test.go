package vrrp

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// simNet is a discrete-event simulation of routers running Machines on one
// LAN: a simulated clock, an event queue, multicast with loss and random
// delay, and a driver per node that executes actions the way the daemon
// will. Like a switched LAN, each sender-receiver link keeps its packets in
// order, but packets of different senders can overtake each other. Timers
// are never cancelled: every ArmTimer schedules a TimerDue, so machines
// also see stale and early calls.
type simNet struct {
	t        *testing.T
	rng      *rand.Rand
	now      time.Time
	seq      uint64
	queue    simQueue
	nodes    []*simNode
	loss     float64       // probability that one delivery is lost
	maxDelay time.Duration // deliveries take a uniform delay in [0, maxDelay]

	linkFree map[[2]int]time.Time // per link, the last delivery time (FIFO)

	transitions    int       // all state changes so far
	lastTransition time.Time // time of the latest state change
	afterEvent     func()    // optional invariant check after every event
}

type simNode struct {
	idx   int
	cfg   Config
	m     *Machine
	alive bool // false after a crash: nothing is delivered
	vip   bool // the driver's view: addresses claimed
	// lastReason is the reason of the node's latest state change.
	lastReason Reason
	// announces counts the node's ActAnnounce actions.
	announces int
}

type simEvent struct {
	at   time.Time
	seq  uint64
	node int
	ev   Event
}

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

func newSimNet(t *testing.T, seed uint64, cfgs []Config) *simNet {
	s := &simNet{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), now: t0, linkFree: map[[2]int]time.Time{}}
	for i, c := range cfgs {
		s.nodes = append(s.nodes, &simNode{idx: i, cfg: c})
	}
	return s
}

func (s *simNet) push(at time.Time, node int, ev Event) {
	s.seq++
	heap.Push(&s.queue, simEvent{at: at, seq: s.seq, node: node, ev: ev})
}

// startAt boots node i (a fresh Machine, as after a reboot) at time at.
func (s *simNet) startAt(at time.Time, i int) { s.push(at, i, Startup{}) }

// crash kills node i now: its host, addresses and timers are gone.
func (s *simNet) crash(i int) {
	n := s.nodes[i]
	n.alive, n.vip = false, false
}

// runUntil processes every event up to end and leaves the clock at end.
func (s *simNet) runUntil(end time.Time) {
	sameInstant := 0
	for len(s.queue) > 0 && !s.queue[0].at.After(end) {
		e := heap.Pop(&s.queue).(simEvent)
		if sameInstant++; !e.at.Equal(s.now) {
			sameInstant = 0
		}
		if sameInstant > 10000 {
			s.t.Fatalf("livelock: more than 10000 events at %s\n%s", s.now.Sub(t0), s.describe())
		}
		s.now = e.at
		n := s.nodes[e.node]
		if _, boot := e.ev.(Startup); boot {
			m, err := NewMachine(n.cfg)
			if err != nil {
				s.t.Fatalf("node %d: %v", n.idx, err)
			}
			n.m, n.alive, n.vip = m, true, false
		}
		if !n.alive {
			continue
		}
		s.step(n, e.ev)
		if s.afterEvent != nil {
			s.afterEvent()
		}
	}
	s.now = end
}

func (s *simNet) run(d time.Duration) { s.runUntil(s.now.Add(d)) }

// step is the driver: feed the event, execute the actions, and check that
// they are consistent with each other and with the machine's state.
func (s *simNet) step(n *simNode, ev Event) {
	state := n.m.State()
	for _, a := range n.m.Step(s.now, ev) {
		switch a.Kind {
		case ActSendAdvert:
			s.multicast(n, a)
		case ActAnnounce:
			n.announces++
		case ActClaimVIPs:
			if n.vip {
				s.t.Fatalf("%s node %d claims addresses it holds", s.now.Sub(t0), n.idx)
			}
			n.vip = true
		case ActReleaseVIPs:
			if !n.vip {
				s.t.Fatalf("%s node %d releases addresses it does not hold", s.now.Sub(t0), n.idx)
			}
			n.vip = false
		case ActArmTimer:
			if a.At.Before(s.now) {
				s.t.Fatalf("node %d armed its timer in the past: %v", n.idx, a)
			}
			s.push(a.At, n.idx, TimerDue{})
		case ActStateChanged:
			if a.From != state {
				s.t.Fatalf("node %d: %v but it was %s", n.idx, a, state)
			}
			state = a.To
			n.lastReason = a.Reason
			s.transitions++
			s.lastTransition = s.now
		}
	}
	if state != n.m.State() || n.vip != state.HoldsVIPs() {
		s.t.Fatalf("node %d: actions say %s (vip %v), machine says %s", n.idx, state, n.vip, n.m.State())
	}
}

func (s *simNet) multicast(from *simNode, a Action) {
	ev := AdvertReceived{From: from.cfg.LocalAddr, Priority: a.Priority, Interval: a.Interval}
	for _, n := range s.nodes {
		if n == from || s.rng.Float64() < s.loss {
			continue
		}
		deliver := s.now.Add(time.Duration(s.rng.Int64N(int64(s.maxDelay) + 1)))
		link := [2]int{from.idx, n.idx}
		if prev := s.linkFree[link]; deliver.Before(prev) {
			deliver = prev // no overtaking on one link
		}
		s.linkFree[link] = deliver
		s.push(deliver, n.idx, ev)
	}
}

// running lists the nodes that take part: alive and not stopped.
func (s *simNet) running() []*simNode {
	var out []*simNode
	for _, n := range s.nodes {
		if n.alive && n.m != nil && n.m.State() != StateStopped {
			out = append(out, n)
		}
	}
	return out
}

func (s *simNet) vipHolders() int {
	c := 0
	for _, n := range s.nodes {
		if n.alive && n.vip {
			c++
		}
	}
	return c
}

// converged returns the single master when the running nodes agree: one
// master, everyone else Backup, one holder of the addresses. With
// highestWins the master must also have the highest running priority.
func (s *simNet) converged(highestWins bool) (*simNode, error) {
	var master *simNode
	var best uint8
	for _, n := range s.running() {
		best = max(best, n.m.Priority())
		switch n.m.State() {
		case StateMaster:
			if master != nil {
				return nil, fmt.Errorf("two masters: %d and %d", master.idx, n.idx)
			}
			master = n
		case StateBackup:
		default:
			return nil, fmt.Errorf("node %d in %s", n.idx, n.m.State())
		}
	}
	if master == nil {
		return nil, fmt.Errorf("no master")
	}
	if h := s.vipHolders(); h != 1 {
		return nil, fmt.Errorf("%d nodes hold the addresses", h)
	}
	if highestWins && master.m.Priority() != best {
		return nil, fmt.Errorf("master %d has priority %d, highest is %d", master.idx, master.m.Priority(), best)
	}
	return master, nil
}

func (s *simNet) describe() string {
	out := fmt.Sprintf("t=%s loss=%.2f delay<=%s\n", s.now.Sub(t0), s.loss, s.maxDelay)
	for _, n := range s.nodes {
		st := "down"
		if n.alive && n.m != nil {
			st = n.m.State().String()
		}
		out += fmt.Sprintf("  node %d %s prio %d v%d iv %s preempt %v delay %s: %s (%s)\n",
			n.idx, n.cfg.LocalAddr, n.cfg.Priority, n.cfg.Version, n.cfg.AdvertInterval,
			n.cfg.Preempt, n.cfg.PreemptDelay, st, n.lastReason)
	}
	return out
}

// simAddr is the primary address of node i.
func simAddr(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 0, byte(10 + i)}) }
