package control

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeHandler records the commands it gets and answers with fixed data.
type fakeHandler struct {
	doc       StatusDoc
	summary   string
	reloadErr error
	garpErr   error

	mu    sync.Mutex
	calls []string
}

func (f *fakeHandler) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeHandler) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeHandler) Status() StatusDoc { f.record("status"); return f.doc }

func (f *fakeHandler) Reload() (string, error) { f.record("reload"); return f.summary, f.reloadErr }

func (f *fakeHandler) Maintenance(instance string, on bool) error {
	if on {
		f.record("maintenance on " + instance)
	} else {
		f.record("maintenance off " + instance)
	}
	if instance == "nope" {
		return errors.New(`no vrrp_instance "nope"`)
	}
	return nil
}

func (f *fakeHandler) GARP(instance string) error { f.record("garp " + instance); return f.garpErr }

// startServer serves h on a socket in a fresh directory and stops it at
// the end of the test. It returns the socket path.
func startServer(t *testing.T, h Handler) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run", "vigil.sock")
	srv, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return path
}

// sampleDoc is a status with every section filled, in UTC so that a JSON
// round trip keeps the zone name.
func sampleDoc() StatusDoc {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	return StatusDoc{
		Router: "lb1",
		Time:   now,
		Instances: []InstanceStatus{
			{
				Name: "VI_api", Interface: "eth1", VRID: 52, State: "backup",
				Priority: 80, ConfiguredPriority: 100,
				Trackers: []TrackerStatus{
					{Name: "eth2", Kind: "interface", Up: false, Weight: -20},
					{Name: "chk_haproxy", Kind: "script", Up: true, Weight: -30},
				},
				Master: netip.MustParseAddr("10.0.1.2"), Since: now.Add(-90 * time.Minute), LastReason: "higher-priority",
				Transitions: 2, BecameMaster: 1, VIPs: []netip.Addr{netip.MustParseAddr("10.0.1.200")},
				Adverts: AdvertCounters{Sent: 40, Received: 5400, Discarded: 3, Ignored: 1},
			},
			{
				Name: "VI_web", Interface: "eth0", VRID: 51, State: "master",
				Priority: 150, ConfiguredPriority: 150,
				Master: netip.MustParseAddr("10.0.0.1"), Since: now.Add(-5*time.Minute - 3*time.Second), LastReason: "master-down",
				Transitions: 3, BecameMaster: 2, SplitBrains: 1,
				VIPs:    []netip.Addr{netip.MustParseAddr("10.0.0.100"), netip.MustParseAddr("2001:db8::100")},
				Adverts: AdvertCounters{Sent: 303, PriorityZeroSent: 1, Received: 12, PriorityZeroReceived: 1, Own: 2},
			},
		},
		Links: []LinkStatus{
			{Interface: "eth0", Family: 4, Source: netip.MustParseAddr("10.0.0.1"), Received: 317,
				Rejected: map[string]uint64{"ttl": 2, "checksum": 1}},
			{Interface: "eth1", Family: 4, Source: netip.MustParseAddr("10.0.1.1"), Received: 5405, Rejected: map[string]uint64{}},
		},
		IPVS: []ServiceSummary{{
			Service: "tcp/10.0.0.100:80", Scheduler: "wlc", PersistenceTimeout: 300,
			Counters: Counters{Connections: 1234, InPackets: 9000, OutPackets: 0, InBytes: 720000, OutBytes: 0},
			Destinations: []DestSummary{
				{Address: "10.0.2.11:80", Forward: "dr", Weight: 100, ActiveConns: 3, InactiveConns: 7,
					Counters: Counters{Connections: 700, InBytes: 400000}},
				{Address: "10.0.2.12:80", Forward: "dr", Weight: 0, ActiveConns: 0, InactiveConns: 2,
					Counters: Counters{Connections: 534, InBytes: 320000}},
			},
		}},
		RealServers: []RealServerStatus{
			{VirtualServer: "web", RealServer: "10.0.2.11:80", Healthy: true, Weight: 100, Reason: "http: status 200"},
			{VirtualServer: "web", RealServer: "10.0.2.12:80", Healthy: false, Weight: 0, Reason: "tcp: connection refused"},
		},
		VirtualServers: []VirtualServerStatus{{Name: "web", QuorumUp: true, HealthyWeight: 100, Quorum: 50}},
	}
}
