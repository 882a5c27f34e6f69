package control

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -run %s -update to accept):\n--- got\n%s\n--- want\n%s", path, t.Name(), got, want)
	}
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = RunCLI(args, &o, &e)
	return code, o.String(), e.String()
}

func TestStatusTableGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteStatus(&b, sampleDoc()); err != nil {
		t.Fatal(err)
	}
	golden(t, "status.golden", b.Bytes())
}

func TestStatusCommandOverSocket(t *testing.T) {
	path := startServer(t, &fakeHandler{doc: sampleDoc()})
	// The table after the JSON round trip is the golden one.
	code, out, errOut := runCLI("status", "-socket", path)
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden(t, "status.golden", []byte(out))

	code, out, errOut = runCLI("status", "-json", "-socket", path)
	if code != ExitOK || errOut != "" {
		t.Fatalf("-json: exit %d, stderr %q", code, errOut)
	}
	var doc StatusDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("-json output is not a StatusDoc: %v", err)
	}
	if !reflect.DeepEqual(doc, sampleDoc()) {
		t.Errorf("-json document differs:\n got %+v\nwant %+v", doc, sampleDoc())
	}
}

func TestStatusEmptyDaemon(t *testing.T) {
	path := startServer(t, &fakeHandler{doc: StatusDoc{Router: "lb2", IPVSError: "IPVS is not available in this kernel"}})
	code, out, _ := runCLI("status", "-socket", path)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"VRRP INSTANCES (0)\n  none configured", "cannot read the table: IPVS is not available", "REAL SERVERS (0)\n  none checked"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDaemonNotRunningCLI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.sock")
	for _, args := range [][]string{
		{"status", "-socket", path},
		{"reload", "-socket", path},
		{"maintenance", "on", "VI_web", "-socket", path},
		{"garp", "-socket", path, "VI_web"},
	} {
		code, out, errOut := runCLI(args...)
		want := "vigil: no daemon is listening on " + path + " (is `vigil run` running?)\n"
		if code != ExitFail || out != "" || errOut != want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, code, out, errOut, want)
		}
	}
}

func TestControlCommands(t *testing.T) {
	h := &fakeHandler{summary: "VI_web unchanged"}
	path := startServer(t, h)
	cases := []struct {
		args     []string
		code     int
		stdout   string
		stderr   string
		recorded string
	}{
		{[]string{"maintenance", "on", "VI_web", "-socket", path}, ExitOK,
			"VI_web: maintenance on; the instance has left the election (a master hands over to its peer; see 'vigil status')\n", "", "maintenance on VI_web"},
		{[]string{"maintenance", "-socket", path, "OFF", "VI_web"}, ExitOK,
			"VI_web: maintenance off; the instance rejoins the election as backup\n", "", "maintenance off VI_web"},
		{[]string{"maintenance", "-socket", path, "on", "nope"}, ExitFail,
			"", "vigil maintenance: no vrrp_instance \"nope\"\n", "maintenance on nope"},
		{[]string{"reload", "-socket", path}, ExitOK, "reloaded: VI_web unchanged\n", "", "reload"},
		{[]string{"garp", "VI_web", "-socket", path}, ExitOK,
			"VI_web: gratuitous ARP / unsolicited NA sent for its VIPs\n", "", "garp VI_web"},
	}
	for _, c := range cases {
		before := len(h.recorded())
		code, out, errOut := runCLI(c.args...)
		if code != c.code || out != c.stdout || errOut != c.stderr {
			t.Errorf("%v: exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr %q", c.args, code, out, errOut, c.code, c.stdout, c.stderr)
		}
		if rec := h.recorded(); len(rec) != before+1 || rec[before] != c.recorded {
			t.Errorf("%v: handler saw %q, want %q last", c.args, rec, c.recorded)
		}
	}
}

func TestCLIUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no control command given"},
		{[]string{"shutdown"}, `"shutdown" is not a control command`},
		{[]string{"maintenance", "on"}, "expected 2 argument(s), got 1"},
		{[]string{"maintenance", "maybe", "VI_web"}, `"maybe" is neither on nor off`},
		{[]string{"garp"}, "expected 1 argument(s), got 0"},
		{[]string{"status", "-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"reload", "extra"}, "expected 0 argument(s), got 1"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(c.args...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
}

func TestCLIHelpTeaches(t *testing.T) {
	for _, c := range CLICommands {
		code, out, errOut := runCLI(c.Name, "-help")
		if code != ExitOK || errOut != "" {
			t.Errorf("%s -help: exit %d, stderr %q", c.Name, code, errOut)
		}
		for _, want := range []string{"Usage: vigil " + c.Name, "-socket path", "/run/vigil/vigil.sock"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s -help lacks %q:\n%s", c.Name, want, out)
			}
		}
	}
	if _, out, _ := runCLI("status", "-h"); !strings.Contains(out, "-json") {
		t.Errorf("status -help does not document -json:\n%s", out)
	}
}
