package healthcheck

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/nsexec"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// TestHalfOpenAcrossNamespaces runs half-open checks from a director
// namespace to a real server namespace over a veth pair, as between two
// hosts: routing picks the source address, the real server's kernel
// answers, the director's kernel resets the SYN-ACK so that the server
// keeps no half-open connection, and an address with no host behind it
// ends in host unreachable.
func TestHalfOpenAcrossNamespaces(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	d, r := fmt.Sprintf("hoD%d", os.Getpid()), fmt.Sprintf("hoR%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", d)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", d).Run() })
	run("netns", "add", r)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", r).Run() })
	run("-n", d, "link", "add", "ho0", "type", "veth", "peer", "name", "ho1", "netns", r)
	run("-n", d, "addr", "add", "10.77.0.1/24", "dev", "ho0")
	run("-n", r, "addr", "add", "10.77.0.2/24", "dev", "ho1")
	run("-n", d, "link", "set", "ho0", "up")
	run("-n", r, "link", "set", "ho1", "up")
	run("-n", d, "link", "set", "lo", "up")
	run("-n", r, "link", "set", "lo", "up")
	// Give up on the absent neighbour after 0.3 s rather than 3.
	if out, err := exec.Command("ip", "netns", "exec", d, "sysctl", "-qw",
		"net.ipv4.neigh.ho0.mcast_solicit=1", "net.ipv4.neigh.ho0.retrans_time_ms=300").CombinedOutput(); err != nil {
		t.Fatalf("sysctl: %v: %s", err, out)
	}

	var ln net.Listener
	if err := nsexec.Run(r, func() (err error) { ln, err = net.Listen("tcp4", "10.77.0.2:8080"); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()

	c := TCPChecker{HalfOpen: true}
	cases := []struct {
		addr, want string
	}{
		{"10.77.0.2:8080", "tcp: SYN-ACK"},
		{"10.77.0.2:8081", "tcp: connection refused"},
		{"10.77.0.3:8080", "tcp: host unreachable"},
	}
	for _, k := range cases {
		var res Result
		err := nsexec.Run(d, func() error {
			res = checkOnce(t, c, Target{Addr: netip.MustParseAddrPort(k.addr)}, 2*time.Second)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Reason != k.want {
			t.Errorf("%s: %q, want %q", k.addr, res.Reason, k.want)
		}
	}
	// The director reset the connection: nothing half-open is left on the
	// server and nothing was accepted.
	out, err := exec.Command("ip", "netns", "exec", r, "ss", "-Htn", "state", "syn-recv").CombinedOutput()
	if err != nil {
		t.Fatalf("ss: %v: %s", err, out)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("half-open connections left on the real server:\n%s", s)
	}
	select {
	case <-accepted:
		t.Error("the real server accepted a connection from a half-open check")
	case <-time.After(100 * time.Millisecond):
	}
}
