package fault

import (
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/nstest"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// needNetns skips (or fails under CI) unless the test can build namespaces.
func needNetns(t *testing.T) {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	testenv.NeedCommand(t, "tc")
}

// run runs a command and fails the test with its output if it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newNamespace creates a named network namespace removed at cleanup.
func newNamespace(t *testing.T, name string) {
	t.Helper()
	_ = exec.Command("ip", "netns", "del", name).Run() // leftover of a killed run
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
}

// host is one end of a test network: a namespace, its interface and
// addresses.
type host struct {
	ns, dev string
	ip4     net.IP
	ip6     net.IP
}

func (h host) target() Target { return Target{Netns: h.ns, Interface: h.dev} }

// newPair builds namespaces vgf-<tag>a and vgf-<tag>b joined by a veth
// pair, with 10.199.N.1/.2 and fd00:199:N::1/::2 (no DAD) on it.
func newPair(t *testing.T, tag string, n int) (a, b host) {
	t.Helper()
	needNetns(t)
	a = host{ns: "vgf-" + tag + "a", dev: "vgf" + tag + "a",
		ip4: net.ParseIP(fmt.Sprintf("10.199.%d.1", n)), ip6: net.ParseIP(fmt.Sprintf("fd00:199:%d::1", n))}
	b = host{ns: "vgf-" + tag + "b", dev: "vgf" + tag + "b",
		ip4: net.ParseIP(fmt.Sprintf("10.199.%d.2", n)), ip6: net.ParseIP(fmt.Sprintf("fd00:199:%d::2", n))}
	newNamespace(t, a.ns)
	newNamespace(t, b.ns)
	run(t, "ip", "-n", a.ns, "link", "add", a.dev, "type", "veth", "peer", "name", b.dev, "netns", b.ns)
	for _, h := range []host{a, b} {
		run(t, "ip", "-n", h.ns, "addr", "add", h.ip4.String()+"/24", "dev", h.dev)
		run(t, "ip", "-n", h.ns, "addr", "add", h.ip6.String()+"/64", "dev", h.dev, "nodad")
		run(t, "ip", "-n", h.ns, "link", "set", h.dev, "up")
	}
	// Resolve the neighbours now, so that the first packet of a test
	// does not wait for (or race) address resolution.
	waitReachable(t, a.ns, b.ip4)
	waitReachable(t, a.ns, b.ip6)
	return a, b
}

// waitReachable pings dst from ns until it answers, for up to 5 seconds.
func waitReachable(t *testing.T, ns string, dst net.IP) {
	t.Helper()
	for range 10 {
		if ping(t, ns, dst, 1, 200*time.Millisecond) == 1 {
			return
		}
	}
	t.Fatalf("%s does not reach %s: the test network is broken", ns, dst)
}

// newStar builds three hosts vgf-<tag>{a,b,c} on a bridge in vgf-<tag>s,
// with 10.199.N.1-3.
func newStar(t *testing.T, tag string, n int) []host {
	t.Helper()
	needNetns(t)
	sw := "vgf-" + tag + "s"
	newNamespace(t, sw)
	run(t, "ip", "-n", sw, "link", "add", "br0", "type", "bridge")
	run(t, "ip", "-n", sw, "link", "set", "br0", "up")
	var hosts []host
	for i, c := range "abc" {
		h := host{ns: fmt.Sprintf("vgf-%s%c", tag, c), dev: fmt.Sprintf("vgf%s%c", tag, c),
			ip4: net.ParseIP(fmt.Sprintf("10.199.%d.%d", n, i+1))}
		port := fmt.Sprintf("p%c", c)
		newNamespace(t, h.ns)
		run(t, "ip", "-n", h.ns, "link", "add", h.dev, "type", "veth", "peer", "name", port, "netns", sw)
		run(t, "ip", "-n", sw, "link", "set", port, "master", "br0", "up")
		run(t, "ip", "-n", h.ns, "addr", "add", h.ip4.String()+"/24", "dev", h.dev)
		run(t, "ip", "-n", h.ns, "link", "set", h.dev, "up")
		hosts = append(hosts, h)
	}
	waitReachable(t, hosts[0].ns, hosts[1].ip4)
	waitReachable(t, hosts[0].ns, hosts[2].ip4)
	waitReachable(t, hosts[1].ns, hosts[2].ip4)
	return hosts
}

var receivedRE = regexp.MustCompile(`(\d+) packets transmitted, (\d+) (packets )?received`)

// ping sends count echo requests from ns to dst, interval apart, and
// returns how many replies came back.
func ping(t *testing.T, ns string, dst net.IP, count int, interval time.Duration) int {
	t.Helper()
	testenv.NeedCommand(t, "ping")
	out, _ := exec.Command("ip", "netns", "exec", ns, "ping", "-n", "-q",
		"-c", strconv.Itoa(count), "-i", fmt.Sprintf("%.3f", interval.Seconds()), "-W", "1",
		dst.String()).CombinedOutput() // exit status 1 just means lost replies
	m := receivedRE.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("ping %s from %s: cannot read the result:\n%s", dst, ns, out)
	}
	n, _ := strconv.Atoi(m[2])
	return n
}

// inNamespace is the shared helper (internal/nstest).
var inNamespace = nstest.InNamespace

// tcState is what `tc` shows of a host's interface: qdiscs and the
// filters on both clsact hooks.
func tcState(t *testing.T, h host) string {
	t.Helper()
	q := run(t, "tc", "-n", h.ns, "qdisc", "show", "dev", h.dev)
	var filters string
	if strings.Contains(q, "clsact") {
		filters = run(t, "tc", "-n", h.ns, "filter", "show", "dev", h.dev, "ingress") +
			run(t, "tc", "-n", h.ns, "filter", "show", "dev", h.dev, "egress")
	}
	return q + filters
}

// testInjector keeps its records in a temporary directory.
func testInjector(t *testing.T) *Injector {
	return &Injector{StateDir: t.TempDir()}
}
