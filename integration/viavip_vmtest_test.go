//go:build vmtest

package integration

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// viaVIPConf is a pair member whose HTTP checks reach each real server at
// the VIP (via_vip) rather than at its own address.
func (l *drLab) viaVIPConf(priority int) string {
	rs := ""
	for _, h := range l.rs {
		rs += fmt.Sprintf(`  real_server "%s:80" {
    check "http" {
      interval = "600ms"
      timeout = "500ms"
      fall = 3
      rise = 2
      via_vip = true
    }
  }
`, h.Addr.Addr())
	}
	return l.webConf(priority, rs)
}

// webConf is a pair member with one virtual server, "web" at VIP:80,
// whose real_server blocks are rs.
func (l *drLab) webConf(priority int, rs string) string {
	return l.instance(priority, "100ms") + fmt.Sprintf(`
virtual_server "web" {
  address = "%s:80"
  scheduler = "rr"
  vrrp_instance = "VI_1"
%s}
`, l.vip, rs)
}

func sysctlIn(t *testing.T, l *drLab, key string) string {
	out, err := l.d1.Output("sysctl", "-n", key)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// A real server that serves on its own address but has not taken the VIP
// (here: `vigil realserver remove` on rs2) passes an ordinary check and
// drops every client request DR sends it. A via_vip check catches it, on
// the master (which holds the VIP: the replies come from one of its own
// addresses) and on the backup alike, and lets it back in once the VIP is
// configured.
func TestVMViaVIPChecksCatchARealServerWithoutTheVIP(t *testing.T) {
	l := newDRLab(t, "vgx1", 243)
	if out, err := l.rs[1].Output(vigilBin, "realserver", "remove", "-state", l.dir+"/rs2.json"); err != nil {
		t.Fatalf("realserver remove on rs2: %v\n%s", err, out)
	}
	// rs2 still answers at its own address: only the VIP path is broken.
	l.waitFor("rs2 serving at its own address", 10*time.Second, func() bool {
		body, err := l.getAt(t, l.rs[1].Addr.Addr())
		return err == nil && body == "rs2"
	})
	// Strict reverse-path filtering, as many distributions set it.
	for _, k := range []string{"net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.eth0.rp_filter=1"} {
		if out, err := l.d1.Output("sysctl", "-w", k); err != nil {
			t.Fatalf("%s: %v %s", k, err, out)
		}
	}
	if v := sysctlIn(t, l, "net.ipv4.conf.eth0.accept_local"); v != "0" {
		t.Fatalf("accept_local on d1 is %s before vigil runs, want the default 0", v)
	}

	a := l.startVigil(l.d1, l.viaVIPConf(150))
	l.waitFor("VIP on d1", 5*time.Second, func() bool { return l.hasVIP(l.d1) })
	b := l.startVigil(l.d2, l.viaVIPConf(100))
	rs1, rs2 := l.rs[0].Addr.Addr().String()+":80", l.rs[1].Addr.Addr().String()+":80"
	l.waitFor("rs2 inhibited on the master", 10*time.Second, func() bool { return weightOf(t, l.d1, rs2) == 0 })
	l.waitFor("rs2 down on the backup", 10*time.Second, func() bool {
		return len(b.logLines(`msg="real server down"`)) > 0
	})
	// rs1 is healthy through the VIP on both: it stays in, and no check of
	// it ever failed (checks start healthy).
	l.hold("rs1 in service through the VIP", 2*time.Second, func() bool { return weightOf(t, l.d1, rs1) == 1 })
	for _, d := range []*daemon{a, b} {
		for _, line := range d.logLines(`msg="real server down"`) {
			if !strings.Contains(line, "real_server="+rs2) {
				t.Fatalf("a real server other than rs2 went down: %s", line)
			}
		}
	}
	for _, d := range []*daemon{a, b} {
		t.Logf("failed checks of rs1 (emulated CPU, 500ms timeout): %d", len(d.logLines(`msg="check failed" component=healthcheck virtual_server=web real_server=`+rs1+" ")))
	}
	if v := sysctlIn(t, l, "net.ipv4.conf.eth0.accept_local"); v != "1" {
		t.Fatalf("accept_local on the master's eth0 is %s while via_vip checks run, want 1", v)
	}
	// The probe services: one firewall-mark service per real server, each
	// forwarding to that server alone, on the backup too.
	tab, err := l.d2.Output("ipvsadm", "-Ln")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tab, "FWM  1986461696") || !strings.Contains(tab, "FWM  1986461697") || !strings.Contains(tab, l.rs[0].Addr.Addr().String()+":0") {
		t.Fatalf("the backup's table has no probe service per real server:\n%s", tab)
	}
	// Every client request now lands on rs1.
	for i := 0; i < 4; i++ {
		if body, err := l.get(t); err != nil || body != "rs1" {
			t.Fatalf("request %d: %q %v", i, body, err)
		}
	}

	// rs2 takes the VIP: it comes back after `rise` good checks.
	if out, err := l.rs[1].Output(vigilBin, "realserver", "apply", "-vip", l.vip.String(), "-interface", "eth0",
		"-state", l.dir+"/rs2.json"); err != nil {
		t.Fatalf("realserver apply on rs2: %v\n%s", err, out)
	}
	l.waitFor("rs2 back with weight 1", 10*time.Second, func() bool { return weightOf(t, l.d1, rs2) == 1 })

	// A clean stop puts accept_local back.
	a.signal(syscall.SIGTERM)
	if code := a.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("vigil on d1 exited %d", code)
	}
	if v := sysctlIn(t, l, "net.ipv4.conf.eth0.accept_local"); v != "0" {
		t.Fatalf("accept_local on d1 is %s after vigil stopped, want 0 again", v)
	}
}
