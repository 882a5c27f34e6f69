package netif

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
)

// VMACMode is the macvlan mode of a virtual MAC interface.
type VMACMode int

// VMAC modes. Private keeps the virtual interface from talking to its
// siblings on the same parent; bridge lets them talk to each other.
const (
	VMACPrivate VMACMode = iota
	VMACBridge
)

func (m VMACMode) netlink() (netlink.MacvlanMode, error) {
	switch m {
	case VMACPrivate:
		return netlink.MACVLAN_MODE_PRIVATE, nil
	case VMACBridge:
		return netlink.MACVLAN_MODE_BRIDGE, nil
	}
	return 0, fmt.Errorf("netif: unknown VMAC mode %d", m)
}

// VMAC describes a VRRP virtual MAC interface: a macvlan on Parent with the
// RFC 5798 virtual router MAC address.
type VMAC struct {
	// Parent is the interface the macvlan sits on.
	Parent string
	// Name of the macvlan; empty means VMACName(VRID).
	Name string
	// VRID is the virtual router id, the last byte of the MAC.
	VRID uint8
	// Family is 4 (MAC 00:00:5e:00:01:<vrid>) or 6 (00:00:5e:00:02:<vrid>).
	Family int
	Mode   VMACMode
}

// VMACName is keepalived's default name of the virtual MAC interface,
// "vrrp.<vrid>". An IPv4 and an IPv6 instance with the same VRID on the
// same host need distinct names.
func VMACName(vrid uint8) string { return fmt.Sprintf("vrrp.%d", vrid) }

// VirtualMAC returns the RFC 5798 virtual router MAC address (section 7.3).
func VirtualMAC(vrid uint8, family int) (net.HardwareAddr, error) {
	switch family {
	case 4:
		return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x01, vrid}, nil
	case 6:
		return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x02, vrid}, nil
	}
	return nil, fmt.Errorf("netif: family %d, want 4 or 6", family)
}

func (v VMAC) name() string {
	if v.Name != "" {
		return v.Name
	}
	return VMACName(v.VRID)
}

// EnsureVMAC creates the virtual MAC interface, or checks an existing one
// and corrects its MAC address, and brings it up. An existing interface of
// that name that is not a macvlan on Parent in the same mode is an error:
// it is not ours to change. It returns the interface's name.
func (h *Handle) EnsureVMAC(v VMAC) (string, error) {
	mac, err := VirtualMAC(v.VRID, v.Family)
	if err != nil {
		return "", err
	}
	mode, err := v.Mode.netlink()
	if err != nil {
		return "", err
	}
	parent, err := h.link(v.Parent)
	if err != nil {
		return "", err
	}
	name := v.name()
	existing, err := h.nl.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound):
		attrs := netlink.NewLinkAttrs()
		attrs.Name = name
		attrs.ParentIndex = parent.Attrs().Index
		attrs.HardwareAddr = mac
		if err := h.nl.LinkAdd(&netlink.Macvlan{LinkAttrs: attrs, Mode: mode}); err != nil {
			return "", fmt.Errorf("netif: create %s on %s: %w", name, v.Parent, err)
		}
		if existing, err = h.nl.LinkByName(name); err != nil {
			return "", fmt.Errorf("netif: %s after creation: %w", name, err)
		}
	case err != nil:
		return "", fmt.Errorf("netif: interface %s: %w", name, err)
	default:
		mv, ok := existing.(*netlink.Macvlan)
		if !ok || mv.ParentIndex != parent.Attrs().Index || mv.Mode != mode {
			return "", fmt.Errorf("netif: %s exists but is not a %v-mode macvlan on %s", name, v.Mode, v.Parent)
		}
		if mv.HardwareAddr.String() != mac.String() {
			if err := h.nl.LinkSetHardwareAddr(existing, mac); err != nil {
				return "", fmt.Errorf("netif: set %s MAC to %s: %w", name, mac, err)
			}
		}
	}
	if err := h.nl.LinkSetUp(existing); err != nil {
		return "", fmt.Errorf("netif: bring %s up: %w", name, err)
	}
	return name, nil
}

// DeleteVMAC removes the virtual MAC interface name. A missing interface is
// not an error; one that is not a macvlan is refused.
func (h *Handle) DeleteVMAC(name string) error {
	l, err := h.nl.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("netif: interface %s: %w", name, err)
	}
	if _, ok := l.(*netlink.Macvlan); !ok {
		return fmt.Errorf("netif: %s is a %s, not a macvlan: not deleting it", name, l.Type())
	}
	if err := h.nl.LinkDel(l); err != nil {
		return fmt.Errorf("netif: delete %s: %w", name, err)
	}
	return nil
}

// String names the mode as ip-link does.
func (m VMACMode) String() string {
	switch m {
	case VMACPrivate:
		return "private"
	case VMACBridge:
		return "bridge"
	}
	return fmt.Sprintf("VMACMode(%d)", int(m))
}
