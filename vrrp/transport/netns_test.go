package transport

import (
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
	"github.com/vishvananda/netns"
)

// needNetns skips (or fails under CI) unless the test can build namespaces.
func needNetns(t *testing.T) {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
}

// run runs a command and fails the test with its output if it fails.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// newNamespace creates a named network namespace removed at cleanup.
func newNamespace(t *testing.T, name string) {
	t.Helper()
	_ = exec.Command("ip", "netns", "del", name).Run() // leftover of a killed run
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
}

// inNamespace runs fn on an OS thread switched into the named namespace.
// Sockets fn creates stay in that namespace after the thread switches back.
func inNamespace(t *testing.T, name string, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	origin, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("current netns: %v", err)
	}
	defer origin.Close()
	target, err := netns.GetFromName(name)
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("netns %s: %v", name, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("enter netns %s: %v", name, err)
	}
	defer func() {
		if err := netns.Set(origin); err != nil {
			// Leave the thread locked: the runtime discards it when the
			// goroutine ends instead of reusing a thread in the wrong
			// namespace.
			panic(fmt.Sprintf("cannot return from netns %s: %v", name, err))
		}
		runtime.UnlockOSThread()
	}()
	fn()
}

// pair is two namespaces joined by a veth pair named eth0 on both sides.
type pair struct {
	a, b string
}

// newPair builds namespaces <prefix>a and <prefix>b joined by a veth pair,
// eth0 up on both sides. With ipv6 the kernel adds no link-local address of
// its own: the test adds its addresses with nodad.
func newPair(t *testing.T, prefix string, ipv6 bool) pair {
	t.Helper()
	p := pair{a: prefix + "a", b: prefix + "b"}
	newNamespace(t, p.a)
	newNamespace(t, p.b)
	run(t, "ip", "-n", p.a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", p.b)
	for _, ns := range []string{p.a, p.b} {
		if ipv6 {
			// Only the addresses the test adds, without DAD delays.
			run(t, "ip", "-n", ns, "link", "set", "eth0", "addrgenmode", "none")
		}
		run(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	}
	return p
}

func addAddr(t *testing.T, ns string, args ...string) {
	t.Helper()
	run(t, "ip", append([]string{"-n", ns, "addr", "add"}, args...)...)
}
