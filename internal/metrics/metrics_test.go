package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/vigil-ha/vigil/healthcheck"
	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/ipvs"
	"github.com/vigil-ha/vigil/vrrp"
)

// fakeDaemon holds the snapshots a test feeds to the collector.
type fakeDaemon struct {
	mu        sync.Mutex
	instances []director.Status
	links     []director.LinkStatus
	table     ipvs.Snapshot
	tableErr  error
	health    healthcheck.Snapshot
}

func (f *fakeDaemon) sources() Sources {
	return Sources{
		Instances: func() []director.Status { f.mu.Lock(); defer f.mu.Unlock(); return f.instances },
		Links:     func() []director.LinkStatus { f.mu.Lock(); defer f.mu.Unlock(); return f.links },
		IPVS: func() (ipvs.Snapshot, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.table, f.tableErr
		},
		Health: func() healthcheck.Snapshot { f.mu.Lock(); defer f.mu.Unlock(); return f.health },
	}
}

func sampleDaemon() *fakeDaemon {
	since := time.Unix(1748779200, 500_000_000)
	return &fakeDaemon{
		instances: []director.Status{{
			Name: "VI_web", Interface: "eth0", VRID: 51, State: "master", Priority: 130, ConfiguredPriority: 150,
			Since: since, SplitBrains: 2, SendErrors: 1,
			Counters: vrrp.Counters{AdvertsSent: 100, PriorityZeroSent: 1, AdvertsReceived: 20, PriorityZeroReceived: 2,
				AdvertsDiscarded: 3, AdvertsIgnored: 4, OwnAdverts: 5, IntervalMismatch: 6},
		}},
		links: []director.LinkStatus{
			// Two sockets to different unicast peers share the labels.
			{Interface: "eth0", Family: 4, Source: netip.MustParseAddr("10.0.0.1"), Received: 30, Rejected: map[string]uint64{"ttl": 2}},
			{Interface: "eth0", Family: 4, Source: netip.MustParseAddr("10.0.0.1"), Received: 12, Rejected: map[string]uint64{"ttl": 1, "checksum": 4}},
		},
		table: ipvs.Snapshot{Services: []ipvs.ServiceStatus{{
			Service: ipvs.Service{Key: ipvs.AddrKey(ipvs.TCP, netip.MustParseAddrPort("10.0.0.100:80"))},
			Stats:   ipvs.Stats{Conns: 1234, InPkts: 9000, OutPkts: 7, InBytes: 720000, OutBytes: 70},
			Dests: []ipvs.DestStatus{{
				Dest:        ipvs.Dest{Addr: netip.MustParseAddr("10.0.2.11"), Port: 80, Weight: 100},
				ActiveConns: 3, InactiveConns: 7, Stats: ipvs.Stats{Conns: 700, InPkts: 5000, InBytes: 400000},
			}},
		}}},
		health: healthcheck.Snapshot{
			RealServers: []healthcheck.Transition{
				{VirtualServer: "web", RealServer: "10.0.2.11:80", Healthy: true, Weight: 100},
				{VirtualServer: "web", RealServer: "10.0.2.12:80", Healthy: false, Weight: 0},
			},
			VirtualServers: []healthcheck.QuorumEvent{{VirtualServer: "web", QuorumUp: true}},
		},
	}
}

// scrape fetches the exposition text through the HTTP handler.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape status %d:\n%s", resp.StatusCode, body)
	}
	return string(body)
}

// assertLines fails for each wanted sample line missing from the scrape.
func assertLines(t *testing.T, body string, want ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(body, "\n") {
		have[l] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("missing line %s", w)
		}
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", vigilLines(body))
	}
}

func vigilLines(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "vigil_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestSnapshotMetrics(t *testing.T) {
	m := New(sampleDaemon().sources())
	body := scrape(t, m)
	assertLines(t, body,
		`vigil_vrrp_instance_info{instance="VI_web",interface="eth0",vrid="51"} 1`,
		`vigil_vrrp_instance_state{instance="VI_web",state="master"} 1`,
		`vigil_vrrp_instance_state{instance="VI_web",state="backup"} 0`,
		`vigil_vrrp_instance_state{instance="VI_web",state="fault"} 0`,
		`vigil_vrrp_priority{instance="VI_web"} 130`,
		`vigil_vrrp_configured_priority{instance="VI_web"} 150`,
		`vigil_vrrp_state_since_timestamp_seconds{instance="VI_web"} 1.7487792005e+09`,
		`vigil_vrrp_adverts_total{direction="sent",instance="VI_web",outcome="advert"} 99`,
		`vigil_vrrp_adverts_total{direction="sent",instance="VI_web",outcome="priority_zero"} 1`,
		`vigil_vrrp_adverts_total{direction="received",instance="VI_web",outcome="accepted"} 15`,
		`vigil_vrrp_adverts_total{direction="received",instance="VI_web",outcome="priority_zero"} 2`,
		`vigil_vrrp_adverts_total{direction="received",instance="VI_web",outcome="discarded"} 3`,
		`vigil_vrrp_adverts_total{direction="received",instance="VI_web",outcome="ignored"} 4`,
		`vigil_vrrp_adverts_total{direction="received",instance="VI_web",outcome="own"} 5`,
		`vigil_vrrp_adverts_total{direction="received",instance="VI_web",outcome="interval_mismatch"} 6`,
		`vigil_vrrp_advert_send_errors_total{instance="VI_web"} 1`,
		`vigil_vrrp_split_brain_total{instance="VI_web"} 2`,
		`vigil_vrrp_link_received_total{family="ipv4",interface="eth0",source="10.0.0.1"} 42`,
		`vigil_vrrp_adverts_rejected_total{family="ipv4",interface="eth0",reason="ttl",source="10.0.0.1"} 3`,
		`vigil_vrrp_adverts_rejected_total{family="ipv4",interface="eth0",reason="checksum",source="10.0.0.1"} 4`,
		`vigil_real_server_weight{real_server="10.0.2.11:80",virtual_server="web"} 100`,
		`vigil_real_server_weight{real_server="10.0.2.12:80",virtual_server="web"} 0`,
		`vigil_real_server_healthy{real_server="10.0.2.12:80",virtual_server="web"} 0`,
		`vigil_virtual_server_quorum_up{virtual_server="web"} 1`,
		`vigil_ipvs_up 1`,
		`vigil_ipvs_service_connections_total{service="tcp/10.0.0.100:80"} 1234`,
		`vigil_ipvs_service_packets_total{direction="in",service="tcp/10.0.0.100:80"} 9000`,
		`vigil_ipvs_service_bytes_total{direction="out",service="tcp/10.0.0.100:80"} 70`,
		`vigil_ipvs_destination_connections_total{destination="10.0.2.11:80",service="tcp/10.0.0.100:80"} 700`,
		`vigil_ipvs_destination_bytes_total{destination="10.0.2.11:80",direction="in",service="tcp/10.0.0.100:80"} 400000`,
		`vigil_ipvs_destination_active_connections{destination="10.0.2.11:80",service="tcp/10.0.0.100:80"} 3`,
		`vigil_ipvs_destination_inactive_connections{destination="10.0.2.11:80",service="tcp/10.0.0.100:80"} 7`,
		`vigil_ipvs_destination_weight{destination="10.0.2.11:80",service="tcp/10.0.0.100:80"} 100`,
	)
	// The Go runtime and process collectors are registered too.
	for _, name := range []string{"go_goroutines ", "process_start_time_seconds "} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("no %s in the scrape", name)
		}
	}
	if strings.Contains(body, "promhttp_metric_handler_errors_total{cause=\"gathering\"} 1") {
		t.Error("gathering failed")
	}
}

func TestCountersFollowTheSnapshots(t *testing.T) {
	d := sampleDaemon()
	m := New(d.sources())
	assertLines(t, scrape(t, m), `vigil_vrrp_split_brain_total{instance="VI_web"} 2`)
	d.mu.Lock()
	d.instances[0].SplitBrains = 5
	d.instances[0].State = "backup"
	d.mu.Unlock()
	assertLines(t, scrape(t, m),
		`vigil_vrrp_split_brain_total{instance="VI_web"} 5`,
		`vigil_vrrp_instance_state{instance="VI_web",state="backup"} 1`,
		`vigil_vrrp_instance_state{instance="VI_web",state="master"} 0`)
}

func TestIPVSUnreadable(t *testing.T) {
	d := sampleDaemon()
	d.tableErr = errors.New("IPVS is not available")
	body := scrape(t, New(d.sources()))
	assertLines(t, body, `vigil_ipvs_up 0`)
	if strings.Contains(body, "vigil_ipvs_service_connections_total{") {
		t.Error("service metrics without a table")
	}
}

func TestEventMetrics(t *testing.T) {
	m := New(Sources{})
	vi := config.VRRPInstance{Name: "VI_web"}
	m.StateChanged(vi, vrrp.StateBackup, vrrp.StateMaster, vrrp.ReasonMasterDown)
	m.StateChanged(vi, vrrp.StateBackup, vrrp.StateMaster, vrrp.ReasonMasterDown)
	m.StateChanged(vi, vrrp.StateMaster, vrrp.StateBackup, vrrp.ReasonHigherPriority)
	m.ObserveTakeover("VI_web", 3*time.Millisecond)
	m.CheckResult(healthcheck.CheckResult{VirtualServer: "web", RealServer: "10.0.2.11:80", Check: "http",
		Result: healthcheck.Result{Healthy: true}, Duration: 20 * time.Millisecond})
	m.CheckResult(healthcheck.CheckResult{VirtualServer: "web", RealServer: "10.0.2.11:80", Check: "http",
		Result: healthcheck.Result{Healthy: false, Reason: "timeout"}, Duration: 2 * time.Second})
	assertLines(t, scrape(t, m),
		`vigil_vrrp_transitions_total{from="backup",instance="VI_web",reason="master-down",to="master"} 2`,
		`vigil_vrrp_transitions_total{from="master",instance="VI_web",reason="higher-priority",to="backup"} 1`,
		`vigil_vrrp_takeover_seconds_bucket{instance="VI_web",le="0.0025"} 0`,
		`vigil_vrrp_takeover_seconds_bucket{instance="VI_web",le="0.005"} 1`,
		`vigil_vrrp_takeover_seconds_count{instance="VI_web"} 1`,
		`vigil_check_results_total{check="http",real_server="10.0.2.11:80",result="success",virtual_server="web"} 1`,
		`vigil_check_results_total{check="http",real_server="10.0.2.11:80",result="failure",virtual_server="web"} 1`,
		`vigil_check_duration_seconds_bucket{check="http",real_server="10.0.2.11:80",virtual_server="web",le="0.025"} 1`,
		`vigil_check_duration_seconds_bucket{check="http",real_server="10.0.2.11:80",virtual_server="web",le="2.5"} 2`,
		`vigil_check_duration_seconds_sum{check="http",real_server="10.0.2.11:80",virtual_server="web"} 2.02`,
		`vigil_check_duration_seconds_count{check="http",real_server="10.0.2.11:80",virtual_server="web"} 2`,
	)
}

func TestDuplicateSnapshotEntriesDoNotBreakTheScrape(t *testing.T) {
	d := sampleDaemon()
	d.health.RealServers = append(d.health.RealServers, d.health.RealServers[0])
	d.health.VirtualServers = append(d.health.VirtualServers, d.health.VirtualServers[0])
	m := New(d.sources())
	if _, err := m.Registry().Gather(); err != nil {
		t.Fatalf("Gather: %v", err)
	}
	assertLines(t, scrape(t, m), `vigil_real_server_weight{real_server="10.0.2.11:80",virtual_server="web"} 100`)
}

func TestMetricNamesFollowConventions(t *testing.T) {
	m := New(sampleDaemon().sources())
	m.StateChanged(config.VRRPInstance{Name: "VI_web"}, vrrp.StateBackup, vrrp.StateMaster, vrrp.ReasonMasterDown)
	m.ObserveTakeover("VI_web", time.Millisecond)
	m.CheckResult(healthcheck.CheckResult{VirtualServer: "web", RealServer: "rs", Check: "tcp"})
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "vigil_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

func TestNilSourcesExposeNoSnapshotMetrics(t *testing.T) {
	body := scrape(t, New(Sources{}))
	if strings.Contains(body, "\nvigil_") {
		t.Errorf("metrics without sources:\n%s", vigilLines(body))
	}
}
