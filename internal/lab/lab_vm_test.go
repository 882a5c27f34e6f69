//go:build vmtest

package lab

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
)

// TestVMLabBalancesHTTPAndFailsOver needs IPVS and the vigil binary
// ($VIGIL_BIN): it runs in the test VM (make vm-test).
func TestVMLabBalancesHTTPAndFailsOver(t *testing.T) {
	needNamespaces(t)
	testenv.Need(t, IPVSAvailable(context.Background()), "needs IPVS in the kernel (the test VM has it)")
	vigil := os.Getenv("VIGIL_BIN")
	testenv.Need(t, vigil != "", "needs the vigil binary in $VIGIL_BIN")
	o := testOptions(t, "vglv1")
	o.Vigil = vigil
	t.Cleanup(func() { _, _ = Down(o) })
	ctx := context.Background()
	l, err := Up(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !l.IPVS {
		t.Fatal("the lab did not detect IPVS")
	}
	// d1 first, then d2: started together, d2 may win the first election
	// on the emulated CPU (its Master_Down_Interval is only 20 ms longer)
	// and be preempted a moment later, which is not what this test is about.
	if _, err := l.StartDirector(D1, ImplVigil); err != nil {
		t.Fatal(err)
	}
	master, err := l.WaitMaster(ctx, 20*time.Second)
	if err != nil || master != D1 {
		t.Fatalf("master %q, %v; want d1\n%s", master, err, l.LogTail("d1-director", 20))
	}
	if _, err := l.StartDirector(D2, ImplVigil); err != nil {
		t.Fatal(err)
	}
	if master, err := l.WaitMaster(ctx, 20*time.Second); err != nil || master != D1 {
		t.Fatalf("after d2 started: master %q, %v; want d1\n%s", master, err, l.LogTail("d2-director", 20))
	}
	if err := l.WaitServing(ctx, 20*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, l.LogTail("d1-director", 20))
	}
	c := l.HTTPClient(Client, 2*time.Second)
	answers := map[string]int{}
	for i := 0; i < 6; i++ {
		name, err := Get(ctx, c, l.VIPURL())
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		answers[name]++
	}
	if answers[RS1] != 3 || answers[RS2] != 3 {
		t.Errorf("answers %v: want rs1 and rs2 three times each (round robin)", answers)
	}
	if _, err := l.StopDirector(D1, syscall.SIGKILL, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if ok, _ := l.HasVIP(D2); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("d2 did not take the VIP\n%s", l.LogTail("d2-director", 20))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := l.WaitServing(ctx, 20*time.Second); err != nil {
		t.Fatalf("after the failover: %v", err)
	}
}
