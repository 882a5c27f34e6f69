package fault

import (
	"context"
	"strings"
	"testing"
	"time"
)

func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errOut strings.Builder
	code = Main(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestMainUsageErrorsAndHelp(t *testing.T) {
	if code, out, _ := runMain("-help"); code != ExitOK || !strings.Contains(out, "Usage: vigil fault") {
		t.Errorf("-help: exit %d, output %q", code, out)
	}
	code, _, errOut := runMain("-i", "eth0", "loss", "101")
	if code != ExitUsage || !strings.Contains(errOut, "at most 100") || !strings.Contains(errOut, "vigil fault -help") {
		t.Errorf("loss 101: exit %d, stderr %q", code, errOut)
	}
}

func TestMainAppliesWaitsAndRemoves(t *testing.T) {
	a, b := newPair(t, "cl", 40)
	state := t.TempDir()
	before := tcState(t, a)
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := runMain("-netns", a.ns, "-interface", a.dev, "-state", state, "-for", "2s", "blackhole")
		done <- result{code, out, errOut}
	}()
	// While the command waits, show (from "another shell") lists the fault.
	deadline := time.Now().Add(1500 * time.Millisecond)
	var out string
	for time.Now().Before(deadline) {
		var code int
		code, out, _ = runMain("show", "-state", state)
		if code == ExitOK && strings.Contains(out, "blackhole") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out, a.ns+"/"+a.dev+"  blackhole in+out") {
		t.Errorf("show during the fault: %q", out)
	}
	if got := ping(t, a.ns, b.ip4, 1, 200*time.Millisecond); got != 0 {
		t.Error("blackhole let a ping through")
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("vigil fault did not return after -for")
	}
	if r.code != ExitOK || !strings.Contains(r.out, "blackhole (in+out) on "+a.ns+"/"+a.dev+" for 2s") ||
		!strings.Contains(r.out, "expired: blackhole removed") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", r.code, r.out, r.err)
	}
	if after := tcState(t, a); after != before {
		t.Errorf("tc changed after the command:\n%s", after)
	}
	if code, out, _ := runMain("show", "-state", state); code != ExitOK || !strings.Contains(out, "no active vigil fault") {
		t.Errorf("show after: exit %d %q", code, out)
	}
	if code, out, _ := runMain("-netns", a.ns, "-i", a.dev, "clear", "-state", state); code != ExitOK || !strings.Contains(out, "no vigil fault on") {
		t.Errorf("clear of a clean interface: exit %d %q", code, out)
	}
	code, _, errOut := runMain("-netns", a.ns, "-i", "vgfnone", "-state", state, "blackhole")
	if code != ExitFail || !strings.Contains(errOut, `no interface "vgfnone"`) {
		t.Errorf("unknown interface: exit %d %q", code, errOut)
	}
}
