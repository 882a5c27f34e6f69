//go:build vmtest

package integration

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/integration/topo"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// These tests run in the real-kernel VM (make vm-test): two vigil
// directors in front of two DR real servers, with the kernel's IPVS.

// helperEnv makes this test binary act as a small server (see TestMain's
// caller below) when started inside a real-server namespace.
const helperEnv = "VIGIL_IT_SERVE"

func init() {
	if name := os.Getenv(helperEnv); name != "" {
		serveForever(name)
	}
}

// serveForever answers HTTP on :80 with the server's name and echoes
// lines on :7, then never returns.
func serveForever(name string) {
	go func() {
		ln, err := net.Listen("tcp", ":7")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for {
			c, err := ln.Accept()
			if err != nil {
				continue
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					fmt.Fprintf(c, "%s %s", name, line)
				}
			}()
		}
	}()
	err := http.ListenAndServe(":80", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, name)
	}))
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// drLab is the lab plus two real servers.
type drLab struct {
	*lab
	rs      []*topo.Host
	servers []*exec.Cmd // the server process of each real server
}

func newDRLab(t *testing.T, prefix string, octet int) *drLab {
	t.Helper()
	testenv.Need(t, fileExists("/proc/net/ip_vs"), "needs a kernel with IPVS (the test VM)")
	l := &drLab{lab: newLab(t, prefix, octet)}
	for i, name := range []string{"rs1", "rs2"} {
		h, err := l.topo.AddHost(name, 11+i)
		if err != nil {
			t.Fatal(err)
		}
		l.rs = append(l.rs, h)
		out, err := h.Output(vigilBin, "realserver", "apply", "-vip", l.vip.String(), "-interface", "eth0",
			"-state", l.dir+"/"+name+".json")
		if err != nil {
			t.Fatalf("realserver apply on %s: %v\n%s", name, err, out)
		}
		l.servers = append(l.servers, l.startServer(t, h))
	}
	return l
}

// startServer runs this test binary as the HTTP and echo server of h.
func (l *drLab) startServer(t *testing.T, h *topo.Host) *exec.Cmd {
	self, _ := os.Executable()
	cmd := h.Command(t.Context(), self, "-test.run", "^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+h.Name)
	if err := h.Start(cmd); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// directorConf is a pair member with IPVS DR to both real servers, HTTP
// checks, and the connection sync daemon.
func (l *drLab) directorConf(priority int) string {
	rs := ""
	for _, h := range l.rs {
		a := h.Addr.Addr()
		rs += fmt.Sprintf(`  real_server "%s:80" {
    check "http" {
      interval = "200ms"
      timeout = "100ms"
    }
  }
`, a)
	}
	echo := ""
	for _, h := range l.rs {
		echo += fmt.Sprintf("  real_server \"%s:7\" {}\n", h.Addr.Addr())
	}
	return l.instance(priority, "100ms", "sync_daemon {\n  interface = \"eth0\"\n}") + fmt.Sprintf(`
virtual_server "web" {
  address = "%[1]s:80"
  scheduler = "rr"
  vrrp_instance = "VI_1"
%[2]s}

virtual_server "echo" {
  address = "%[1]s:7"
  scheduler = "rr"
  vrrp_instance = "VI_1"
%[3]s}
`, l.vip, rs, echo)
}

// get fetches http://VIP/ from the client namespace. The socket is made on
// the namespace's thread; net/http would dial on other threads, outside it.
func (l *drLab) get(t *testing.T) (string, error) { return l.getAt(t, l.vip) }

// getAt fetches http://addr/ from the client namespace.
func (l *drLab) getAt(t *testing.T, addr netip.Addr) (string, error) {
	var conn net.Conn
	var err error
	inNS(t, l.client, func() {
		conn, err = net.DialTimeout("tcp", netip.AddrPortFrom(addr, 80).String(), 500*time.Millisecond)
	})
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\nHost: vip\r\n\r\n"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestVMDirectRoutingPairFailsOverAndKeepsConnections(t *testing.T) {
	l := newDRLab(t, "vgv1", 241)
	a := l.startVigil(l.d1, l.directorConf(150))
	l.waitFor("VIP on d1", 5*time.Second, func() bool { return l.hasVIP(l.d1) })
	l.startVigil(l.d2, l.directorConf(100))
	l.hold("d2 backup", 500*time.Millisecond, func() bool { return !l.hasVIP(l.d2) })

	// Requests through the VIP reach both real servers.
	seen := map[string]int{}
	for i := 0; i < 10; i++ {
		body, err := l.get(t)
		if err != nil {
			t.Fatalf("request %d through the VIP: %v", i, err)
		}
		seen[body]++
	}
	if seen["rs1"] == 0 || seen["rs2"] == 0 {
		t.Fatalf("round robin over both real servers expected, got %v", seen)
	}
	// DR: replies go straight to the client, the director sends nothing.
	// The kernel sums its per-CPU counters in the estimator, every 2 s.
	time.Sleep(2500 * time.Millisecond)
	stats, err := l.d1.Output(vigilBin, "ipvs", "-stats", "-exact")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := l.d1.Output("ipvsadm", "-Ln", "--stats", "--exact")
	if err != nil {
		t.Fatal(err)
	}
	if !directorSentNothing(ref, l.vip.String()+":80") {
		t.Fatalf("the director forwarded replies (OutPkts > 0, or no InPkts):\n%s", ref)
	}
	if stats != ref {
		t.Errorf("vigil ipvs -stats differs from ipvsadm:\n%s\n--- ipvsadm:\n%s", stats, ref)
	}
	cross, err := l.d1.Output("ipvsadm", "-Ln")
	if err != nil || !strings.Contains(cross, l.rs[0].Addr.Addr().String()+":80") || !strings.Contains(cross, "Route") {
		t.Fatalf("ipvsadm does not show what vigil installed (%v):\n%s", err, cross)
	}
	if out, _ := l.d2.Output("ipvsadm", "-Ln"); strings.Contains(out, l.vip.String()) {
		t.Fatalf("the backup holds IPVS services with ipvs_follow=master:\n%s", out)
	}

	// A long-lived TCP connection through the VIP, opened on d1.
	var conn net.Conn
	inNS(t, l.client, func() {
		conn, err = net.DialTimeout("tcp", l.vip.String()+":7", time.Second)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	echo := func(msg string) (string, error) {
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := fmt.Fprintf(conn, "%s\n", msg); err != nil {
			return "", err
		}
		return r.ReadString('\n')
	}
	first, err := echo("before")
	if err != nil {
		t.Fatal(err)
	}
	server := strings.Fields(first)[0]
	// The kernel's sync master flushes its buffer every 2 s; wait until the
	// backup director knows the connection.
	local := conn.LocalAddr().String()
	// Poll gently: every ipvsadm is a process, and the VM's CPUs are slow.
	synced := false
	for end := time.Now().Add(15 * time.Second); !synced && time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		out, _ := l.d2.Output("ipvsadm", "-Lnc")
		synced = strings.Contains(out, local)
	}
	if !synced {
		master, _ := l.d1.Output("ipvsadm", "-Lnc")
		t.Fatalf("the backup director never learned connection %s; master's table:\n%s", local, master)
	}
	a.signal(syscall.SIGKILL)
	took := l.waitFor("VIP on d2", 5*time.Second, func() bool { return l.hasVIP(l.d2) })
	t.Logf("SIGKILL -> VIP on d2 after %s", took)
	// The dead director's VIP stays on its interface; take it away as a
	// crashed host would, so the client's ARP can only find d2.
	_ = l.d1.Run("ip", "link", "set", "eth0", "down")

	var body string
	l.waitFor("HTTP through the VIP again", 5*time.Second, func() bool {
		body, err = l.get(t)
		return err == nil
	})
	if body != "rs1" && body != "rs2" {
		t.Fatalf("unexpected answer %q", body)
	}
	after, err := echo("after")
	if err != nil {
		t.Fatalf("the connection opened on d1 did not survive the failover (sync daemon): %v", err)
	}
	if got := strings.Fields(after)[0]; got != server {
		t.Fatalf("the connection moved from %s to %s", server, got)
	}
}

// directorSentNothing reports whether ipvsadm-style --stats output shows
// OutPkts 0 for the service line of svc.
func directorSentNothing(stats, svc string) bool {
	for _, line := range strings.Split(stats, "\n") {
		f := strings.Fields(line)
		if len(f) >= 7 && f[0] == "TCP" && f[1] == svc {
			return f[3] != "0" && f[4] == "0" // InPkts > 0, OutPkts == 0
		}
	}
	return false
}

// weightOf returns the weight ipvsadm shows for real server rs (addr:port)
// on host h, or -1 if it is not in the table.
func weightOf(t *testing.T, h *topo.Host, rs string) int {
	out, err := h.Output("ipvsadm", "-Ln")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == "->" && f[1] == rs {
			w := 0
			fmt.Sscanf(f[3], "%d", &w)
			return w
		}
	}
	return -1
}

func TestVMHealthChecksMoveKernelWeights(t *testing.T) {
	l := newDRLab(t, "vgh1", 242)
	l.startVigil(l.d1, l.directorConf(150))
	l.waitFor("VIP on d1", 5*time.Second, func() bool { return l.hasVIP(l.d1) })
	rs1 := l.rs[0].Addr.Addr().String() + ":80"
	l.waitFor("rs1 in service", 5*time.Second, func() bool { return weightOf(t, l.d1, rs1) == 1 })

	// rs1's server dies: after `fall` failed checks its weight is 0 in the
	// kernel (inhibit), and every request goes to rs2.
	_ = l.servers[0].Process.Kill()
	_ = l.servers[0].Wait()
	l.waitFor("rs1 inhibited (weight 0) in the kernel table", 10*time.Second, func() bool { return weightOf(t, l.d1, rs1) == 0 })
	for i := 0; i < 4; i++ {
		body, err := l.get(t)
		if err != nil || body != "rs2" {
			t.Fatalf("request %d with rs1 down: %q %v", i, body, err)
		}
	}
	// It comes back: after `rise` good checks the weight returns.
	l.servers[0] = l.startServer(t, l.rs[0])
	l.waitFor("rs1 back with weight 1", 10*time.Second, func() bool { return weightOf(t, l.d1, rs1) == 1 })
}
