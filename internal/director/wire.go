package director

import (
	"context"
	"fmt"
	"net/netip"
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
	ann map[string]*netif.Announcer
	// OnError, if set, receives errors (logging is the caller's choice).
	OnError func(iface string, err error)
}

// schedule maps the garp block onto the announcer: one round at once, then
// master_repeat more rounds master_delay apart.
func schedule(g config.GARP) netif.Schedule {
	return netif.Schedule{Count: g.MasterRepeat + 1, Delay: g.MasterDelay}
}

// Announce implements Announcer. After the take-over burst it keeps
// refreshing every master_refresh, if set, until ctx ends.
func (s *SystemAnnouncer) Announce(ctx context.Context, iface string, addrs []netip.Addr, g config.GARP) {
	a, err := s.get(iface)
	if err == nil {
		err = a.Announce(ctx, addrs, schedule(g))
	}
	if err != nil && ctx.Err() == nil {
		s.report(iface, err)
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

func (s *SystemAnnouncer) report(iface string, err error) {
	if s.OnError != nil {
		s.OnError(iface, err)
	}
}

func (s *SystemAnnouncer) get(iface string) (*netif.Announcer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.ann[iface]; ok {
		return a, nil
	}
	a, err := netif.NewAnnouncer(iface)
	if err != nil {
		return nil, fmt.Errorf("announcer on %s: %w", iface, err)
	}
	if s.ann == nil {
		s.ann = map[string]*netif.Announcer{}
	}
	s.ann[iface] = a
	return a, nil
}

// Close closes every announcer.
func (s *SystemAnnouncer) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.ann {
		_ = a.Close()
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
