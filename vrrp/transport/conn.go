package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Conn is a VRRP transport on one interface and address family. Receive
// must be called from one goroutine at a time; every other method is safe
// for concurrent use.
type Conn struct {
	ifname  string
	ifindex int
	family  int
	source  netip.Addr
	peers   []netip.Addr // unicast mode when non-empty; no zones
	dests   []netip.Addr // group, or the peers
	group   netip.Addr

	sock  rawSocket
	nl    *netlink.Handle
	own   *ownAddrs
	stats counters

	closeOnce sync.Once
	closeErr  error
}

// Open creates the sockets of a Conn in the calling thread's network
// namespace and joins the VRRP group unless cfg.Peers selects unicast mode.
func Open(cfg Config) (*Conn, error) {
	peers, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	nl, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("transport: netlink: %w", err)
	}
	c, err := open(cfg, peers, nl)
	if err != nil {
		nl.Close()
		return nil, err
	}
	return c, nil
}

func open(cfg Config, peers []netip.Addr, nl *netlink.Handle) (*Conn, error) {
	link, err := nl.LinkByName(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("transport: interface %s: %w", cfg.Interface, err)
	}
	attrs := link.Attrs()
	source := cfg.Source.Unmap().WithZone("")
	if !source.IsValid() {
		addrs, err := listAddrs(nl, link, cfg.Family)
		if err != nil {
			return nil, fmt.Errorf("transport: addresses of %s: %w", cfg.Interface, err)
		}
		if source = pickSource(addrs, cfg.Family); !source.IsValid() {
			return nil, fmt.Errorf("%w: %s IPv%d", ErrNoSource, cfg.Interface, cfg.Family)
		}
	}
	c := &Conn{
		ifname:  attrs.Name,
		ifindex: attrs.Index,
		family:  cfg.Family,
		source:  source,
		peers:   peers,
		group:   Group4,
		nl:      nl,
		own:     &ownAddrs{h: nl, link: link, family: cfg.Family, always: source},
	}
	if cfg.Family == 6 {
		c.group = Group6
	}
	c.dests = []netip.Addr{c.group}
	if len(peers) > 0 {
		c.dests = peers
	}
	ifi := &net.Interface{Index: attrs.Index, Name: attrs.Name, MTU: attrs.MTU, HardwareAddr: attrs.HardwareAddr}
	multicast := len(peers) == 0
	if cfg.Family == 4 {
		c.sock, err = openSocket4(ifi, multicast)
	} else {
		c.sock, err = openSocket6(ifi, multicast)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Receive blocks until a VRRP packet arrives, the read deadline passes or
// the Conn is closed. The returned Payload aliases buf; a buf of MaxPayload
// bytes never truncates. A packet that must be ignored is returned as a
// *RejectError (already counted): log it and call Receive again.
func (c *Conn) Receive(buf []byte) (Packet, error) {
	n, meta, err := c.sock.readFrom(buf)
	if err != nil {
		return Packet{}, err
	}
	p := Packet{Payload: buf[:n], Src: meta.src, Dst: meta.dst, TTL: meta.ttl, IfIndex: meta.ifindex}
	if reason, ok := c.check(p); !ok {
		return Packet{}, c.stats.reject(reason, p)
	}
	c.stats.received.Add(1)
	return p, nil
}

// check applies the receive rules in order of cost: the TTL first (RFC
// 5798 7.1), then the source against our own addresses and the peers.
func (c *Conn) check(p Packet) (Reason, bool) {
	switch {
	case p.TTL != TTL:
		return ReasonTTL, false
	case p.Dst.IsMulticast() && p.Dst != c.group:
		return ReasonDestination, false
	case c.own.contains(p.Src):
		return ReasonOwn, false
	case len(c.peers) > 0 && !slices.Contains(c.peers, p.Src):
		return ReasonNotAPeer, false
	}
	return "", true
}

// Send writes payload to the multicast group, or in unicast mode to every
// peer, with TTL / hop limit 255 from Source. It tries every destination and
// returns the errors joined.
func (c *Conn) Send(payload []byte) error {
	var errs []error
	for _, dst := range c.dests {
		errs = append(errs, c.SendTo(payload, dst))
	}
	return errors.Join(errs...)
}

// SendTo writes payload to one destination of the Conn's family: a peer,
// the group, or any other address (a per-instance peer list).
func (c *Conn) SendTo(payload []byte, dst netip.Addr) error {
	if !familyMatches(dst, c.family) {
		return fmt.Errorf("transport: destination %s is not IPv%d", dst, c.family)
	}
	if err := c.sock.writeTo(payload, c.source, dst.Unmap().WithZone("")); err != nil {
		c.stats.sendErrors.Add(1)
		return fmt.Errorf("transport: send to %s on %s: %w", dst, c.ifname, err)
	}
	c.stats.sent.Add(1)
	return nil
}

// Destinations returns where Send writes: the group, or the peers.
func (c *Conn) Destinations() []netip.Addr { return slices.Clone(c.dests) }

// Source returns the source address of sent packets.
func (c *Conn) Source() netip.Addr { return c.source }

// Unicast reports whether the Conn sends to peers instead of the group.
func (c *Conn) Unicast() bool { return len(c.peers) > 0 }

// Interface returns the interface name and index the Conn is bound to.
func (c *Conn) Interface() (name string, index int) { return c.ifname, c.ifindex }

// SetReadDeadline makes a blocked or future Receive return an error
// (os.ErrDeadlineExceeded) once t has passed; the zero time means none.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.sock.setReadDeadline(t) }

// Stats returns a snapshot of the counters.
func (c *Conn) Stats() Stats { return c.stats.snapshot() }

// Close closes the sockets and unblocks Receive (which then returns an
// error matching net.ErrClosed). Closing twice is harmless.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.sock.close()
		c.nl.Close()
	})
	return c.closeErr
}
