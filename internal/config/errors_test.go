package config

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// marker shows, in a test source, where the error must point. It is removed
// before parsing and its line:column becomes the expected position.
const marker = "«"

// instance wraps body lines in a valid vrrp_instance "VI_1".
func instance(body string) string {
	return "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  vrid = 51\n  virtual_ipaddresses = [\"10.99.0.100/24\"]\n" + body + "}\n"
}

// server wraps body lines in a virtual_server "web" following VI_1.
func server(body string) string {
	return instance("") + "virtual_server \"web\" {\n  address = \"10.99.0.100:80\"\n  vrrp_instance = \"VI_1\"\n" + body + "}\n"
}

// markerPos returns src without the marker and the marker's line and column.
func markerPos(t *testing.T, src string) (string, int, int) {
	t.Helper()
	i := strings.Index(src, marker)
	if i < 0 || strings.Count(src, marker) != 1 {
		t.Fatalf("test source needs exactly one %s", marker)
	}
	before := src[:i]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndex(before, "\n")+1:])) + 1
	return before + src[i+len(marker):], line, col
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		// Syntax and schema.
		{"syntax", "vrrp_instance \"x\" {\n  vrid = «}\n", "Invalid expression"},
		{"unknown top-level block", "«vrrp_instanc \"x\" {}\n", `Unsupported block type`},
		{"unknown attribute", instance("  «prio = 5\n"), `vrrp_instance "VI_1": Unsupported argument`},
		{"unknown nested block", instance("  «garps {}\n"), `vrrp_instance "VI_1": Unsupported block type`},
		{"top-level attribute", "«router_id = \"x\"\n", "Unsupported argument"},
		{"variables", instance("  priority = «var.prio\n"), "Variables not allowed"},
		{"null", instance("  priority = «null\n"), "priority must not be null"},
		{"wrong type", instance("  preempt = «\"maybe\"\n"), "preempt must be true or false"},
		{"list expected", instance("  unicast_peers = «\"10.99.0.2\"\n"), "unicast_peers must be a list of strings"},
		{"two global blocks", "global {}\n«global {}\n", "only one global block is allowed"},
		{"bad block name", "vrrp_instance «\"VI 1\" {}\n", `vrrp_instance "VI 1": the name contains ' '`},

		// global.
		{"metrics_listen", "global {\n  metrics_listen = «\"9650\"\n}\n", `global: metrics_listen "9650" is not host:port`},
		{"log_format", "global {\n  log_format = «\"xml\"\n}\n", `global: log_format "xml" is not valid`},
		{"control_socket", "global {\n  control_socket = «\"vigil.sock\"\n}\n", "is not an absolute path"},
		{"sched_priority", "global {\n  realtime {\n    sched_priority = «100\n  }\n}\n", "global realtime: sched_priority 100 is outside 0..99"},
		{"global notify", "global {\n  notify {\n    master = «[\"notify.sh\"]\n  }\n}\n", `global notify: master: program "notify.sh" is not an absolute path`},
		{"global check timing", "global {\n  check_defaults {\n    timeout = «\"3s\"\n  }\n}\n", "global check_defaults: timeout 3s is longer than the interval 2s"},

		// vrrp_script.
		{"script relative", "vrrp_script \"s\" {\n  command = «[\"pgrep\", \"x\"]\n}\n", `vrrp_script "s": command: program "pgrep" is not an absolute path`},
		{"script missing command", "«vrrp_script \"s\" {\n}\n", `vrrp_script "s": command is required`},
		{"script twice", "vrrp_script \"s\" {\n  command = [\"/bin/true\"]\n}\nvrrp_script «\"s\" {\n  command = [\"/bin/true\"]\n}\n", `vrrp_script "s" is defined twice`},
		{"script weight", "vrrp_script \"s\" {\n  command = [\"/bin/true\"]\n  weight = «300\n}\n", "weight 300 is outside -253..253"},

		// vrrp_instance.
		{"interface required", "«vrrp_instance \"VI_1\" {\n  vrid = 1\n  virtual_ipaddresses = [\"10.0.0.1\"]\n}\n", `vrrp_instance "VI_1": interface is required`},
		{"interface too long", "vrrp_instance \"VI_1\" {\n  interface = «\"averyveryverylongname\"\n  vrid = 1\n  virtual_ipaddresses = [\"10.0.0.1\"]\n}\n", "longer than 15 characters"},
		{"vrid required", "«vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_ipaddresses = [\"10.0.0.1\"]\n}\n", `vrrp_instance "VI_1": vrid is required`},
		{"vrid range", "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  vrid = «256\n  virtual_ipaddresses = [\"10.0.0.1\"]\n}\n", `vrrp_instance "VI_1": vrid 256 is outside 1..255`},
		{"priority too high", instance("  priority = «300\n"), `vrrp_instance "VI_1": priority 300 is outside 1..255`},
		{"priority zero", instance("  priority = «0\n"), `priority 0 is outside 1..255`},
		{"priority fraction", instance("  priority = «100.5\n"), `priority 100.5 is not a whole number`},
		{"version", instance("  version = «4\n"), `version 4 is not a VRRP version; use 2 or 3`},
		{"interval not a duration", instance("  advert_interval = «\"fast\"\n"), `advert_interval "fast" is not a duration`},
		{"interval without unit", instance("  advert_interval = «1\n"), `advert_interval "1" is not a duration`},
		{"interval v3 granularity", instance("  advert_interval = «\"15ms\"\n"), "advert_interval 15ms is not valid for version 3"},
		{"interval v3 too long", instance("  advert_interval = «\"41s\"\n"), "advert_interval 41s is not valid for version 3"},
		{"interval v2 fraction", instance("  version = 2\n  advert_interval = «\"1500ms\"\n"), "advert_interval 1.5s is not valid for version 2"},
		{"preempt_delay", instance("  preempt_delay = «\"2000s\"\n"), "preempt_delay 33m20s is outside 0s..16m40s"},
		{"arp probe too often", instance("  arp_probe_interval = «\"500ms\"\n"), "arp_probe_interval 500ms is below 1s"},
		{"arp probe on IPv6", "vrrp_instance \"VI_6\" {\n  interface = \"eth0\"\n  vrid = 51\n  virtual_ipaddresses = [\"2001:db8::1\"]\n  arp_probe_interval = «\"30s\"\n}\n", "arp_probe_interval needs IPv4 VIPs"},
		{"no VIP", "«vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  vrid = 1\n}\n", `vrrp_instance "VI_1": no virtual IP address`},
		{"bad VIP", "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  vrid = 1\n  virtual_ipaddresses = [\"10.0.0.1\", «\"10.0.0.300\"]\n}\n", `virtual IP "10.0.0.300" is not an IP address`},
		{"multicast VIP", "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  vrid = 1\n  virtual_ipaddresses = [«\"224.0.0.18\"]\n}\n", "is a multicast address"},
		{"mapped VIP", "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  vrid = 1\n  virtual_ipaddresses = [«\"::ffff:10.0.0.1\"]\n}\n", "write the IPv4 form"},
		{"IPv6 VIP with v2", "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  vrid = 1\n  version = 2\n  virtual_ipaddresses = [«\"2001:db8::1\"]\n}\n", "virtual IP 2001:db8::1/128 is IPv6, which needs version 3"},
		{"mixed families", instance("  virtual_ipaddress {\n    address = «\"2001:db8::1\"\n  }\n"), "virtual IP 2001:db8::1/128 is ipv6 but the instance is ipv4"},
		{"VIP twice", instance("  virtual_ipaddress {\n    address = «\"10.99.0.100\"\n  }\n"), "virtual IP 10.99.0.100 is listed twice"},
		{"VIP block without address", instance("  «virtual_ipaddress {\n  }\n"), `vrrp_instance "VI_1" virtual_ipaddress: address is required`},
		{"label prefix", instance("  virtual_ipaddress {\n    address = \"10.99.0.101\"\n    label = «\"eth1:vip\"\n  }\n"), `label "eth1:vip" must be "eth0" or start with "eth0:"`},
		{"label on IPv6", "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  vrid = 1\n  virtual_ipaddress {\n    address = \"2001:db8::1\"\n    label = «\"eth0:v6\"\n  }\n}\n", "is not allowed on an IPv6 address"},
		{"label with vmac", instance("  use_vmac = true\n  virtual_ipaddress {\n    address = \"10.99.0.101\"\n    label = «\"eth0:x\"\n  }\n"), "cannot be combined with use_vmac"},
		{"peer family", instance("  unicast_peers = [\"10.99.0.2\", «\"2001:db8::2\"]\n"), "unicast peer 2001:db8::2 is not ipv4 like the virtual IPs"},
		{"peer twice", instance("  unicast_peers = [\"10.99.0.2\", «\"10.99.0.2\"]\n"), "unicast peer 10.99.0.2 is listed twice"},
		{"peer is source", instance("  source_address = \"10.99.0.2\"\n  unicast_peers = [«\"10.99.0.2\"]\n"), "unicast peer 10.99.0.2 is the source_address"},
		{"source family", instance("  source_address = «\"fe80::1\"\n"), "source_address fe80::1 is not ipv4"},
		{"ipvs_follow", instance("  ipvs_follow = «\"sometimes\"\n"), `ipvs_follow "sometimes" is not valid`},
		{"garp refresh", instance("  garp {\n    master_refresh = «\"100ms\"\n  }\n"), `vrrp_instance "VI_1" garp: master_refresh 100ms is shorter than 1s`},
		{"two garp blocks", instance("  garp {}\n  «garp {}\n"), "only one garp block is allowed"},
		{"track unknown script", instance("  track_script {\n    script = «\"chk\"\n  }\n"), `vrrp_instance "VI_1" track_script: no vrrp_script named "chk"`},
		{"track interface twice", instance("  track_interface {\n    name = \"eth1\"\n  }\n  track_interface {\n    name = «\"eth1\"\n  }\n"), `interface "eth1" is tracked twice`},
		{"track weight", instance("  track_interface {\n    name = \"eth1\"\n    weight = «-254\n  }\n"), "weight -254 is outside -253..253"},
		{"notify timeout", instance("  notify {\n    timeout = «\"0s\"\n  }\n"), `vrrp_instance "VI_1" notify: timeout 0s is outside 1ms..1h0m0s`},
		{"sync_id", instance("  sync_daemon {\n    sync_id = «256\n  }\n"), "sync_id 256 is outside 0..255"},
		{"duplicate vrid", instance("") + "vrrp_instance \"VI_2\" {\n  interface = \"eth0\"\n  vrid = «51\n  virtual_ipaddresses = [\"10.99.0.101\"]\n}\n",
			`vrrp_instance "VI_2": vrid 51 is already used on interface "eth0" (ipv4)`},
		{"VIP in two instances", instance("") + "vrrp_instance \"VI_2\" {\n  interface = \"eth1\"\n  vrid = 52\n  virtual_ipaddresses = [«\"10.99.0.100/32\"]\n}\n",
			`vrrp_instance "VI_2": virtual IP 10.99.0.100 belongs to two instances`},
		{"two sync daemons", instance("  sync_daemon {}\n") + "vrrp_instance \"VI_2\" {\n  interface = \"eth1\"\n  vrid = 52\n  virtual_ipaddresses = [\"10.99.0.101\"]\n  «sync_daemon {}\n}\n",
			"only one instance may have a sync_daemon"},
		{"duplicate instance", instance("") + "vrrp_instance «\"VI_1\" {}\n", `vrrp_instance "VI_1" is defined twice`},

		// virtual_server.
		{"address and fwmark", server("  fwmark = «1\n"), "address and fwmark are mutually exclusive"},
		{"neither address nor fwmark", "«virtual_server \"web\" {\n}\n", `virtual_server "web": address or fwmark is required`},
		{"address syntax", "virtual_server \"web\" {\n  address = «\"2001:db8::1:80\"\n}\n", `address "2001:db8::1:80" is not "address:port"`},
		{"port 0 without persistence", "virtual_server \"web\" {\n  address = «\"192.0.2.1:0\"\n}\n", "address 192.0.2.1:0 has port 0"},
		{"family with address", server("  family = «\"ipv6\"\n"), "family is only for fwmark services"},
		{"protocol with fwmark", "virtual_server \"m\" {\n  fwmark = 1\n  protocol = «\"tcp\"\n}\n", "protocol is not allowed with fwmark"},
		{"fwmark range", "virtual_server \"m\" {\n  fwmark = «0\n}\n", "fwmark 0 is outside 1..4294967295"},
		{"protocol", server("  protocol = «\"icmp\"\n"), `virtual_server "web": protocol "icmp" is not valid`},
		{"scheduler", server("  scheduler = «\"random\"\n"), `scheduler "random" is not valid`},
		{"scheduler flag", server("  scheduler = \"sh\"\n  scheduler_flags = [\"sh-port\", «\"mh-port\"]\n"), `scheduler flag "mh-port" needs scheduler "mh", not "sh"`},
		{"forwarding", server("  forwarding = «\"direct\"\n"), `forwarding "direct" is not valid`},
		{"unknown instance", "virtual_server \"web\" {\n  address = \"192.0.2.1:80\"\n  vrrp_instance = «\"VI_9\"\n}\n", `virtual_server "web": no vrrp_instance named "VI_9"`},
		{"address not a VIP", instance("") + "virtual_server \"web\" {\n  address = «\"10.99.0.200:80\"\n  vrrp_instance = \"VI_1\"\n}\n",
			`address 10.99.0.200 is not a virtual IP of vrrp_instance "VI_1"`},
		{"duplicate service", server("") + "virtual_server \"web2\" {\n  address = «\"10.99.0.100:80\"\n  vrrp_instance = \"VI_1\"\n}\n", `virtual_server "web2": the service is defined twice`},
		{"persistence timeout", server("  persistence {\n    timeout = «\"1500ms\"\n  }\n"), "timeout 1.5s is not a whole number of seconds"},
		{"persistence netmask", server("  persistence {\n    netmask = «33\n  }\n"), "netmask 33 is outside 0..32"},
		{"DR port", server("  real_server «\"10.99.0.11:8080\" {}\n"), `real_server "10.99.0.11:8080" has port 8080 but the service port is 80; forwarding "dr" cannot change ports`},
		{"TUN port", server("  forwarding = \"tun\"\n  real_server «\"10.99.0.11:8080\" {}\n"), `forwarding "tun" cannot change ports`},
		{"DR family", server("  real_server «\"[2001:db8::11]:80\" {}\n"), "is not ipv4 like the service"},
		{"real server twice", server("  real_server \"10.99.0.11:80\" {}\n  real_server «\"10.99.0.11:80\" {}\n"), `real_server 10.99.0.11:80 is listed twice`},
		{"real server label", server("  real_server «\"10.99.0.11\" {}\n"), `real_server "10.99.0.11" is not "address:port"`},
		{"weight", server("  real_server \"10.99.0.11:80\" {\n    weight = «70000\n  }\n"), `virtual_server "web" real_server "10.99.0.11:80": weight 70000 is outside 0..65535`},
		{"lower threshold alone", server("  real_server \"10.99.0.11:80\" {\n    lower_threshold = «5\n  }\n"), "lower_threshold needs upper_threshold"},
		{"lower above upper", server("  real_server \"10.99.0.11:80\" {\n    upper_threshold = 5\n    lower_threshold = «6\n  }\n"), "lower_threshold 6 is above upper_threshold 5"},
		{"quorum", server("  quorum = «2\n  real_server \"10.99.0.11:80\" {}\n"), "quorum 2 is outside 0..1"},
		{"sorry server port", server("  sorry_server = «\"10.99.0.50:81\"\n"), `sorry_server "10.99.0.50:81" has port 81`},
		{"on_failure", server("  on_failure = «\"drop\"\n"), `on_failure "drop" is not valid`},
		{"vs check_defaults", server("  check_defaults {\n    interval = «\"500ms\"\n  }\n"), `virtual_server "web" check_defaults: timeout 1s is longer than the interval 500ms`},

		// checks.
		{"check type", server("  real_server \"10.99.0.11:80\" {\n    check «\"icmp\" {}\n  }\n"), `check type "icmp" is not known`},
		{"tcp check attribute", server("  real_server \"10.99.0.11:80\" {\n    check \"tcp\" {\n      «path = \"/\"\n    }\n  }\n"),
			`virtual_server "web" real_server "10.99.0.11:80" check "tcp": Unsupported argument`},
		{"check timing", server("  real_server \"10.99.0.11:80\" {\n    check \"tcp\" {\n      interval = \"1s\"\n      timeout = «\"2s\"\n    }\n  }\n"),
			`check "tcp": timeout 2s is longer than the interval 1s`},
		{"inherited timing", server("  check_defaults {\n    timeout = \"2s\"\n    interval = \"2s\"\n  }\n  real_server \"10.99.0.11:80\" {\n    check \"tcp\" {\n      interval = «\"1s\"\n    }\n  }\n"),
			"timeout 2s is longer than the interval 1s"},
		{"bad defaults reported once", server("  check_defaults {\n    interval = «\"500ms\"\n  }\n  real_server \"10.99.0.11:80\" {\n    check \"tcp\" {}\n    check \"http\" {}\n  }\n"),
			"timeout 1s is longer than the interval 500ms"},
		{"check rise", server("  real_server \"10.99.0.11:80\" {\n    check \"tcp\" {\n      rise = «0\n    }\n  }\n"), "rise 0 is outside 1..1000"},
		{"check port", server("  real_server \"10.99.0.11:80\" {\n    check \"tcp\" {\n      port = «65536\n    }\n  }\n"), "port 65536 is outside 0..65535"},
		{"via_vip with nat", server("  forwarding = \"nat\"\n  real_server \"10.99.0.11:80\" {\n    check \"tcp\" {\n      via_vip = «true\n    }\n  }\n"), `via_vip is not possible with forwarding "nat"`},
		{"via_vip with script", server("  real_server \"10.99.0.11:80\" {\n    check \"script\" {\n      command = [\"/bin/true\"]\n      via_vip = «true\n    }\n  }\n"), "via_vip is not possible with a script check"},
		{"via_vip on IPv6", "virtual_server \"v6\" {\n  address = \"[2001:db8::100]:80\"\n  real_server \"[2001:db8::11]:80\" {\n    check \"tcp\" {\n      via_vip = «true\n    }\n  }\n}\n",
			"via_vip is not supported for IPv6 virtual servers yet"},
		{"half_open with via_vip", server("  real_server \"10.99.0.11:80\" {\n    check \"tcp\" {\n      via_vip = true\n      half_open = «true\n    }\n  }\n"), "half_open is not possible with via_vip"},
		{"half_open on IPv6", "virtual_server \"v6\" {\n  address = \"[2001:db8::100]:80\"\n  real_server \"[2001:db8::11]:80\" {\n    check \"tcp\" {\n      half_open = «true\n    }\n  }\n}\n",
			"half_open is not supported for IPv6 real servers yet"},
		{"half_open on http", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      «half_open = true\n    }\n  }\n"), `check "http": Unsupported argument`},
		{"fwmark reserved for via_vip", "virtual_server \"m\" {\n  fwmark = «1986461697\n}\n", "fwmark 1986461697 is reserved"},
		{"http status", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      status = [\"200\", «\"600\"]\n    }\n  }\n"), `status "600" is outside 100..599`},
		{"http status range", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      status = [«\"299-200\"]\n    }\n  }\n"), `status "299-200" is an empty range`},
		{"http path", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      path = «\"healthz\"\n    }\n  }\n"), `path "healthz" does not start with "/"`},
		{"http regex", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      body_regex = «\"(\"\n    }\n  }\n"), `body_regex "(" is not a valid regular expression`},
		{"http sha", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      body_sha256 = «\"abc\"\n    }\n  }\n"), "body_sha256 is not 64 hexadecimal digits"},
		{"http verify without tls", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      verify = «true\n    }\n  }\n"), "verify needs tls = true"},
		{"http max_weight", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      max_weight = «10\n    }\n  }\n"), "max_weight needs weight_header or weight_field"},
		{"http weight both", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      weight_header = \"X-W\"\n      weight_field = «\"w\"\n    }\n  }\n"), "weight_header and weight_field are mutually exclusive"},
		{"http headers", server("  real_server \"10.99.0.11:80\" {\n    check \"http\" {\n      headers = «[\"a\"]\n    }\n  }\n"), "headers must be a map of strings"},
		{"script check command", server("  real_server \"10.99.0.11:80\" {\n    «check \"script\" {\n    }\n  }\n"), `check "script": command is required`},
		{"udp hex", server("  real_server \"10.99.0.11:80\" {\n    check \"udp\" {\n      payload_hex = «\"zz\"\n    }\n  }\n"), "payload_hex is not hexadecimal"},
		{"udp both", server("  real_server \"10.99.0.11:80\" {\n    check \"udp\" {\n      expect = \"a\"\n      expect_hex = «\"61\"\n    }\n  }\n"), "expect and expect_hex are mutually exclusive"},
		{"dns type", server("  real_server \"10.99.0.11:80\" {\n    check \"dns\" {\n      name = \"example.com\"\n      type = «\"ANY\"\n    }\n  }\n"), `type "ANY" is not supported`},
		{"dns name", server("  real_server \"10.99.0.11:80\" {\n    «check \"dns\" {\n    }\n  }\n"), `check "dns": name is required`},

		// realserver blocks live in a real server's own file.
		{"realserver here", "«realserver {\n  vips = [\"10.0.0.1\"]\n}\n", "Unsupported block type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, line, col := markerPos(t, tc.src)
			cfg, diags := Parse([]byte(src), "t.hcl")
			if cfg != nil {
				t.Errorf("got a Config despite errors")
			}
			errs := onlyErrors(diags)
			if len(errs) != 1 {
				t.Fatalf("want exactly one error, got %d:\n%s", len(errs), render(src, diags))
			}
			d := errs[0]
			msg := d.Summary + "; " + d.Detail
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not contain %q", msg, tc.want)
			}
			if d.Subject == nil {
				t.Fatalf("no subject: %s", msg)
			}
			if d.Subject.Filename != "t.hcl" || d.Subject.Start.Line != line || d.Subject.Start.Column != col {
				t.Errorf("error at %s, want t.hcl:%d,%d\n%s", d.Subject, line, col, render(src, diags))
			}
		})
	}
}

func onlyErrors(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}

// render prints diagnostics with their source for failure messages.
func render(src string, diags hcl.Diagnostics) string {
	var b strings.Builder
	_ = WriteDiagnostics(&b, map[string][]byte{"t.hcl": []byte(src)}, diags, 0, false)
	return b.String()
}
