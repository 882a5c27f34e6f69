//go:build vmtest

package vmsmoke

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigil-ha/vigil/internal/testenv"
)

// needTools skips (or fails under CI) unless the test runs as root with the
// given commands.
func needTools(t *testing.T, cmds ...string) {
	t.Helper()
	testenv.NeedRoot(t)
	for _, c := range cmds {
		testenv.NeedCommand(t, c)
	}
}

// needIPVSKernel also requires a kernel with IPVS, as the test VM has.
func needIPVSKernel(t *testing.T) {
	t.Helper()
	needTools(t, "ip", "ipvsadm")
	_, err := os.Stat("/proc/net/ip_vs")
	testenv.Need(t, err == nil, "needs a kernel with IPVS loaded (/proc/net/ip_vs); run `make vm-test`")
}

// mustRun runs a command and returns its combined output; a failure ends the test.
func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// inNS prefixes a command so that it runs in the named network namespace.
func inNS(ns, name string, args ...string) (string, []string) {
	return "ip", append([]string{"netns", "exec", ns, name}, args...)
}

// addNetns creates a network namespace with lo up and deletes it when the
// test ends. (Until lo is up the namespace has no local routing table, and
// IPVS refuses every real-server address as not unicast.)
func addNetns(t *testing.T, name string) {
	t.Helper()
	_ = exec.Command("ip", "netns", "del", name).Run() // left over from a killed run
	mustRun(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	mustRun(t, "ip", "-n", name, "link", "set", "lo", "up")
}

// withNetns runs fn on an OS thread that has joined the named namespace.
// Sockets fn creates stay in that namespace after the thread returns, which
// lets one test process serve and dial in several namespaces.
func withNetns(name string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + name)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", name, err)
	}
	fnErr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked: the runtime ends it with this goroutine
		// instead of reusing a thread in the wrong namespace.
		return fmt.Errorf("setns back from %s: %w", name, err)
	}
	runtime.UnlockOSThread()
	return fnErr
}

// rttRe matches the summary of iputils ping ("rtt min/avg/max/mdev = a/b/c/d
// ms") and busybox ping ("round-trip min/avg/max = a/b/c ms").
var rttRe = regexp.MustCompile(`min/avg/max\S* = ([0-9.]+)/([0-9.]+)/([0-9.]+)`)

// pingRTT pings dst from namespace ns and returns the minimum and average
// round-trip times in milliseconds.
func pingRTT(t *testing.T, ns, dst string, count int) (minMS, avgMS float64) {
	t.Helper()
	name, args := inNS(ns, "ping", "-n", "-c", strconv.Itoa(count), "-i", "0.2", "-W", "3", dst)
	out := mustRun(t, name, args...)
	m := rttRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no RTT summary in ping output:\n%s", out)
	}
	minMS, _ = strconv.ParseFloat(m[1], 64)
	avgMS, _ = strconv.ParseFloat(m[2], 64)
	return minMS, avgMS
}

// ipvsStats is one line of `ipvsadm -Ln --stats --exact`.
type ipvsStats struct {
	Conns, InPkts, OutPkts, InBytes, OutBytes uint64
}

// parseIPVSStats maps "TCP addr:port" (services) and "-> addr:port" under
// the previous service ("addr:port>rs:port") to their counters.
func parseIPVSStats(out string) (map[string]ipvsStats, error) {
	stats := map[string]ipvsStats{}
	service := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 7 {
			continue
		}
		var key string
		switch f[0] {
		case "TCP", "UDP", "SCTP", "FWM":
			service = f[1]
			key = f[0] + " " + f[1]
		case "->":
			key = service + ">" + f[1]
		default:
			continue
		}
		var n [5]uint64
		for i := range n {
			v, err := strconv.ParseUint(f[2+i], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %q: %v", line, err)
			}
			n[i] = v
		}
		stats[key] = ipvsStats{n[0], n[1], n[2], n[3], n[4]}
	}
	return stats, nil
}
