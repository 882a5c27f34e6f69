//go:build vmtest

package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Half-open TCP checks against real servers behind real IPVS: a server
// whose listener is gone is answered with a reset and inhibited (weight 0)
// in the kernel table after `fall` checks; once it listens again it is
// back after `rise`. The healthy server answers every SYN with a SYN-ACK
// and never leaves.
func TestVMHalfOpenChecksMoveKernelWeights(t *testing.T) {
	l := newDRLab(t, "vgk1", 244)
	rs := ""
	for _, h := range l.rs {
		rs += fmt.Sprintf(`  real_server "%s:80" {
    check "tcp" {
      half_open = true
      interval = "300ms"
      timeout = "250ms"
      fall = 2
      rise = 2
    }
  }
`, h.Addr.Addr())
	}
	d := l.startVigil(l.d1, l.webConf(150, rs))
	l.waitFor("VIP on d1", 5*time.Second, func() bool { return l.hasVIP(l.d1) })
	rs1, rs2 := l.rs[0].Addr.Addr().String()+":80", l.rs[1].Addr.Addr().String()+":80"
	l.waitFor("both real servers in the table", 10*time.Second, func() bool {
		return weightOf(t, l.d1, rs1) == 1 && weightOf(t, l.d1, rs2) == 1
	})
	l.hold("both in service on SYN-ACKs", 2*time.Second, func() bool {
		return weightOf(t, l.d1, rs1) == 1 && weightOf(t, l.d1, rs2) == 1
	})

	// rs2's server process ends: its kernel resets the SYNs.
	if err := l.servers[1].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = l.servers[1].Wait()
	l.waitFor("rs2 inhibited", 10*time.Second, func() bool { return weightOf(t, l.d1, rs2) == 0 })
	down := d.logLines(`msg="real server down"`)
	if len(down) == 0 || !strings.Contains(down[0], "real_server="+rs2) || !strings.Contains(down[0], "connection refused") {
		t.Fatalf("down transitions %q, want rs2 with connection refused", down)
	}
	if weightOf(t, l.d1, rs1) != 1 {
		t.Fatal("rs1 left the table")
	}
	for i := 0; i < 4; i++ {
		if body, err := l.get(t); err != nil || body != "rs1" {
			t.Fatalf("request %d: %q %v", i, body, err)
		}
	}

	l.servers[1] = l.startServer(t, l.rs[1])
	l.waitFor("rs2 back", 10*time.Second, func() bool { return weightOf(t, l.d1, rs2) == 1 })
	if n := len(d.logLines(`msg="real server down" component=healthcheck virtual_server=web real_server=` + rs1 + " ")); n != 0 {
		t.Fatalf("rs1 went down %d times", n)
	}
}
