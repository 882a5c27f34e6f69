package realserver

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Port
		err  string
	}{
		{in: "80", want: Port{Proto: "tcp", Port: 80}},
		{in: "tcp/443", want: Port{Proto: "tcp", Port: 443}},
		{in: "UDP/53", want: Port{Proto: "udp", Port: 53}},
		{in: "tcp/80:8080", want: Port{Proto: "tcp", Port: 80, ToPort: 8080}},
		{in: "tcp/80:80", want: Port{Proto: "tcp", Port: 80}},
		{in: "sctp/80", err: "tcp or udp"},
		{in: "tcp/0", err: "1 to 65535"},
		{in: "tcp/65536", err: "1 to 65535"},
		{in: "tcp/80:", err: "1 to 65535"},
		{in: "", err: "1 to 65535"},
	} {
		got, err := ParsePort(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParsePort(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePort(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if again, err := ParsePort(got.String()); err != nil || again != got {
			t.Errorf("ParsePort(%q.String()=%q) = %v, %v", tc.in, got.String(), again, err)
		}
	}
}

func TestValidate(t *testing.T) {
	vip := netip.MustParseAddr("192.0.2.10")
	ok := Config{VIPs: []netip.Addr{vip}, Interface: "eth0"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no VIP", func(c *Config) { c.VIPs = nil }, "no VIP"},
		{"IPv6", func(c *Config) { c.VIPs = []netip.Addr{netip.MustParseAddr("2001:db8::1")} }, "only IPv4"},
		{"loopback", func(c *Config) { c.VIPs = []netip.Addr{netip.MustParseAddr("127.0.0.2")} }, "not a unicast"},
		{"duplicate", func(c *Config) { c.VIPs = []netip.Addr{vip, vip} }, "given twice"},
		{"method", func(c *Config) { c.Method = "magic" }, `method "magic"`},
		{"no interface", func(c *Config) { c.Interface = "" }, "no interface"},
		{"bad interface", func(c *Config) { c.Interface = `eth0"; flush ruleset` }, "not a valid interface name"},
		{"real IP is VIP", func(c *Config) { c.RealIP = vip }, "not a VIP"},
		{"label prefix", func(c *Config) { c.Label = "eth0:vip" }, `begin with the device name "lo"`},
		{"label length", func(c *Config) { c.Label = "lo:a-very-long-label" }, "at most 15"},
		{"redirect ports", func(c *Config) { c.Method = MethodRedirect }, "needs at least one port"},
		{"to-port elsewhere", func(c *Config) { c.Ports = []Port{{Proto: "tcp", Port: 80, ToPort: 81}} }, "only makes sense with method redirect"},
		{"nft file for sysctl", func(c *Config) { c.NftFile = "/etc/x.nft" }, "no nftables ruleset"},
		{"sysctl file for nftables", func(c *Config) { c.Method = MethodNftables; c.SysctlFile = "/etc/x.conf" }, "sets no sysctls"},
	} {
		c := ok
		c.VIPs = append([]netip.Addr(nil), ok.VIPs...)
		tc.mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalid with %q", tc.name, err, tc.want)
		}
	}
}

func TestVIPDeviceAndLabel(t *testing.T) {
	for _, tc := range []struct {
		cfg       Config
		dev, want string
	}{
		{Config{Interface: "eth0"}, "lo", "lo:vip"},
		{Config{Interface: "eth0", Method: MethodNftables}, "eth0", "eth0:vip"},
		{Config{Interface: "enp0s31f6abcde", Method: MethodArptables}, "enp0s31f6abcde", ""}, // label would exceed 15
		{Config{Interface: "eth0", Method: MethodTunnel}, DefaultTunnelDevice, DefaultTunnelDevice + ":vip"},
		{Config{Interface: "eth0", Method: MethodRedirect}, "", ""},
		{Config{Interface: "eth0", Label: "lo:web"}, "lo", "lo:web"},
	} {
		c := tc.cfg.WithDefaults()
		if c.VIPDevice() != tc.dev || c.VIPLabel() != tc.want {
			t.Errorf("%+v: device %q label %q, want %q %q", tc.cfg, c.VIPDevice(), c.VIPLabel(), tc.dev, tc.want)
		}
	}
}

func TestConfigEqual(t *testing.T) {
	a := Config{VIPs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Interface: "eth0"}
	b := a
	b.Method = MethodSysctl // the default, spelled out
	if !a.Equal(b) {
		t.Error("default method not equal to explicit sysctl")
	}
	b.Interface = "eth1"
	if a.Equal(b) {
		t.Error("different interfaces compare equal")
	}
}

func TestDisplayKey(t *testing.T) {
	for in, want := range map[string]string{
		"net/ipv4/conf/all/arp_ignore":      "net.ipv4.conf.all.arp_ignore",
		"net/ipv4/conf/eth0.100/arp_ignore": "net.ipv4.conf.eth0/100.arp_ignore",
	} {
		if got := DisplayKey(in); got != want {
			t.Errorf("DisplayKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCapabilityIn(t *testing.T) {
	status := "Name:\tvigil\nCapInh:\t0000000000000000\nCapEff:\t0000000000001000\n"
	if ok, err := capabilityIn(status, capNetAdmin); !ok || err != nil {
		t.Errorf("CAP_NET_ADMIN (bit 12) not found: %v %v", ok, err)
	}
	if ok, err := capabilityIn(status, 13); ok || err != nil {
		t.Errorf("bit 13 reported set: %v %v", ok, err)
	}
	if _, err := capabilityIn("Name:\tx\n", 12); err == nil {
		t.Error("no CapEff line accepted")
	}
}

func TestProcSysRejectsEscapingKeys(t *testing.T) {
	p := ProcSys{Root: t.TempDir()}
	for _, k := range []string{"", "/etc/passwd", "net/../../etc/passwd"} {
		if _, err := p.Get(k); err == nil || !strings.Contains(err.Error(), "not a relative path") {
			t.Errorf("Get(%q): %v", k, err)
		}
	}
}

func TestInvalidListsEveryProblem(t *testing.T) {
	err := Config{Method: "x"}.Validate()
	want := "invalid realserver configuration:\n  - method \"x\": want one of sysctl, arptables, nftables, tunnel, redirect\n  - no VIP given\n  - no interface given"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %q, want it to begin with %q", err, want)
	}
	if one := (Config{Interface: "eth0"}).Validate(); one == nil || one.Error() != "invalid realserver configuration: no VIP given" {
		t.Errorf("single problem: %q", one)
	}
}
