package transport

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func nlAddr(t *testing.T, cidr string, flags int) netlink.Addr {
	t.Helper()
	ip, ipnet, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	ipnet.IP = ip
	return netlink.Addr{IPNet: ipnet, Flags: flags}
}

func TestPickSource(t *testing.T) {
	addrs := []netlink.Addr{
		nlAddr(t, "fd00::1/64", 0),
		nlAddr(t, "fe80::1/64", unix.IFA_F_TENTATIVE),
		nlAddr(t, "10.0.0.5/24", unix.IFA_F_SECONDARY),
		nlAddr(t, "fe80::2/64", unix.IFA_F_PERMANENT),
		nlAddr(t, "10.0.0.1/24", unix.IFA_F_PERMANENT),
		nlAddr(t, "10.0.1.1/24", 0),
	}
	cases := []struct {
		family int
		want   string
	}{
		{4, "10.0.0.1"}, // the secondary listed earlier is skipped
		{6, "fe80::2"},  // global and tentative addresses are skipped
	}
	for _, c := range cases {
		if got := pickSource(addrs, c.family); got != netip.MustParseAddr(c.want) {
			t.Errorf("IPv%d: got %s, want %s", c.family, got, c.want)
		}
	}
	if got := pickSource(addrs[:3], 4); got.IsValid() {
		t.Errorf("only a secondary IPv4 address: got %s, want none", got)
	}
}

func TestConfigValidation(t *testing.T) {
	v4, v6 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fe80::1")
	bad := map[string]Config{
		"no interface":    {Family: 4},
		"family 5":        {Interface: "eth0", Family: 5},
		"source family":   {Interface: "eth0", Family: 4, Source: v6},
		"peer family":     {Interface: "eth0", Family: 6, Peers: []netip.Addr{v4}},
		"invalid peer":    {Interface: "eth0", Family: 4, Peers: []netip.Addr{{}}},
		"multicast peer":  {Interface: "eth0", Family: 4, Peers: []netip.Addr{Group4}},
		"multicast peer6": {Interface: "eth0", Family: 6, Peers: []netip.Addr{Group6}},
	}
	for name, cfg := range bad {
		if _, err := cfg.validate(); err == nil {
			t.Errorf("%s: accepted %+v", name, cfg)
		}
	}
	mapped := netip.AddrFrom16(v4.As16())
	peers, err := Config{Interface: "eth0", Family: 4, Peers: []netip.Addr{mapped}}.validate()
	if err != nil || len(peers) != 1 || peers[0] != v4 {
		t.Errorf("IPv4-mapped peer: %v, %v; want %s", peers, err, v4)
	}
	peers, err = Config{Interface: "eth0", Family: 6, Peers: []netip.Addr{v6.WithZone("eth0")}}.validate()
	if err != nil || peers[0] != v6 {
		t.Errorf("zoned peer: %v, %v; want %s without zone", peers, err, v6)
	}
}

func TestRejectionsAreCountedByReason(t *testing.T) {
	var c counters
	p := Packet{Src: netip.MustParseAddr("10.0.0.9"), Dst: Group4, TTL: 64}
	err := error(c.reject(ReasonTTL, p))
	c.reject(ReasonTTL, p)
	c.reject(ReasonNotAPeer, p)
	c.sent.Add(3)

	s := c.snapshot()
	if s.Rejected[ReasonTTL] != 2 || s.Rejected[ReasonNotAPeer] != 1 || s.Sent != 3 {
		t.Errorf("snapshot %+v", s)
	}
	for _, r := range reasons {
		if _, ok := s.Rejected[r]; !ok {
			t.Errorf("reason %q missing from the snapshot", r)
		}
	}
	var rej *RejectError
	if !errors.As(err, &rej) || rej.Packet.TTL != 64 {
		t.Fatalf("rejection error %v does not carry the packet", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "ttl") || !strings.Contains(msg, "10.0.0.9") {
		t.Errorf("message %q lacks the reason or the source", msg)
	}
	s.Rejected[ReasonTTL] = 100
	if c.snapshot().Rejected[ReasonTTL] != 2 {
		t.Error("a snapshot shares its map with the counters")
	}
}
