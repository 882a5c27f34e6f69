package netif

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// VIP is a virtual address to claim on an interface.
type VIP struct {
	// Prefix is the address and prefix length, e.g. 10.99.0.100/32.
	Prefix netip.Prefix
	// Label is the optional IPv4 address label: "eth0:vip", or just "vip"
	// which becomes "<dev>:vip". IPv6 addresses have no labels; it is
	// ignored for them.
	Label string
}

// Address is an address an interface holds.
type Address struct {
	Prefix netip.Prefix
	// Label is the IPv4 label ("" or the interface name when unset).
	Label string
	// Secondary is set for an IPv4 address the kernel holds as a secondary
	// of a primary in the same subnet.
	Secondary bool
	// Flags are the kernel's IFA_F_* flags.
	Flags int
}

// maxLabel is the longest label the kernel accepts (IFNAMSIZ - 1).
const maxLabel = 15

// fullLabel turns a label into the kernel's form "<dev>:<suffix>".
func fullLabel(dev, label string) (string, error) {
	if label == "" {
		return "", nil
	}
	if !strings.HasPrefix(label, dev) {
		label = dev + ":" + label
	}
	if len(label) > maxLabel {
		return "", fmt.Errorf("netif: label %q longer than %d bytes", label, maxLabel)
	}
	return label, nil
}

func toNetlinkAddr(dev string, v VIP) (*netlink.Addr, error) {
	if !v.Prefix.IsValid() {
		return nil, errors.New("netif: invalid VIP prefix")
	}
	p := v.Prefix
	a := &netlink.Addr{IPNet: &net.IPNet{
		IP:   p.Addr().AsSlice(),
		Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
	}}
	if p.Addr().Is4() {
		label, err := fullLabel(dev, v.Label)
		if err != nil {
			return nil, err
		}
		a.Label = label
	} else {
		// A VIP must be usable at once: duplicate address detection would
		// hold it tentative (unusable) for a second or more. keepalived
		// adds its IPv6 VIPs the same way.
		a.Flags = unix.IFA_F_NODAD
	}
	return a, nil
}

// AddVIP adds the VIP to dev. Adding an address dev already holds is not an
// error.
func (h *Handle) AddVIP(dev string, v VIP) error {
	l, err := h.link(dev)
	if err != nil {
		return err
	}
	a, err := toNetlinkAddr(dev, v)
	if err != nil {
		return err
	}
	if err := h.nl.AddrAdd(l, a); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("netif: add %s to %s: %w", v.Prefix, dev, err)
	}
	return nil
}

// DelVIP removes the VIP (address and prefix length) from dev. Removing an
// address dev does not hold is not an error.
func (h *Handle) DelVIP(dev string, v VIP) error {
	l, err := h.link(dev)
	if err != nil {
		return err
	}
	a, err := toNetlinkAddr(dev, VIP{Prefix: v.Prefix})
	if err != nil {
		return err
	}
	if err := h.nl.AddrDel(l, a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return fmt.Errorf("netif: delete %s from %s: %w", v.Prefix, dev, err)
	}
	return nil
}

// ListVIPs returns every address dev holds, both families, in the kernel's
// order (for IPv4 the first non-secondary address is the primary one).
func (h *Handle) ListVIPs(dev string) ([]Address, error) {
	l, err := h.link(dev)
	if err != nil {
		return nil, err
	}
	nlAddrs, err := h.addrList(l)
	if err != nil {
		return nil, fmt.Errorf("netif: addresses of %s: %w", dev, err)
	}
	out := make([]Address, 0, len(nlAddrs))
	for _, a := range nlAddrs {
		if a.IPNet == nil {
			continue
		}
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		bits, _ := a.Mask.Size()
		out = append(out, Address{
			Prefix:    netip.PrefixFrom(ip, bits),
			Label:     a.Label,
			Secondary: ip.Is4() && a.Flags&unix.IFA_F_SECONDARY != 0,
			Flags:     a.Flags,
		})
	}
	return out, nil
}
