package netif

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Handle changes addresses and links through one netlink socket.
type Handle struct {
	nl *netlink.Handle
}

// Open returns a Handle on the calling thread's network namespace.
func Open() (*Handle, error) {
	nl, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netif: netlink: %w", err)
	}
	return &Handle{nl: nl}, nil
}

// Close releases the netlink socket.
func (h *Handle) Close() { h.nl.Close() }

// link looks an interface up by name.
func (h *Handle) link(dev string) (netlink.Link, error) {
	l, err := h.nl.LinkByName(dev)
	if err != nil {
		return nil, fmt.Errorf("netif: interface %s: %w", dev, err)
	}
	return l, nil
}

// dumpRetries bounds retries of a netlink dump the kernel interrupted
// because the table changed meanwhile.
const dumpRetries = 3

func (h *Handle) addrList(l netlink.Link) ([]netlink.Addr, error) {
	var err error
	for range dumpRetries {
		var addrs []netlink.Addr
		addrs, err = h.nl.AddrList(l, netlink.FAMILY_ALL)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return addrs, err
		}
	}
	return nil, err
}
