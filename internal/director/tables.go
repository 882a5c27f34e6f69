package director

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/ipvs"
)

// IPVSTables turns the configuration into the desired IPVS table and keeps
// the kernel in line with it. What it installs depends on three inputs:
// which instances are master (Install/Remove), the health of each real
// server (SetHealth) and each virtual server's quorum (SetQuorum). Every
// change recomputes the whole desired table; the reconciler then writes
// only the difference, so a weight change is one netlink message.
type IPVSTables struct {
	mu     sync.Mutex
	rec    *ipvs.Reconciler
	log    *slog.Logger
	vss    []config.VirtualServer
	follow map[string]string // instance -> ipvs_follow
	master map[string]bool   // instances that are master now
	health map[RealServerRef]Health
	lost   map[string]bool // virtual servers whose quorum is lost
	// probes are the via_vip probe services' marks (see probe.go).
	probes probeMarks
}

// RealServerRef names a real server of a virtual server.
type RealServerRef struct {
	VirtualServer string
	RealServer    netip.AddrPort
}

// Health is the health-check verdict for one real server.
type Health struct {
	// Weight replaces the configured weight (0 drains the server).
	Weight int
	// Remove takes the server out of the table (on_failure = "remove").
	Remove bool
}

// NewIPVSTables prepares the tables of cfg on kernel k. Nothing is written
// until the first Install or Sync.
func NewIPVSTables(k ipvs.Kernel, cfg *config.Config, log *slog.Logger) (*IPVSTables, error) {
	t := &IPVSTables{rec: ipvs.NewReconciler(k, nil), log: log, master: map[string]bool{},
		health: map[RealServerRef]Health{}, lost: map[string]bool{}}
	if err := t.setConfig(cfg); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *IPVSTables) setConfig(cfg *config.Config) error {
	follow := map[string]string{}
	for _, ic := range cfg.Instances {
		follow[ic.Name] = ic.IPVSFollow
	}
	targets, err := probeTargets(cfg.VirtualServers)
	if err != nil {
		return err
	}
	marks, err := t.probes.assign(targets)
	if err != nil {
		return err
	}
	// Try the new configuration; a table the model refuses leaves the old
	// one in place (a refused reload changes nothing).
	prevVSS, prevFollow, prevMarks := t.vss, t.follow, t.probes.marks
	t.vss, t.follow, t.probes.marks = cfg.VirtualServers, follow, marks
	if _, err := t.desired(); err != nil {
		t.vss, t.follow, t.probes.marks = prevVSS, prevFollow, prevMarks
		return err
	}
	return nil
}

// ProbeAddrs lists the addresses of the real servers that via_vip checks
// of the current configuration probe, in address order.
func (t *IPVSTables) ProbeAddrs() []netip.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []netip.Addr
	for pt := range t.probes.marks {
		if !slices.Contains(out, pt.Addr) {
			out = append(out, pt.Addr)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// ProbeMark is the firewall mark that takes a via_vip probe to the real
// server at addr of a virtual server with the given forwarding; false if
// no check of the configuration probes it via the VIP.
func (t *IPVSTables) ProbeMark(addr netip.Addr, forwarding string) (uint32, bool) {
	fwd, err := ipvs.ParseForward(forwarding)
	if err != nil {
		return 0, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.probes.marks[ProbeTarget{Addr: addr, Fwd: fwd}]
	return m, ok
}

// Install implements Tables: the instance became master.
func (t *IPVSTables) Install(instance string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.master[instance] = true
	return t.syncLocked()
}

// Remove implements Tables: the instance is no longer master.
func (t *IPVSTables) Remove(instance string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.master, instance)
	return t.syncLocked()
}

// Sync installs what must be there whatever the VRRP state: services with
// no vrrp_instance and those whose instance has ipvs_follow = "always".
func (t *IPVSTables) Sync() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.syncLocked()
}

// SetHealth records a real server's health and applies it. A verdict that
// changes nothing in the kernel (the first "healthy" of every server, or
// any verdict while its virtual server is not installed) costs no sync: a
// sync reads the whole table, and 10,000 start-up events must not mean
// 10,000 full reads.
func (t *IPVSTables) SetHealth(ref RealServerRef, h Health) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	before := t.effective(ref)
	t.health[ref] = h
	if t.effective(ref) == before || !t.installed(ref.VirtualServer) {
		return nil
	}
	return t.syncLocked()
}

// SetQuorum records whether a virtual server has its quorum.
func (t *IPVSTables) SetQuorum(virtualServer string, up bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lost[virtualServer] == !up {
		return nil
	}
	t.lost[virtualServer] = !up
	if !t.installed(virtualServer) {
		return nil
	}
	return t.syncLocked()
}

// effective is what the table would hold for a real server: its weight,
// or -1 when it is removed (or unknown).
func (t *IPVSTables) effective(ref RealServerRef) int {
	for _, vs := range t.vss {
		if vs.Name != ref.VirtualServer {
			continue
		}
		for _, rs := range vs.RealServers {
			if rs.Address != ref.RealServer {
				continue
			}
			h, ok := t.health[ref]
			switch {
			case !ok:
				return rs.Weight
			case h.Remove:
				return -1
			default:
				return h.Weight
			}
		}
	}
	return -1
}

// installed reports whether the named virtual server is in the desired table now.
func (t *IPVSTables) installed(name string) bool {
	for _, vs := range t.vss {
		if vs.Name == name {
			return t.wanted(vs)
		}
	}
	return false
}

// Reload switches to a new configuration; health and master state of real
// servers and instances that still exist are kept.
func (t *IPVSTables) Reload(cfg *config.Config) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.setConfig(cfg); err != nil {
		return err
	}
	return t.syncLocked()
}

// Clear removes every service vigil installed (daemon exit).
func (t *IPVSTables) Clear() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	res, err := t.rec.Clear()
	t.logResult(res, err)
	return err
}

// Desired returns the table vigil wants in the kernel now.
func (t *IPVSTables) Desired() (ipvs.Table, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.desired()
}

func (t *IPVSTables) syncLocked() error {
	tab, err := t.desired()
	if err != nil {
		return err
	}
	res, err := t.rec.Apply(tab)
	t.logResult(res, err)
	return err
}

func (t *IPVSTables) logResult(res ipvs.Result, err error) {
	if res.Changed() {
		t.log.Info("IPVS table changed", "changes", res.Summary(), "writes", res.Writes)
	}
	if err != nil {
		t.log.Error("IPVS table not fully applied", "err", err)
	}
}

// wanted reports whether a virtual server belongs in the kernel now.
func (t *IPVSTables) wanted(vs config.VirtualServer) bool {
	if vs.VRRPInstance == "" || t.follow[vs.VRRPInstance] == config.IPVSFollowAlways {
		return true
	}
	return t.master[vs.VRRPInstance]
}

func (t *IPVSTables) desired() (ipvs.Table, error) {
	var tab ipvs.Table
	var errs []error
	for _, vs := range t.vss {
		if !t.wanted(vs) {
			continue
		}
		svc, err := t.service(vs)
		if err != nil {
			errs = append(errs, fmt.Errorf("virtual_server %q: %w", vs.Name, err))
			continue
		}
		tab.Services = append(tab.Services, svc)
	}
	tab.Services = append(tab.Services, probeServices(t.probes.marks)...)
	if err := errors.Join(errs...); err != nil {
		return ipvs.Table{}, err
	}
	return tab, tab.Validate()
}

// service maps one virtual_server block, with the current health, onto
// the IPVS model.
func (t *IPVSTables) service(vs config.VirtualServer) (ipvs.Service, error) {
	var svc ipvs.Service
	if vs.FWMark != 0 {
		fam := ipvs.IPv4
		if vs.Family == config.FamilyIPv6 {
			fam = ipvs.IPv6
		}
		svc.Key = ipvs.FWMarkKey(fam, vs.FWMark)
	} else {
		proto, err := ipvs.ParseProtocol(vs.Protocol)
		if err != nil {
			return svc, err
		}
		svc.Key = ipvs.AddrKey(proto, vs.Address)
	}
	svc.Scheduler = vs.Scheduler
	flags, err := ipvs.ParseSchedFlags(vs.Scheduler, vs.SchedulerFlags)
	if err != nil {
		return svc, err
	}
	svc.Flags = flags
	if p := vs.Persistence; p != nil {
		svc.Flags |= ipvs.FlagPersistent
		svc.Timeout = uint32(p.Timeout.Seconds())
		// The file says 32 (or 128) for "one client"; the model says 0.
		hostBits := 32
		if svc.Key.Family == ipvs.IPv6 {
			hostBits = 128
		}
		if p.Netmask != hostBits {
			svc.Netmask = uint8(p.Netmask)
		}
	}
	fwd, err := ipvs.ParseForward(vs.Forwarding)
	if err != nil {
		return svc, err
	}
	for _, rs := range vs.RealServers {
		weight := rs.Weight
		if h, ok := t.health[RealServerRef{VirtualServer: vs.Name, RealServer: rs.Address}]; ok {
			if h.Remove {
				continue
			}
			weight = h.Weight
		}
		port := rs.Address.Port()
		if vs.FWMark != 0 && fwd != ipvs.ForwardNAT {
			// A firewall-mark service forwards to the packet's own port.
			port = 0
		}
		svc.Dests = append(svc.Dests, ipvs.Dest{Addr: rs.Address.Addr(), Port: port, Weight: weight, Fwd: fwd,
			Upper: uint32(rs.UpperThreshold), Lower: uint32(rs.LowerThreshold)})
	}
	if t.lost[vs.Name] && vs.SorryServer.IsValid() {
		port := vs.SorryServer.Port()
		if vs.FWMark != 0 && fwd != ipvs.ForwardNAT {
			port = 0
		}
		svc.Dests = append(svc.Dests, ipvs.Dest{Addr: vs.SorryServer.Addr(), Port: port, Weight: 1, Fwd: fwd})
	}
	return svc, nil
}
