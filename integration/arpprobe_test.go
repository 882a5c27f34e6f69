package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestMasterReportsRealServersThatAnswerARP puts a misconfigured real
// server on the LAN (VIP on lo, default ARP settings): the master's
// periodic probe names its MAC in `vigil status`; once the real server is
// set up with `vigil realserver apply`, the report clears.
func TestMasterReportsRealServersThatAnswerARP(t *testing.T) {
	l := newLab(t, "vgp1", 226)
	rs, err := l.topo.AddHost("rs1", 11)
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Run("ip", "addr", "add", l.vip.String()+"/32", "dev", "lo"); err != nil {
		t.Fatal(err)
	}
	l.startVigil(l.d1, l.instance(150, "100ms", `arp_probe_interval = "1s"`))
	l.waitFor("VIP on d1", 5*time.Second, func() bool { return l.hasVIP(l.d1) })

	offenders := func() []string {
		out, err := l.d1.Output(vigilBin, "status", "-json", "-socket", l.socket(l.d1))
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		var doc struct {
			Instances []struct {
				ARPOffenders []string `json:"arp_offenders"`
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Instances) != 1 {
			t.Fatalf("status: %v\n%s", err, out)
		}
		return doc.Instances[0].ARPOffenders
	}
	l.waitFor("the probe to name rs1", 10*time.Second, func() bool {
		o := offenders()
		return len(o) == 1 && strings.Contains(o[0], rs.MAC)
	})
	human, _ := l.d1.Output(vigilBin, "status", "-socket", l.socket(l.d1))
	if !strings.Contains(human, "ARP OFFENDER") || !strings.Contains(human, rs.MAC) {
		t.Fatalf("human status does not show the offender:\n%s", human)
	}

	// Fix the real server the way the README says; the report clears.
	if err := rs.Run("ip", "addr", "del", l.vip.String()+"/32", "dev", "lo"); err != nil {
		t.Fatal(err)
	}
	if out, err := rs.Output(vigilBin, "realserver", "apply", "-vip", l.vip.String(), "-interface", "eth0",
		"-state", l.dir+"/rs1.json"); err != nil {
		t.Fatalf("realserver apply: %v\n%s", err, out)
	}
	l.waitFor("the offender report to clear", 10*time.Second, func() bool { return len(offenders()) == 0 })
}
