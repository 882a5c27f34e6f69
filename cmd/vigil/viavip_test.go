package main

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/vigil-ha/vigil/internal/config"
)

type fakeMarks map[netip.Addr]uint32

func (f fakeMarks) ProbeMark(addr netip.Addr, _ string) (uint32, bool) {
	m, ok := f[addr]
	return m, ok
}

func TestViaVIPChecksProbeTheVIPWithTheServersMark(t *testing.T) {
	src := `vrrp_instance "VI_1" {
  interface = "lan0"
  vrid = 51
  virtual_ipaddresses = ["10.99.0.100/24"]
}
virtual_server "web" {
  address = "10.99.0.100:80"
  vrrp_instance = "VI_1"
  real_server "10.99.0.11:80" {
    check "http" {
      via_vip = true
    }
    check "tcp" {
      via_vip = true
      port = 8080
    }
    check "tcp" {}
  }
}
`
	cfg, diags := config.Parse([]byte(src), "via.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	vss, _, err := healthTargets(cfg, fakeMarks{netip.MustParseAddr("10.99.0.11"): 0x76670003})
	if err != nil {
		t.Fatal(err)
	}
	checks := vss[0].RealServers[0].Checks
	want := []struct {
		addr string
		mark uint32
	}{{"10.99.0.100:80", 0x76670003}, {"10.99.0.100:8080", 0x76670003}, {"invalid AddrPort", 0}}
	for i, w := range want {
		d := checks[i].Dialer
		if d.Addr.String() != w.addr || d.Mark != w.mark {
			t.Errorf("check %d dials %v with mark %#x, want %s mark %#x", i+1, d.Addr, d.Mark, w.addr, w.mark)
		}
	}
	if _, _, err := healthTargets(cfg, fakeMarks{}); err == nil {
		t.Error("a via_vip check without a probe service was accepted: it would probe nothing")
	}
}

func TestAcceptLocalIsSwitchedOnOnceAndRestored(t *testing.T) {
	sysctl := map[string]string{acceptLocalPath("lan0"): "0", acceptLocalPath("lan1"): "1"}
	writes := 0
	a := &acceptLocal{log: slog.New(slog.NewTextHandler(io.Discard, nil)), prev: map[string]string{},
		routeDev: func(addr netip.Addr) (string, error) {
			if addr.As4()[2] == 1 {
				return "lan1", nil
			}
			return "lan0", nil
		},
		read:  func(p string) (string, error) { return sysctl[p], nil },
		write: func(p, v string) error { writes++; sysctl[p] = v; return nil },
	}
	rs := []netip.Addr{netip.MustParseAddr("10.99.0.11"), netip.MustParseAddr("10.99.0.12"), netip.MustParseAddr("10.99.1.11")}
	for range 2 { // a reload ensures again: no second write
		if err := a.ensure(rs); err != nil {
			t.Fatal(err)
		}
	}
	if sysctl[acceptLocalPath("lan0")] != "1" || writes != 1 {
		t.Fatalf("lan0 accept_local=%s after %d writes, want 1 after one write", sysctl[acceptLocalPath("lan0")], writes)
	}
	a.restore()
	if sysctl[acceptLocalPath("lan0")] != "0" || sysctl[acceptLocalPath("lan1")] != "1" {
		t.Fatalf("after restore: %v (lan0 back to 0, lan1 untouched at 1)", sysctl)
	}
	a.restore()
	if writes != 2 {
		t.Fatalf("%d writes, want 2 (set and restore once)", writes)
	}
}
