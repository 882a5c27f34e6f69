package integration

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// masterDown10ms is Master_Down_Interval for priority 100 at 10ms adverts:
// 3*10ms + (256-100)*10ms/256.
const masterDown10ms = 36094 * time.Microsecond

// slack absorbs scheduling noise on a shared test machine; the failover
// figures themselves come from `vigil drill`, not from these bounds.
const slack = 250 * time.Millisecond

func TestSIGKILLOfMasterFailsOverAndClientFollowsGARP(t *testing.T) {
	l := newLab(t, "vgi1", 211)
	a := l.startVigil(l.d1, l.instance(150, "10ms"))
	l.waitFor("VIP on d1", 3*time.Second, func() bool { return l.hasVIP(l.d1) })
	l.startVigil(l.d2, l.instance(100, "10ms"))
	l.hold("d2 staying backup", 300*time.Millisecond, func() bool { return !l.hasVIP(l.d2) })

	// The client learns the VIP at d1's MAC, then watches for ARP.
	if err := l.client.Run("ping", "-c1", "-W1", l.vip.String()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	capture := l.client.Command(ctx, "tcpdump", "-l", "-n", "-e", "-i", "eth0", "-c", "1", "arp", "and", "ether", "src", l.d2.MAC)
	var captured strings.Builder
	capture.Stdout = &captured
	testenvNeedTcpdump(t)
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // tcpdump attaches

	a.signal(syscall.SIGKILL)
	took := l.waitFor("VIP on d2", 3*time.Second, func() bool { return l.hasVIP(l.d2) })
	t.Logf("SIGKILL -> VIP on d2 after %s (Master_Down_Interval %s)", took, masterDown10ms)
	if took > masterDown10ms+slack {
		t.Errorf("failover took %s", took)
	}
	if err := capture.Wait(); err != nil {
		t.Fatalf("no ARP from d2 captured on the client: %v", err)
	}
	line := captured.String()
	// keepalived-style gratuitous ARP: a request with sender == target == VIP.
	want := "Request who-has " + l.vip.String() + " (ff:ff:ff:ff:ff:ff) tell " + l.vip.String()
	if !strings.Contains(line, want) || !strings.Contains(line, "> ff:ff:ff:ff:ff:ff") {
		t.Fatalf("captured %q, want a broadcast gratuitous ARP %q", line, want)
	}
	l.waitFor("client neighbour entry for the VIP at d2's MAC", 2*time.Second, func() bool {
		out, _ := l.client.Output("ip", "neigh", "show", l.vip.String())
		return strings.Contains(out, l.d2.MAC)
	})
	if err := l.client.Run("ping", "-c1", "-W1", l.vip.String()); err != nil {
		t.Fatalf("VIP unreachable after failover: %v", err)
	}
}

func testenvNeedTcpdump(t *testing.T) {
	t.Helper()
	needCommand(t, "tcpdump")
}

var pingSummary = regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`)

func TestGracefulStopHandsOverWithoutLosingPings(t *testing.T) {
	l := newLab(t, "vgi2", 212)
	a := l.startVigil(l.d1, l.instance(150, "10ms"))
	l.waitFor("VIP on d1", 3*time.Second, func() bool { return l.hasVIP(l.d1) })
	l.startVigil(l.d2, l.instance(100, "10ms"))
	l.hold("d2 staying backup", 300*time.Millisecond, func() bool { return !l.hasVIP(l.d2) })
	l.waitHearsMaster(l.d2, l.d1)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ping := l.client.Command(ctx, "ping", "-i", "0.01", "-c", "300", "-W", "1", l.vip.String())
	var out strings.Builder
	ping.Stdout = &out
	if err := ping.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	start := time.Now()
	a.signal(syscall.SIGTERM)
	took := l.waitFor("VIP on d2", 3*time.Second, func() bool { return l.hasVIP(l.d2) })
	if code := a.wait(t, 5*time.Second); code != 0 {
		t.Fatalf("vigil exited %d after SIGTERM, want 0", code)
	}
	t.Logf("SIGTERM -> VIP on d2 after %s; d1 exited after %s", took, time.Since(start))
	if l.hasVIP(l.d1) {
		t.Fatal("the stopped director still holds the VIP")
	}
	if err := ping.Wait(); err != nil && !strings.Contains(out.String(), "received") {
		t.Fatalf("ping: %v\n%s", err, out.String())
	}
	m := pingSummary.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no ping summary:\n%s", out.String())
	}
	sent, _ := strconv.Atoi(m[1])
	got, _ := strconv.Atoi(m[2])
	if sent != 300 || got != sent {
		t.Fatalf("graceful handover lost pings: %d sent, %d received", sent, got)
	}
	if len(a.logLines("reason=new-master")) != 1 {
		t.Errorf("the old master should have let go on hearing the new one; log lines: %v", a.logLines("state changed"))
	}
}

func TestLinkDownFailsOverAndMasterPreemptsBack(t *testing.T) {
	l := newLab(t, "vgi3", 213)
	l.startVigil(l.d1, l.instance(150, "10ms"))
	l.waitFor("VIP on d1", 3*time.Second, func() bool { return l.hasVIP(l.d1) })
	l.startVigil(l.d2, l.instance(100, "10ms"))
	l.hold("d2 staying backup", 300*time.Millisecond, func() bool { return !l.hasVIP(l.d2) })

	if err := l.d1.Run("ip", "link", "set", "eth0", "down"); err != nil {
		t.Fatal(err)
	}
	took := l.waitFor("VIP on d2", 3*time.Second, func() bool { return l.hasVIP(l.d2) })
	t.Logf("link down -> VIP on d2 after %s", took)
	if took > masterDown10ms+slack {
		t.Errorf("failover took %s", took)
	}
	l.waitFor("d1 to release the VIP (fault)", 2*time.Second, func() bool { return !l.hasVIP(l.d1) })
	if err := l.d1.Run("ip", "link", "set", "eth0", "up"); err != nil {
		t.Fatal(err)
	}
	l.waitFor("d1 master again (preempt)", 5*time.Second, func() bool { return l.hasVIP(l.d1) && !l.hasVIP(l.d2) })
	if err := l.client.Run("ping", "-c1", "-W1", l.vip.String()); err != nil {
		t.Fatalf("VIP unreachable after preempting back: %v", err)
	}
}

func TestNopreemptKeepsTheRunningMaster(t *testing.T) {
	l := newLab(t, "vgi4", 214)
	l.startVigil(l.d2, l.instance(100, "100ms", "preempt = false"))
	l.waitFor("VIP on d2", 3*time.Second, func() bool { return l.hasVIP(l.d2) })
	l.startVigil(l.d1, l.instance(150, "100ms", "preempt = false"))
	l.hold("d2 staying master despite a higher-priority backup", 2*time.Second, func() bool { return l.hasVIP(l.d2) && !l.hasVIP(l.d1) })
}

func TestPreemptDelayPostponesTakeover(t *testing.T) {
	l := newLab(t, "vgi5", 215)
	l.startVigil(l.d2, l.instance(100, "100ms"))
	l.waitFor("VIP on d2", 3*time.Second, func() bool { return l.hasVIP(l.d2) })
	start := time.Now()
	l.startVigil(l.d1, l.instance(150, "100ms", `preempt_delay = "2s"`))
	l.hold("d2 master during the preempt delay", 1200*time.Millisecond, func() bool { return l.hasVIP(l.d2) })
	l.waitFor("d1 to preempt after the delay", 5*time.Second, func() bool { return l.hasVIP(l.d1) && !l.hasVIP(l.d2) })
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("d1 preempted after %s, before its 2s preempt_delay", took)
	}
}

func TestUnicastPairAndNonPeerIgnored(t *testing.T) {
	l := newLab(t, "vgi6", 216)
	peer := func(h string) string { return `unicast_peers = ["` + h + `"]` }
	a := l.startVigil(l.d1, l.instance(150, "10ms", peer(l.d2.Addr.Addr().String())))
	l.waitFor("VIP on d1", 3*time.Second, func() bool { return l.hasVIP(l.d1) })
	l.startVigil(l.d2, l.instance(100, "10ms", peer(l.d1.Addr.Addr().String())))
	l.hold("d2 staying backup over unicast", 500*time.Millisecond, func() bool { return !l.hasVIP(l.d2) })

	// A rogue router with a higher priority, not a listed peer, unicasts to
	// both directors. They must ignore it.
	rogue := l.instance(200, "10ms", `unicast_peers = ["`+l.d1.Addr.Addr().String()+`", "`+l.d2.Addr.Addr().String()+`"]`)
	rogue = strings.Replace(rogue, l.vip.String()+"/24", strings.TrimSuffix(l.vip.String(), ".100")+".200/24", 1)
	l.startVigil(l.client, rogue)
	l.hold("d1 master despite the rogue's adverts", time.Second, func() bool { return l.hasVIP(l.d1) && !l.hasVIP(l.d2) })
	if len(a.logLines("not-a-peer")) == 0 {
		t.Error("d1 did not log the rejected non-peer adverts")
	}
	// Unicast failover still works.
	a.signal(syscall.SIGKILL)
	took := l.waitFor("VIP on d2", 3*time.Second, func() bool { return l.hasVIP(l.d2) })
	t.Logf("unicast SIGKILL -> VIP on d2 after %s", took)
}

func TestSIGHUPReloadKeepsStateAndRefusesBadFile(t *testing.T) {
	l := newLab(t, "vgi7", 217)
	a := l.startVigil(l.d1, l.instance(150, "100ms"))
	l.waitFor("VIP on d1", 3*time.Second, func() bool { return l.hasVIP(l.d1) })
	b := l.startVigil(l.d2, l.instance(100, "100ms"))
	l.hold("d2 staying backup", 300*time.Millisecond, func() bool { return !l.hasVIP(l.d2) })
	transitions := func(d *daemon) int { return len(d.logLines(`msg="state changed"`)) }
	ta, tb := transitions(a), transitions(b)

	a.signal(syscall.SIGHUP)
	l.waitFor("reload logged", 3*time.Second, func() bool { return len(a.logLines(`msg=reloaded`)) == 1 })
	l.hold("no failover after an unchanged reload", 500*time.Millisecond, func() bool { return l.hasVIP(l.d1) && !l.hasVIP(l.d2) })
	if transitions(a) != ta || transitions(b) != tb {
		t.Fatalf("unchanged reload caused transitions: d1 %d->%d, d2 %d->%d", ta, transitions(a), tb, transitions(b))
	}
	if !strings.Contains(strings.Join(a.logLines("msg=reloaded"), ""), "VI_1:unchanged") {
		t.Errorf("reload did not report the instance unchanged: %v", a.logLines("msg=reloaded"))
	}

	l.writeConf("d1.hcl", "vrrp_instance \"VI_1\" {\n  priority = 999\n")
	a.signal(syscall.SIGHUP)
	l.waitFor("refused reload logged", 3*time.Second, func() bool { return len(a.logLines("reload refused")) == 1 })
	l.hold("nothing changed after a bad file", 500*time.Millisecond, func() bool { return l.hasVIP(l.d1) && !l.hasVIP(l.d2) })
	if transitions(a) != ta || transitions(b) != tb {
		t.Fatal("a refused reload caused transitions")
	}

	// A lower priority applies in place and lets d2 preempt.
	l.writeConf("d1.hcl", l.instance(50, "100ms"))
	a.signal(syscall.SIGHUP)
	l.waitFor("d2 preempts after d1's priority dropped", 3*time.Second, func() bool { return l.hasVIP(l.d2) && !l.hasVIP(l.d1) })
	if !strings.Contains(strings.Join(a.logLines("msg=reloaded"), ""), "VI_1:updated") {
		t.Errorf("priority change was not applied in place: %v", a.logLines("msg=reloaded"))
	}
}
