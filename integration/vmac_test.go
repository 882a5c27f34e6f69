package integration

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestVirtualMACKeepsTheClientsCacheAcrossFailover runs a pair with
// use_vmac: the VIP lives on a macvlan with MAC 00:00:5e:00:01:<vrid> on
// the master only, so after a take-over the client's neighbour entry is
// still right and needs no update.
func TestVirtualMACKeepsTheClientsCacheAcrossFailover(t *testing.T) {
	const vmac = "00:00:5e:00:01:33" // VRID 51
	l := newLab(t, "vgi9", 220)
	a := l.startVigil(l.d1, l.instance(150, "100ms", "use_vmac = true"))
	onVMAC := func(h string) bool {
		host := l.d1
		if h == "d2" {
			host = l.d2
		}
		out, _ := host.Output("ip", "-br", "addr", "show", "dev", "vrrp.51")
		return strings.Contains(out, l.vip.String())
	}
	l.waitFor("VIP on d1's vrrp.51", 5*time.Second, func() bool { return onVMAC("d1") })
	l.startVigil(l.d2, l.instance(100, "100ms", "use_vmac = true"))
	l.hold("d2 backup without a virtual MAC interface", time.Second, func() bool {
		_, err := l.d2.Output("ip", "link", "show", "vrrp.51")
		return err != nil
	})
	if err := l.client.Run("ping", "-c1", "-W2", l.vip.String()); err != nil {
		t.Fatalf("VIP unreachable: %v", err)
	}
	neigh := func() string { out, _ := l.client.Output("ip", "neigh", "show", l.vip.String()); return out }
	if !strings.Contains(neigh(), vmac) {
		t.Fatalf("client learned %q for the VIP, want the virtual MAC %s", neigh(), vmac)
	}

	a.signal(syscall.SIGKILL)
	// A crashed host's interfaces go silent with it.
	_ = l.d1.Run("ip", "link", "set", "eth0", "down")
	l.waitFor("VIP on d2's vrrp.51", 5*time.Second, func() bool { return onVMAC("d2") })
	if err := l.client.Run("ping", "-c1", "-W2", l.vip.String()); err != nil {
		t.Fatalf("VIP unreachable after failover: %v", err)
	}
	if !strings.Contains(neigh(), vmac) {
		t.Fatalf("client's entry changed to %q; the virtual MAC should stay", neigh())
	}
}
