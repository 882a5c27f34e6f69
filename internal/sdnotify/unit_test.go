package sdnotify

import (
	"bufio"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/internal/config"
)

// unitFile is the example unit shipped for operators; this test keeps it
// in step with what the daemon does.
const unitFile = "../../examples/systemd/vigil.service"

// unit maps "Section.Key" to every value assigned to it, in order.
type unit map[string][]string

// parseUnit reads the simple subset of systemd's syntax the example uses:
// [Section] headers, Key=Value lines, and # or ; comments.
func parseUnit(t *testing.T, name string) unit {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
		case strings.HasSuffix(line, `\`):
			t.Fatalf("%s:%d: line continuations are not supported by this test's parser", name, n)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: %q is not Key=Value inside a section", name, n, line)
			}
			key := section + "." + strings.TrimSpace(k)
			u[key] = append(u[key], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one returns the single value of key, failing if it is unset or repeated.
func (u unit) one(t *testing.T, key string) string {
	t.Helper()
	v := u[key]
	if len(v) != 1 {
		t.Fatalf("%s is set %d times, want once: %q", key, len(v), v)
	}
	return v[0]
}

func TestUnitFileIsNotifyWithReload(t *testing.T) {
	u := parseUnit(t, unitFile)
	if got := u.one(t, "Service.Type"); got != "notify" {
		t.Errorf("Type=%s, want notify (the daemon sends READY=1)", got)
	}
	if got := u.one(t, "Service.NotifyAccess"); got != "main" {
		t.Errorf("NotifyAccess=%s, want main", got)
	}
	reload := u["Service.ExecReload"]
	if len(reload) == 0 || reload[len(reload)-1] != "/bin/kill -HUP $MAINPID" {
		t.Errorf("ExecReload=%q, want it to end with /bin/kill -HUP $MAINPID", reload)
	}
	if got := u.one(t, "Service.ExecStart"); !strings.Contains(got, "vigil run ") {
		t.Errorf("ExecStart=%s does not run `vigil run`", got)
	}
	if got := u.one(t, "Service.WatchdogSec"); got != "10" {
		t.Errorf("WatchdogSec=%s, want 10", got)
	}
	if got := u.one(t, "Install.WantedBy"); got != "multi-user.target" {
		t.Errorf("WantedBy=%s", got)
	}
}

func TestUnitFileCapabilities(t *testing.T) {
	u := parseUnit(t, unitFile)
	want := []string{"CAP_IPC_LOCK", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_SYS_NICE"}
	for _, key := range []string{"Service.CapabilityBoundingSet", "Service.AmbientCapabilities"} {
		got := strings.Fields(u.one(t, key))
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s=%v, want exactly %v", key, got, want)
		}
	}
	families := strings.Fields(u.one(t, "Service.RestrictAddressFamilies"))
	for _, f := range []string{"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET"} {
		if !slices.Contains(families, f) {
			t.Errorf("RestrictAddressFamilies lacks %s, which the daemon needs", f)
		}
	}
	if got := u.one(t, "Service.RestrictRealtime"); got != "no" {
		t.Errorf("RestrictRealtime=%s would forbid SCHED_FIFO (global realtime)", got)
	}
}

func TestUnitFileHardening(t *testing.T) {
	u := parseUnit(t, unitFile)
	for key, want := range map[string]string{
		"Service.NoNewPrivileges":       "yes",
		"Service.ProtectSystem":         "strict",
		"Service.ProtectHome":           "yes",
		"Service.PrivateTmp":            "yes",
		"Service.ProtectKernelModules":  "yes",
		"Service.ProtectKernelTunables": "yes",
		"Service.SystemCallFilter":      "@system-service",
	} {
		if got := u.one(t, key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
}

// With ProtectSystem=strict only the RuntimeDirectory is writable, so the
// default control socket and state file must live in it.
func TestUnitFileRuntimeDirectoryHoldsDefaults(t *testing.T) {
	u := parseUnit(t, unitFile)
	dir := "/run/" + u.one(t, "Service.RuntimeDirectory")
	for name, p := range map[string]string{
		"control_socket": config.DefaultControlSocket,
		"state_file":     config.DefaultStateFile,
	} {
		if path.Dir(p) != dir {
			t.Errorf("default %s %s is outside RuntimeDirectory %s", name, p, dir)
		}
	}
	if got := u.one(t, "Service.RuntimeDirectoryMode"); got != "0755" {
		t.Errorf("RuntimeDirectoryMode=%s, want 0755 (the socket itself is 0600)", got)
	}
}
