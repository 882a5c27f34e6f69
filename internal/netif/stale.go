package netif

import (
	"errors"
	"net/netip"
)

// StaleVIPs returns the addresses in held that this host must give up: those
// vigil manages (their address is in managed, the configured VIPs of every
// instance) but that are not desired now. Addresses are compared without
// prefix length. It never returns an address in keep, an IPv6 link-local
// address, or the interface's IPv4 primary address (the first
// non-secondary IPv4 address in held), even when it is listed as managed:
// removing that would cut the host off and, without promote_secondaries,
// take every secondary address with it.
func StaleVIPs(held []Address, desired, managed []netip.Prefix, keep ...netip.Addr) []Address {
	protected := make(map[netip.Addr]bool, len(desired)+len(keep)+1)
	for _, p := range desired {
		protected[p.Addr()] = true
	}
	for _, a := range keep {
		protected[a] = true
	}
	for _, h := range held {
		if h.Prefix.Addr().Is4() && !h.Secondary {
			protected[h.Prefix.Addr()] = true
			break
		}
	}
	isManaged := make(map[netip.Addr]bool, len(managed))
	for _, p := range managed {
		isManaged[p.Addr()] = true
	}
	var stale []Address
	for _, h := range held {
		a := h.Prefix.Addr()
		if isManaged[a] && !protected[a] && !a.IsLinkLocalUnicast() {
			stale = append(stale, h)
		}
	}
	return stale
}

// RemoveStaleVIPs deletes from dev the addresses StaleVIPs selects and
// returns those it removed. It tries every one and returns the errors
// joined.
func (h *Handle) RemoveStaleVIPs(dev string, desired, managed []netip.Prefix, keep ...netip.Addr) ([]netip.Prefix, error) {
	held, err := h.ListVIPs(dev)
	if err != nil {
		return nil, err
	}
	var removed []netip.Prefix
	var errs []error
	for _, s := range StaleVIPs(held, desired, managed, keep...) {
		if err := h.DelVIP(dev, VIP{Prefix: s.Prefix}); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, s.Prefix)
	}
	return removed, errors.Join(errs...)
}
