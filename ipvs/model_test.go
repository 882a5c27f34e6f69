package ipvs

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
func addr(s string) netip.Addr   { return netip.MustParseAddr(s) }

// webService is a valid persistent DR service used across the tests.
func webService() Service {
	return Service{
		Key:       AddrKey(TCP, ap("192.0.2.10:80")),
		Scheduler: "wrr",
		Flags:     FlagPersistent,
		Timeout:   300,
		Netmask:   24,
		Dests: []Dest{
			{Addr: addr("10.0.0.2"), Weight: 2},
			{Addr: addr("10.0.0.1"), Port: 80, Weight: 1, Upper: 100, Lower: 50},
		},
	}
}

func TestValidateAcceptsEveryScheduler(t *testing.T) {
	for _, sched := range Schedulers {
		s := webService()
		s.Scheduler = sched
		if err := s.Validate(); err != nil {
			t.Errorf("scheduler %s: %v", sched, err)
		}
	}
}

func TestValidateAcceptsTheModelsShapes(t *testing.T) {
	valid := map[string]Service{
		"persistent dr": webService(),
		"nat maps ports": {Key: AddrKey(UDP, ap("192.0.2.10:53")), Scheduler: "rr", Flags: FlagOnePacket,
			Dests: []Dest{{Addr: addr("10.0.0.1"), Port: 5353, Fwd: ForwardNAT, Weight: 1}}},
		"tunnel": {Key: AddrKey(SCTP, ap("192.0.2.10:3868")),
			Dests: []Dest{{Addr: addr("10.0.0.1"), Port: 3868, Fwd: ForwardTunnel, Weight: 65535}}},
		"fwmark dr": {Key: FWMarkKey(IPv4, 7), Scheduler: "sh", Flags: FlagSHFallback | FlagSHPort,
			Dests: []Dest{{Addr: addr("10.0.0.1")}}},
		"fwmark6 nat with port": {Key: FWMarkKey(IPv6, 7), Scheduler: "mh", Flags: FlagMHPort,
			Dests: []Dest{{Addr: addr("2001:db8::5"), Port: 8080, Fwd: ForwardNAT}}},
		"ipv6 persistent /64": {Key: AddrKey(TCP, ap("[2001:db8::1]:443")), Flags: FlagPersistent, Timeout: 60, Netmask: 64,
			Dests: []Dest{{Addr: addr("2001:db8::2"), Weight: 1}}},
		"all ports persistent": {Key: AddrKey(TCP, ap("192.0.2.10:0")), Flags: FlagPersistent, Timeout: 1},
		"no real servers":      {Key: AddrKey(TCP, ap("192.0.2.10:80"))},
	}
	for name, s := range valid {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Service)
		want   string
	}{
		{"unknown scheduler", func(s *Service) { s.Scheduler = "fastest" }, "unknown scheduler"},
		{"dr maps port", func(s *Service) { s.Dests[0].Port = 8080 }, "dr cannot map ports"},
		{"tun maps port", func(s *Service) { s.Dests[0].Port = 8080; s.Dests[0].Fwd = ForwardTunnel }, "tun cannot map ports"},
		{"weight too big", func(s *Service) { s.Dests[0].Weight = 65536 }, "weight 65536"},
		{"weight negative", func(s *Service) { s.Dests[0].Weight = -1 }, "weight -1"},
		{"lower above upper", func(s *Service) { s.Dests[0].Lower = 5 }, "lower threshold 5"},
		{"upper too big", func(s *Service) { s.Dests[0].Upper = 1 << 31 }, "upper threshold"},
		{"family mismatch", func(s *Service) { s.Dests[0].Addr = addr("2001:db8::1") }, "address family"},
		{"multicast real server", func(s *Service) { s.Dests[0].Addr = addr("224.0.0.1") }, "unicast"},
		{"broadcast real server", func(s *Service) { s.Dests[0].Addr = addr("255.255.255.255") }, "unicast"},
		{"missing real server address", func(s *Service) { s.Dests[0].Addr = netip.Addr{} }, "no address"},
		{"local forwarding", func(s *Service) { s.Dests[0].Fwd = ForwardLocal }, "cannot be configured"},
		{"duplicate real server", func(s *Service) { s.Dests[1].Port = 0; s.Dests[1].Addr = s.Dests[0].Addr }, "listed twice"},
		{"duplicate after port fill", func(s *Service) { s.Dests[0].Addr = s.Dests[1].Addr }, "listed twice"},
		{"timeout without persistence", func(s *Service) { s.Flags = 0; s.Netmask = 0 }, "needs the persistent flag"},
		{"netmask without persistence", func(s *Service) { s.Flags = 0; s.Timeout = 0 }, "netmask needs"},
		{"persistence without timeout", func(s *Service) { s.Timeout = 0 }, "persistence timeout 0"},
		{"timeout too long", func(s *Service) { s.Timeout = MaxPersistTimeout + 1 }, "persistence timeout"},
		{"netmask too long", func(s *Service) { s.Netmask = 33 }, "/33"},
		{"sched flag on wrr", func(s *Service) { s.Flags |= FlagSched1 }, "sh and mh schedulers only"},
		{"flag-3 on sh", func(s *Service) { s.Scheduler = "sh"; s.Flags |= FlagSched3 }, "no flag-3"},
		{"hashed flag", func(s *Service) { s.Flags |= flagHashed }, "cannot be set"},
		{"ops on tcp", func(s *Service) { s.Flags |= FlagOnePacket }, "UDP services only"},
		{"port 0 without persistence", func(s *Service) {
			s.Key = AddrKey(TCP, ap("192.0.2.10:0"))
			s.Flags, s.Timeout, s.Netmask, s.Dests = 0, 0, 0, nil
		}, "needs persistence"},
		{"unspecified vip", func(s *Service) { s.Key = AddrKey(TCP, ap("0.0.0.0:80")) }, "not a unicast"},
		{"mapped vip", func(s *Service) { s.Key = AddrKey(TCP, ap("[::ffff:192.0.2.1]:80")) }, "IPv4-mapped"},
		{"bad protocol", func(s *Service) { s.Key.Protocol = 1 }, "protocol 1"},
		{"fwmark with address", func(s *Service) { s.Key.FWMark = 3 }, "firewall-mark service has no address"},
		{"fwmark dr port", func(s *Service) { s.Key = FWMarkKey(IPv4, 1); s.Dests[1].Port = 80 }, "port 0"},
		{"bad family", func(s *Service) { s.Key = FWMarkKey(Family(99), 1) }, "neither IPv4 nor IPv6"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := webService()
			c.mutate(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, c.want)
			}
			if !strings.Contains(err.Error(), s.Key.String()) {
				t.Errorf("error %q does not name the service %s", err, s.Key)
			}
		})
	}
}

func TestTableValidateFindsDuplicateServices(t *testing.T) {
	tbl := Table{Services: []Service{webService(), webService()}}
	if err := tbl.Validate(); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("Validate() = %v, want duplicate service error", err)
	}
	if err := (Table{Services: []Service{webService()}}).Validate(); err != nil {
		t.Fatalf("single service: %v", err)
	}
}

func TestNormalizedFillsDefaultsAndSorts(t *testing.T) {
	s := webService()
	s.Scheduler, s.Netmask = "", 0
	n := s.normalized()
	if n.Scheduler != DefaultScheduler {
		t.Errorf("scheduler = %q, want %q", n.Scheduler, DefaultScheduler)
	}
	if n.Netmask != 32 {
		t.Errorf("netmask = %d, want 32", n.Netmask)
	}
	want := []DestKey{{addr("10.0.0.1"), 80}, {addr("10.0.0.2"), 80}}
	var got []DestKey
	for _, d := range n.Dests {
		got = append(got, d.Key())
	}
	if !slices.Equal(got, want) {
		t.Errorf("dests = %v, want %v", got, want)
	}
	if s.Dests[0].Port != 0 || s.Scheduler != "" {
		t.Error("normalized modified its receiver")
	}

	fw := Service{Key: FWMarkKey(IPv6, 9), Dests: []Dest{{Addr: addr("2001:db8::1")}}}.normalized()
	if fw.Netmask != 128 || fw.Dests[0].Port != 0 {
		t.Errorf("fwmark6 normalized to netmask %d, port %d; want 128 and 0", fw.Netmask, fw.Dests[0].Port)
	}
}

func TestServiceKeyCompareMatchesIpvsadmOrder(t *testing.T) {
	keys := []ServiceKey{
		FWMarkKey(IPv6, 1),
		FWMarkKey(IPv4, 2),
		FWMarkKey(IPv4, 1),
		AddrKey(UDP, ap("[2001:db8::1]:53")),
		AddrKey(TCP, ap("[2001:db8::1]:80")),
		AddrKey(UDP, ap("10.0.0.1:53")),
		AddrKey(TCP, ap("200.0.0.1:80")),
		AddrKey(TCP, ap("10.0.0.1:443")),
		AddrKey(TCP, ap("10.0.0.1:80")),
	}
	slices.SortFunc(keys, ServiceKey.Compare)
	want := []string{
		"tcp/10.0.0.1:80", "tcp/10.0.0.1:443", "tcp/200.0.0.1:80", "udp/10.0.0.1:53",
		"tcp/[2001:db8::1]:80", "udp/[2001:db8::1]:53",
		"fwmark/1/inet", "fwmark/1/inet6", "fwmark/2/inet",
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.String())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
}

func TestForwardConnFlagsRoundTrip(t *testing.T) {
	for _, f := range []Forward{ForwardDR, ForwardNAT, ForwardTunnel, ForwardLocal} {
		if got := forwardFromConnFlags(f.connFlags()); got != f {
			t.Errorf("%s -> %#x -> %s", f, f.connFlags(), got)
		}
	}
	// The kernel's values, from include/uapi/linux/ip_vs.h.
	if ForwardDR.connFlags() != 3 || ForwardNAT.connFlags() != 0 || ForwardTunnel.connFlags() != 2 {
		t.Error("forwarding methods do not carry the kernel's IP_VS_CONN_F_* values")
	}
}

func TestFollow(t *testing.T) {
	cases := []struct {
		in               string
		want             Follow
		master, notMastr bool
	}{
		{"", FollowMaster, true, false},
		{"master", FollowMaster, true, false},
		{"always", FollowAlways, true, true},
	}
	for _, c := range cases {
		f, err := ParseFollow(c.in)
		if err != nil || f != c.want {
			t.Fatalf("ParseFollow(%q) = %q, %v", c.in, f, err)
		}
		if f.WantTable(true) != c.master || f.WantTable(false) != c.notMastr {
			t.Errorf("%s: WantTable(master)=%v WantTable(backup)=%v", f, f.WantTable(true), f.WantTable(false))
		}
	}
	if _, err := ParseFollow("backup"); err == nil {
		t.Error("ParseFollow accepted backup")
	}
}
