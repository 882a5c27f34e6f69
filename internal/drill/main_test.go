package drill

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vigil-ha/vigil/internal/lab"
)

// vigilBin is the vigil binary the namespace tests run on the directors:
// $VIGIL_BIN (the test VM sets it), else built by TestMain when the tests
// run as root. buildErr says why there is none.
var (
	vigilBin string
	buildErr error
)

func TestMain(m *testing.M) {
	// The lab's real servers run `SELF lab httpd ...`: this test binary
	// plays vigil for them (see labSelf).
	if len(os.Args) > 1 && os.Args[1] == "lab" {
		os.Exit(lab.Main(context.Background(), os.Args[2:], os.Stdout, os.Stderr))
	}
	vigilBin = os.Getenv("VIGIL_BIN")
	var dir string
	if vigilBin == "" && os.Geteuid() == 0 {
		var err error
		if dir, err = os.MkdirTemp("", "vigil-drill-test-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		vigilBin = filepath.Join(dir, "vigil")
		out, err := exec.Command("go", "build", "-o", vigilBin, "github.com/vigil-ha/vigil/cmd/vigil").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building vigil: %v\n%s", err, out)
			vigilBin = ""
		}
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// needVigil returns the vigil binary, failing the test when it could not be built.
func needVigil(t *testing.T) string {
	t.Helper()
	if vigilBin == "" {
		if buildErr != nil {
			t.Fatal(buildErr)
		}
		t.Fatal("no vigil binary (set VIGIL_BIN)")
	}
	return vigilBin
}

// labSelf is the command the lab's real servers run for `vigil lab`.
func labSelf(t *testing.T) []string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return []string{exe, "lab"}
}
