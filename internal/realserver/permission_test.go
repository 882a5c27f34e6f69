package realserver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
)

// helperEnv makes the test binary act as an unprivileged vigil: TestMain
// runs one action and reports its error instead of running the tests.
const helperEnv = "VGR_REALSERVER_HELPER"

// exitPermission is the helper's exit code for an ErrPermission error.
const exitPermission = 7

func TestMain(m *testing.M) {
	if action := os.Getenv(helperEnv); action != "" {
		os.Exit(runHelper(action))
	}
	os.Exit(m.Run())
}

// runHelper runs apply, remove or probe with the configuration in the
// environment, in whatever namespace and with whatever capabilities it was
// started with.
func runHelper(action string) int {
	vip := netip.MustParseAddr(os.Getenv("VGR_VIP"))
	iface := os.Getenv("VGR_IFACE")
	var err error
	switch action {
	case "probe":
		_, err = Probe(context.Background(), iface, []netip.Addr{vip}, 100*time.Millisecond)
	default:
		var h *Host
		if h, err = NewHost(os.Getenv("VGR_STATE")); err == nil {
			if action == "apply" {
				_, err = Apply(context.Background(), h, Config{VIPs: []netip.Addr{vip}, Interface: iface})
			} else {
				_, err = Remove(context.Background(), h)
			}
		}
	}
	fmt.Println(err)
	if errors.Is(err, ErrPermission) {
		return exitPermission
	}
	return 1
}

// TestNoPermissionChangesNothing runs apply, remove and probe as root with
// every capability dropped (setpriv), in the real server's namespace: each
// must refuse with a clear message, and the host must be unchanged.
func TestNoPermissionChangesNothing(t *testing.T) {
	testenv.NeedCommand(t, "setpriv")
	tp := newTopo(t)
	// Give remove a record to refuse to act on.
	if _, err := tp.apply(t, Config{VIPs: []netip.Addr{tp.vip.Next()}, Interface: tp.rIf}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.remove(t) })
	before := tp.snapshot(t)
	stateBefore, _ := os.ReadFile(tp.state)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ action, ns, iface, want string }{
		{"apply", tp.rNS, tp.rIf, "needs root (CAP_NET_ADMIN)"},
		{"remove", tp.rNS, tp.rIf, "needs root (CAP_NET_ADMIN)"},
		{"probe", tp.pNS, tp.pIf, "needs root (CAP_NET_RAW)"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			var out []byte
			var err error
			inNS(t, tc.ns, func() {
				cmd := exec.Command("setpriv", "--inh-caps=-all", "--bounding-set=-all", "--", exe)
				cmd.Env = append(os.Environ(), helperEnv+"="+tc.action, "VGR_VIP="+tp.vip.String(),
					"VGR_IFACE="+tc.iface, "VGR_STATE="+tp.state)
				out, err = cmd.CombinedOutput()
			})
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitPermission || !strings.Contains(string(out), tc.want) {
				t.Fatalf("%s without capabilities: %v, output %q; want exit %d saying %q", tc.action, err, out, exitPermission, tc.want)
			}
		})
	}
	if after := tp.snapshot(t); after != before {
		t.Errorf("an unprivileged run changed the host:\n%s", snapshotDiff(before, after))
	}
	if stateAfter, _ := os.ReadFile(tp.state); string(stateAfter) != string(stateBefore) {
		t.Error("an unprivileged run changed the state record")
	}
}
