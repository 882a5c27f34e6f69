package main

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"

	"github.com/vigil-ha/vigil/healthcheck"
	"github.com/vigil-ha/vigil/internal/config"
)

// viaVIP points a check at the VIP: the probe goes to VIP:port with the
// firewall mark of the real server's probe service, and IPVS forwards it
// to that server alone (see internal/director/probe.go).
func viaVIP(hc *healthcheck.Check, c config.Check, vs config.VirtualServer, rs netip.AddrPort, marks probeMarker) error {
	mark, ok := marks.ProbeMark(rs.Addr(), vs.Forwarding)
	if !ok {
		return fmt.Errorf("no probe mark for real server %s (via_vip)", rs)
	}
	port := vs.Address.Port()
	if c.Port != 0 {
		port = uint16(c.Port)
	}
	hc.Dialer.Addr = netip.AddrPortFrom(vs.Address.Addr(), port)
	hc.Dialer.Mark = mark
	return nil
}

// acceptLocal turns net.ipv4.conf.IF.accept_local on for the interfaces
// the via_vip real servers are reached through, and puts back what it
// found when vigil exits. The real server answers a probe from the VIP;
// on the master the VIP is one of the director's own addresses, and Linux
// drops a packet whose source is a local address as a martian unless
// accept_local is on for the interface it arrives on (the VM test shows
// the probes time out without it).
type acceptLocal struct {
	log *slog.Logger
	// routeDev names the interface a destination is routed through.
	routeDev func(netip.Addr) (string, error)
	read     func(path string) (string, error)
	write    func(path, value string) error

	mu   sync.Mutex
	prev map[string]string // interface -> value found before vigil set it
}

func newAcceptLocal(log *slog.Logger) *acceptLocal {
	return &acceptLocal{log: log, routeDev: routeDevice, prev: map[string]string{},
		read: func(p string) (string, error) {
			b, err := os.ReadFile(p)
			return strings.TrimSpace(string(b)), err
		},
		write: func(p, v string) error { return os.WriteFile(p, []byte(v), 0o644) },
	}
}

func acceptLocalPath(dev string) string { return "/proc/sys/net/ipv4/conf/" + dev + "/accept_local" }

// ensure switches accept_local on where the real servers at addrs are
// reached. Interfaces already done, or already on, are left alone.
func (a *acceptLocal) ensure(addrs []netip.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, addr := range addrs {
		dev, err := a.routeDev(addr)
		if err != nil {
			return fmt.Errorf("via_vip: no route to real server %s: %w", addr, err)
		}
		if _, done := a.prev[dev]; done {
			continue
		}
		path := acceptLocalPath(dev)
		was, err := a.read(path)
		if err != nil {
			return fmt.Errorf("via_vip: %w", err)
		}
		if was == "1" {
			continue
		}
		if err := a.write(path, "1"); err != nil {
			return fmt.Errorf("via_vip: %w", err)
		}
		a.prev[dev] = was
		a.log.Info("accept_local switched on for via_vip checks (replies come from the VIP)", "interface", dev, "was", was)
	}
	return nil
}

// restore puts back the values ensure changed.
func (a *acceptLocal) restore() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for dev, was := range a.prev {
		if err := a.write(acceptLocalPath(dev), was); err != nil {
			a.log.Warn("accept_local not restored", "interface", dev, "err", err)
			continue
		}
		delete(a.prev, dev)
	}
}

// routeDevice asks the kernel which interface addr is routed through.
func routeDevice(addr netip.Addr) (string, error) {
	routes, err := netlink.RouteGet(addr.AsSlice())
	if err != nil {
		return "", err
	}
	if len(routes) == 0 {
		return "", fmt.Errorf("no route")
	}
	link, err := netlink.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		return "", err
	}
	return link.Attrs().Name, nil
}
