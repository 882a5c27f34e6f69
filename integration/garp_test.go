package integration

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestGARPBurstAndRefresh counts the gratuitous ARPs a new master sends:
// master_repeat at once and again master_delay later, then one every
// master_refresh while it stays master.
func TestGARPBurstAndRefresh(t *testing.T) {
	needCommand(t, "tcpdump")
	l := newLab(t, "vgg1", 225)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	capture := l.client.Command(ctx, "tcpdump", "-l", "-n", "-e", "-i", "eth0", "arp", "and", "ether", "src", l.d1.MAC)
	var out strings.Builder
	capture.Stdout = &out
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // tcpdump attaches
	l.startVigil(l.d1, l.instance(150, "100ms", `garp {
  master_repeat  = 2
  master_delay   = "200ms"
  master_refresh = "1s"
}`))
	l.waitFor("VIP on d1", 5*time.Second, func() bool { return l.hasVIP(l.d1) })
	time.Sleep(3500 * time.Millisecond)
	cancel()
	_ = capture.Wait()
	want := "Request who-has " + l.vip.String() + " (ff:ff:ff:ff:ff:ff) tell " + l.vip.String()
	n := strings.Count(out.String(), want)
	// Two bursts of 2 (at 0 and 200 ms, keepalived's garp_master_repeat /
	// garp_master_delay) and 3 refreshes (at ~1.2, 2.2, 3.2 s); allow one
	// either way for the timing of the capture's end.
	if n < 6 || n > 8 {
		t.Fatalf("%d gratuitous ARPs in 3.5 s, want about 7 (2 bursts of 2 + refresh every 1 s):\n%s", n, out.String())
	}
}
