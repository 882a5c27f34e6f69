package importer

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
)

// conv converts src (as /etc/keepalived/keepalived.conf) and parses the result.
func conv(t *testing.T, src string, opts Options) (*config.Config, []Skipped, string) {
	t.Helper()
	out, report := convertFS(mapFS{}, []byte(src), "keepalived.conf", "/etc/keepalived", opts)
	cfg := mustParse(t, out, "out.hcl")
	return cfg, report, string(out)
}

func TestInstanceConversion(t *testing.T) {
	src := `
global_defs {
  router_id lb1
  vrrp_garp_master_repeat 3
}
vrrp_script chk {
  script "/usr/bin/pgrep -x haproxy"
  interval 2
  weight -20
  fall 3
  rise 2
}
vrrp_instance VI_1 {
  state MASTER
  interface eth0
  virtual_router_id 51
  advert_int 3
  nopreempt
  preempt_delay 30
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2
  }
  virtual_ipaddress {
    192.0.2.100/24 dev eth0
    192.0.2.101 label eth0:web
  }
  track_interface {
    eth1 weight -50
    eth2
  }
  track_script {
    chk
  }
  notify_master "/usr/local/bin/became master"
  notify /usr/local/bin/any
  garp_master_refresh 60
  lvs_sync_daemon_interface eth3
}
vrrp_instance VI_6 {
  interface eth0
  virtual_router_id 51
  priority 90
  advert_int 0.05
  virtual_ipaddress {
    2001:db8::1/64
  }
  virtual_ipaddress {
    2001:db8::2
  }
}
`
	cfg, report, out := conv(t, src, Options{})
	if len(report) != 1 || report[0].Keyword != "state" || report[0].Line != 14 {
		t.Errorf("report = %v", report)
	}
	if cfg.Global.RouterID != "lb1" {
		t.Errorf("router_id = %q", cfg.Global.RouterID)
	}
	if len(cfg.Scripts) != 1 {
		t.Fatalf("scripts = %+v", cfg.Scripts)
	}
	sc := cfg.Scripts[0]
	if !reflect.DeepEqual(sc.Command, []string{"/usr/bin/pgrep", "-x", "haproxy"}) || sc.Interval != 2*time.Second ||
		sc.Weight != -20 || sc.Fall != 3 || sc.Rise != 2 || sc.Timeout != 2*time.Second {
		t.Errorf("script = %+v", sc)
	}
	in := cfg.Instances[0]
	want := config.VRRPInstance{
		Name: "VI_1", Interface: "eth0", VRID: 51,
		Priority:       255, // state MASTER without a priority
		Version:        2,   // keepalived's default
		AdvertInterval: 3 * time.Second,
		Preempt:        false,
		PreemptDelay:   30 * time.Second,
		Family:         "ipv4",
		SourceAddress:  netip.MustParseAddr("192.0.2.1"),
		UnicastPeers:   []netip.Addr{netip.MustParseAddr("192.0.2.2")},
		VIPs: []config.VIP{
			{Prefix: netip.MustParsePrefix("192.0.2.100/24")},
			{Prefix: netip.MustParsePrefix("192.0.2.101/32"), Label: "eth0:web"},
		},
		GARP:            config.GARP{MasterRepeat: 3, MasterDelay: 5 * time.Second, MasterRefresh: time.Minute},
		TrackInterfaces: []config.TrackInterface{{Name: "eth1", Weight: -50}, {Name: "eth2"}},
		TrackScripts:    []config.TrackScript{{Name: "chk", Weight: -20, Script: sc}},
		Notify: config.Notify{
			Command: []string{"/usr/local/bin/any"},
			Master:  []string{"/usr/local/bin/became", "master"},
			Timeout: config.DefaultNotifyTimeout,
		},
		IPVSFollow: "master",
		SyncDaemon: &config.SyncDaemon{Interface: "eth3", SyncID: 51},
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("instance\n got %+v\nwant %+v\n%s", in, want, out)
	}
	v6 := cfg.Instances[1]
	if v6.Version != 3 || v6.Family != "ipv6" || v6.AdvertInterval != 50*time.Millisecond || v6.Priority != 90 ||
		len(v6.VIPs) != 2 || v6.VIPs[1].Prefix != netip.MustParsePrefix("2001:db8::2/128") {
		t.Errorf("IPv6 instance = %+v", v6)
	}
}

func TestVirtualServerConversion(t *testing.T) {
	src := `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress {
    192.0.2.10
  }
}
virtual_server 192.0.2.10 80 {
  delay_loop 10
  lb_algo sh
  lb_kind DR
  protocol TCP
  persistence_timeout
  persistence_granularity 255.255.255.0
  sh-port
  quorum 4
  inhibit_on_failure
  sorry_server 192.0.2.99
  real_server 192.0.2.11 8080 {
    weight 2
    uthreshold 100
    lthreshold 50
    HTTP_GET {
      url {
        path /health
        status_code 200 301-302
        virtualhost www.example.com
      }
      connect_timeout 2
      retry 2
      delay_before_retry 4
    }
  }
  real_server 192.0.2.12 80 {
    weight 2
    TCP_CHECK {
      connect_port 81
      delay_loop 5
    }
  }
  real_server 192.0.2.13 80 {
    weight 2
    MISC_CHECK {
      misc_path "/usr/bin/check 'an arg'"
      misc_timeout 3
      misc_dynamic
    }
  }
  real_server 192.0.2.14 80 {
    weight 2
    SSL_GET {
      url {
        path /
        regex ^OK
      }
      enable_sni
      virtualhost secure.example.com
    }
  }
}
virtual_server 192.0.2.20 53 {
  real_server 192.0.2.21 5353 {
    DNS_CHECK {
      type a
      name example.com
    }
    UDP_CHECK {
      payload 0001
      require_reply 02
    }
  }
}
virtual_server fwmark 7 {
  lb_kind TUN
  real_server 2001:db8::11 {
    TCP_CHECK {
      connect_port 80
    }
  }
}
`
	cfg, report, out := conv(t, src, Options{})
	if len(report) != 1 || report[0].Line != 21 || !strings.Contains(report[0].Keyword, "port 8080") {
		t.Errorf("report = %v", report)
	}
	if len(cfg.VirtualServers) != 3 {
		t.Fatalf("virtual servers: %d\n%s", len(cfg.VirtualServers), out)
	}
	if cfg.Instances[0].IPVSFollow != config.IPVSFollowAlways {
		t.Errorf("ipvs_follow = %q, want always (keepalived's behaviour)", cfg.Instances[0].IPVSFollow)
	}
	byName := map[string]config.VirtualServer{}
	for _, vs := range cfg.VirtualServers {
		byName[vs.Name] = vs
	}

	web := byName["192.0.2.10_80"]
	if web.VRRPInstance != "VI_1" || web.Scheduler != "sh" || !reflect.DeepEqual(web.SchedulerFlags, []string{"sh-port"}) ||
		web.Forwarding != "dr" || web.Protocol != "tcp" || web.OnFailure != "inhibit" || web.Quorum != 2 ||
		web.SorryServer != netip.MustParseAddrPort("192.0.2.99:80") ||
		!reflect.DeepEqual(web.Persistence, &config.Persistence{Timeout: 360 * time.Second, Netmask: 24}) {
		t.Errorf("web = %+v\n%s", web, out)
	}
	wantDefaults := config.CheckTiming{Interval: 10 * time.Second, Timeout: 5 * time.Second, Rise: 1, Fall: 2, RetryDelay: time.Second, Warmup: 10 * time.Second}
	if web.CheckDefaults != wantDefaults {
		t.Errorf("check_defaults = %+v, want %+v", web.CheckDefaults, wantDefaults)
	}
	rs := map[string]config.RealServer{}
	for _, r := range web.RealServers {
		rs[r.Address.String()] = r
	}
	http := rs["192.0.2.11:80"] // DR: keepalived resets the port to the service's
	if http.Weight != 2 || http.UpperThreshold != 100 || http.LowerThreshold != 50 || len(http.Checks) != 1 {
		t.Fatalf("http real server = %+v", http)
	}
	hc := http.Checks[0]
	wantTiming := config.CheckTiming{Interval: 10 * time.Second, Timeout: 2 * time.Second, Rise: 1, Fall: 3, RetryDelay: 4 * time.Second, Warmup: 10 * time.Second}
	if hc.Type != "http" || hc.Timing != wantTiming || hc.HTTP.Path != "/health" || hc.HTTP.Host != "www.example.com" ||
		!reflect.DeepEqual(hc.HTTP.Status, []config.StatusRange{{Min: 200, Max: 200}, {Min: 301, Max: 302}}) || hc.HTTP.TLS {
		t.Errorf("http check = %+v %+v", hc, hc.HTTP)
	}
	tc := rs["192.0.2.12:80"].Checks[0]
	wantTiming = config.CheckTiming{Interval: 5 * time.Second, Timeout: 5 * time.Second, Rise: 1, Fall: 2, RetryDelay: time.Second, Warmup: 5 * time.Second}
	if tc.Type != "tcp" || tc.Port != 81 || tc.Timing != wantTiming {
		t.Errorf("tcp check = %+v", tc)
	}
	mc := rs["192.0.2.13:80"].Checks[0]
	if mc.Type != "script" || !reflect.DeepEqual(mc.Script.Command, []string{"/usr/bin/check", "an arg"}) ||
		!mc.Script.DynamicWeight || mc.Timing.Timeout != 3*time.Second || mc.Timing.Fall != 1 {
		t.Errorf("misc check = %+v %+v", mc, mc.Script)
	}
	sc := rs["192.0.2.14:80"].Checks[0]
	if sc.Type != "http" || !sc.HTTP.TLS || sc.HTTP.ServerName != "secure.example.com" || sc.HTTP.Host != "secure.example.com" ||
		sc.HTTP.BodyRegex != "^OK" || sc.Timing.RetryDelay != 3*time.Second {
		t.Errorf("ssl check = %+v %+v", sc, sc.HTTP)
	}

	dns := byName["192.0.2.20_53_udp"]
	if dns.Protocol != "udp" || dns.Forwarding != "nat" || dns.OnFailure != "remove" || dns.VRRPInstance != "" {
		t.Errorf("keepalived defaults not kept: %+v", dns)
	}
	checks := dns.RealServers[0].Checks
	if len(checks) != 2 || checks[0].DNS.Name != "example.com" || checks[0].DNS.Type != "A" ||
		checks[0].Timing.Fall != 4 || checks[0].Timing.RetryDelay != 60*time.Second ||
		string(checks[1].UDP.Payload) != "\x00\x01" || string(checks[1].UDP.Expect) != "\x02" {
		t.Errorf("dns/udp checks = %+v", checks)
	}

	mark := byName["fwmark_7"]
	if mark.FWMark != 7 || mark.Family != "ipv6" || mark.Forwarding != "tun" ||
		mark.RealServers[0].Address != netip.MustParseAddrPort("[2001:db8::11]:0") || mark.RealServers[0].Checks[0].Port != 80 {
		t.Errorf("fwmark service = %+v", mark)
	}
}

// TestSkippedReports checks that each kind of setting that cannot be
// converted is reported at its own line, with the reason, and left out.
func TestSkippedReports(t *testing.T) {
	for _, tc := range []struct {
		name    string
		src     string
		line    int
		keyword string
		why     string
	}{
		{"global e-mail", "global_defs {\n  notification_email {\n    a@b\n  }\n}\n", 2, "notification_email", "e-mail"},
		{"unknown top level", "\n\nfoo_bar {\n}\n", 3, "foo_bar", "no equivalent"},
		{"sync group", "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n", 1, "vrrp_sync_group", "members VI_1"},
		{"virtual_server group", "virtual_server_group G {\n  10.0.0.1 80\n}\nvirtual_server group G {\n}\n", 4, "virtual_server group G", "groups"},
		{"authentication", inst("  authentication {\n    auth_type PASS\n  }\n"), 7, "authentication", "authentication"},
		{"excluded VIPs", inst("  virtual_ipaddress_excluded {\n    10.0.0.9\n  }\n"), 7, "virtual_ipaddress_excluded", "excluded"},
		{"VIP on another device", inst("  virtual_ipaddress {\n    10.0.0.2 dev eth9\n  }\n"), 8, "10.0.0.2", "instance's interface eth0"},
		{"VIP option", inst("  virtual_ipaddress {\n    10.0.0.2 scope link\n  }\n"), 8, "10.0.0.2 scope link", "kernel's defaults"},
		{"VIP of the other family", inst("  virtual_ipaddress {\n    2001:db8::1\n  }\n"), 8, "2001:db8::1", "ipv6 but the instance is ipv4"},
		{"bad label", inst("  virtual_ipaddress {\n    10.0.0.2 label eth1:x\n  }\n"), 8, "10.0.0.2 label eth1:x", "eth0:"},
		{"relative notify", inst("  notify_master \"notify.sh master\"\n"), 7, "notify_master", "absolute path"},
		{"notify user", inst("  notify_backup /bin/true nobody\n"), 7, "notify_backup nobody", "daemon's user"},
		{"reversed track", inst("  track_interface {\n    eth1 weight 10 reverse\n  }\n"), 8, "eth1", "reversed"},
		{"unknown script", inst("  track_script {\n    nope\n  }\n"), 8, "nope", "no vrrp_script"},
		{"v2 fractional advert", inst("  advert_int 0.5\n"), 7, "advert_int", "version 2"},
		{"routes", inst("  virtual_routes {\n    0.0.0.0/0 gw 10.0.0.254\n  }\n"), 7, "virtual_routes", "routes"},
		{"shell script", "vrrp_script s {\n  script \"killall -0 sshd\"\n}\n", 1, "vrrp_script s", "absolute path"},
		{"script timeout", "vrrp_script s {\n  script /bin/true\n  interval 2\n  timeout 5\n}\n", 4, "timeout", "longer than the interval"},
		{"duplicate VRID", inst("") + "vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n    10.0.0.3\n  }\n}\n",
			8, "vrrp_instance VI_2", "already used on eth0"},
		{"VIP in two instances", inst("") + "vrrp_instance VI_2 {\n  interface eth1\n  virtual_router_id 5\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n",
			12, "10.0.0.1", "already belongs to vrrp_instance \"VI_1\""},
		{"digest", vs("    HTTP_GET {\n      url {\n        path /\n        digest abc\n      }\n    }\n"), 6, "digest", "SHA-256"},
		{"SMTP_CHECK", vs("    SMTP_CHECK {\n    }\n"), 3, "SMTP_CHECK", "no SMTP check"},
		{"PING_CHECK", vs("    PING_CHECK {\n    }\n"), 3, "PING_CHECK", "no ICMP check"},
		{"UDP_CHECK without reply", vs("    UDP_CHECK {\n    }\n"), 3, "UDP_CHECK", "require_reply"},
		{"connect_ip elsewhere", vs("    TCP_CHECK {\n      connect_ip 10.9.9.9\n    }\n"), 3, "TCP_CHECK", "not the real server"},
		{"bindto", vs("    TCP_CHECK {\n      bindto 10.0.0.1\n    }\n"), 4, "bindto", "source"},
		{"timeout over delay_loop", vs("    TCP_CHECK {\n      delay_loop 2\n    }\n"), 3, "connect_timeout", "interval is used"},
		{"notify_up", vs("    notify_up /bin/true\n"), 3, "notify_up", "no commands"},
		{"hysteresis", "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  hysteresis 2\n}\n", 3, "hysteresis", "hysteresis"},
		{"fwmark protocol", "virtual_server fwmark 1 {\n  protocol TCP\n}\n", 2, "protocol", "mark alone"},
		{"unequal quorum", "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  quorum 2\n  real_server 10.0.0.2 80 {\n    weight 1\n  }\n  real_server 10.0.0.3 80 {\n    weight 2\n  }\n}\n",
			3, "quorum", "weigh differently"},
		{"mixed inhibit", "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    inhibit_on_failure\n  }\n  real_server 10.0.0.3 80 {\n  }\n}\n",
			3, "real_server inhibit_on_failure", "per virtual_server"},
		{"service timeout over delay_loop", "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  delay_loop 2\n  real_server 10.0.0.2 80 {\n    TCP_CHECK {\n    }\n  }\n}\n",
			5, "connect_timeout", "interval is used"},
		{"bad delay_loop", "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  delay_loop soon\n}\n", 3, "delay_loop", "seconds"},
		{"gue tunnel", "virtual_server 10.0.0.1 80 {\n  lvs_method TUN type gue port 5555\n}\n", 1, "virtual_server 10.0.0.1 80", "IPIP only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, report, out := conv(t, tc.src, Options{})
			for _, s := range report {
				if s.Line == tc.line && s.Keyword == tc.keyword && strings.Contains(s.Why, tc.why) {
					if s.File != "keepalived.conf" {
						t.Errorf("file = %q", s.File)
					}
					if !strings.Contains(out, "skipped (line "+strconv.Itoa(tc.line)+") "+tc.keyword+": ") {
						t.Errorf("no comment for the skipped item in\n%s", out)
					}
					return
				}
			}
			t.Errorf("no report at line %d for %q containing %q; report:\n%s\n%s", tc.line, tc.keyword, tc.why, joinReport(report), out)
		})
	}
}

// inst wraps instance lines (from line 7 on) in a valid vrrp_instance.
func inst(lines string) string {
	return "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 5\n  virtual_ipaddress {\n    10.0.0.1\n  }\n" + lines + "}\n"
}

// vs wraps real_server lines (from line 3 on) in a virtual server.
func vs(lines string) string {
	return "virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n" + lines + "  }\n  protocol TCP\n  delay_loop 6\n}\n"
}

func joinReport(r []Skipped) string {
	var b strings.Builder
	for _, s := range r {
		b.WriteString(s.String() + "\n")
	}
	return b.String()
}

// TestVigilRejectionsAreDropped covers the last step: what the converter
// writes but vigil rejects is left out, reported at its keepalived line,
// and whatever depended on it follows.
func TestVigilRejectionsAreDropped(t *testing.T) {
	src := `vrrp_instance VI_1 {
  interface averyveryverylonginterface
  virtual_router_id 5
  virtual_ipaddress {
    10.0.0.1
  }
}
virtual_server 10.0.0.1 80 {
  protocol TCP
  real_server 10.0.0.2 80 {
    lthreshold 5
  }
}
`
	cfg, report, out := conv(t, src, Options{})
	if len(cfg.Instances) != 0 || len(cfg.VirtualServers) != 1 {
		t.Fatalf("instances %d, virtual servers %d\n%s", len(cfg.Instances), len(cfg.VirtualServers), out)
	}
	got := map[int]string{}
	for _, s := range report {
		if strings.Contains(s.Why, "vigil rejects") {
			got[s.Line] = s.Keyword
		}
	}
	want := map[int]string{1: "vrrp_instance", 8: "virtual_server (follows VI_1)", 11: "lthreshold"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rejections = %v, want %v\n%s", got, want, joinReport(report))
	}
	if cfg.VirtualServers[0].VRRPInstance != "" || cfg.VirtualServers[0].RealServers[0].LowerThreshold != 0 {
		t.Errorf("virtual server = %+v", cfg.VirtualServers[0])
	}
}

// TestConvertFollowsIncludesOnDisk converts a configuration split over
// files on disk, with an include relative to an included file.
func TestConvertFollowsIncludesOnDisk(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("keepalived.conf", "global_defs {\n  router_id lb\n}\ninclude conf.d/*.conf\n")
	write("conf.d/vi1.conf", "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n  virtual_ipaddress {\n    include ../vips/vi1\n  }\n  authentication {\n  }\n}\n")
	write("vips/vi1", "192.0.2.7/24\n")
	out, report, err := Convert(filepath.Join(dir, "keepalived.conf"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := mustParse(t, out, "out.hcl")
	if len(cfg.Instances) != 1 || cfg.Instances[0].VIPs[0].Prefix != netip.MustParsePrefix("192.0.2.7/24") || cfg.Global.RouterID != "lb" {
		t.Fatalf("config = %+v\n%s", cfg, out)
	}
	if len(report) != 1 || report[0].File != filepath.Join(dir, "conf.d/vi1.conf") || report[0].Line != 7 {
		t.Fatalf("report = %v", report)
	}
	if !strings.Contains(string(out), "skipped ("+filepath.Join(dir, "conf.d/vi1.conf")+" line 7) authentication") {
		t.Errorf("the comment does not name the included file:\n%s", out)
	}
	if _, _, err := Convert(filepath.Join(dir, "missing.conf"), Options{}); err == nil {
		t.Error("a missing main file is not an error")
	}
}

func TestGlobalDefsConversion(t *testing.T) {
	src := `global_defs {
  router_id lb2
  vrrp_version 3
  vrrp_min_garp
  vrrp_garp_master_delay 2
  vrrp_rt_priority 50
  vrrp_no_swap
  lvs_sync_daemon eth3 inst VI_1 id 9 maxlen 1500
  enable_snmp_vrrp
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 4
  advert_int 0.25
  virtual_ipaddress {
    192.0.2.4
  }
}
`
	cfg, report, out := conv(t, src, Options{})
	g := cfg.Global
	if g.RouterID != "lb2" || g.Realtime != (config.Realtime{SchedPriority: 50, LockMemory: true}) {
		t.Errorf("global = %+v", g)
	}
	in := cfg.Instances[0]
	// vrrp_min_garp: one message; the explicit delay stays.
	if in.Version != 3 || in.AdvertInterval != 250*time.Millisecond ||
		in.GARP != (config.GARP{MasterRepeat: 1, MasterDelay: 2 * time.Second}) ||
		!reflect.DeepEqual(in.SyncDaemon, &config.SyncDaemon{Interface: "eth3", SyncID: 9}) {
		t.Errorf("instance = %+v\n%s", in, out)
	}
	got := map[string]int{}
	for _, s := range report {
		got[s.Keyword] = s.Line
	}
	want := map[string]int{"lvs_sync_daemon maxlen": 8, "enable_snmp_vrrp": 9}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("report = %v", report)
	}
	if s := report[0].String(); s != "keepalived.conf:8: lvs_sync_daemon maxlen: vigil uses the kernel's default for maxlen" {
		t.Errorf("String() = %q", s)
	}
}
