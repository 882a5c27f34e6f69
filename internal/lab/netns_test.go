package lab

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
)

// testOptions is a lab of the tests' own with this test binary as `vigil lab`.
func testOptions(t *testing.T, prefix string) Options {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Prefix: prefix, StateDir: filepath.Join(t.TempDir(), "state"), Self: []string{exe, "lab"}, Vigil: "/nonexistent/vigil"}
}

func needNamespaces(t *testing.T) {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
}

func TestUpBuildsTheLabAndDownRemovesIt(t *testing.T) {
	needNamespaces(t)
	o := testOptions(t, "vglt1")
	t.Cleanup(func() { _, _ = Down(o) })
	ctx := context.Background()
	l, err := Up(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := Open(o)
	if err != nil {
		t.Fatalf("Open after Up: %v", err)
	}
	if opened.VIP != l.VIP || opened.MustHost(D1).MAC == "" || opened.MustHost(D1).MAC != l.MustHost(D1).MAC {
		t.Fatalf("Open found %+v, Up made %+v", opened.Hosts, l.Hosts)
	}
	// Each real server answers with its name on its own address, from the client.
	c := l.HTTPClient(Client, 2*time.Second)
	for _, rs := range l.RealServers() {
		name, err := Get(ctx, c, "http://"+rs.Addr.String()+"/")
		if err != nil || name != rs.Name {
			t.Errorf("GET from the client to %s: %q, %v", rs.Name, name, err)
		}
		if !l.HTTPDRunning(rs.Name) {
			t.Errorf("%s: the HTTP server's pid is not recorded", rs.Name)
		}
	}
	// The real servers carry the VIP on lo and do not answer ARP for it:
	// a ping to the VIP from the client fails while no director has it.
	p, err := l.NewPinger(Client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Ping(ctx, l.VIP, 300*time.Millisecond); err == nil {
		t.Error("the VIP answered with no director: a real server answers ARP for it")
	}
	if _, err := p.Ping(ctx, l.MustHost(D2).Addr, time.Second); err != nil {
		t.Errorf("ping d2 from the client: %v", err)
	}
	p.Close()
	var status strings.Builder
	if err := l.WriteStatus(&status); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"vglt1-client", "httpd (pid", "10.77.0.11", l.MustHost(RS2).MAC} {
		if !strings.Contains(status.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, status.String())
		}
	}

	rep, err := Down(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Namespaces) != 6 || rep.Killed < 2 {
		t.Errorf("Down removed %v and killed %d processes, want 6 namespaces and the 2 HTTP servers", rep.Namespaces, rep.Killed)
	}
	if _, err := Open(o); err == nil {
		t.Error("Open succeeded after Down")
	}
	if _, err := os.Stat(o.StateDir); !os.IsNotExist(err) {
		t.Errorf("state directory still there: %v", err)
	}
	again, err := Down(o)
	if err != nil || len(again.Namespaces) != 0 {
		t.Errorf("a second Down: %+v, %v", again, err)
	}
}

func TestDownCleansUpAfterACrash(t *testing.T) {
	needNamespaces(t)
	o := testOptions(t, "vglt2")
	t.Cleanup(func() { _, _ = Down(o) })
	l, err := Up(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	httpd := l.HTTPDPID(RS1)
	// The state directory is lost (a reboot of /run, a crashed drill):
	// Down must still find the namespaces and what runs inside them.
	if err := os.RemoveAll(o.StateDir); err != nil {
		t.Fatal(err)
	}
	rep, err := Down(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Namespaces) != 6 {
		t.Errorf("deleted %v", rep.Namespaces)
	}
	if err := syscall.Kill(httpd, 0); err == nil {
		// It may linger as a zombie of this process for a moment; a
		// zombie has no namespace any more.
		if pids, _ := PIDsIn(l.MustHost(RS1).NS); len(pids) > 0 {
			t.Errorf("rs1's HTTP server (pid %d) survived Down", httpd)
		}
	}
	if names, _ := namespacesWithPrefix("vglt2"); len(names) != 0 {
		t.Errorf("namespaces left: %v", names)
	}
}

func TestUpRefusesAForeignStateDirectory(t *testing.T) {
	needNamespaces(t)
	o := testOptions(t, "vglt3")
	t.Cleanup(func() { _, _ = Down(o) })
	if err := os.MkdirAll(o.StateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(o.StateDir, "precious.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Up(context.Background(), o); err == nil || !strings.Contains(err.Error(), "not a lab's") {
		t.Fatalf("Up into a directory with other files: %v", err)
	}
	if _, err := Down(o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("Down deleted a directory the lab did not create: %v", err)
	}
}
