package sdnotify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// listen opens a unixgram socket where systemd's would be and points
// $NOTIFY_SOCKET at it.
func listen(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv(SocketEnv, name)
	return conn
}

// next returns the next datagram, failing the test after a second.
func next(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 4096)
	if err := conn.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no datagram: %v", err)
	}
	return string(buf[:n])
}

// nothingQueued fails the test if a datagram is waiting.
func nothingQueued(t *testing.T, conn *net.UnixConn) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	if n, err := conn.Read(buf); err == nil {
		t.Fatalf("unexpected datagram %q", buf[:n])
	}
}

func TestDatagramsOnPathSocket(t *testing.T) {
	conn := listen(t, filepath.Join(t.TempDir(), "notify"))
	cases := []struct {
		name string
		send func() error
		want string
	}{
		{"ready", Ready, "READY=1"},
		{"stopping", Stopping, "STOPPING=1"},
		{"watchdog", Watchdog, "WATCHDOG=1"},
		{"status", func() error { return Status("2 instances: VI_1 master,\nVI_2 backup") },
			"STATUS=2 instances: VI_1 master, VI_2 backup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.send(); err != nil {
				t.Fatal(err)
			}
			if got := next(t, conn); got != c.want {
				t.Fatalf("datagram %q, want %q", got, c.want)
			}
		})
	}
}

func TestReloadingCarriesMonotonicTime(t *testing.T) {
	conn := listen(t, filepath.Join(t.TempDir(), "notify"))
	before := monotonicUsec()
	if err := Reloading(); err != nil {
		t.Fatal(err)
	}
	after := monotonicUsec()
	got := next(t, conn)
	lines := strings.Split(got, "\n")
	if len(lines) != 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Fatalf("datagram %q, want RELOADING=1 then MONOTONIC_USEC=", got)
	}
	usec, err := strconv.ParseUint(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if usec < before || usec > after {
		t.Fatalf("MONOTONIC_USEC=%d outside [%d, %d]", usec, before, after)
	}
}

func TestAbstractNamespaceSocket(t *testing.T) {
	name := fmt.Sprintf("@vigil-sdnotify-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	conn := listen(t, name)
	if err := Ready(); err != nil {
		t.Fatal(err)
	}
	if got := next(t, conn); got != "READY=1" {
		t.Fatalf("datagram %q, want READY=1", got)
	}
}

func TestNoSocketIsNoOp(t *testing.T) {
	t.Setenv(SocketEnv, "")
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if n.Enabled() {
		t.Fatal("enabled without NOTIFY_SOCKET")
	}
	for _, f := range []func() error{Ready, Reloading, Stopping, Watchdog, func() error { return Status("x") }} {
		if err := f(); err != nil {
			t.Fatalf("no-op returned %v", err)
		}
	}
	var nilNotifier *Notifier
	if err := nilNotifier.Ready(); err != nil {
		t.Fatalf("nil Notifier returned %v", err)
	}
}

func TestRejectsUnsupportedAddresses(t *testing.T) {
	for _, addr := range []string{"relative/path", "vsock:2:1234", "@"} {
		if _, err := New(addr); err == nil {
			t.Errorf("New(%q) accepted", addr)
		}
	}
}

func TestRejectsMultiLineAssignment(t *testing.T) {
	listen(t, filepath.Join(t.TempDir(), "notify"))
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send("READY=1\nSTATUS=x"); err == nil {
		t.Fatal("an assignment with a newline was sent")
	}
	if err := n.Send("READY"); err == nil {
		t.Fatal("an assignment without '=' was sent")
	}
}

func TestMissingSocketIsAnError(t *testing.T) {
	t.Setenv(SocketEnv, filepath.Join(t.TempDir(), "absent"))
	if err := Ready(); err == nil {
		t.Fatal("sending to a missing socket succeeded")
	}
}

func TestWatchdogInterval(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	cases := []struct {
		usec, pid string
		want      time.Duration
		wantErr   bool
	}{
		{"", "", 0, false},
		{"10000000", "", 10 * time.Second, false},
		{"10000000", self, 10 * time.Second, false},
		{"10000000", strconv.Itoa(os.Getpid() + 1), 0, false}, // inherited by a child
		{"abc", "", 0, true},
		{"0", "", 0, true},
		{"10000000", "x", 0, true},
		{"99999999999999999999", "", 0, true},
	}
	for _, c := range cases {
		t.Setenv(WatchdogUsecEnv, c.usec)
		t.Setenv(WatchdogPIDEnv, c.pid)
		got, err := WatchdogInterval()
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("USEC=%q PID=%q: got %v, %v; want %v, error %v", c.usec, c.pid, got, err, c.want, c.wantErr)
		}
		if err != nil && !errors.Is(err, errWatchdog) {
			t.Errorf("error %v does not wrap errWatchdog", err)
		}
	}
}

func TestHeartbeatSendsOnlyWhileAlive(t *testing.T) {
	conn := listen(t, filepath.Join(t.TempDir(), "notify"))
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	var alive atomic.Bool
	alive.Store(true)
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Heartbeat(ctx, 20*time.Millisecond, func() bool { calls.Add(1); return alive.Load() })
	}()
	for range 2 {
		if got := next(t, conn); got != "WATCHDOG=1" {
			t.Fatalf("datagram %q, want WATCHDOG=1", got)
		}
	}
	alive.Store(false)
	// Drain what was sent before the flip, then wait for two more checks.
	seen := calls.Load()
	for calls.Load() < seen+2 {
		time.Sleep(5 * time.Millisecond)
	}
	for conn.SetReadDeadline(time.Now().Add(time.Millisecond)) == nil {
		if _, err := conn.Read(make([]byte, 64)); err != nil {
			break
		}
	}
	seen = calls.Load()
	for calls.Load() < seen+2 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	nothingQueued(t, conn)
}
