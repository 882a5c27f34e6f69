package integration

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestOperatorCommandsAgainstRunningDaemons drives a running pair through
// the control socket (status, maintenance, garp) and scrapes its metrics.
func TestOperatorCommandsAgainstRunningDaemons(t *testing.T) {
	l := newLab(t, "vgo1", 218)
	l.startVigil(l.d1, l.instance(150, "100ms"))
	l.waitFor("VIP on d1", 3*time.Second, func() bool { return l.hasVIP(l.d1) })
	l.startVigil(l.d2, l.instance(100, "100ms"))
	l.hold("d2 backup", 500*time.Millisecond, func() bool { return !l.hasVIP(l.d2) })

	out, err := l.d1.Output(vigilBin, "status", "-json", "-socket", l.socket(l.d1))
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	var doc struct {
		Instances []struct {
			Name, State string
			Priority    int
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("status -json is not JSON: %v\n%s", err, out)
	}
	if len(doc.Instances) != 1 || doc.Instances[0].Name != "VI_1" || doc.Instances[0].State != "master" {
		t.Fatalf("status: %+v", doc)
	}
	human, err := l.d2.Output(vigilBin, "status", "-socket", l.socket(l.d2))
	if err != nil || !strings.Contains(human, "VI_1") || !strings.Contains(human, "backup") {
		t.Fatalf("human status of d2 (%v):\n%s", err, human)
	}

	// Maintenance hands the VIP over and back.
	if out, err := l.d1.Output(vigilBin, "maintenance", "-socket", l.socket(l.d1), "on", "VI_1"); err != nil {
		t.Fatalf("maintenance on: %v\n%s", err, out)
	}
	l.waitFor("d2 master during d1's maintenance", 3*time.Second, func() bool { return l.hasVIP(l.d2) && !l.hasVIP(l.d1) })
	if out, err := l.d1.Output(vigilBin, "maintenance", "-socket", l.socket(l.d1), "off", "VI_1"); err != nil {
		t.Fatalf("maintenance off: %v\n%s", err, out)
	}
	l.waitFor("d1 master again", 3*time.Second, func() bool { return l.hasVIP(l.d1) && !l.hasVIP(l.d2) })

	// garp: only a master announces; the backup refuses with a clear line.
	if out, err := l.d1.Output(vigilBin, "garp", "-socket", l.socket(l.d1), "VI_1"); err != nil {
		t.Fatalf("garp on the master: %v\n%s", err, out)
	}
	if out, err := l.d2.Output(vigilBin, "garp", "-socket", l.socket(l.d2), "VI_1"); err == nil || !strings.Contains(out+err.Error(), "master") {
		t.Fatalf("garp on the backup should be refused, got %v\n%s", err, out)
	}

	// Metrics on the director's loopback (default 127.0.0.1:9650).
	var body string
	inNS(t, l.d1, func() {
		c, err := net.DialTimeout("tcp", "127.0.0.1:9650", time.Second)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		io.WriteString(c, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Error(err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
	})
	for _, want := range []string{`vigil_vrrp_instance_state{instance="VI_1",state="master"} 1`, "vigil_vrrp_transitions_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
}
