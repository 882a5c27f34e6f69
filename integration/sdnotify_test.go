package integration

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDaemonSpeaksSystemdNotify runs `vigil run` under a fake systemd: a
// datagram socket named by NOTIFY_SOCKET must receive READY=1 once the
// configuration is applied, RELOADING=1 then READY=1 around SIGHUP, and
// STOPPING=1 on SIGTERM.
func TestDaemonSpeaksSystemdNotify(t *testing.T) {
	l := newLab(t, "vgn1", 227)
	sock := filepath.Join(l.dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	expect := func(what string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case msg, ok := <-got:
				if !ok {
					t.Fatalf("socket closed waiting for %s", what)
				}
				if strings.Contains(msg, what) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s from the daemon", what)
			}
		}
	}
	os.Setenv("NOTIFY_SOCKET", sock)
	d := l.startVigil(l.d1, l.instance(150, "100ms"))
	os.Unsetenv("NOTIFY_SOCKET")
	expect("READY=1")
	d.signal(syscall.SIGHUP)
	expect("RELOADING=1")
	expect("READY=1")
	d.signal(syscall.SIGTERM)
	expect("STOPPING=1")
	if code := d.wait(t, 5*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}
