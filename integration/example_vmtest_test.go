//go:build vmtest

package integration

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/examples"
)

// TestVMExamplePairServesThroughTheVIP runs the shipped examples/pair
// configurations unchanged but for the control socket path (both daemons
// share this machine's file system), on a LAN with the examples'
// addresses: 10.99.0.0/24, real servers .11 and .12, VIP .100.
func TestVMExamplePairServesThroughTheVIP(t *testing.T) {
	l := newDRLab(t, "vgx1", 99)
	example := func(name string, h string) string {
		b, err := examples.Pair.ReadFile("pair/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Replace(string(b), "global {", "global {\n  control_socket = \""+l.dir+"/"+h+".sock\"", 1)
	}
	a := l.startVigil(l.d1, example("director-a.hcl", "d1"))
	l.waitFor("VIP on director-a", 10*time.Second, func() bool { return l.hasVIP(l.d1) })
	l.startVigil(l.d2, example("director-b.hcl", "d2"))
	l.hold("director-b backup", 4*time.Second, func() bool { return !l.hasVIP(l.d2) })

	seen := map[string]int{}
	for i := 0; i < 6; i++ {
		body, err := l.get(t)
		if err != nil {
			t.Fatalf("request %d through the VIP: %v", i, err)
		}
		seen[body]++
	}
	if seen["rs1"] == 0 || seen["rs2"] == 0 {
		t.Fatalf("both real servers should answer, got %v", seen)
	}
	a.signal(syscall.SIGKILL)
	took := l.waitFor("VIP on director-b", 10*time.Second, func() bool { return l.hasVIP(l.d2) })
	t.Logf("example pair: SIGKILL -> VIP on director-b after %s (1 s adverts)", took)
	_ = l.d1.Run("ip", "link", "set", "eth0", "down") // a dead host answers no ARP
	l.waitFor("HTTP through the VIP on director-b", 10*time.Second, func() bool {
		_, err := l.get(t)
		return err == nil
	})
}
