package control

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/healthcheck"
	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/ipvs"
	"github.com/vigil-ha/vigil/vrrp"
)

func TestNewStatusFromDirector(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	vip := netip.MustParseAddr("10.0.0.100")
	st := director.Status{Name: "VI_web", Interface: "eth0", VRID: 51, State: "master", Priority: 130, ConfiguredPriority: 150,
		Master: netip.MustParseAddr("10.0.0.1"), Since: now.Add(-time.Minute), LastReason: "master-down",
		Transitions: 3, SplitBrains: 1, SendErrors: 2, VIPs: []netip.Addr{vip},
		Counters: vrrp.Counters{BecameMaster: 2, AdvertsSent: 10, PriorityZeroSent: 1, AdvertsReceived: 20,
			PriorityZeroReceived: 2, AdvertsDiscarded: 3, AdvertsIgnored: 4, OwnAdverts: 5, IntervalMismatch: 6}}
	link := director.LinkStatus{Interface: "eth0", Family: 4, Source: netip.MustParseAddr("10.0.0.1"), Received: 30,
		Rejected: map[string]uint64{"ttl": 1}}
	doc := NewStatus("lb1", now, []director.Status{st}, []director.LinkStatus{link})
	doc.SetTrackers(map[string][]TrackerStatus{"VI_web": {{Name: "eth2", Kind: "interface", Weight: -20}}})

	want := InstanceStatus{Name: "VI_web", Interface: "eth0", VRID: 51, State: "master", Priority: 130, ConfiguredPriority: 150,
		Trackers: []TrackerStatus{{Name: "eth2", Kind: "interface", Weight: -20}},
		Master:   netip.MustParseAddr("10.0.0.1"), Since: now.Add(-time.Minute), LastReason: "master-down",
		Transitions: 3, BecameMaster: 2, SplitBrains: 1, SendErrors: 2, VIPs: []netip.Addr{vip},
		Adverts: AdvertCounters{Sent: 10, PriorityZeroSent: 1, Received: 20, PriorityZeroReceived: 2, Discarded: 3,
			Ignored: 4, Own: 5, IntervalMismatch: 6}}
	if len(doc.Instances) != 1 || !reflect.DeepEqual(doc.Instances[0], want) {
		t.Errorf("instance:\n got %+v\nwant %+v", doc.Instances, want)
	}
	wantLink := LinkStatus{Interface: "eth0", Family: 4, Source: link.Source, Received: 30, Rejected: map[string]uint64{"ttl": 1}}
	if len(doc.Links) != 1 || !reflect.DeepEqual(doc.Links[0], wantLink) {
		t.Errorf("links: %+v", doc.Links)
	}
	if doc.Router != "lb1" || !doc.Time.Equal(now) || doc.IPVS == nil || doc.RealServers == nil {
		t.Errorf("header or empty sections wrong: %+v", doc)
	}
}

func TestSetIPVS(t *testing.T) {
	key := ipvs.AddrKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.100:80"))
	snap := ipvs.Snapshot{Services: []ipvs.ServiceStatus{
		{
			Service: ipvs.Service{Key: key, Flags: ipvs.FlagPersistent, Timeout: 300},
			Stats:   ipvs.Stats{Conns: 10, InPkts: 20, OutPkts: 0, InBytes: 3000, OutBytes: 0},
			Dests: []ipvs.DestStatus{{Dest: ipvs.Dest{Addr: netip.MustParseAddr("10.0.2.11"), Port: 8080, Weight: 5},
				ActiveConns: 1, InactiveConns: 2, Stats: ipvs.Stats{Conns: 7, InPkts: 14, InBytes: 2100}}},
		},
		{Service: ipvs.Service{Key: ipvs.FWMarkKey(ipvs.IPv6, 7), Scheduler: "rr"}},
	}}
	var doc StatusDoc
	doc.SetIPVS(snap, nil)
	want := []ServiceSummary{
		{Service: "tcp/10.0.0.100:80", Scheduler: "wlc", PersistenceTimeout: 300,
			Counters: Counters{Connections: 10, InPackets: 20, InBytes: 3000},
			Destinations: []DestSummary{{Address: "10.0.2.11:8080", Forward: "dr", Weight: 5, ActiveConns: 1, InactiveConns: 2,
				Counters: Counters{Connections: 7, InPackets: 14, InBytes: 2100}}}},
		{Service: "fwmark/7/inet6", Scheduler: "rr", Destinations: []DestSummary{}},
	}
	if !reflect.DeepEqual(doc.IPVS, want) || doc.IPVSError != "" {
		t.Errorf("IPVS:\n got %+v\nwant %+v", doc.IPVS, want)
	}
	doc.SetIPVS(ipvs.Snapshot{}, errors.New("IPVS is not available"))
	if len(doc.IPVS) != 0 || doc.IPVSError != "IPVS is not available" {
		t.Errorf("after an error: %+v, %q", doc.IPVS, doc.IPVSError)
	}
}

func TestSetHealthSortsAndMarksRemoved(t *testing.T) {
	var doc StatusDoc
	doc.SetHealth(healthcheck.Snapshot{
		RealServers: []healthcheck.Transition{
			{VirtualServer: "web", RealServer: "10.0.2.12:80", Healthy: false, Remove: true, Reason: "timeout"},
			{VirtualServer: "api", RealServer: "10.0.3.1:80", Healthy: true, Weight: 10, Reason: "ok"},
			{VirtualServer: "web", RealServer: "10.0.2.11:80", Healthy: true, Weight: 100, Remove: true, Reason: "ok"},
		},
		VirtualServers: []healthcheck.QuorumEvent{{VirtualServer: "web", QuorumUp: false, HealthyWeight: 100, Quorum: 150},
			{VirtualServer: "api", QuorumUp: true, HealthyWeight: 10, Quorum: 1}},
	})
	want := []RealServerStatus{
		{VirtualServer: "api", RealServer: "10.0.3.1:80", Healthy: true, Weight: 10, Reason: "ok"},
		{VirtualServer: "web", RealServer: "10.0.2.11:80", Healthy: true, Weight: 100, Reason: "ok"},
		{VirtualServer: "web", RealServer: "10.0.2.12:80", Removed: true, Reason: "timeout"},
	}
	if !reflect.DeepEqual(doc.RealServers, want) {
		t.Errorf("real servers:\n got %+v\nwant %+v", doc.RealServers, want)
	}
	wantVS := []VirtualServerStatus{{Name: "api", QuorumUp: true, HealthyWeight: 10, Quorum: 1},
		{Name: "web", HealthyWeight: 100, Quorum: 150}}
	if !reflect.DeepEqual(doc.VirtualServers, wantVS) {
		t.Errorf("virtual servers: %+v", doc.VirtualServers)
	}
}

func TestServiceName(t *testing.T) {
	cases := map[string]ipvs.ServiceKey{
		"tcp/10.0.0.100:80":      ipvs.AddrKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.100:80")),
		"udp/[2001:db8::1]:53":   ipvs.AddrKey(ipvs.UDP, netip.MustParseAddrPort("[2001:db8::1]:53")),
		"sctp/10.0.0.1:3868":     ipvs.AddrKey(ipvs.SCTP, netip.MustParseAddrPort("10.0.0.1:3868")),
		"fwmark/7/inet":          ipvs.FWMarkKey(ipvs.IPv4, 7),
		"fwmark/4294967295/inet": ipvs.FWMarkKey(ipvs.IPv4, 1<<32-1),
	}
	for want, k := range cases {
		if got := ServiceName(k); got != want {
			t.Errorf("ServiceName(%+v) = %q, want %q", k, got, want)
		}
	}
}

func TestPriorityTextNamesTheTrackers(t *testing.T) {
	in := InstanceStatus{Priority: 0, ConfiguredPriority: 100, Trackers: []TrackerStatus{
		{Name: "chk_db", Kind: "script", Up: false, Weight: 0},
		{Name: "eth2", Kind: "interface", Up: false, Weight: -20},
		{Name: "eth3", Kind: "interface", Up: true, Weight: -20},
	}}
	want := "0 (configured 100; script chk_db down: fault, interface eth2 down -20)"
	if got := priorityText(in); got != want {
		t.Errorf("priorityText = %q, want %q", got, want)
	}
}
