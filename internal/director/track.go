package director

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/vrrp"
)

// effectivePriority applies the weights of failed trackers to the
// configured priority the way keepalived does: a failed tracker with weight
// 0 faults the instance (priority 0); others add their (usually negative)
// weight, and the result is kept within 1..254 so that tracking never turns
// a router into the address owner nor into a stopping master.
func effectivePriority(configured uint8, failedWeights []int) uint8 {
	if len(failedWeights) == 0 {
		return configured
	}
	p := int(configured)
	for _, w := range failedWeights {
		if w == 0 {
			return 0
		}
		p += w
	}
	return uint8(min(max(p, 1), 254))
}

// trackState is what the tracker knows of one instance's dependencies.
type trackState struct {
	cfg         config.VRRPInstance
	linkUp      map[string]bool // tracked interfaces (and the instance's own)
	scripts     map[string]bool // script name -> healthy
	maintenance bool            // an operator took the instance out
}

// failedWeights lists the weights of the trackers that are down now.
func (ts *trackState) failedWeights() []int {
	var w []int
	if ts.maintenance {
		w = append(w, 0) // like a failed weight-0 tracker: out of the election
	}
	for _, ti := range ts.cfg.TrackInterfaces {
		if up, known := ts.linkUp[ti.Name]; known && !up {
			w = append(w, ti.Weight)
		}
	}
	for _, sc := range ts.cfg.TrackScripts {
		if ok, known := ts.scripts[sc.Name]; known && !ok {
			w = append(w, sc.Weight)
		}
	}
	return w
}

// LinkWatcher reports link state changes by interface name. The real one
// subscribes to netlink; tests drive it by hand.
type LinkWatcher interface {
	// Watch calls fn with the current state of every link and then with
	// every change, until ctx ends.
	Watch(ctx context.Context, fn func(name string, up bool)) error
}

// Tracker turns link and script states into events for the instances:
// InterfaceDown/Up for an instance's own interface, PriorityChanged for
// track_interface and track_script blocks.
type Tracker struct {
	d  *Director
	mu sync.Mutex
	st map[string]*trackState // by instance name
	// last priority and interface state delivered, to send only changes.
	lastPrio map[string]uint8
	lastUp   map[string]bool
}

// NewTracker returns a tracker for the instances of cfg.
func NewTracker(d *Director, cfg *config.Config) *Tracker {
	t := &Tracker{d: d, st: map[string]*trackState{}, lastPrio: map[string]uint8{}, lastUp: map[string]bool{}}
	for _, ic := range cfg.Instances {
		t.st[ic.Name] = &trackState{cfg: ic, linkUp: map[string]bool{}, scripts: map[string]bool{}}
	}
	return t
}

// Reload follows a new configuration, keeping what is known of links,
// scripts and maintenance for instances that still exist.
func (t *Tracker) Reload(cfg *config.Config) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := map[string]*trackState{}
	for _, ic := range cfg.Instances {
		ns := &trackState{cfg: ic, linkUp: map[string]bool{}, scripts: map[string]bool{}}
		if old, ok := t.st[ic.Name]; ok {
			ns.linkUp, ns.scripts, ns.maintenance = old.linkUp, old.scripts, old.maintenance
		}
		st[ic.Name] = ns
	}
	t.st = st
	for inst, ts := range t.st {
		t.updateLocked(inst, ts)
	}
}

// SetMaintenance takes an instance out of the election (on) or puts it
// back. A master in maintenance sends a priority-0 advert so its backup
// takes over after Skew_Time, then stays in Fault until maintenance ends.
func (t *Tracker) SetMaintenance(instance string, on bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	ts, ok := t.st[instance]
	if !ok {
		return errors.New("no vrrp_instance " + strconv.Quote(instance))
	}
	ts.maintenance = on
	t.updateLocked(instance, ts)
	return nil
}

// FailedTracker is a tracker that is down now.
type FailedTracker struct {
	Kind   string // "interface", "script" or "maintenance"
	Name   string
	Weight int // 0: the instance is in fault because of it
}

// Failed lists, per instance, the trackers that are down now (for status).
func (t *Tracker) Failed() map[string][]FailedTracker {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string][]FailedTracker{}
	for inst, ts := range t.st {
		if ts.maintenance {
			out[inst] = append(out[inst], FailedTracker{Kind: "maintenance", Name: "maintenance"})
		}
		for _, ti := range ts.cfg.TrackInterfaces {
			if up, known := ts.linkUp[ti.Name]; known && !up {
				out[inst] = append(out[inst], FailedTracker{Kind: "interface", Name: ti.Name, Weight: ti.Weight})
			}
		}
		for _, sc := range ts.cfg.TrackScripts {
			if ok, known := ts.scripts[sc.Name]; known && !ok {
				out[inst] = append(out[inst], FailedTracker{Kind: "script", Name: sc.Name, Weight: sc.Weight})
			}
		}
	}
	return out
}

// LinkChanged records a link state and notifies the instances that care.
func (t *Tracker) LinkChanged(name string, up bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for inst, ts := range t.st {
		if ts.cfg.Interface == name {
			if prev, ok := t.lastUp[inst]; !ok || prev != up {
				t.lastUp[inst] = up
				if up {
					t.d.Deliver(inst, vrrp.InterfaceUp{})
				} else {
					t.d.Deliver(inst, vrrp.InterfaceDown{})
				}
			}
		}
		for _, ti := range ts.cfg.TrackInterfaces {
			if ti.Name == name {
				ts.linkUp[name] = up
				t.updateLocked(inst, ts)
			}
		}
	}
}

// ScriptChanged records a vrrp_script result (after rise/fall).
func (t *Tracker) ScriptChanged(script string, healthy bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for inst, ts := range t.st {
		for _, sc := range ts.cfg.TrackScripts {
			if sc.Name == script {
				ts.scripts[script] = healthy
				t.updateLocked(inst, ts)
			}
		}
	}
}

func (t *Tracker) updateLocked(inst string, ts *trackState) {
	p := effectivePriority(ts.cfg.Priority, ts.failedWeights())
	if prev, ok := t.lastPrio[inst]; ok && prev == p {
		return
	}
	if _, ok := t.lastPrio[inst]; !ok && p == ts.cfg.Priority {
		t.lastPrio[inst] = p
		return // nothing changed from the configured priority
	}
	t.lastPrio[inst] = p
	t.d.Deliver(inst, vrrp.PriorityChanged{Priority: p})
}

// Run watches links and runs the vrrp_scripts until ctx ends.
func (t *Tracker) Run(ctx context.Context, links LinkWatcher, scripts []config.VRRPScript) {
	var wg sync.WaitGroup
	if links != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = links.Watch(ctx, t.LinkChanged)
		}()
	}
	for _, sc := range scripts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runScript(ctx, sc, func(ok bool) { t.ScriptChanged(sc.Name, ok) })
		}()
	}
	wg.Wait()
}

// runScript runs one vrrp_script every interval and reports its state
// after Rise successes or Fall failures in a row.
func runScript(ctx context.Context, sc config.VRRPScript, report func(healthy bool)) {
	tick := time.NewTicker(sc.Interval)
	defer tick.Stop()
	var healthy, known bool
	succ, fail := 0, 0
	for {
		rctx, cancel := context.WithTimeout(ctx, sc.Timeout)
		err := exec.CommandContext(rctx, sc.Command[0], sc.Command[1:]...).Run()
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			succ, fail = succ+1, 0
			if (!known || !healthy) && succ >= sc.Rise {
				healthy, known = true, true
				report(true)
			}
		} else {
			succ, fail = 0, fail+1
			if (!known || healthy) && fail >= sc.Fall {
				healthy, known = false, true
				report(false)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
