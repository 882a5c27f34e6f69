package director

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/vrrp/transport"
)

// bus is an in-memory LAN: every packet sent by one fake link reaches every
// other link on the same interface name (like multicast on a switch).
type bus struct {
	mu    sync.Mutex
	links []*fakeLink
	// drop, when set, decides whether a packet from src is lost.
	drop func(src netip.Addr) bool
	// order, when set, records sends and VIP changes in the order they happen.
	order *orderLog
}

// orderLog is a shared, ordered record of side effects.
type orderLog struct {
	mu  sync.Mutex
	evs []string
}

func (o *orderLog) add(ev string) {
	if o == nil {
		return
	}
	o.mu.Lock()
	o.evs = append(o.evs, ev)
	o.mu.Unlock()
}

func (o *orderLog) events() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.evs)
}

type fakeLink struct {
	bus    *bus
	iface  string
	source netip.Addr
	in     chan transport.Packet
	closed chan struct{}
	once   sync.Once
}

// host is one director's view of the bus.
type host struct {
	bus  *bus
	addr netip.Addr
}

func (h host) Open(cfg transport.Config) (Link, error) {
	l := &fakeLink{bus: h.bus, iface: cfg.Interface, source: h.addr, in: make(chan transport.Packet, 1024), closed: make(chan struct{})}
	h.bus.mu.Lock()
	h.bus.links = append(h.bus.links, l)
	h.bus.mu.Unlock()
	return l, nil
}

func (l *fakeLink) Receive(buf []byte) (transport.Packet, error) {
	select {
	case p := <-l.in:
		n := copy(buf, p.Payload)
		p.Payload = buf[:n]
		return p, nil
	case <-l.closed:
		return transport.Packet{}, errors.New("closed")
	}
}

func (l *fakeLink) SendTo(payload []byte, dst netip.Addr) error {
	select {
	case <-l.closed:
		return errors.New("closed")
	default:
	}
	l.bus.mu.Lock()
	defer l.bus.mu.Unlock()
	l.bus.order.add("send " + l.source.String())
	if l.bus.drop != nil && l.bus.drop(l.source) {
		return nil
	}
	for _, o := range l.bus.links {
		if o == l || o.iface != l.iface {
			continue
		}
		select {
		case <-o.closed:
			continue
		default:
		}
		p := transport.Packet{Payload: slices.Clone(payload), Src: l.source, Dst: dst, TTL: 255}
		select {
		case o.in <- p:
		default:
		}
	}
	return nil
}

func (l *fakeLink) Destinations() []netip.Addr { return []netip.Addr{transport.Group4} }
func (l *fakeLink) Source() netip.Addr         { return l.source }
func (l *fakeLink) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// vipTable records which host holds which VIP, across all fake hosts.
type vipTable struct {
	mu      sync.Mutex
	holders map[netip.Addr][]string
}

type hostVIPs struct {
	t     *vipTable
	name  string
	order *orderLog
}

func (h hostVIPs) Add(_ string, v config.VIP) error {
	h.t.mu.Lock()
	defer h.t.mu.Unlock()
	a := v.Prefix.Addr()
	h.order.add("add " + h.name)
	if !slices.Contains(h.t.holders[a], h.name) {
		h.t.holders[a] = append(h.t.holders[a], h.name)
	}
	return nil
}

func (h hostVIPs) Del(_ string, v config.VIP) error {
	h.t.mu.Lock()
	defer h.t.mu.Unlock()
	a := v.Prefix.Addr()
	h.t.holders[a] = slices.DeleteFunc(h.t.holders[a], func(s string) bool { return s == h.name })
	return nil
}

func (t *vipTable) holdersOf(a netip.Addr) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.holders[a])
}

// countingAnnouncer counts announcements per host.
type countingAnnouncer struct {
	mu sync.Mutex
	n  int
}

func (c *countingAnnouncer) Announce(context.Context, string, []netip.Addr, config.GARP) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}

func (c *countingAnnouncer) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// fakeTables records Install/Remove calls.
type fakeTables struct {
	mu        sync.Mutex
	installed map[string]bool
	calls     int
}

func (f *fakeTables) Install(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.installed[name] = true
	f.calls++
	return nil
}

func (f *fakeTables) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.installed, name)
	f.calls++
	return nil
}

func (f *fakeTables) has(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.installed[name]
}
