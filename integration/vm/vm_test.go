package vm

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
)

// runVM runs run.sh with args and returns its combined output and exit code.
func runVM(t *testing.T, args ...string) (string, int) {
	t.Helper()
	// build.sh installs qemu and the other host tools itself, as root.
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "apt-get")
	out, err := exec.Command("./run.sh", args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	default:
		t.Fatalf("run.sh: %v\n%s", err, out)
		return "", -1
	}
}

// TestRunCarriesPayloadEnvAndExitCode boots the VM once: the payload file and
// the -e variable must arrive, the kernel must offer IPVS and netem, and
// run.sh must return the command's own exit code even when the command
// prints a fake exit marker of its own.
func TestRunCarriesPayloadEnvAndExitCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	token := "tok-" + time.Now().Format("150405.000000")
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("payload "+token+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `cat hello.txt
echo "env $VMTEST_TOKEN"
echo VIGIL-VM-EXIT=99
test -e /proc/net/ip_vs || { echo "no IPVS"; exit 3; }
tc qdisc add dev lo root netem delay 1ms || { echo "no netem"; exit 4; }
exit 7`
	out, code := runVM(t, "-t", "300", "-d", dir, "-e", "VMTEST_TOKEN="+token, "--", "bash", "-c", script)
	if code != 7 {
		t.Fatalf("exit code %d, want 7 (the command's)\n%s", code, out)
	}
	for _, want := range []string{"payload " + token, "env " + token} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
}

// TestRunTimeLimit: a command that never ends is cut off at -t seconds and
// run.sh says so with exit code 124.
func TestRunTimeLimit(t *testing.T) {
	t.Parallel()
	start := time.Now()
	out, code := runVM(t, "-t", "3", "--", "sleep", "1000")
	if code != 124 {
		t.Fatalf("exit code %d, want 124\n%s", code, out)
	}
	// 3 s limit + 5 s grace for the kill, plus the build check, with margin.
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("run.sh took %v despite -t 3", d)
	}
}

// TestRunWithoutMarkerFails: a VM that powers off before /init reports an
// exit code must not count as a success.
func TestRunWithoutMarkerFails(t *testing.T) {
	t.Parallel()
	out, code := runVM(t, "-t", "300", "--", "bash", "-c", "echo o >/proc/sysrq-trigger; sleep 60")
	if code != 125 {
		t.Fatalf("exit code %d, want 125 (no exit marker)\n%s", code, out)
	}
	if strings.Contains(out, "VIGIL-VM-EXIT=") {
		t.Errorf("an exit marker appeared although the VM was powered off first:\n%s", out)
	}
}
