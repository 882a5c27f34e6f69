package drill

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/examples"
)

// goodHosts is a complete hosts file: one director by ssh, one by netns.
const goodHosts = `vip = "10.0.0.100"
advert_interval = "100ms"

director "lb1" {
  command   = ["ssh", "-o", "BatchMode=yes", "root@10.0.0.1"]
  interface = "eth0"
  start     = "systemctl start vigil"
  stop      = "systemctl stop vigil"
  kill      = "systemctl kill -s KILL vigil"
  status    = "systemctl is-active --quiet vigil"
  log       = "journalctl -f -n 0 -o cat -u vigil"
  vigil     = "/usr/local/bin/vigil"
}

director "lb2" {
  netns     = "lb2"
  interface = "eth1"
  start     = "vigil run -config /etc/vigil/lb2.hcl &"
  stop      = "pkill -TERM -x vigil"
}

client {
  command = ["ssh", "root@10.0.0.50"]
  url     = "http://10.0.0.100/"
}
`

func TestParseHostsGoodFile(t *testing.T) {
	h, err := ParseHosts([]byte(goodHosts), "good.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if h.VIP != netip.MustParseAddr("10.0.0.100") || h.AdvertInterval != 100*time.Millisecond || h.File != "good.hcl" {
		t.Errorf("vip %s, interval %s, file %s", h.VIP, h.AdvertInterval, h.File)
	}
	d1, d2 := h.Directors[0], h.Directors[1]
	if d1.Name != "lb1" || !slices.Equal(d1.Command, []string{"ssh", "-o", "BatchMode=yes", "root@10.0.0.1"}) || d1.Netns != "" ||
		d1.Interface != "eth0" || d1.Start != "systemctl start vigil" || d1.Stop != "systemctl stop vigil" ||
		d1.Kill != "systemctl kill -s KILL vigil" || d1.Status == "" || d1.Log == "" || d1.Vigil != "/usr/local/bin/vigil" {
		t.Errorf("first director %+v", d1)
	}
	// netns stands for the ip netns exec prefix; optional fields stay
	// empty (the kill's default depends on -impl) and vigil is "vigil".
	if d2.Name != "lb2" || d2.Netns != "lb2" || !slices.Equal(d2.Command, []string{"ip", "netns", "exec", "lb2", "sh", "-c"}) ||
		d2.Interface != "eth1" || d2.Kill != "" || d2.Status != "" || d2.Log != "" || d2.Vigil != "vigil" {
		t.Errorf("second director %+v", d2)
	}
	c := h.Client
	if c.Name != "client" || !slices.Equal(c.Command, []string{"ssh", "root@10.0.0.50"}) || c.URL != "http://10.0.0.100/" || c.Interface != "" || c.Vigil != "vigil" {
		t.Errorf("client %+v", c)
	}
}

func TestParseHostsDefaults(t *testing.T) {
	src := strings.Replace(goodHosts, "advert_interval = \"100ms\"\n", "", 1)
	h, err := ParseHosts([]byte(src), "x.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if h.AdvertInterval != time.Second {
		t.Errorf("default advert interval %s, want 1s", h.AdvertInterval)
	}
	if DefaultKill("keepalived") != "pkill -KILL -x keepalived" {
		t.Errorf("default kill %q", DefaultKill("keepalived"))
	}
}

// TestParseHostsExample parses the example the documentation shows.
func TestParseHostsExample(t *testing.T) {
	src, err := examples.Drill.ReadFile("drill/hosts.hcl")
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHosts(src, "examples/drill/hosts.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if h.Directors[0].Name != "lb1" || h.Directors[1].Name != "lb2" || h.Client.URL == "" || h.Directors[1].Kill != "" {
		t.Errorf("example parsed as %+v", h)
	}
}

// Every error names file, line and column and the block and field: the
// marker « in a case's source is where the error must point.
func TestParseHostsErrors(t *testing.T) {
	dir := func(name, body string) string {
		return fmt.Sprintf("director %q {\n  netns = \"x\"\n  interface = \"eth0\"\n  start = \"a\"\n  stop = \"b\"\n%s}\n", name, body)
	}
	two := dir("lb1", "") + dir("lb2", "")
	client := "client {\n  netns = \"c\"\n}\n"
	vip := "vip = \"10.0.0.100\"\n"
	cases := []struct {
		name, src, want string
	}{
		{"syntax", vip + "director \"lb1\" {\n  interface = «\n}\n", "Invalid expression"},
		{"unknown attribute", vip + strings.Replace(two, "  start = \"a\"\n", "  «strat = \"a\"\n", 1) + client, `director "lb1": Unsupported argument`},
		{"unknown block", vip + two + client + "«servers {}\n", "Unsupported block type"},
		{"no vip", "«" + two + client, "vip: is required"},
		{"bad vip", "vip = «\"10.0.0\"\n" + two + client, `vip: "10.0.0" is not an IP address`},
		{"ipv6 vip", "vip = «\"2001:db8::1\"\n" + two + client, "IPv4 only"},
		{"vip not a string", "vip = «[1]\n" + two + client, "vip: must be a string"},
		{"variables", "vip = «var.x\n" + two + client, "Variables not allowed"},
		{"bad interval", vip + "advert_interval = «\"1\"\n" + two + client, `advert_interval: "1" is not a duration`},
		{"short interval", vip + "advert_interval = «\"1ms\"\n" + two + client, "advert_interval: 1ms is outside 10ms..255s"},
		{"one director", "«" + vip + dir("lb1", "") + client, "want 2"},
		{"three directors", vip + two + "«" + dir("lb3", "") + client, "describes 3 director blocks"},
		{"same name", vip + dir("lb1", "") + "director «\"lb1\" {\n  netns = \"x\"\n  interface = \"eth0\"\n  start = \"a\"\n  stop = \"b\"\n}\n" + client, "a second director of that name"},
		{"bad name", vip + dir("lb1", "") + "director «\"lb 2\" {\n  netns = \"x\"\n  interface = \"eth0\"\n  start = \"a\"\n  stop = \"b\"\n}\n" + client, `director "lb 2": the name may hold`},
		{"no interface", vip + "«director \"lb1\" {\n  netns = \"x\"\n  start = \"a\"\n  stop = \"b\"\n}\n" + dir("lb2", "") + client, `director "lb1" interface: is required`},
		{"bad interface", vip + strings.Replace(two, "interface = \"eth0\"", "interface = «\"eth0 up\"", 1) + client, `director "lb1" interface: "eth0 up" is not an interface name`},
		{"empty start", vip + strings.Replace(two, "start = \"a\"", "start = «\"  \"", 1) + client, `director "lb1" start: must not be empty`},
		{"start null", vip + strings.Replace(two, "start = \"a\"", "start = «null", 1) + client, `director "lb1" start: must be a string, not null`},
		{"no stop", vip + dir("lb1", "") + "«director \"lb2\" {\n  netns = \"x\"\n  interface = \"eth0\"\n  start = \"a\"\n}\n" + client, `director "lb2" stop: is required`},
		{"both command and netns", vip + dir("lb1", "  command = [\"ssh\", \"h\"]\n") + dir("lb2", "") + client, "«"},
		{"neither command nor netns", vip + strings.Replace(two, "  netns = \"x\"\n", "", 1) + client, "«"},
		{"empty command", vip + strings.Replace(two, "netns = \"x\"", "command = «[]", 1) + client, `director "lb1" command: must start with a program`},
		{"command not a list", vip + strings.Replace(two, "netns = \"x\"", "command = «\"ssh h\"", 1) + client, `director "lb1" command: must be a list of strings`},
		{"command with null", vip + strings.Replace(two, "netns = \"x\"", "command = «[\"ssh\", null]", 1) + client, `director "lb1" command: must be a list of strings, without null`},
		{"bad netns", vip + strings.Replace(two, "netns = \"x\"", "netns = «\"../x\"", 1) + client, `director "lb1" netns: "../x" is not a namespace name`},
		{"no client", "«" + vip + two, "client: a client block is required"},
		{"two clients", vip + two + client + "«client {\n  netns = \"c\"\n}\n", "only one client block"},
		{"client url", vip + two + "client {\n  netns = \"c\"\n  url = «\"ftp://x/\"\n}\n", `client url: "ftp://x/" is not an http:// or https:// URL`},
		{"client no command", vip + two + "«client {\n  url = \"http://x/\"\n}\n", "client: give command"},
		{"client interface", vip + two + "client {\n  netns = \"c\"\n  interface = «\"a/b\"\n}\n", `client interface: "a/b" is not an interface name`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, want := c.src, c.want
			switch c.name {
			// The marker of these goes on the attribute's or block's
			// place, which the generated source fixes.
			case "both command and netns":
				src = strings.Replace(src, "  netns = \"x\"\n  interface", "  «netns = \"x\"\n  interface", 1)
				want = `director "lb1" netns: give command or netns, not both`
			case "neither command nor netns":
				src = strings.Replace(src, "director \"lb1\"", "«director \"lb1\"", 1)
				want = `director "lb1": give command`
			}
			src, line, col := markerAt(t, src)
			_, err := ParseHosts([]byte(src), "h.hcl")
			if err == nil {
				t.Fatalf("accepted:\n%s", src)
			}
			prefix := fmt.Sprintf("h.hcl:%d:%d: ", line, col)
			var found bool
			for _, l := range strings.Split(err.Error(), "\n") {
				if strings.HasPrefix(l, prefix) && strings.Contains(l, want) {
					found = true
				}
			}
			if !found {
				t.Errorf("error\n%v\nhas no line starting %q containing %q", err, prefix, want)
			}
		})
	}
}

// markerAt removes the marker « and returns its line and column.
func markerAt(t *testing.T, src string) (string, int, int) {
	t.Helper()
	const marker = "«"
	i := strings.Index(src, marker)
	if i < 0 || strings.Count(src, marker) != 1 {
		t.Fatalf("test source needs exactly one marker:\n%s", src)
	}
	before := src[:i]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndex(before, "\n")+1:])) + 1
	return before + src[i+len(marker):], line, col
}

// TestParseHostsReportsEveryError: a file with several mistakes lists them
// all, one per line, each with its position.
func TestParseHostsReportsEveryError(t *testing.T) {
	src := strings.Replace(strings.Replace(goodHosts, `"eth1"`, `""`, 1), `"10.0.0.100"`, `"x"`, 1)
	_, err := ParseHosts([]byte(src), "h.hcl")
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	pos := regexp.MustCompile(`^h\.hcl:\d+:\d+: `)
	if len(lines) != 2 || !pos.MatchString(lines[0]) || !pos.MatchString(lines[1]) {
		t.Fatalf("want two positioned errors, got:\n%v", err)
	}
}

// FuzzParseHosts: any file is refused with positioned errors or gives a
// description the drill can use: two named directors with a command and
// the commands it needs, a client with a command, an IPv4 VIP.
func FuzzParseHosts(f *testing.F) {
	f.Add([]byte(goodHosts))
	if src, err := examples.Drill.ReadFile("drill/hosts.hcl"); err == nil {
		f.Add(src)
	}
	f.Add([]byte("vip = \"1.2.3.4\"\nclient {\n netns = \"c\"\n}\n"))
	pos := regexp.MustCompile(`^[^\n]*:\d+:\d+: `)
	f.Fuzz(func(t *testing.T, src []byte) {
		h, err := ParseHosts(src, "f.hcl")
		if err != nil {
			for _, l := range strings.Split(err.Error(), "\n") {
				if !pos.MatchString(l) {
					t.Fatalf("error line without a position: %q", l)
				}
			}
			return
		}
		if !h.VIP.Is4() || h.AdvertInterval < 10*time.Millisecond {
			t.Fatalf("accepted VIP %v, interval %v", h.VIP, h.AdvertInterval)
		}
		for _, d := range h.Directors {
			if d.Name == "" || len(d.Command) == 0 || d.Command[0] == "" || d.Interface == "" ||
				strings.TrimSpace(d.Start) == "" || strings.TrimSpace(d.Stop) == "" || d.Vigil == "" {
				t.Fatalf("accepted director %+v", d)
			}
		}
		if h.Directors[0].Name == h.Directors[1].Name {
			t.Fatalf("two directors named %s", h.Directors[0].Name)
		}
		if len(h.Client.Command) == 0 || h.Client.Command[0] == "" || h.Client.Vigil == "" {
			t.Fatalf("accepted client %+v", h.Client)
		}
	})
}
