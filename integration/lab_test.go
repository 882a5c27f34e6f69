package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/vigil-ha/vigil/integration/topo"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// vigilBin is built once by TestMain.
var vigilBin string

func TestMain(m *testing.M) {
	// Inside the test VM there is no Go toolchain: the runner ships the
	// binary and names it.
	if bin := os.Getenv("VIGIL_BIN"); bin != "" {
		vigilBin = bin
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "vigil-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vigilBin = filepath.Join(dir, "vigil")
	out, err := exec.Command("go", "build", "-o", vigilBin, "github.com/vigil-ha/vigil/cmd/vigil").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building vigil: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lab is two directors and a client on one LAN.
type lab struct {
	t              *testing.T
	topo           *topo.Topology
	d1, d2, client *topo.Host
	vip            netip.Addr
	dir            string

	mu      sync.Mutex
	handles map[string]*netlink.Handle
}

func newLab(t *testing.T, prefix string, octet int) *lab {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	testenv.NeedCommand(t, "ping")
	subnet := netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/24", octet))
	tp, err := topo.New(prefix, subnet)
	if err != nil {
		t.Fatal(err)
	}
	l := &lab{t: t, topo: tp, dir: t.TempDir(), handles: map[string]*netlink.Handle{},
		vip: netip.MustParseAddr(fmt.Sprintf("10.%d.0.100", octet))}
	t.Cleanup(l.close)
	for i, name := range []string{"d1", "d2", "client"} {
		h, err := tp.AddHost(name, i+1)
		if err != nil {
			t.Fatal(err)
		}
		switch name {
		case "d1":
			l.d1 = h
		case "d2":
			l.d2 = h
		default:
			l.client = h
		}
	}
	return l
}

func (l *lab) close() {
	l.mu.Lock()
	for _, h := range l.handles {
		h.Close()
	}
	l.mu.Unlock()
	l.topo.Close()
}

// handle returns a netlink handle inside the host's namespace.
func (l *lab) handle(h *topo.Host) *netlink.Handle {
	l.mu.Lock()
	defer l.mu.Unlock()
	if nh, ok := l.handles[h.NS]; ok {
		return nh
	}
	ns, err := netns.GetFromName(h.NS)
	if err != nil {
		l.t.Fatal(err)
	}
	defer ns.Close()
	nh, err := netlink.NewHandleAt(ns)
	if err != nil {
		l.t.Fatal(err)
	}
	l.handles[h.NS] = nh
	return nh
}

// hasVIP reports whether the host's eth0 carries the lab's VIP.
func (l *lab) hasVIP(h *topo.Host) bool {
	nh := l.handle(h)
	link, err := nh.LinkByName("eth0")
	if err != nil {
		return false
	}
	addrs, err := nh.AddrList(link, netlink.FAMILY_V4)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == l.vip {
			return true
		}
	}
	return false
}

// waitFor polls cond every 500µs and returns how long it took.
func (l *lab) waitFor(what string, timeout time.Duration, cond func() bool) time.Duration {
	l.t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(500 * time.Microsecond)
	}
	l.t.Fatalf("timed out after %s waiting for %s", timeout, what)
	return 0
}

// hold waits for a while and fails if cond turns false meanwhile.
func (l *lab) hold(what string, d time.Duration, cond func() bool) {
	l.t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if !cond() {
			l.t.Fatalf("%s stopped holding", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// instance renders a vrrp_instance block for the lab.
func (l *lab) instance(priority int, interval string, extra ...string) string {
	return fmt.Sprintf(`vrrp_instance "VI_1" {
  interface = "eth0"
  vrid = 51
  priority = %d
  advert_interval = %q
  virtual_ipaddresses = ["%s/24"]
%s
}
`, priority, interval, l.vip, strings.Join(extra, "\n"))
}

// socket is the control socket of the vigil on h: the namespaces share
// one file system, so each daemon needs its own path.
func (l *lab) socket(h *topo.Host) string { return filepath.Join(l.dir, h.Name+".sock") }

// waitHearsMaster waits until the vigil on backup has heard an advert from
// master (its status names master's address): only then is it a working
// backup that a fault can be measured against.
func (l *lab) waitHearsMaster(backup, master *topo.Host) {
	l.t.Helper()
	want := master.Addr.Addr()
	l.waitFor(backup.Name+" to hear "+master.Name, 10*time.Second, func() bool {
		out, err := backup.Output(vigilBin, "status", "-json", "-socket", l.socket(backup))
		if err != nil {
			return false
		}
		var doc struct {
			Instances []struct{ Master netip.Addr }
		}
		return json.Unmarshal([]byte(out), &doc) == nil && len(doc.Instances) > 0 && doc.Instances[0].Master == want
	})
}

// daemon is a running vigil (or keepalived) process.
type daemon struct {
	cmd  *exec.Cmd
	log  string
	conf string
	done chan struct{}
}

func (l *lab) writeConf(name, body string) string {
	p := filepath.Join(l.dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		l.t.Fatal(err)
	}
	return p
}

// startVigil runs `vigil run` in the host's namespace.
//
// Unless the configuration has its own global block, the daemon runs with
// SCHED_FIFO (realtime block), as a production director with 10 ms adverts
// should: the test machine is shared with compilers and other tests.
func (l *lab) startVigil(h *topo.Host, conf string, extraArgs ...string) *daemon {
	l.t.Helper()
	if !strings.Contains(conf, "global {") {
		conf = fmt.Sprintf("global {\n  control_socket = %q\n  realtime {\n    sched_priority = 20\n  }\n}\n", l.socket(h)) + conf
	}
	p := l.writeConf(h.Name+".hcl", conf)
	return l.startProc(h, p, append([]string{vigilBin, "run", "-config", p, "-log-level", "debug"}, extraArgs...))
}

func (l *lab) startProc(h *topo.Host, conf string, argv []string) *daemon {
	l.t.Helper()
	logPath := filepath.Join(l.dir, fmt.Sprintf("%s-%d.log", h.Name, time.Now().UnixNano()))
	logf, err := os.Create(logPath)
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := h.Command(context.Background(), argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := h.Start(cmd); err != nil {
		l.t.Fatal(err)
	}
	d := &daemon{cmd: cmd, log: logPath, conf: conf, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(d.done)
	}()
	l.t.Cleanup(func() {
		d.signal(syscall.SIGKILL)
		<-d.done
		if l.t.Failed() {
			b, _ := os.ReadFile(logPath)
			l.t.Logf("log of %s (%s):\n%s", h.Name, argv[0], tail(string(b), 60))
		}
	})
	return d
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// signal sends sig to the daemon. `ip netns exec` execs the daemon in
// place, so the process is the daemon itself.
func (d *daemon) signal(sig syscall.Signal) {
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(sig)
	}
}

// wait waits for the daemon to exit and returns its exit code.
func (d *daemon) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-d.done:
		return d.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("daemon did not exit within %s", timeout)
		return -1
	}
}

// logLines returns the lines of the daemon's log that contain substr.
func (d *daemon) logLines(substr string) []string {
	f, err := os.Open(d.log)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			out = append(out, sc.Text())
		}
	}
	return out
}
