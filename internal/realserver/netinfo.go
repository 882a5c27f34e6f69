package realserver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// hostAddr is an IPv4 address configured on the host.
type hostAddr struct {
	Dev    string
	Prefix netip.Prefix
	Label  string
}

// dumpRetries bounds the retries of a netlink dump that the kernel marked as
// interrupted (the table changed while it was read).
const dumpRetries = 5

func retryDump[T any](f func() (T, error)) (T, error) {
	var v T
	var err error
	for range dumpRetries {
		v, err = f()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return v, err
		}
	}
	return v, err
}

// hostAddrs lists every IPv4 address of the namespace with its device.
func hostAddrs(h *Host) ([]hostAddr, error) {
	links, err := retryDump(h.Net.LinkList)
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	var out []hostAddr
	for _, l := range links {
		addrs, err := retryDump(func() ([]netlink.Addr, error) { return h.Net.AddrList(l, netlink.FAMILY_V4) })
		if err != nil {
			return nil, fmt.Errorf("listing addresses of %s: %w", l.Attrs().Name, err)
		}
		for _, a := range addrs {
			if p, ok := prefixOf(a.IPNet); ok {
				out = append(out, hostAddr{Dev: l.Attrs().Name, Prefix: p, Label: a.Label})
			}
		}
	}
	return out, nil
}

// prefixOf converts a netlink address to a netip.Prefix.
func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

// ipNet converts a netip.Prefix to the form netlink wants.
func ipNet(p netip.Prefix) *net.IPNet {
	bits := p.Addr().BitLen()
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}
}

// addrsOn returns the addresses of one device.
func addrsOn(all []hostAddr, dev string) []hostAddr {
	var out []hostAddr
	for _, a := range all {
		if a.Dev == dev {
			out = append(out, a)
		}
	}
	return out
}

// findAddr returns where ip is configured.
func findAddr(all []hostAddr, ip netip.Addr) []hostAddr {
	var out []hostAddr
	for _, a := range all {
		if a.Prefix.Addr() == ip {
			out = append(out, a)
		}
	}
	return out
}

// realIPOf picks the real server's own address on dev: the first address that
// is not a VIP and not secondary to a VIP (a /32).
func realIPOf(all []hostAddr, dev string, vips []netip.Addr) (netip.Addr, bool) {
	for _, a := range addrsOn(all, dev) {
		if isVIP(vips, a.Prefix.Addr()) || a.Prefix.Addr().IsLoopback() {
			continue
		}
		return a.Prefix.Addr(), true
	}
	return netip.Addr{}, false
}

func isVIP(vips []netip.Addr, a netip.Addr) bool {
	for _, v := range vips {
		if v == a {
			return true
		}
	}
	return false
}
