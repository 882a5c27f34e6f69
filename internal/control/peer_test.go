package control

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
	"golang.org/x/sys/unix"
)

// nobody is the uid the tests below call from.
const nobody = 65534

// callAsNobody runs one status call from a thread whose uid is nobody. The
// raw setresuid changes only the calling thread (Go's syscall.Setuid would
// change them all); the thread stays locked and dies with the goroutine,
// so no other code ever runs with those credentials.
func callAsNobody(t *testing.T, path string) error {
	t.Helper()
	result := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, nobody, nobody, nobody); errno != 0 {
			result <- errno
			return
		}
		_, err := Dial(path).Status()
		result <- err
	}()
	return <-result
}

// openDirs lets other users reach the socket: t.TempDir is 0700.
func openDirs(t *testing.T, path string) {
	t.Helper()
	for dir := filepath.Dir(path); dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOtherUsersCannotConnect(t *testing.T) {
	testenv.NeedRoot(t)
	path := startServer(t, &fakeHandler{doc: sampleDoc()})
	openDirs(t, path)
	err := callAsNobody(t, path)
	want := "vigil: permission denied on " + path + ": the control socket is for root only (try sudo)"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
}

func TestPeerCheckBacksUpTheFileMode(t *testing.T) {
	testenv.NeedRoot(t)
	h := &fakeHandler{doc: sampleDoc()}
	path := startServer(t, h)
	openDirs(t, path)
	// As if the caller had connected in the instant between bind and chmod.
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	err := callAsNobody(t, path)
	if err == nil || !strings.Contains(err.Error(), "permission denied: uid 65534 may not use the control socket") {
		t.Fatalf("error = %v, want the daemon's refusal", err)
	}
	if got := h.recorded(); len(got) != 0 {
		t.Errorf("handler ran for a refused caller: %q", got)
	}
}
