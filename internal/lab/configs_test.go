package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// paperLab is a lab laid out but not built.
func paperLab(t *testing.T, ipvs bool) *Lab {
	t.Helper()
	o, err := Options{Prefix: "vgx", StateDir: t.TempDir(), Vigil: "/usr/bin/vigil", Self: []string{"/usr/bin/vigil", "lab"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	return newLab(o, ipvs)
}

func TestLayout(t *testing.T) {
	l := paperLab(t, false)
	want := map[string]string{D1: "10.77.0.1", D2: "10.77.0.2", RS1: "10.77.0.11", RS2: "10.77.0.12", Client: "10.77.0.50"}
	for name, addr := range want {
		h := l.Host(name)
		if h == nil || h.Addr.String() != addr || h.NS != "vgx-"+name {
			t.Errorf("%s: %+v, want address %s in namespace vgx-%s", name, h, addr, name)
		}
	}
	if l.VIP.String() != "10.77.0.100" {
		t.Errorf("VIP %s", l.VIP)
	}
	if l.MustHost(D1).Priority != 150 || l.MustHost(D2).Priority != 100 {
		t.Error("priorities are not 150 and 100")
	}
	if len(l.Directors()) != 2 || len(l.RealServers()) != 2 || l.Host("nope") != nil {
		t.Error("roles wrong")
	}
	for _, h := range l.Hosts {
		if len(l.Prefix+h.Name) > 15 {
			t.Errorf("bridge-side interface %s%s too long", l.Prefix, h.Name)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{Prefix: "toolong1"}, {Prefix: "1abc"}, {Prefix: "a-b"},
		{Prefix: "ok", Interval: 15 * time.Millisecond}, {Prefix: "ok", Interval: 5 * time.Millisecond},
	} {
		o.Vigil, o.Self = "/x", []string{"/x", "lab"}
		if _, err := o.withDefaults(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	o, err := Options{Vigil: "/x", Self: []string{"/x", "lab"}}.withDefaults()
	if err != nil || o.Prefix != "vgl" || o.StateDir != "/run/vigil/lab/vgl" || o.Interval != 10*time.Millisecond {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
}

func TestVigilConfigIsValid(t *testing.T) {
	for _, ipvs := range []bool{false, true} {
		l := paperLab(t, ipvs)
		for _, d := range l.Directors() {
			src := l.VigilConfig(d, 100*time.Millisecond)
			cfg, diags := config.Parse([]byte(src), d.Name+".hcl")
			if diags.HasErrors() {
				t.Fatalf("ipvs=%v %s: %v\n%s", ipvs, d.Name, diags, src)
			}
			if len(cfg.Instances) != 1 {
				t.Fatalf("%d instances", len(cfg.Instances))
			}
			in := cfg.Instances[0]
			if int(in.Priority) != d.Priority || in.AdvertInterval != 100*time.Millisecond || in.VRID != VRID || in.Interface != "eth0" {
				t.Errorf("%s: instance %+v", d.Name, in)
			}
			if len(in.VIPs) != 1 || in.VIPs[0].Prefix.Addr() != l.VIP {
				t.Errorf("%s: VIPs %+v, want %s", d.Name, in.VIPs, l.VIP)
			}
			if cfg.Global.ControlSocket != l.Path(d.Name+".ctl") || cfg.Global.Realtime.SchedPriority == 0 {
				t.Errorf("%s: global %+v: want a control socket in the state directory and real-time scheduling", d.Name, cfg.Global)
			}
			wantVS := 0
			if ipvs {
				wantVS = 1
			}
			if len(cfg.VirtualServers) != wantVS {
				t.Fatalf("ipvs=%v: %d virtual servers, want %d", ipvs, len(cfg.VirtualServers), wantVS)
			}
			if ipvs {
				vs := cfg.VirtualServers[0]
				if len(vs.RealServers) != 2 || vs.Scheduler != "rr" {
					t.Errorf("virtual server %+v", vs)
				}
				for _, rs := range vs.RealServers {
					if len(rs.Checks) != 1 || rs.Checks[0].Type != config.CheckHTTP || rs.Checks[0].Timing.Interval != LabChecks.Interval {
						t.Errorf("real server checks %+v", rs.Checks)
					}
				}
			}
		}
	}
}

func TestKeepalivedConfigMatchesTheVigilOne(t *testing.T) {
	l := paperLab(t, true)
	src := l.KeepalivedConfig(l.MustHost(D2), 10*time.Millisecond)
	for _, want := range []string{"virtual_router_id 77", "priority 100", "advert_int 0.01", "10.77.0.100/24 dev eth0",
		"vrrp_version 3", "virtual_server 10.77.0.100 80", "lb_kind DR", "lb_algo rr", "real_server 10.77.0.11 80", "real_server 10.77.0.12 80", "path /healthz"} {
		if !strings.Contains(src, want) {
			t.Errorf("keepalived config lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(paperLab(t, false).KeepalivedConfig(l.MustHost(D2), time.Second), "virtual_server") {
		t.Error("a lab without IPVS got a keepalived virtual_server")
	}
	if s := keepalivedSeconds(1500 * time.Millisecond); s != "1.5" {
		t.Errorf("keepalivedSeconds(1.5s) = %q", s)
	}
}

func TestKeepalivedAcceptsTheConfig(t *testing.T) {
	testenv.NeedCommand(t, "keepalived")
	for _, ipvs := range []bool{false, true} {
		l := paperLab(t, ipvs)
		p := filepath.Join(t.TempDir(), "k.conf")
		if err := os.WriteFile(p, []byte(l.KeepalivedConfig(l.MustHost(D1), 10*time.Millisecond)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("keepalived", "--config-test", "--use-file", p).CombinedOutput()
		if err != nil {
			t.Errorf("ipvs=%v: keepalived --config-test: %v\n%s", ipvs, err, out)
		}
	}
}

func TestDirectorArgv(t *testing.T) {
	l := paperLab(t, false)
	argv, err := l.DirectorArgv(D1, ImplVigil)
	if err != nil || strings.Join(argv, " ") != "/usr/bin/vigil run -config "+l.Path("d1.hcl") {
		t.Errorf("vigil argv %v, %v", argv, err)
	}
	argv, err = l.DirectorArgv(D2, ImplKeepalived)
	if err != nil || argv[0] != "keepalived" || argv[len(argv)-1] != "--vrrp" || !strings.Contains(strings.Join(argv, " "), "--use-file "+l.Path("d2.keepalived.conf")) {
		t.Errorf("keepalived argv %v, %v", argv, err)
	}
	if _, err := l.DirectorArgv(RS1, ImplVigil); err == nil {
		t.Error("a real server accepted as a director")
	}
	if _, err := ParseImpl("bird"); err == nil {
		t.Error("ParseImpl accepted bird")
	}
}
