// Package nstest holds the network-namespace helpers that tests of several
// packages share: creating throw-away namespaces and veth pairs, and running
// code inside a namespace. It is imported only from _test.go files.
package nstest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/nsexec"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// Need skips (or fails under CI) unless the test can build namespaces.
func Need(t testing.TB) {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
}

// Run runs a command and fails the test with its output if it fails.
func Run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// NewNamespace creates a named network namespace, with lo up, that is
// removed at cleanup. A leftover of a killed run is removed first.
func NewNamespace(t testing.TB, name string) {
	t.Helper()
	_ = exec.Command("ip", "netns", "del", name).Run()
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	Run(t, "ip", "-n", name, "link", "set", "lo", "up")
}

// InNamespace runs fn on an OS thread switched into the named namespace
// (nsexec.Run), on the caller's goroutine so that fn may call t.Fatal.
// Sockets fn creates stay in that namespace after the thread switches back.
func InNamespace(t testing.TB, name string, fn func()) {
	t.Helper()
	if err := nsexec.Run(name, func() error { fn(); return nil }); err != nil {
		t.Fatal(err)
	}
}

// Pair is two namespaces joined by a veth pair named eth0 on both sides.
type Pair struct {
	A, B string
}

// NewPair builds namespaces <prefix>a and <prefix>b joined by a veth pair,
// eth0 up on both sides. With ipv6 the kernel adds no link-local address of
// its own: the test adds its addresses with nodad.
func NewPair(t testing.TB, prefix string, ipv6 bool) Pair {
	t.Helper()
	p := Pair{A: prefix + "a", B: prefix + "b"}
	NewNamespace(t, p.A)
	NewNamespace(t, p.B)
	Run(t, "ip", "-n", p.A, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", p.B)
	for _, ns := range []string{p.A, p.B} {
		if ipv6 {
			// Only the addresses the test adds, without DAD delays.
			Run(t, "ip", "-n", ns, "link", "set", "eth0", "addrgenmode", "none")
		}
		Run(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	}
	return p
}

// AddAddr runs `ip -n ns addr add ARGS...`.
func AddAddr(t testing.TB, ns string, args ...string) {
	t.Helper()
	Run(t, "ip", append([]string{"-n", ns, "addr", "add"}, args...)...)
}

// WaitQuiet waits, up to 20 s, until the VM's CPUs are nearly idle: the
// kernel frees the previous namespace's table in deferred work, which must
// not run during a measurement.
func WaitQuiet(tb testing.TB) {
	tb.Helper()
	busy := func() (busy, total uint64) {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			tb.Fatal(err)
		}
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]) // cpu user nice system idle iowait ...
		for i, v := range f[1:] {
			n, _ := strconv.ParseUint(v, 10, 64)
			total += n
			if i != 3 && i != 4 {
				busy += n
			}
		}
		return busy, total
	}
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); {
		b0, t0 := busy()
		time.Sleep(250 * time.Millisecond)
		b1, t1 := busy()
		if t1 > t0 && (b1-b0)*10 < t1-t0 {
			return
		}
	}
	tb.Logf("the CPUs are still busy after 20 s; measuring anyway")
}
