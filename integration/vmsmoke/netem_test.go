//go:build vmtest

package vmsmoke

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/integration/topo"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// TestNetemDelaysPing puts a 50 ms netem delay on one end of a veth pair and
// checks that ping's round trip grows by it, and shrinks again once the
// qdisc is gone.
func TestNetemDelaysPing(t *testing.T) {
	needTools(t, "ip", "tc", "ping")
	tp, err := topo.New("vsmn", netip.MustParsePrefix("10.200.2.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tp.Close)
	a, err := tp.AddHost("a", 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tp.AddHost("b", 2)
	if err != nil {
		t.Fatal(err)
	}
	dst := b.Addr.Addr().String()

	baseMin, _ := pingRTT(t, a.NS, dst, 5)

	if err := a.Run("tc", "qdisc", "add", "dev", a.Link, "root", "netem", "delay", "50ms"); err != nil {
		testenv.Need(t, !strings.Contains(err.Error(), "qdisc kind is unknown"), "needs a kernel with netem; run `make vm-test`")
		t.Fatal(err)
	}
	qdisc, err := a.Output("tc", "qdisc", "show", "dev", a.Link)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(qdisc, "netem") || !strings.Contains(qdisc, "delay 50ms") {
		t.Fatalf("tc shows no 50ms netem qdisc on %s:\n%s", a.Link, qdisc)
	}
	delayedMin, delayedAvg := pingRTT(t, a.NS, dst, 5)
	t.Logf("RTT min: %.3f ms without netem, %.3f ms with delay 50ms (avg %.3f)", baseMin, delayedMin, delayedAvg)
	if delayedMin < 49.5 {
		t.Errorf("min RTT %.3f ms with a 50 ms netem delay: the delay is not applied", delayedMin)
	}
	if delayedMin-baseMin < 40 {
		t.Errorf("netem added only %.3f ms to the min RTT (%.3f -> %.3f)", delayedMin-baseMin, baseMin, delayedMin)
	}

	if err := a.Run("tc", "qdisc", "del", "dev", a.Link, "root"); err != nil {
		t.Fatal(err)
	}
	afterMin, _ := pingRTT(t, a.NS, dst, 5)
	if afterMin > delayedMin-40 {
		t.Errorf("min RTT %.3f ms after removing netem, still near the delayed %.3f ms", afterMin, delayedMin)
	}
}
