package drill

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseIPLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		want ipLine
	}{
		{"3: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default \\    link/ether 6a:2b:6d:5b:31:86 brd ff:ff:ff:ff:ff:ff", true,
			ipLine{link: true, ifname: "eth0", up: true, mac: "6a:2b:6d:5b:31:86"}},
		{"3: eth0@eth1: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN mode DEFAULT group default qlen 1000\\    link/ether 6a:2b:6d:5b:31:86 brd ff:ff:ff:ff:ff:ff", true,
			ipLine{link: true, ifname: "eth0", mac: "6a:2b:6d:5b:31:86"}},
		// LOWER_UP alone is not UP.
		{"2: eth1: <NO-CARRIER,BROADCAST,LOWER_UP> mtu 1500", true, ipLine{link: true, ifname: "eth1"}},
		{"3: eth0    inet 10.9.9.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever", true,
			ipLine{ifname: "eth0", prefix: netip.MustParsePrefix("10.9.9.100/24")}},
		{"Deleted 3: eth0    inet 10.9.9.100/24 scope global secondary eth0\\       valid_lft forever", true,
			ipLine{deleted: true, ifname: "eth0", prefix: netip.MustParsePrefix("10.9.9.100/24")}},
		{"4: tun0    inet 10.0.0.1 peer 10.0.0.2/32 scope global tun0", true,
			ipLine{ifname: "tun0", prefix: netip.MustParsePrefix("10.0.0.1/32")}},
		{"3: eth0    inet6 fe80::1/64 scope link", true, ipLine{ifname: "eth0", prefix: netip.MustParsePrefix("fe80::1/64")}},
		{"[LINK]3: eth0: <UP> mtu 1500", false, ipLine{}},
		{"10.77.0.1 dev eth0 lladdr 02:00:00:00:00:01 REACHABLE", false, ipLine{}},
		{"3: eth0    link 1", false, ipLine{}},
		{"", false, ipLine{}},
	} {
		got, ok := parseIPLine(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseIPLine(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseDirInfo(t *testing.T) {
	vip := netip.MustParseAddr("10.0.0.100")
	out := "3: eth0@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 \\    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n" +
		"3: eth0    inet 10.0.0.100/24 scope global secondary eth0\n" +
		"3: eth0    inet 10.0.0.1/24 scope global eth0\n"
	info, err := parseDirInfo(out, "eth0", vip)
	if err != nil || info.mac != "02:00:00:00:00:01" || info.addr != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("parseDirInfo = %+v, %v", info, err)
	}
	for _, c := range []struct{ out, want string }{
		{"", "no interface eth0"},
		{strings.Replace(out, "UP,LOWER_UP", "LOWER_UP", 1), "eth0 is down"},
		{strings.Split(out, "\n")[0] + "\n" + strings.Split(out, "\n")[1], "no address of its own"},
	} {
		if _, err := parseDirInfo(c.out, "eth0", vip); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseDirInfo(%q) error %v, want %q", c.out, err, c.want)
		}
	}
}

// TestShellQuote runs the quoted words through sh and compares what
// arrives.
func TestShellQuote(t *testing.T) {
	words := []string{"plain", "", "two words", "it's", `"$HOME"`, "a\\b", "`id`", "x;y", "10.0.0.1/24", "-interface", "*"}
	out, err := exec.Command("sh", "-c", "printf '%s\\n' "+shellWords(words...)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); strings.Join(got, "|") != strings.Join(words, "|") {
		t.Errorf("sh saw %q, want %q", got, words)
	}
}

// writeHosts writes a hosts file whose commands would fail at once (a
// namespace that does not exist).
func writeHosts(t *testing.T, interval string) string {
	t.Helper()
	src := "vip = \"10.0.0.100\"\nadvert_interval = \"" + interval + "\"\n"
	for _, d := range []string{"lb1", "lb2"} {
		src += "director \"" + d + "\" {\n  netns = \"vgdhnone-" + d + "\"\n  interface = \"eth0\"\n  start = \"true\"\n  stop = \"true\"\n}\n"
	}
	src += "client {\n  netns = \"vgdhnone-c\"\n}\n"
	path := filepath.Join(t.TempDir(), "hosts.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A drill the hosts cannot run is refused before any command runs on them.
func TestHostsRefusedBeforeAnythingRuns(t *testing.T) {
	path := writeHosts(t, "100ms")
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Scenario: "realserver-dies"}, "runs in the lab only"},
		{Options{Scenario: "master-sigkill", Interval: time.Second}, "-interval 1s: the pair's interval is advert_interval"},
		{Options{Scenario: "master-sigkill"}, "looking at director lb1"},
	} {
		c.o.Hosts = path
		var out strings.Builder
		_, err := Run(context.Background(), c.o, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.o.Scenario, err, c.want)
		}
		if out.Len() > 0 {
			t.Errorf("%s: the drill started: %s", c.o.Scenario, out.String())
		}
	}
	if _, err := Run(context.Background(), Options{Scenario: "flap", Hosts: filepath.Join(t.TempDir(), "none.hcl")}, &strings.Builder{}); err == nil {
		t.Error("a missing hosts file was accepted")
	}
}

// Remote.run: the output without the mark line, the mark's time, the
// error output in the error, and a command whose background child keeps
// the output open still returns.
func TestRemoteRun(t *testing.T) {
	h := Remote{Name: "here", Command: []string{"sh", "-c"}}
	ctx := context.Background()
	marks := 0
	out, err := h.run(ctx, 10*time.Second, "echo a\necho "+markLine+"\necho b", func(time.Time) { marks++ })
	if err != nil || out != "a\nb\n" || marks != 1 {
		t.Errorf("run = %q, %v, %d marks", out, err, marks)
	}
	_, err = h.run(ctx, 10*time.Second, "echo oops >&2; exit 3", nil)
	if err == nil || !strings.Contains(err.Error(), "oops") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing command: %v", err)
	}
	start := time.Now()
	out, err = h.run(ctx, 20*time.Second, "sleep 4 & echo started", nil)
	if err != nil || out != "started\n" || time.Since(start) > 10*time.Second {
		t.Errorf("background child: %q, %v after %s", out, err, time.Since(start))
	}
	if _, err := h.run(ctx, 200*time.Millisecond, "sleep 5", nil); err == nil || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("slow command: %v", err)
	}
}
