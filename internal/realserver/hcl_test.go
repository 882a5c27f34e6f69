package realserver

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
)

func TestParseHCL(t *testing.T) {
	src := []byte(`
# other blocks of a vigil configuration are ignored
vrrp_instance "web" {
  interface = "eth0"
}

realserver {
  vips             = ["192.0.2.10", "192.0.2.11"]
  interface        = "eth1"
  method           = "redirect"
  ports            = ["tcp/80:8080"]
  redirect_backend = "iptables"
  real_ip          = "10.0.0.5"
  state_file       = "/var/lib/vigil/realserver.json"
}
`)
	fc, err := ParseHCL(src, "vigil.hcl")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		VIPs: []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("192.0.2.11")}, Interface: "eth1",
		Method: MethodRedirect, Ports: []Port{{Proto: "tcp", Port: 80, ToPort: 8080}}, RedirectBackend: BackendIptables,
		RealIP: netip.MustParseAddr("10.0.0.5"),
	}
	if !fc.Config.Equal(want) || fc.StateFile != "/var/lib/vigil/realserver.json" {
		t.Errorf("parsed %+v", fc)
	}
}

func TestParseHCLPersist(t *testing.T) {
	fc, err := ParseHCL([]byte("realserver {\n vips = [\"192.0.2.10\"]\n interface = \"eth0\"\n persist = true\n}\n"), "x.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if fc.SysctlFile != DefaultSysctlFile || fc.NftFile != "" {
		t.Errorf("persist with sysctl: %q %q", fc.SysctlFile, fc.NftFile)
	}
}

func TestParseHCLErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`realserver {`, "Unclosed"},
		{`other {}`, "no realserver"},
		{"realserver {\n vips = [\"192.0.2.1\"]\n}\nrealserver {\n vips = [\"192.0.2.2\"]\n}\n", "more than one"},
		{`realserver { interface = "eth0" }`, `"vips" is required`},
		{"realserver {\n vips = [\"nope\"]\n}\n", `"nope" is not an IP address`},
		{"realserver {\n vips = [\"192.0.2.1\"]\n ports = [\"tcp/0\"]\n}\n", "1 to 65535"},
		{"realserver {\n vips = [\"192.0.2.1\"]\n colour = \"red\"\n}\n", "Unsupported argument"},
	} {
		_, err := ParseHCL([]byte(tc.src), "t.hcl")
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src, err, tc.want)
		}
	}
}

// TestExampleConfig keeps the shipped example parseable and valid.
func TestExampleConfig(t *testing.T) {
	src, err := os.ReadFile("../../examples/realserver/realserver.hcl")
	if err != nil {
		t.Fatal(err)
	}
	fc, err := ParseHCL(src, "realserver.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := fc.Config.Validate(); err != nil {
		t.Errorf("example does not validate: %v", err)
	}
}
