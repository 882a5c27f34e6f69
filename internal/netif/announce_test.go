package netif

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/packet"
)

// announcerIn opens an Announcer on eth0 inside namespace ns.
func announcerIn(t *testing.T, ns string) *Announcer {
	t.Helper()
	var a *Announcer
	var err error
	inNamespace(t, ns, func() { a, err = NewAnnouncer("eth0") })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// macIn reads eth0's MAC address inside namespace ns.
func macIn(t *testing.T, ns string) net.HardwareAddr {
	t.Helper()
	var ifi *net.Interface
	var err error
	inNamespace(t, ns, func() { ifi, err = net.InterfaceByName("eth0") })
	if err != nil {
		t.Fatal(err)
	}
	return ifi.HardwareAddr
}

// capture is a packet socket on eth0 of a namespace, seeing one EtherType.
type capture struct{ c *packet.Conn }

func captureIn(t *testing.T, ns string, etherType int) capture {
	t.Helper()
	var c *packet.Conn
	var err error
	inNamespace(t, ns, func() {
		var ifi *net.Interface
		if ifi, err = net.InterfaceByName("eth0"); err == nil {
			c, err = packet.Listen(ifi, packet.Raw, etherType, nil)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return capture{c}
}

// next returns the next frame for which keep is true, failing after 5 s.
func (c capture) next(t *testing.T, keep func([]byte) bool) []byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	if err := c.c.SetReadDeadline(deadline); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	for {
		n, _, err := c.c.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no matching frame captured: %v", err)
		}
		if keep(buf[:n]) {
			return bytes.Clone(buf[:n])
		}
	}
}

func writeSysctl(t *testing.T, ns, path, value string) {
	t.Helper()
	var err error
	inNamespace(t, ns, func() { err = os.WriteFile("/proc/sys/"+path, []byte(value), 0o644) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestGratuitousARPUpdatesPeerNeighbourTable(t *testing.T) {
	needNetns(t)
	p := newPair(t, "vgt-ga", false)
	addAddr(t, p.A, "10.66.0.1/24", "dev", "eth0")
	addAddr(t, p.B, "10.66.0.2/24", "dev", "eth0")
	vip := netip.MustParseAddr("10.66.0.100")
	addAddr(t, p.A, vip.String()+"/32", "dev", "eth0")
	// Linux learns a neighbour from a gratuitous ARP only with arp_accept.
	writeSysctl(t, p.B, "net/ipv4/conf/eth0/arp_accept", "1")

	sender := announcerIn(t, p.A)
	mac := macIn(t, p.A)
	if sender.MAC().String() != mac.String() {
		t.Fatalf("announcer MAC %s, interface MAC %s", sender.MAC(), mac)
	}
	seen := captureIn(t, p.B, etherTypeARP)
	if err := sender.Announce(context.Background(), []netip.Addr{vip}, Schedule{Count: 2, Delay: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}

	want, err := GratuitousARP(mac, vip)
	if err != nil {
		t.Fatal(err)
	}
	fromSender := func(f []byte) bool { return len(f) >= 12 && bytes.Equal(f[6:12], mac) }
	for i := range 2 {
		if got := seen.next(t, fromSender); !bytes.Equal(got, want) {
			t.Errorf("frame %d:\n got  % x\n want % x", i, got, want)
		}
	}
	out, err := exec.Command("ip", "-n", p.B, "neigh", "show", vip.String(), "dev", "eth0").CombinedOutput()
	if err != nil {
		t.Fatalf("ip neigh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "lladdr "+mac.String()) {
		t.Errorf("peer neighbour table for %s: %q, want lladdr %s", vip, out, mac)
	}
}

// isNA reports whether an Ethernet frame carries an ICMPv6 neighbour
// advertisement (next header 58, type 136).
func isNA(f []byte) bool {
	return len(f) > 54 && binary.BigEndian.Uint16(f[12:14]) == etherTypeIPv6 && f[20] == 58 && f[54] == 136
}

func TestUnsolicitedNAReachesPeerAndAnnounceCancels(t *testing.T) {
	needNetns(t)
	p := newPair(t, "vgt-na", true)
	vip := netip.MustParseAddr("fd00:66::100")
	addAddr(t, p.A, vip.String()+"/64", "dev", "eth0", "nodad")
	// A forwarding interface must advertise itself as a router.
	writeSysctl(t, p.A, "net/ipv6/conf/eth0/forwarding", "1")

	sender := announcerIn(t, p.A)
	mac := macIn(t, p.A)
	seen := captureIn(t, p.B, etherTypeIPv6)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- sender.Announce(ctx, []netip.Addr{vip}, Schedule{Count: 1000, Delay: time.Hour})
	}()

	frame := seen.next(t, func(f []byte) bool { return isNA(f) && bytes.Equal(f[6:12], mac) })
	checkNA(t, decodeNA(t, frame), mac, vip, true)

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Announce after cancel: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Announce did not return after its context was cancelled")
	}
}
