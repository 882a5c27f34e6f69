package transport

import (
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ownRefresh bounds how stale the cached list of the interface's own
// addresses may be. The list changes when VIPs come and go; a second of
// staleness only matters for a packet from an address added or removed in
// that second.
const ownRefresh = time.Second

// unusableFlags are address flags that make an address unfit as a source:
// the kernel refuses to send from a tentative or duplicate address.
const unusableFlags = unix.IFA_F_TENTATIVE | unix.IFA_F_DADFAILED

// pickSource chooses the default source address among the interface's
// addresses, in kernel order: for IPv4 the first primary (non-secondary)
// address, for IPv6 the first usable link-local address.
func pickSource(addrs []netlink.Addr, family int) netip.Addr {
	for _, a := range addrs {
		ip := addrOf(a)
		switch {
		case family == 4 && ip.Is4() && a.Flags&unix.IFA_F_SECONDARY == 0:
			return ip
		case family == 6 && ip.Is6() && ip.IsLinkLocalUnicast() && a.Flags&unusableFlags == 0:
			return ip
		}
	}
	return netip.Addr{}
}

func addrOf(a netlink.Addr) netip.Addr {
	if a.IPNet == nil {
		return netip.Addr{}
	}
	return ipFromSlice(a.IP)
}

// listAddrs dumps the link's addresses of one family, retrying when the
// kernel reports that the dump was interrupted by a concurrent change.
func listAddrs(h *netlink.Handle, link netlink.Link, family int) ([]netlink.Addr, error) {
	nlFamily := netlink.FAMILY_V4
	if family == 6 {
		nlFamily = netlink.FAMILY_V6
	}
	var err error
	for range 3 {
		var addrs []netlink.Addr
		addrs, err = h.AddrList(link, nlFamily)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return addrs, err
		}
	}
	return nil, err
}

// ownAddrs answers "is this one of the interface's own addresses?" from a
// cache refreshed at most every ownRefresh.
type ownAddrs struct {
	h      *netlink.Handle
	link   netlink.Link
	family int
	always netip.Addr // the Conn's source, own even if not on the interface

	mu      sync.Mutex
	set     map[netip.Addr]struct{}
	fetched time.Time
}

func (o *ownAddrs) contains(a netip.Addr) bool {
	if a == o.always {
		return true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.set == nil || time.Since(o.fetched) > ownRefresh {
		o.refresh()
	}
	_, ok := o.set[a]
	return ok
}

// refresh reloads the cache; on error the previous contents are kept, which
// is the best answer available.
func (o *ownAddrs) refresh() {
	addrs, err := listAddrs(o.h, o.link, o.family)
	o.fetched = time.Now()
	if err != nil && o.set != nil {
		return
	}
	set := make(map[netip.Addr]struct{}, len(addrs))
	for _, a := range addrs {
		if ip := addrOf(a); ip.IsValid() {
			set[ip] = struct{}{}
		}
	}
	o.set = set
}
