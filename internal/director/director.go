package director

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/vrrp"
	"github.com/vigil-ha/vigil/vrrp/transport"
)

// Hooks are optional callbacks for observers (metrics, notify commands).
// They run on the instance goroutine and must not block.
type Hooks struct {
	StateChanged func(cfg config.VRRPInstance, from, to vrrp.State, reason vrrp.Reason)
	// Takeover reports, when a backup becomes master because the master
	// went silent or resigned, the time from the last advert it heard from
	// the old master to holding the VIPs.
	Takeover func(instance string, d time.Duration)
}

// Status is a snapshot of one instance, for `vigil status` and metrics.
type Status struct {
	Name               string        `json:"name"`
	Interface          string        `json:"interface"`
	VRID               uint8         `json:"vrid"`
	State              string        `json:"state"`
	Priority           uint8         `json:"priority"`
	ConfiguredPriority uint8         `json:"configured_priority"`
	Master             netip.Addr    `json:"master,omitzero"`
	Since              time.Time     `json:"since"`
	LastReason         string        `json:"last_reason"`
	Transitions        uint64        `json:"transitions"`
	SplitBrains        uint64        `json:"split_brains"`
	SendErrors         uint64        `json:"send_errors"`
	VIPs               []netip.Addr  `json:"vips"`
	Counters           vrrp.Counters `json:"counters"`
	// ARPOffenders are the other hosts that answered ARP for a VIP in the
	// last probe (arp_probe_interval), e.g. "10.0.0.100 at aa:bb:.. (10.0.0.11)".
	ARPOffenders []string `json:"arp_offenders,omitempty"`
}

// Director runs every VRRP instance of one configuration.
type Director struct {
	deps  Deps
	hooks Hooks
	log   *slog.Logger

	mu        sync.Mutex
	instances map[string]*instance
	links     map[linkKey]*sharedLink
}

// New returns a director that has not started anything yet.
func New(deps Deps, hooks Hooks, log *slog.Logger) *Director {
	if log == nil {
		log = slog.Default()
	}
	return &Director{deps: deps, hooks: hooks, log: log, instances: map[string]*instance{}, links: map[linkKey]*sharedLink{}}
}

// Start opens the sockets and starts every instance of cfg. On error,
// nothing is left running.
func (d *Director) Start(cfg *config.Config) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var started []*instance
	for _, ic := range cfg.Instances {
		in, err := d.startLocked(ic)
		if err != nil {
			for _, s := range started {
				d.stopLocked(s, false)
			}
			return fmt.Errorf("vrrp_instance %q: %w", ic.Name, err)
		}
		started = append(started, in)
	}
	return nil
}

func family(ic config.VRRPInstance) int {
	if ic.Family == config.FamilyIPv6 {
		return 6
	}
	return 4
}

// linkFor returns the shared socket of an instance, opening it if needed.
func (d *Director) linkFor(ic config.VRRPInstance) (*sharedLink, error) {
	key := keyFor(ic.Interface, family(ic), ic.SourceAddress, ic.UnicastPeers)
	if l, ok := d.links[key]; ok {
		return l, nil
	}
	l, err := d.deps.Network.Open(transport.Config{Interface: ic.Interface, Family: key.family,
		Source: ic.SourceAddress, Peers: ic.UnicastPeers})
	if err != nil {
		return nil, err
	}
	sl := newSharedLink(key, l, d.log.With("interface", ic.Interface, "family", key.family))
	d.links[key] = sl
	go sl.read()
	return sl, nil
}

func (d *Director) startLocked(ic config.VRRPInstance) (*instance, error) {
	if _, dup := d.instances[ic.Name]; dup {
		return nil, errors.New("already running")
	}
	if ic.UseVMAC && d.deps.VMACs == nil {
		return nil, errors.New("use_vmac is set but this director cannot create virtual MAC interfaces")
	}
	sl, err := d.linkFor(ic)
	if err != nil {
		return nil, err
	}
	in, err := newInstance(ic, sl, d.deps, d.hooks, d.log)
	if err != nil {
		d.closeIfUnused(sl)
		return nil, err
	}
	sl.attach(in)
	d.instances[ic.Name] = in
	go in.run()
	return in, nil
}

func (d *Director) closeIfUnused(sl *sharedLink) {
	sl.mu.Lock()
	unused := len(sl.instances) == 0
	sl.mu.Unlock()
	if unused {
		_ = sl.link.Close()
		<-sl.done
		delete(d.links, sl.key)
	}
}

// stopLocked stops one instance; graceful sends the priority-0 advert and
// waits for the handover, otherwise the VIPs are released at once.
func (d *Director) stopLocked(in *instance, graceful bool) {
	in.stop(graceful)
	<-in.done
	delete(d.instances, in.cfg.Name)
	if in.link.detach(in) {
		d.closeIfUnused(in.link)
	}
}

// Shutdown stops every instance gracefully: each master sends priority 0
// and keeps its VIPs until the new master is heard (or the handover
// deadline passes). It returns when all have stopped or ctx ends.
func (d *Director) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, in := range d.instances {
		in.stop(true)
	}
	for _, in := range d.instances {
		select {
		case <-in.done:
		case <-ctx.Done():
			in.stop(false)
			<-in.done
		}
	}
	for _, in := range d.instances {
		d.stopLocked(in, false)
	}
	return ctx.Err()
}

// Deliver sends an event to a named instance (tracking, interface state,
// maintenance). It reports whether the instance exists and took it.
func (d *Director) Deliver(name string, ev vrrp.Event) bool {
	d.mu.Lock()
	in := d.instances[name]
	d.mu.Unlock()
	return in != nil && in.deliver(ev)
}

// SetARPOffenders records the result of the latest ARP probe of an
// instance's VIPs (see Status.ARPOffenders).
func (d *Director) SetARPOffenders(name string, offenders []string) {
	d.mu.Lock()
	in := d.instances[name]
	d.mu.Unlock()
	if in != nil {
		in.setStatus(func(s *Status) { s.ARPOffenders = offenders })
	}
}

// Announce re-sends the gratuitous ARP / unsolicited NA burst of a master
// instance (`vigil garp`).
func (d *Director) Announce(name string) error {
	d.mu.Lock()
	in := d.instances[name]
	d.mu.Unlock()
	if in == nil {
		return fmt.Errorf("no vrrp_instance %q", name)
	}
	if st := in.snapshot().State; st != vrrp.StateMaster.String() {
		return fmt.Errorf("vrrp_instance %q is %s; only a master announces its VIPs", name, st)
	}
	select {
	case in.garp <- struct{}{}:
	default: // one request is already pending
	}
	return nil
}

// Reload moves the running instances to cfg: unchanged instances keep
// running untouched (no advert gap, no re-election), changes the state
// machine can take in place are applied in place, others are recreated,
// removed ones stop gracefully and new ones start. It returns what it did
// per instance name ("unchanged", "updated", "recreated", "added", "removed").
func (d *Director) Reload(cfg *config.Config) (map[string]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	done := map[string]string{}
	want := map[string]config.VRRPInstance{}
	for _, ic := range cfg.Instances {
		want[ic.Name] = ic
	}
	for name, in := range d.instances {
		if _, keep := want[name]; !keep {
			d.stopLocked(in, true)
			done[name] = "removed"
		}
	}
	var errs []error
	for _, ic := range cfg.Instances {
		in, running := d.instances[ic.Name]
		switch {
		case !running:
			if _, err := d.startLocked(ic); err != nil {
				errs = append(errs, fmt.Errorf("vrrp_instance %q: %w", ic.Name, err))
				continue
			}
			done[ic.Name] = "added"
		case reflect.DeepEqual(in.cfg, ic):
			done[ic.Name] = "unchanged"
		case inPlace(in.cfg, ic):
			in.reconf <- ic
			in.cfg = ic
			done[ic.Name] = "updated"
		default:
			d.stopLocked(in, true)
			if _, err := d.startLocked(ic); err != nil {
				errs = append(errs, fmt.Errorf("vrrp_instance %q: %w", ic.Name, err))
				continue
			}
			done[ic.Name] = "recreated"
		}
	}
	return done, errors.Join(errs...)
}

// inPlace reports whether b differs from a only in what the state machine
// can change without a restart: priority, interval and preemption.
func inPlace(a, b config.VRRPInstance) bool {
	a.Priority, a.AdvertInterval, a.Preempt, a.PreemptDelay = b.Priority, b.AdvertInterval, b.Preempt, b.PreemptDelay
	return reflect.DeepEqual(a, b)
}

// Status returns a snapshot of every instance, sorted by name.
func (d *Director) Status() []Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Status, 0, len(d.instances))
	for _, in := range d.instances {
		out = append(out, in.snapshot())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Links returns the counters of every socket.
func (d *Director) Links() []LinkStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]LinkStatus, 0, len(d.links))
	for _, l := range d.links {
		out = append(out, l.snapshot())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Interface < out[j].Interface })
	return out
}
