package realserver

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsApply(t *testing.T) {
	var out strings.Builder
	o, err := ParseFlags([]string{"apply", "-vip", "192.0.2.10,192.0.2.11", "--vip", "192.0.2.12",
		"-interface", "eth0", "-method", "nftables", "-port", "tcp/80", "-port", "udp/53", "-persist"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if o.Action != ActionApply || len(o.Config.VIPs) != 3 || o.Config.VIPs[2] != netip.MustParseAddr("192.0.2.12") ||
		o.Config.Interface != "eth0" || o.Config.Method != MethodNftables || len(o.Config.Ports) != 2 {
		t.Errorf("parsed %+v", o)
	}
	if o.Config.NftFile != DefaultNftFile || o.Config.SysctlFile != "" {
		t.Errorf("-persist with nftables: nft %q sysctl %q", o.Config.NftFile, o.Config.SysctlFile)
	}
	if o.StatePath != DefaultStatePath || !o.FromFlags {
		t.Errorf("state %q fromFlags %v", o.StatePath, o.FromFlags)
	}
}

func TestParseFlagsHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"apply", "-h"}, {"probe", "--help"}} {
		var out strings.Builder
		_, err := ParseFlags(args, &out)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "arp_announce=2") {
			t.Errorf("%v: %v, help:\n%s", args, err, out.String())
		}
	}
	var out strings.Builder
	ParseFlags([]string{"apply", "-h"}, &out)
	for _, want := range []string{"-vip address", "-interface interface", "-method", "-persist", "-state file"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("apply help lacks %q", want)
		}
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "name an action"},
		{[]string{"frobnicate"}, "unknown action"},
		{[]string{"apply", "-vip", "not-an-ip"}, `-vip "not-an-ip"`},
		{[]string{"apply", "-port", "tcp/99999"}, "1 to 65535"},
		{[]string{"apply", "extra"}, "unexpected argument"},
		{[]string{"apply", "-nosuchflag"}, "not defined"},
		{[]string{"probe", "-vip", "192.0.2.1"}, "needs -interface"},
		{[]string{"probe", "-interface", "eth0", "-vip", "192.0.2.1", "-allow", "zz"}, "not a MAC"},
		{[]string{"remove", "-vip", "192.0.2.1"}, "remove takes only -state"},
	} {
		_, err := ParseFlags(tc.args, &strings.Builder{})
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want usage error with %q", tc.args, err, tc.want)
		}
	}
}

func TestParseFlagsProbe(t *testing.T) {
	o, err := ParseFlags([]string{"probe", "-interface", "eth1", "-vip", "192.0.2.10", "-timeout", "750ms", "-allow", "00:00:5e:00:01:0a"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Config.Interface != "eth1" || o.ProbeTimeout != 750*time.Millisecond || len(o.Allowed) != 1 || o.Allowed[0].String() != "00:00:5e:00:01:0a" {
		t.Errorf("parsed %+v", o)
	}
}

func TestParseFlagsConfigFileAndOverride(t *testing.T) {
	file := filepath.Join(t.TempDir(), "vigil.hcl")
	os.WriteFile(file, []byte(`
realserver {
  vips      = ["192.0.2.10"]
  interface = "eth0"
  method    = "arptables"
  state_file = "/var/lib/vigil/rs.json"
}
`), 0o644)
	o, err := ParseFlags([]string{"apply", "-config", file, "-interface", "eth1"}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Config.Interface != "eth1" || o.Config.Method != MethodArptables || o.StatePath != "/var/lib/vigil/rs.json" {
		t.Errorf("merged %+v state %q", o.Config, o.StatePath)
	}
	o, err = ParseFlags([]string{"apply", "-config", file, "-state", "/tmp/x.json"}, &strings.Builder{})
	if err != nil || o.StatePath != "/tmp/x.json" {
		t.Errorf("-state does not override the file: %q %v", o.StatePath, err)
	}
	if _, err := ParseFlags([]string{"apply", "-config", file + ".missing"}, &strings.Builder{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing config file: %v", err)
	}
}
