package director

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/vrrp"
)

// instance drives one vrrp.Machine. Only its run goroutine touches the
// machine, the timer and the announcement; others talk to it through events
// and read Status snapshots.
type instance struct {
	// cfg is the configuration the director last gave this instance; only
	// the director reads or writes it, under its lock.
	cfg config.VRRPInstance
	// rc is the configuration the run goroutine works with; only it
	// touches rc after start.
	rc config.VRRPInstance
	// vrid, version and vips never change for a running instance (a change
	// recreates it), so the socket reader may read them without a lock.
	vrid    uint8
	version uint8
	vips    []netip.Addr
	m       *vrrp.Machine
	link    *sharedLink
	deps    Deps
	log     *slog.Logger
	hooks   Hooks

	events chan vrrp.Event
	reconf chan config.VRRPInstance
	done   chan struct{}
	// stopOnce sends the single graceful Shutdown; abort, once closed,
	// makes the run loop stop at once (a second Shutdown releases the VIPs
	// without waiting for the handover).
	stopOnce  sync.Once
	abort     chan struct{}
	abortOnce sync.Once
	// garp asks the run loop to announce the VIPs again (operator request).
	garp chan struct{}

	mu     sync.Mutex // guards status
	status Status

	// lastAdvert is when the last advert arrived while backup (for the
	// take-over time).
	lastAdvert time.Time
	// vipDev is where the VIPs are while claimed: the interface, or the
	// virtual MAC interface with use_vmac.
	vipDev string

	timer     *time.Timer
	annCancel context.CancelFunc
	annDone   chan struct{}
	adv       vrrp.Advert
	buf       []byte
}

// eventQueue bounds the events waiting for an instance; adverts beyond it
// are dropped (and counted) rather than blocking the socket reader.
const eventQueue = 256

func newInstance(cfg config.VRRPInstance, link *sharedLink, deps Deps, hooks Hooks, log *slog.Logger) (*instance, error) {
	mc, err := machineConfig(cfg, link.source)
	if err != nil {
		return nil, err
	}
	m, err := vrrp.NewMachine(mc)
	if err != nil {
		return nil, err
	}
	in := &instance{
		cfg:     cfg,
		rc:      cfg,
		vrid:    cfg.VRID,
		version: uint8(cfg.Version),
		m:       m,
		link:    link,
		deps:    deps,
		hooks:   hooks,
		log:     log.With("instance", cfg.Name, "vrid", cfg.VRID),
		events:  make(chan vrrp.Event, eventQueue),
		reconf:  make(chan config.VRRPInstance, 1),
		done:    make(chan struct{}),
		abort:   make(chan struct{}),
		garp:    make(chan struct{}, 1),
		timer:   time.NewTimer(time.Hour),
	}
	in.timer.Stop()
	in.adv = vrrp.Advert{Version: uint8(cfg.Version), VRID: cfg.VRID}
	for _, v := range cfg.VIPs {
		in.vips = append(in.vips, v.Prefix.Addr())
	}
	in.adv.Addrs = in.vips
	in.status = Status{Name: cfg.Name, Interface: cfg.Interface, VRID: cfg.VRID, State: vrrp.StateInitialize.String(),
		Priority: cfg.Priority, ConfiguredPriority: cfg.Priority, Since: time.Now(), VIPs: in.vips}
	return in, nil
}

// machineConfig maps the file's instance onto the state machine's settings.
func machineConfig(cfg config.VRRPInstance, local netip.Addr) (vrrp.Config, error) {
	if cfg.SourceAddress.IsValid() {
		local = cfg.SourceAddress
	}
	if !local.IsValid() {
		return vrrp.Config{}, errors.New("no source address on " + cfg.Interface)
	}
	return vrrp.Config{
		VRID:           cfg.VRID,
		Priority:       cfg.Priority,
		AdvertInterval: cfg.AdvertInterval,
		Version:        cfg.Version,
		Preempt:        cfg.Preempt,
		PreemptDelay:   cfg.PreemptDelay,
		LocalAddr:      local,
	}, nil
}

// deliver queues an event without blocking; it reports false when the
// queue is full or the instance has ended.
func (in *instance) deliver(ev vrrp.Event) bool {
	select {
	case <-in.done:
		return false
	default:
	}
	select {
	case in.events <- ev:
		return true
	default:
		return false
	}
}

// stop asks the instance to stop: gracefully (a master hands over first)
// or at once. It may be called any number of times from any goroutine.
func (in *instance) stop(graceful bool) {
	in.stopOnce.Do(func() {
		select {
		case in.events <- vrrp.Shutdown{}:
		case <-in.done:
		}
	})
	if !graceful {
		in.abortOnce.Do(func() { close(in.abort) })
	}
}

// run is the instance goroutine. It ends when the machine reaches
// StateStopped (after a Shutdown event and the handover).
func (in *instance) run() {
	defer close(in.done)
	defer in.stopAnnounce()
	in.exec(in.m.Step(time.Now(), vrrp.Startup{}))
	for in.m.State() != vrrp.StateStopped {
		select {
		case ev := <-in.events:
			if _, ok := ev.(vrrp.AdvertReceived); ok && in.m.State() == vrrp.StateBackup {
				in.lastAdvert = time.Now()
			}
			in.exec(in.m.Step(time.Now(), ev))
		case <-in.timer.C:
			in.exec(in.m.Step(time.Now(), vrrp.TimerDue{}))
		case cfg := <-in.reconf:
			in.reconfigure(cfg)
		case <-in.garp:
			if in.m.State() == vrrp.StateMaster {
				in.announce()
			}
		case <-in.abort:
			in.exec(in.m.Step(time.Now(), vrrp.Shutdown{}))
			in.exec(in.m.Step(time.Now(), vrrp.Shutdown{}))
		}
	}
	in.timer.Stop()
}

// reconfigure applies settings the state machine can change in place
// (priority, interval, preempt); the director recreates the instance for
// anything else.
func (in *instance) reconfigure(cfg config.VRRPInstance) {
	mc, err := machineConfig(cfg, in.link.source)
	if err == nil {
		var acts []vrrp.Action
		acts, err = in.m.Reconfigure(time.Now(), mc)
		if err == nil {
			in.rc = cfg
			in.setStatus(func(s *Status) { s.ConfiguredPriority = cfg.Priority })
			in.exec(acts)
			in.log.Info("reconfigured in place")
			return
		}
	}
	in.log.Error("reconfigure failed; keeping the old settings", "err", err)
}

// exec carries out the machine's actions in order. The slice is only valid
// until the next Step, so it is consumed here and not kept.
//
// A take-over claims and announces the VIPs before its first advert goes
// out: the old master lets go of the VIPs as soon as it hears the new one
// (graceful stop), so by then the new master must already answer for them
// and the clients' neighbour caches must already be on their way to it.
func (in *instance) exec(acts []vrrp.Action) {
	claims := false
	for _, a := range acts {
		if a.Kind == vrrp.ActClaimVIPs {
			claims = true
			in.claim()
		}
	}
	for _, a := range acts {
		if claims && a.Kind == vrrp.ActAnnounce {
			in.announce()
		}
	}
	for _, a := range acts {
		switch a.Kind {
		case vrrp.ActSendAdvert:
			in.sendAdvert(a.Priority, a.Interval)
		case vrrp.ActClaimVIPs:
			// done above
		case vrrp.ActReleaseVIPs:
			in.release()
		case vrrp.ActAnnounce:
			if !claims {
				in.announce()
			}
		case vrrp.ActArmTimer:
			in.timer.Stop()
			in.timer.Reset(time.Until(a.At))
		case vrrp.ActDisarmTimer:
			in.timer.Stop()
		case vrrp.ActStateChanged:
			in.stateChanged(a)
		}
		if a.Reason == vrrp.ReasonSplitBrain && a.Kind == vrrp.ActAnnounce {
			in.log.Warn("split brain: another master with a lower priority; re-asserting")
			in.setStatus(func(s *Status) { s.SplitBrains++ })
		}
	}
	in.setStatus(func(s *Status) {
		s.Priority = in.m.Priority()
		s.Master, _ = in.m.Master() // zero when no master is known (e.g. it resigned)
		s.Counters = in.m.Counters()
	})
}

func (in *instance) sendAdvert(priority uint8, interval time.Duration) {
	in.adv.Priority = priority
	in.adv.Interval = interval
	src := in.link.source
	for _, dst := range in.link.link.Destinations() {
		// The v3 checksum covers a pseudo-header with the destination,
		// so each unicast peer gets its own encoding.
		b, err := in.adv.AppendBinary(in.buf[:0], src, dst)
		if err != nil {
			in.log.Error("cannot encode advert", "err", err)
			return
		}
		in.buf = b
		if err := in.link.link.SendTo(b, dst); err != nil {
			in.log.Warn("advert not sent", "dst", dst, "err", err)
			in.setStatus(func(s *Status) { s.SendErrors++ })
		}
	}
}

// claim installs the IPVS services first, so the first packet that reaches
// the new master through the VIP already finds them, then adds the VIPs.
func (in *instance) claim() {
	if in.deps.Tables != nil && in.rc.IPVSFollow == config.IPVSFollowMaster {
		if err := in.deps.Tables.Install(in.rc.Name); err != nil {
			in.log.Error("IPVS tables not installed", "err", err)
		}
	}
	dev := in.rc.Interface
	if in.rc.UseVMAC {
		name, err := in.deps.VMACs.Ensure(in.rc.Interface, in.vrid, family(in.rc))
		if err != nil {
			in.log.Error("cannot create the virtual MAC interface; VIPs go on the interface itself", "err", err)
		} else {
			dev = name
		}
	}
	in.vipDev = dev
	for _, v := range in.rc.VIPs {
		if err := in.deps.Addresses.Add(dev, vipOn(v, dev)); err != nil {
			in.log.Error("cannot add VIP", "vip", v.Prefix, "device", dev, "err", err)
		}
	}
}

// vipOn drops a label that names another device: labels must start with
// the device name, and a virtual MAC interface has its own name.
func vipOn(v config.VIP, dev string) config.VIP {
	if v.Label != "" && !strings.HasPrefix(v.Label, dev) {
		v.Label = ""
	}
	return v
}

func (in *instance) release() {
	in.stopAnnounce()
	dev := in.vipDev
	if dev == "" {
		dev = in.rc.Interface
	}
	for _, v := range in.rc.VIPs {
		if err := in.deps.Addresses.Del(dev, vipOn(v, dev)); err != nil {
			in.log.Error("cannot remove VIP", "vip", v.Prefix, "device", dev, "err", err)
		}
	}
	if dev != in.rc.Interface {
		// Only the master has the virtual MAC on the LAN.
		if err := in.deps.VMACs.Delete(dev); err != nil {
			in.log.Error("cannot remove the virtual MAC interface", "device", dev, "err", err)
		}
	}
	in.vipDev = ""
	if in.deps.Tables != nil && in.rc.IPVSFollow == config.IPVSFollowMaster {
		if err := in.deps.Tables.Remove(in.rc.Name); err != nil {
			in.log.Error("IPVS tables not removed", "err", err)
		}
	}
}

// announce starts a gratuitous ARP / NA burst in the background, replacing
// any burst still running.
func (in *instance) announce() {
	in.stopAnnounce()
	if in.deps.Announcer == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	in.annCancel, in.annDone = cancel, done
	// Copy what the goroutine needs: reconfigure may replace in.rc.
	iface := in.vipDev
	if iface == "" {
		iface = in.rc.Interface
	}
	ann, addrs, garp := in.deps.Announcer, in.vips, in.rc.GARP
	go func() {
		defer close(done)
		ann.Announce(ctx, iface, addrs, garp)
	}()
}

func (in *instance) stopAnnounce() {
	if in.annCancel != nil {
		in.annCancel()
		<-in.annDone
		in.annCancel, in.annDone = nil, nil
	}
}

func (in *instance) stateChanged(a vrrp.Action) {
	now := time.Now()
	in.log.Info("state changed", "from", a.From.String(), "to", a.To.String(), "reason", a.Reason.String(),
		"priority", in.m.Priority())
	in.setStatus(func(s *Status) {
		s.State = a.To.String()
		s.LastReason = a.Reason.String()
		s.Since = now
		s.Transitions++
	})
	if in.hooks.StateChanged != nil {
		in.hooks.StateChanged(in.rc, a.From, a.To, a.Reason)
	}
	if a.From == vrrp.StateBackup && a.To == vrrp.StateMaster && !in.lastAdvert.IsZero() && in.hooks.Takeover != nil {
		switch a.Reason {
		case vrrp.ReasonMasterDown, vrrp.ReasonMasterResigned:
			in.hooks.Takeover(in.rc.Name, now.Sub(in.lastAdvert))
		}
	}
}

func (in *instance) setStatus(f func(*Status)) {
	in.mu.Lock()
	f(&in.status)
	in.mu.Unlock()
}

// snapshot returns a copy of the status.
func (in *instance) snapshot() Status {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.status
	s.VIPs = append([]netip.Addr(nil), s.VIPs...)
	s.ARPOffenders = append([]string(nil), s.ARPOffenders...)
	return s
}
