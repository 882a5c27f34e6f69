package transport

import (
	"errors"
	"fmt"
	"net/netip"
)

// Protocol is the IP protocol number of VRRP.
const Protocol = 112

// TTL is the only TTL / hop limit a VRRP packet may be sent or accepted with.
const TTL = 255

// MaxPayload is a receive buffer size that holds any VRRP payload the
// network can deliver (the largest IP datagram).
const MaxPayload = 65535

// tosInternetControl is the IPv4 TOS / IPv6 traffic class VRRP is sent with
// (precedence 6, "internetwork control"), as keepalived does.
const tosInternetControl = 0xc0

// Multicast groups VRRP advertisements are sent to.
var (
	Group4 = netip.MustParseAddr("224.0.0.18")
	Group6 = netip.MustParseAddr("ff02::12")
)

// Config describes the transport of one interface and address family.
type Config struct {
	// Interface is the name of the network interface to send and receive on.
	Interface string
	// Family is 4 for IPv4 or 6 for IPv6.
	Family int
	// Source is the source address of sent packets. When unset, Open uses
	// the interface's primary IPv4 address (the first one that is not a
	// secondary address) or, for IPv6, its link-local address as RFC 5798
	// section 5.1.2.1 requires.
	Source netip.Addr
	// Peers switches to unicast mode when non-empty: packets are sent to
	// each peer instead of the multicast group, no group is joined, and only
	// packets from these addresses are accepted.
	Peers []netip.Addr
}

// ErrNoSource is returned by Open when no source address was configured
// and the interface has no usable address of the family.
var ErrNoSource = errors.New("transport: interface has no usable source address")

// validate checks the configuration and returns the peers without zones,
// the form they are compared in.
func (c Config) validate() ([]netip.Addr, error) {
	if c.Interface == "" {
		return nil, errors.New("transport: no interface")
	}
	if c.Family != 4 && c.Family != 6 {
		return nil, fmt.Errorf("transport: family %d, want 4 or 6", c.Family)
	}
	if c.Source.IsValid() && !familyMatches(c.Source, c.Family) {
		return nil, fmt.Errorf("transport: source %s is not IPv%d", c.Source, c.Family)
	}
	peers := make([]netip.Addr, 0, len(c.Peers))
	for _, p := range c.Peers {
		if !p.IsValid() || !familyMatches(p, c.Family) {
			return nil, fmt.Errorf("transport: peer %s is not IPv%d", p, c.Family)
		}
		if p.IsMulticast() {
			return nil, fmt.Errorf("transport: peer %s is a multicast address", p)
		}
		peers = append(peers, p.Unmap().WithZone(""))
	}
	return peers, nil
}

// familyMatches reports whether a is an address of family 4 or 6; an
// IPv4-mapped IPv6 address counts as IPv4.
func familyMatches(a netip.Addr, family int) bool {
	a = a.Unmap()
	return (family == 4 && a.Is4()) || (family == 6 && a.Is6())
}
