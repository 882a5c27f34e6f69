package integration

import (
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/vigil-ha/vigil/integration/topo"
)

// hasAddr reports whether h's eth0 carries addr (either family).
func (l *lab) hasAddr(h *topo.Host, addr netip.Addr) bool {
	nh := l.handle(h)
	link, err := nh.LinkByName("eth0")
	if err != nil {
		return false
	}
	addrs, err := nh.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == addr {
			return true
		}
	}
	return false
}

// linkLocalReady waits until h's eth0 has a usable (not tentative) IPv6
// link-local address, which VRRPv3 over IPv6 sends from.
func (l *lab) linkLocalReady(h *topo.Host) {
	l.t.Helper()
	l.waitFor("IPv6 link-local address on "+h.Name, 10*time.Second, func() bool {
		out, _ := h.Output("ip", "-6", "addr", "show", "dev", "eth0", "scope", "link")
		return strings.Contains(out, "inet6 fe80") && !strings.Contains(out, "tentative")
	})
}

func TestIPv6PairFailsOverWithUnsolicitedNA(t *testing.T) {
	l := newLab(t, "vgi8", 219)
	vip6 := netip.MustParseAddr("fd00:219::100")
	for _, h := range []*topo.Host{l.d1, l.d2, l.client} {
		l.linkLocalReady(h)
	}
	if err := l.client.Run("ip", "-6", "addr", "add", "fd00:219::3/64", "dev", "eth0", "nodad"); err != nil {
		t.Fatal(err)
	}
	conf := func(prio int) string {
		return fmt.Sprintf(`vrrp_instance "VI_6" {
  interface = "eth0"
  vrid = 61
  priority = %d
  advert_interval = "100ms"
  virtual_ipaddresses = ["%s/64"]
}
`, prio, vip6)
	}
	a := l.startVigil(l.d1, conf(150))
	l.waitFor("IPv6 VIP on d1", 5*time.Second, func() bool { return l.hasAddr(l.d1, vip6) })
	l.startVigil(l.d2, conf(100))
	l.hold("d2 backup over IPv6 adverts", time.Second, func() bool { return !l.hasAddr(l.d2, vip6) })
	if err := l.client.Run("ping", "-6", "-c1", "-W2", vip6.String()); err != nil {
		t.Fatalf("IPv6 VIP unreachable on d1: %v", err)
	}

	a.signal(syscall.SIGKILL)
	took := l.waitFor("IPv6 VIP on d2", 5*time.Second, func() bool { return l.hasAddr(l.d2, vip6) })
	t.Logf("IPv6 SIGKILL -> VIP on d2 after %s", took)
	// The unsolicited NA (override set) moves the client's cache entry.
	l.waitFor("client neighbour entry for the IPv6 VIP at d2's MAC", 3*time.Second, func() bool {
		out, _ := l.client.Output("ip", "-6", "neigh", "show", vip6.String())
		return strings.Contains(out, l.d2.MAC)
	})
	// A dead host answers nothing: take d1's stale VIP away.
	_ = l.d1.Run("ip", "link", "set", "eth0", "down")
	if err := l.client.Run("ping", "-6", "-c1", "-W2", vip6.String()); err != nil {
		t.Fatalf("IPv6 VIP unreachable after failover: %v", err)
	}
}
