package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// mustParse parses src and fails the test on any diagnostic, warnings included.
func mustParse(t *testing.T, src, name string) *Config {
	t.Helper()
	cfg, diags := Parse([]byte(src), name)
	if len(diags) > 0 {
		var b strings.Builder
		_ = WriteDiagnostics(&b, map[string][]byte{name: []byte(src)}, diags, 0, false)
		t.Fatalf("unexpected diagnostics:\n%s", b.String())
	}
	return cfg
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExamplePairParsesClean(t *testing.T) {
	for _, tc := range []struct {
		file     string
		priority uint8
		routerID string
	}{
		{"director-a.hcl", 150, "director-a"},
		{"director-b.hcl", 100, "director-b"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("..", "..", "examples", "pair", tc.file)
			cfg, diags := Load(path)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
			if cfg.Global.RouterID != tc.routerID {
				t.Errorf("router_id = %q, want %q", cfg.Global.RouterID, tc.routerID)
			}
			if len(cfg.Instances) != 1 {
				t.Fatalf("%d instances, want 1", len(cfg.Instances))
			}
			in := cfg.Instances[0]
			wantVIP := netip.MustParsePrefix("10.99.0.100/24")
			if in.Name != "VI_1" || in.Interface != "eth0" || in.VRID != 51 || in.Priority != tc.priority ||
				len(in.VIPs) != 1 || in.VIPs[0].Prefix != wantVIP {
				t.Errorf("instance = %+v", in)
			}
			if len(cfg.VirtualServers) != 1 {
				t.Fatalf("%d virtual servers, want 1", len(cfg.VirtualServers))
			}
			vs := cfg.VirtualServers[0]
			if vs.Address != netip.MustParseAddrPort("10.99.0.100:80") || vs.Scheduler != "rr" ||
				vs.Forwarding != "dr" || vs.VRRPInstance != "VI_1" {
				t.Errorf("virtual server = %+v", vs)
			}
			var got []string
			for _, rs := range vs.RealServers {
				got = append(got, rs.Address.String())
				if len(rs.Checks) != 1 || rs.Checks[0].Type != CheckHTTP || rs.Checks[0].HTTP.Path != "/healthz" {
					t.Errorf("real server %s checks = %+v", rs.Address, rs.Checks)
				}
			}
			if want := []string{"10.99.0.11:80", "10.99.0.12:80"}; !reflect.DeepEqual(got, want) {
				t.Errorf("real servers = %v, want %v", got, want)
			}
		})
	}
}

func TestExamplePairDiffersOnlyInIdentity(t *testing.T) {
	a, _ := Load(filepath.Join("..", "..", "examples", "pair", "director-a.hcl"))
	b, _ := Load(filepath.Join("..", "..", "examples", "pair", "director-b.hcl"))
	if a == nil || b == nil {
		t.Fatal("example does not parse")
	}
	b.Global.RouterID = a.Global.RouterID
	b.Instances[0].Priority = a.Instances[0].Priority
	if !reflect.DeepEqual(a, b) {
		t.Errorf("director-a and director-b differ beyond router_id and priority:\n%s\n---\n%s", a.HCL(), b.HCL())
	}
}

const minimal = `
vrrp_instance "VI_1" {
  interface           = "eth0"
  vrid                = 51
  virtual_ipaddresses = ["10.99.0.100"]
}
virtual_server "web" {
  address       = "10.99.0.100:80"
  vrrp_instance = "VI_1"
  real_server "10.99.0.11:80" {
    check "http" {}
  }
}
`

func TestDefaults(t *testing.T) {
	cfg := mustParse(t, minimal, "min.hcl")
	g := cfg.Global
	if g.ControlSocket != "/run/vigil/vigil.sock" || g.MetricsListen != "127.0.0.1:9650" || g.LogFormat != "text" ||
		g.LogLevel != "info" || g.StateFile != "/run/vigil/state.json" || g.RouterID != "" ||
		g.Notify.Timeout != 10*time.Second || g.Realtime != (Realtime{}) {
		t.Errorf("global defaults = %+v", g)
	}
	in := cfg.Instances[0]
	want := VRRPInstance{
		Name: "VI_1", Interface: "eth0", VRID: 51, Priority: 100, Version: 3,
		AdvertInterval: time.Second, Preempt: true, Family: FamilyIPv4,
		VIPs:       []VIP{{Prefix: netip.MustParsePrefix("10.99.0.100/32")}},
		GARP:       GARP{MasterRepeat: 5, MasterDelay: time.Second},
		Notify:     Notify{Timeout: 10 * time.Second},
		IPVSFollow: IPVSFollowMaster,
	}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("instance defaults\n got %+v\nwant %+v", in, want)
	}
	vs := cfg.VirtualServers[0]
	timing := CheckTiming{Interval: 2 * time.Second, Timeout: time.Second, Rise: 2, Fall: 2, RetryDelay: time.Second}
	if vs.Protocol != "tcp" || vs.Scheduler != "wlc" || vs.Forwarding != "dr" || vs.OnFailure != OnFailureInhibit ||
		vs.Quorum != 1 || vs.Family != FamilyIPv4 || vs.Persistence != nil || vs.SorryServer.IsValid() || vs.CheckDefaults != timing {
		t.Errorf("virtual server defaults = %+v", vs)
	}
	rs := vs.RealServers[0]
	if rs.Weight != 1 || rs.UpperThreshold != 0 || rs.LowerThreshold != 0 {
		t.Errorf("real server defaults = %+v", rs)
	}
	c := rs.Checks[0]
	wantHTTP := &HTTPCheck{Method: "GET", Path: "/", Status: []StatusRange{{200, 299}}}
	if c.Timing != timing || c.Port != 0 || c.ViaVIP || !reflect.DeepEqual(c.HTTP, wantHTTP) {
		t.Errorf("check defaults = %+v, http %+v", c, c.HTTP)
	}
}

func TestInheritance(t *testing.T) {
	cfg := mustParse(t, readFile(t, "testdata/full.hcl"), "full.hcl")
	byName := map[string]VRRPInstance{}
	for _, in := range cfg.Instances {
		byName[in.Name] = in
	}
	// notify: global command and timeout, instance master/fault.
	n := byName["VI_1"].Notify
	wantCmd := []string{"/usr/local/bin/notify", "--all", "${not_a_template}", "%{x}", "tab\there"}
	if !reflect.DeepEqual(n.Command, wantCmd) || n.Timeout != 3*time.Second ||
		!reflect.DeepEqual(n.Master, []string{"/usr/local/bin/became", "master"}) || n.Backup != nil {
		t.Errorf("VI_1 notify = %+v", n)
	}
	// track_script weight: the script's unless overridden.
	ts := byName["VI_1"].TrackScripts
	if ts[0].Name != "chk_haproxy" || ts[0].Weight != -20 || ts[0].Script.Timeout != 500*time.Millisecond || ts[1].Weight != 0 {
		t.Errorf("track scripts = %+v", ts)
	}
	// sync_id defaults to the vrid, the script timeout to its interval.
	if sd := byName["VI_1"].SyncDaemon; sd == nil || sd.SyncID != 51 || sd.Interface != "eth3" {
		t.Errorf("sync daemon = %+v", sd)
	}
	if sc := cfg.Scripts[0]; sc.Name != "chk_disk" || sc.Timeout != time.Second {
		t.Errorf("script defaults = %+v", sc)
	}
	// check timing: global (interval 5s, fall 3) → vs (timeout 2s) → check.
	var web VirtualServer
	for _, vs := range cfg.VirtualServers {
		if vs.Name == "web" {
			web = vs
		}
	}
	rs := web.RealServers[1] // sorted: .11 before .12
	if rs.Address.String() != "192.0.2.12:443" {
		t.Fatalf("real servers not sorted: %v", rs.Address)
	}
	want := CheckTiming{Interval: time.Second, Timeout: time.Second, Rise: 2, Fall: 3, RetryDelay: time.Second, Warmup: 3 * time.Second}
	if rs.Checks[1].Timing != want {
		t.Errorf("tcp check timing = %+v, want %+v", rs.Checks[1].Timing, want)
	}
	if got := rs.Checks[0].Timing; got.Interval != 5*time.Second || got.Timeout != 2*time.Second || got.Fall != 3 {
		t.Errorf("http check timing = %+v", got)
	}
	if h := rs.Checks[0].HTTP; h.BodySHA256 != strings.ToLower(h.BodySHA256) || h.MaxWeight != 100 ||
		!reflect.DeepEqual(h.Status, []StatusRange{{200, 200}, {301, 302}}) {
		t.Errorf("http check = %+v", h)
	}
}

func TestRoundTrip(t *testing.T) {
	sources := map[string]string{
		"minimal":    minimal,
		"full":       readFile(t, "testdata/full.hcl"),
		"director-a": readFile(t, filepath.Join("..", "..", "examples", "pair", "director-a.hcl")),
		"empty":      "",
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			first := mustParse(t, src, name+".hcl")
			out := first.HCL()
			second := mustParse(t, string(out), "effective.hcl")
			if !reflect.DeepEqual(first, second) {
				t.Errorf("effective configuration parses differently:\n%s", out)
			}
			if again := second.HCL(); string(again) != string(out) {
				t.Errorf("effective configuration is not stable:\n%s\n---\n%s", out, again)
			}
		})
	}
}

func TestBlockOrderDoesNotMatter(t *testing.T) {
	src := readFile(t, "testdata/full.hcl")
	f, diags := hclBlocks(src)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	// Reverse the top-level blocks.
	var b strings.Builder
	for i := len(f) - 1; i >= 0; i-- {
		b.WriteString(f[i])
		b.WriteString("\n")
	}
	a := mustParse(t, src, "full.hcl")
	r := mustParse(t, b.String(), "reversed.hcl")
	if !reflect.DeepEqual(a, r) {
		t.Errorf("reversing the blocks changed the configuration")
	}
}

// hclBlocks splits src into the source text of its top-level blocks.
func hclBlocks(src string) ([]string, hcl.Diagnostics) {
	body, diags := parseBody(src)
	if diags.HasErrors() {
		return nil, diags
	}
	var out []string
	for _, blk := range body.Blocks {
		out = append(out, src[blk.Range().Start.Byte:blk.Range().End.Byte])
	}
	return out, nil
}

func TestEmptyFileIsDefaults(t *testing.T) {
	cfg := mustParse(t, "", "empty.hcl")
	if !reflect.DeepEqual(cfg, &Config{Global: defaultGlobal()}) {
		t.Errorf("empty file = %+v", cfg)
	}
}

func TestSameVRIDOnOtherInterfaceOrFamily(t *testing.T) {
	mustParse(t, `
vrrp_instance "a" {
  interface = "eth0"
  vrid = 1
  virtual_ipaddresses = ["192.0.2.1"]
}
vrrp_instance "b" {
  interface = "eth1"
  vrid = 1
  virtual_ipaddresses = ["192.0.2.2"]
}
vrrp_instance "c" {
  interface = "eth0"
  vrid = 1
  virtual_ipaddresses = ["2001:db8::1"]
}
`, "vrid.hcl")
}

func TestWarningForServiceOnVIPWithoutInstance(t *testing.T) {
	src := `
vrrp_instance "VI_1" {
  interface = "eth0"
  vrid = 1
  virtual_ipaddresses = ["192.0.2.1/24"]
}
virtual_server "web" {
  address = "192.0.2.1:80"
}
`
	cfg, diags := Parse([]byte(src), "w.hcl")
	if cfg == nil || diags.HasErrors() || len(diags) != 1 {
		t.Fatalf("want one warning and a config, got %v", diags)
	}
	d := diags[0]
	if d.Severity != hcl.DiagWarning || d.Subject.Start.Line != 8 || d.Subject.Start.Column != 13 ||
		!strings.Contains(d.Summary, `vrrp_instance "VI_1" but vrrp_instance is not set`) {
		t.Errorf("warning = %s at %s", d.Summary, d.Subject)
	}
}

func TestOwnerPriorityNeedsLocalAddresses(t *testing.T) {
	src := `
vrrp_instance "VI_1" {
  interface = "eth0"
  vrid = 1
  priority = 255
  virtual_ipaddresses = ["192.0.2.1/24", "192.0.2.2"]
}
`
	local := netip.MustParseAddr("192.0.2.1")
	opts := Options{IsLocalAddress: func(a netip.Addr) bool { return a == local }}
	cfg, diags := ParseWithOptions([]byte(src), "o.hcl", opts)
	if cfg != nil || len(diags) != 1 {
		t.Fatalf("want one error, got %v", diags)
	}
	if d := diags[0]; d.Subject.Start.Line != 5 || d.Subject.Start.Column != 14 ||
		!strings.Contains(d.Summary, "priority 255 but virtual IP 192.0.2.2 is not an address of this host") {
		t.Errorf("error = %s at %s", d.Summary, d.Subject)
	}
	opts.IsLocalAddress = func(netip.Addr) bool { return true }
	if _, diags := ParseWithOptions([]byte(src), "o.hcl", opts); len(diags) != 0 {
		t.Errorf("all VIPs local: %v", diags)
	}
	if _, diags := Parse([]byte(src), "o.hcl"); len(diags) != 0 {
		t.Errorf("without the hook: %v", diags)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.hcl")
	cfg, diags := Load(path)
	if cfg != nil || len(diags) != 1 || diags[0].Subject == nil || diags[0].Subject.Filename != path {
		t.Fatalf("got %v, %v", cfg, diags)
	}
}

// parseBody parses src to its syntax tree, for tests that edit sources.
func parseBody(src string) (*hclsyntax.Body, hcl.Diagnostics) {
	f, diags := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	return f.Body.(*hclsyntax.Body), nil
}
