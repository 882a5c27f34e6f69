package director

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/netif"
	"github.com/vigil-ha/vigil/vrrp/transport"
)

// SystemNetwork opens real raw VRRP sockets in the current network namespace.
type SystemNetwork struct{}

// Open implements Network.
func (SystemNetwork) Open(cfg transport.Config) (Link, error) { return transport.Open(cfg) }

// SystemAddresses adds and removes VIPs with netlink.
type SystemAddresses struct{ H *netif.Handle }

// Add implements Addresses.
func (s SystemAddresses) Add(iface string, v config.VIP) error {
	return s.H.AddVIP(iface, netif.VIP{Prefix: v.Prefix, Label: v.Label})
}

// Del implements Addresses.
func (s SystemAddresses) Del(iface string, v config.VIP) error {
	return s.H.DelVIP(iface, netif.VIP{Prefix: v.Prefix, Label: v.Label})
}

// SystemAnnouncer sends gratuitous ARP / unsolicited NA on packet sockets,
// one announcer per interface, opened on first use.
type SystemAnnouncer struct {
	mu  sync.Mutex
	ann map[string]cachedAnnouncer
	// OnError, if set, receives errors (logging is the caller's choice).
	OnError func(iface string, err error)
}

// burstSpacing separates the messages of one burst. keepalived sends them
// back to back (garp_interval 0); a few milliseconds apart, one burst
// survives a link or switch port that drops frames for a moment, as right
// after a link comes up.
const burstSpacing = 10 * time.Millisecond

// bursts maps the garp block onto the announcer the way keepalived reads
// garp_master_repeat and garp_master_delay: master_repeat messages per VIP
// at once, and the same again master_delay later (0: no second burst).
func bursts(g config.GARP) []netif.Schedule {
	if g.MasterRepeat <= 0 {
		return nil
	}
	b := netif.Schedule{Count: g.MasterRepeat, Delay: burstSpacing}
	if g.MasterDelay <= 0 {
		return []netif.Schedule{b}
	}
	return []netif.Schedule{b, b}
}

// Announce implements Announcer. After the take-over bursts it keeps
// refreshing every master_refresh, if set, until ctx ends.
func (s *SystemAnnouncer) Announce(ctx context.Context, iface string, addrs []netip.Addr, g config.GARP) {
	a, err := s.get(iface)
	if err != nil {
		s.report(iface, err)
		return
	}
	for i, b := range bursts(g) {
		if i > 0 && !sleep(ctx, g.MasterDelay) {
			return
		}
		if err := a.Announce(ctx, addrs, b); err != nil && ctx.Err() == nil {
			s.report(iface, err)
		}
	}
	if g.MasterRefresh <= 0 {
		return
	}
	tick := time.NewTicker(g.MasterRefresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := a.SendOnce(addrs); err != nil {
				s.report(iface, err)
			}
		}
	}
}

// sleep waits d or until ctx ends; it reports whether the wait completed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *SystemAnnouncer) report(iface string, err error) {
	if s.OnError != nil {
		s.OnError(iface, err)
	}
}

// cachedAnnouncer remembers the interface index its sockets are bound to:
// a virtual MAC interface is deleted and created again on every take-over.
type cachedAnnouncer struct {
	a     *netif.Announcer
	index int
}

func (s *SystemAnnouncer) get(iface string) (*netif.Announcer, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("announcer on %s: %w", iface, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.ann[iface]; ok {
		if c.index == ifi.Index {
			return c.a, nil
		}
		_ = c.a.Close()
		delete(s.ann, iface)
	}
	a, err := netif.NewAnnouncer(iface)
	if err != nil {
		return nil, fmt.Errorf("announcer on %s: %w", iface, err)
	}
	if s.ann == nil {
		s.ann = map[string]cachedAnnouncer{}
	}
	s.ann[iface] = cachedAnnouncer{a: a, index: ifi.Index}
	return a, nil
}

// Close closes every announcer.
func (s *SystemAnnouncer) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.ann {
		_ = c.a.Close()
	}
	s.ann = nil
}

// NetlinkLinks watches link state with a netlink subscription.
type NetlinkLinks struct{}

// Watch implements LinkWatcher. A link counts as up when it is
// administratively up and has carrier (IFF_UP and IFF_RUNNING / oper up).
func (NetlinkLinks) Watch(ctx context.Context, fn func(name string, up bool)) error {
	updates := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	defer close(done)
	if err := netlink.LinkSubscribe(updates, done); err != nil {
		return err
	}
	links, err := netlink.LinkList()
	if err != nil {
		return err
	}
	for _, l := range links {
		fn(l.Attrs().Name, linkUp(l.Attrs()))
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case u, ok := <-updates:
			if !ok {
				return nil
			}
			fn(u.Attrs().Name, linkUp(u.Attrs()))
		}
	}
}

func linkUp(a *netlink.LinkAttrs) bool {
	if a.Flags&(1<<0) == 0 { // IFF_UP
		return false
	}
	return a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown
}

// SystemVMACs creates the virtual MAC macvlans with netlink. Only the
// master has one, so the virtual MAC never appears on two ports of the LAN.
// The parent interface gets arp_ignore=1 and arp_announce=2 so that it
// neither answers ARP for the VIPs with its own MAC nor uses a VIP as the
// sender of its own ARP requests: only the macvlan speaks for the VIPs.
type SystemVMACs struct{ H *netif.Handle }

// Ensure implements VMACs.
func (s SystemVMACs) Ensure(parent string, vrid uint8, family int) (string, error) {
	for _, sc := range [][2]string{{"arp_ignore", "1"}, {"arp_announce", "2"}} {
		if err := writeSysctl("net/ipv4/conf/"+parent+"/"+sc[0], sc[1]); err != nil {
			return "", err
		}
	}
	return s.H.EnsureVMAC(netif.VMAC{Parent: parent, VRID: vrid, Family: family, Mode: netif.VMACBridge})
}

// Delete implements VMACs.
func (s SystemVMACs) Delete(name string) error { return s.H.DeleteVMAC(name) }

func writeSysctl(path, value string) error {
	return os.WriteFile("/proc/sys/"+path, []byte(value), 0o644)
}
