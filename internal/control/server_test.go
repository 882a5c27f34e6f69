package control

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestCommandsRoundTrip(t *testing.T) {
	h := &fakeHandler{doc: sampleDoc(), summary: "VI_web unchanged, VI_api updated"}
	c := Dial(startServer(t, h))

	doc, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc, h.doc) {
		t.Errorf("status changed on the way:\n got %+v\nwant %+v", doc, h.doc)
	}
	summary, err := c.Reload()
	if err != nil || summary != h.summary {
		t.Errorf("Reload = %q, %v; want %q", summary, err, h.summary)
	}
	if err := c.Maintenance("VI_web", true); err != nil {
		t.Error(err)
	}
	if err := c.Maintenance("VI_web", false); err != nil {
		t.Error(err)
	}
	if err := c.GARP("VI_web"); err != nil {
		t.Error(err)
	}
	want := []string{"status", "reload", "maintenance on VI_web", "maintenance off VI_web", "garp VI_web"}
	if got := h.recorded(); !reflect.DeepEqual(got, want) {
		t.Errorf("handler saw %q, want %q", got, want)
	}
}

func TestHandlerErrorsReachTheClient(t *testing.T) {
	h := &fakeHandler{summary: "VI_web added", reloadErr: errors.New(`vrrp_instance "VI_db": no source address on eth9`),
		garpErr: errors.New("VI_web is backup and holds no VIPs")}
	c := Dial(startServer(t, h))

	err := c.GARP("VI_web")
	var de *DaemonError
	if !errors.As(err, &de) || err.Error() != "vigil garp: VI_web is backup and holds no VIPs" {
		t.Errorf("GARP error = %v (%T)", err, err)
	}
	summary, err := c.Reload()
	if summary != "VI_web added" || err == nil || !strings.Contains(err.Error(), "no source address on eth9") {
		t.Errorf("partial reload = %q, %v; want the summary and the error", summary, err)
	}
	if err := c.Maintenance("nope", true); err == nil || err.Error() != `vigil maintenance: no vrrp_instance "nope"` {
		t.Errorf("maintenance error = %v", err)
	}
}

func TestProtocolErrors(t *testing.T) {
	path := startServer(t, &fakeHandler{})
	cases := []struct {
		request string
		want    string
	}{
		{`{"v":2,"cmd":"status"}`, "protocol version 2 is not supported"},
		{`{"cmd":"status"}`, "no protocol version"},
		{`{"v":1,"cmd":"shutdown"}`, `unknown command "shutdown"`},
		{`{"v":1,"cmd":"garp"}`, "garp needs an instance name"},
		{`{"v":1,"cmd":`, "malformed request"},
	}
	for _, c := range cases {
		resp := rawCall(t, path, c.request)
		if resp.OK || resp.V != Version || !strings.Contains(resp.Error, c.want) {
			t.Errorf("%s -> %+v; want an error containing %q", c.request, resp, c.want)
		}
	}
}

// rawCall sends bytes as they are and decodes the answer.
func rawCall(t *testing.T, path, request string) Response {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.UnixConn).CloseWrite()
	var resp Response
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

type panicHandler struct{ fakeHandler }

func (*panicHandler) GARP(string) error { panic("boom") }

func TestHandlerPanicIsAnErrorNotACrash(t *testing.T) {
	c := Dial(startServer(t, &panicHandler{}))
	if err := c.GARP("VI_web"); err == nil || !strings.Contains(err.Error(), "internal error in garp: boom") {
		t.Fatalf("GARP = %v", err)
	}
	if _, err := c.Status(); err != nil {
		t.Fatalf("server gone after a panic: %v", err)
	}
}

func TestSocketIsPrivate(t *testing.T) {
	path := startServer(t, &fakeHandler{})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != os.Geteuid() {
		t.Errorf("socket owned by uid %d, want the daemon's %d", st.Uid, os.Geteuid())
	}
	dir, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if dir.Mode().Perm() != 0o755 {
		t.Errorf("created directory mode %v, want 0755", dir.Mode().Perm())
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.sock")
	// A daemon that died leaves its socket file behind.
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	srv, err := Listen(path)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer srv.Close()
	if _, err := net.Dial("unix", path); err != nil {
		t.Errorf("new socket does not accept: %v", err)
	}
}

func TestRefusesToReplaceAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.sock")
	if err := os.WriteFile(path, []byte("not a socket"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Fatalf("Listen over a regular file = %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "not a socket" {
		t.Errorf("the file was touched: %q, %v", b, err)
	}
}

func TestSecondServerIsRefused(t *testing.T) {
	path := startServer(t, &fakeHandler{})
	if _, err := Listen(path); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Listen = %v, want ErrInUse", err)
	}
	// The first one still answers.
	if _, err := Dial(path).Status(); err != nil {
		t.Fatalf("first server disturbed: %v", err)
	}
}

func TestRefusesWhenAnotherProgramAnswers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.sock")
	// Something without our lock file (an older daemon, another tool).
	other, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := Listen(path); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "answers on") {
		t.Fatalf("Listen = %v, want ErrInUse (answers)", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the live socket was removed: %v", err)
	}
}

func TestServeRemovesSocketAndLockOnStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- srv.Serve(ctx, &fakeHandler{}) }()
	if _, err := Dial(path).Status(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left after stop: %v", err)
	}
	// The lock is free again: a new daemon can start at once.
	srv2, err := Listen(path)
	if err != nil {
		t.Fatalf("restart refused: %v", err)
	}
	srv2.Close()
}

func TestNotRunningIsOneLine(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "vigil.sock")
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	for _, path := range []string{missing, stale} {
		_, err := Dial(path).Status()
		want := "vigil: no daemon is listening on " + path + " (is `vigil run` running?)"
		if err == nil || err.Error() != want {
			t.Errorf("error = %v\nwant    %s", err, want)
		}
		if !errors.Is(err, ErrNotRunning) {
			t.Errorf("%v does not wrap ErrNotRunning", err)
		}
	}
}

func TestListenRejectsRelativePath(t *testing.T) {
	if _, err := Listen("vigil.sock"); err == nil {
		t.Fatal("relative path accepted")
	}
}
