package director

import (
	"context"
	"net/netip"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/vrrp/transport"
)

// Link moves VRRP payloads on one interface and address family. The
// transport's *transport.Conn is the real one.
type Link interface {
	// Receive blocks for the next packet; a *transport.RejectError means a
	// packet was dropped by the transport's own checks.
	Receive(buf []byte) (transport.Packet, error)
	// SendTo sends a payload to one destination (the group or a peer).
	SendTo(payload []byte, dst netip.Addr) error
	// Destinations lists where adverts go: the multicast group or the peers.
	Destinations() []netip.Addr
	// Source is the address adverts are sent from.
	Source() netip.Addr
	Close() error
}

// Network opens links.
type Network interface {
	Open(cfg transport.Config) (Link, error)
}

// Addresses adds and removes the virtual addresses of an instance.
type Addresses interface {
	Add(iface string, vip config.VIP) error
	Del(iface string, vip config.VIP) error
}

// Announcer sends gratuitous ARP (IPv4) or unsolicited neighbour
// advertisements (IPv6) for addresses, as configured by g, until ctx ends or
// the burst is done.
type Announcer interface {
	Announce(ctx context.Context, iface string, addrs []netip.Addr, g config.GARP)
}

// Tables installs and removes the IPVS services that follow an instance.
type Tables interface {
	// Install makes the kernel hold the services of the instance.
	Install(instance string) error
	// Remove deletes them (only called for ipvs_follow = "master").
	Remove(instance string) error
}

// VMACs creates and removes virtual MAC interfaces (use_vmac): a macvlan
// with the RFC 5798 MAC 00:00:5e:00:01:<vrid> that carries the VIPs, so a
// take-over does not change the MAC clients have cached.
type VMACs interface {
	// Ensure creates (or repairs) the interface and returns its name.
	Ensure(parent string, vrid uint8, family int) (string, error)
	// Delete removes it; a missing interface is not an error.
	Delete(name string) error
}

// Deps are the director's side effects.
type Deps struct {
	Network   Network
	Addresses Addresses
	Announcer Announcer
	Tables    Tables // may be nil: no IPVS
	VMACs     VMACs  // may be nil: use_vmac is then refused at start
}
