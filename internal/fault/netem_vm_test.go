//go:build vmtest

package fault

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
)

var rttRE = regexp.MustCompile(`= [\d.]+/([\d.]+)/`)

// avgRTT pings dst from ns count times and returns the average RTT.
func avgRTT(t *testing.T, h host, dst string, count int) time.Duration {
	t.Helper()
	testenv.NeedCommand(t, "ping")
	out, err := exec.Command("ip", "netns", "exec", h.ns, "ping", "-n", "-q", "-c", strconv.Itoa(count),
		"-i", "0.05", "-W", "2", dst).CombinedOutput()
	if err != nil {
		t.Fatalf("ping %s: %v\n%s", dst, err, out)
	}
	m := rttRE.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no RTT in:\n%s", out)
	}
	ms, _ := strconv.ParseFloat(m[1], 64)
	return time.Duration(ms * float64(time.Millisecond))
}

func needNetem(t *testing.T) {
	t.Helper()
	have, err := NetemAvailable()
	if err != nil {
		t.Fatalf("netem probe: %v", err)
	}
	testenv.Need(t, have, "needs the netem qdisc (sch_netem)")
}

func TestDelayGrowsTheRTT(t *testing.T) {
	a, b := newPair(t, "dl", 30)
	needNetem(t)
	inj := testInjector(t)
	before := tcState(t, a)
	base := avgRTT(t, a, b.ip4.String(), 10)
	const delay = 80 * time.Millisecond
	act := mustApply(t, inj, Spec{Target: a.target(), Kind: KindDelay, Delay: delay})
	if state := tcState(t, a); !strings.Contains(state, "netem") || !strings.Contains(state, "7669:") {
		t.Fatalf("no vigil netem qdisc:\n%s", state)
	}
	got := avgRTT(t, a, b.ip4.String(), 10)
	// Only a's egress is delayed: the RTT grows by the delay, give or
	// take scheduling.
	if grow := got - base; grow < delay*8/10 || grow > delay*2 {
		t.Fatalf("RTT %v -> %v: grew by %v, want about %v", base, got, grow, delay)
	}
	if err := act.Clear(); err != nil {
		t.Fatal(err)
	}
	if after := tcState(t, a); after != before {
		t.Fatalf("clear left tc changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if back := avgRTT(t, a, b.ip4.String(), 5); back > base+delay/4 {
		t.Fatalf("RTT after clear %v, before the fault %v", back, base)
	}
}

func TestJitterSpreadsTheRTT(t *testing.T) {
	a, b := newPair(t, "jt", 31)
	needNetem(t)
	inj := testInjector(t)
	const delay, jitter = 60 * time.Millisecond, 30 * time.Millisecond
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindDelay, Delay: delay, Jitter: jitter})
	out, err := exec.Command("ip", "netns", "exec", a.ns, "ping", "-n", "-c", "30", "-i", "0.05", "-W", "2",
		b.ip4.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("ping: %v\n%s", err, out)
	}
	var rtts []float64
	for _, m := range regexp.MustCompile(`time=([\d.]+) ms`).FindAllStringSubmatch(string(out), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		rtts = append(rtts, v)
	}
	if len(rtts) < 25 {
		t.Fatalf("only %d replies:\n%s", len(rtts), out)
	}
	lo, hi := rtts[0], rtts[0]
	for _, v := range rtts {
		lo, hi = min(lo, v), max(hi, v)
	}
	// Uniform-ish over 60+-30 ms: the spread must be well over a few ms
	// and every RTT inside the band, with slack for scheduling.
	if hi-lo < 15 || lo < 25 || hi > 120 {
		t.Fatalf("RTTs from %.1f to %.1f ms, want spread over 30..90 ms", lo, hi)
	}
}

func TestDuplicateDuplicatesPackets(t *testing.T) {
	a, b := newPair(t, "du", 32)
	needNetem(t)
	inj := testInjector(t)
	mustApply(t, inj, Spec{Target: a.target(), Kind: KindDuplicate, Percent: 100})
	out, _ := exec.Command("ip", "netns", "exec", a.ns, "ping", "-n", "-q", "-c", "5", "-i", "0.1", "-W", "1",
		b.ip4.String()).CombinedOutput()
	if !strings.Contains(string(out), "duplicates") {
		t.Fatalf("duplicate 100%%: ping saw no duplicates:\n%s", out)
	}
}
