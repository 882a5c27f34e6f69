package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/internal/realserver"
)

// NetnsCommand returns argv run inside a machine's namespace through
// `ip netns exec`, which execs argv in place: the process it starts is
// argv[0] itself, so its pid is the program's.
func (l *Lab) NetnsCommand(ctx context.Context, host string, argv ...string) (*exec.Cmd, error) {
	h := l.Host(host)
	if h == nil {
		return nil, fmt.Errorf("no machine %q in the lab", host)
	}
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS}, argv...)...), nil
}

// Spawn starts argv inside a machine's namespace as a detached process: a
// session of its own, stdin from /dev/null, output appended to
// STATE/TAG.log, pid written to STATE/TAG.pid. It outlives the caller;
// Stop or Down ends it.
func (l *Lab) Spawn(host, tag string, argv ...string) (int, error) {
	cmd, err := l.NetnsCommand(context.Background(), host, argv...)
	if err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(l.Path(tag+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s in %s: %w", strings.Join(argv, " "), host, err)
	}
	pid := cmd.Process.Pid
	// Reap it if it ends while this process still runs (the drill).
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(l.Path(tag+".pid"), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return 0, err
	}
	return pid, nil
}

// PID returns the recorded pid of TAG if that process is alive inside the
// machine's namespace (a recycled pid elsewhere does not count), else 0.
func (l *Lab) PID(host, tag string) int {
	h := l.Host(host)
	if h == nil {
		return 0
	}
	b, err := os.ReadFile(l.Path(tag + ".pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	pids, _ := PIDsIn(h.NS)
	if !slices.Contains(pids, pid) {
		return 0
	}
	return pid
}

// Stop sends sig to TAG's recorded process and, for SIGKILL and SIGTERM,
// waits up to timeout for it to end. It reports whether there was a
// process to stop.
func (l *Lab) Stop(host, tag string, sig syscall.Signal, timeout time.Duration) (bool, error) {
	pid := l.PID(host, tag)
	if pid == 0 {
		_ = os.Remove(l.Path(tag + ".pid"))
		return false, nil
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return true, err
	}
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if l.PID(host, tag) == 0 {
			_ = os.Remove(l.Path(tag + ".pid"))
			return true, nil
		}
	}
	return true, fmt.Errorf("%s (pid %d) did not exit within %s of %s", tag, pid, timeout, sig)
}

// httpdTag names the HTTP server of a real server in the state directory.
func httpdTag(host string) string { return host + "-httpd" }

// StartHTTPD starts the HTTP server of a real server (`vigil lab httpd`)
// and waits until it accepts connections.
func (l *Lab) StartHTTPD(ctx context.Context, host string) error {
	argv := append(slices.Clone(l.Self), "httpd", "-name", host, "-listen", ":"+strconv.Itoa(HTTPPort))
	if _, err := l.Spawn(host, httpdTag(host), argv...); err != nil {
		return err
	}
	h := l.MustHost(host)
	target := netip.AddrPortFrom(h.Addr, HTTPPort).String()
	var last error
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		last = InNamespace(h.NS, func() error {
			c, err := net.DialTimeout("tcp4", target, time.Second)
			if err == nil {
				c.Close()
			}
			return err
		})
		if last == nil {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	b, _ := os.ReadFile(l.Path(httpdTag(host) + ".log"))
	return fmt.Errorf("the HTTP server of %s does not answer on %s: %v\n%s", host, target, last, b)
}

// StopHTTPD kills the HTTP server of a real server.
func (l *Lab) StopHTTPD(host string) (bool, error) {
	return l.Stop(host, httpdTag(host), syscall.SIGKILL, 2*time.Second)
}

// HTTPDPID is the pid of a real server's HTTP server, 0 if it is not running.
func (l *Lab) HTTPDPID(host string) int { return l.PID(host, httpdTag(host)) }

// HTTPDRunning reports whether the HTTP server of a real server runs.
func (l *Lab) HTTPDRunning(host string) bool { return l.PID(host, httpdTag(host)) != 0 }

// prepareRealServer applies the direct-routing setup of a real server
// with the realserver package, inside its namespace.
func (l *Lab) prepareRealServer(ctx context.Context, h *Host) error {
	cfg := realserver.Config{
		VIPs:      []netip.Addr{l.VIP},
		Interface: "eth0",
		Method:    realserver.MethodSysctl,
		Ports:     []realserver.Port{{Proto: "tcp", Port: HTTPPort}},
	}
	statePath := l.Path(h.Name + "-realserver.json")
	return InNamespace(h.NS, func() error {
		host, err := realserver.NewHost(statePath)
		if err != nil {
			return err
		}
		if _, err := realserver.Apply(ctx, host, cfg); err != nil {
			return fmt.Errorf("real server %s: %w", h.Name, err)
		}
		results, err := realserver.Check(ctx, host, cfg)
		if err != nil {
			return fmt.Errorf("real server %s: %w", h.Name, err)
		}
		if n := realserver.Failed(results); n > 0 {
			var b strings.Builder
			realserver.WriteResults(&b, results)
			return fmt.Errorf("real server %s: %d checks failed after apply:\n%s", h.Name, n, b.String())
		}
		return nil
	})
}

// errNoDirector is returned for a name that is not d1 or d2.
var errNoDirector = errors.New("not a director (d1 or d2)")
