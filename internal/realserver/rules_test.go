package realserver

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
)

var (
	testVIPs   = []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("192.0.2.11")}
	testRealIP = netip.MustParseAddr("10.0.0.5")
)

func TestNftARPRules(t *testing.T) {
	rs := nftARPRules("eth0", testVIPs, testRealIP)
	for _, want := range []string{
		"table arp vigil_realserver\ndelete table arp vigil_realserver\ntable arp vigil_realserver {",
		"type filter hook input priority filter; policy accept;",
		`iifname "eth0" ` + arpHeader + " arp operation request arp daddr ip 192.0.2.10 drop",
		`iifname "eth0" ` + arpHeader + " arp operation request arp daddr ip 192.0.2.11 drop",
		`oifname "eth0" ` + arpHeader + " arp saddr ip 192.0.2.11 arp saddr ip set 10.0.0.5",
	} {
		if !strings.Contains(rs, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, rs)
		}
	}
	for name, frag := range nftARPExpect(testVIPs, testRealIP) {
		if !strings.Contains(rs, frag) {
			t.Errorf("check expects %q (%s), which the ruleset does not contain", frag, name)
		}
	}
}

func TestNftRedirectRules(t *testing.T) {
	ports := []Port{{Proto: "tcp", Port: 80, ToPort: 8080}, {Proto: "udp", Port: 53}}
	rs := nftRedirectRules("", testVIPs[:1], ports)
	for _, want := range []string{
		"table ip vigil_realserver {",
		"type nat hook prerouting priority dstnat; policy accept;",
		"\t\tip daddr 192.0.2.10 tcp dport 80 redirect to :8080\n",
		"\t\tip daddr 192.0.2.10 udp dport 53 redirect to :53\n",
	} {
		if !strings.Contains(rs, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, rs)
		}
	}
	if strings.Contains(rs, "iifname") {
		t.Error("interface match without an interface")
	}
}

// TestRulesetsLoad has nft check each generated ruleset against the kernel
// (nft -c changes nothing).
func TestRulesetsLoad(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "nft")
	for _, rs := range []string{
		nftARPRules("lo", testVIPs, testRealIP),
		nftRedirectRules("lo", testVIPs, []Port{{Proto: "tcp", Port: 80, ToPort: 8080}}),
	} {
		if out, err := (ExecRunner{}).Run(context.Background(), []byte(rs), "nft", "-c", "-f", "-"); err != nil {
			t.Errorf("nft -c rejects:\n%s\n%v %s", rs, err, out)
		}
	}
}

func TestXtChains(t *testing.T) {
	chains := arptablesChains("eth0", testVIPs, testRealIP)
	if len(chains) != 2 || chains[0].Parent != "INPUT" || chains[1].Parent != "OUTPUT" {
		t.Fatalf("chains %+v", chains)
	}
	in := strings.Join(chains[0].Rules[1], " ")
	if in != "-d 192.0.2.11 --opcode Request -j DROP" {
		t.Errorf("input rule %q", in)
	}
	out := strings.Join(chains[1].Rules[0], " ")
	if out != "-s 192.0.2.10 -j mangle --mangle-ip-s 10.0.0.5" {
		t.Errorf("output rule %q", out)
	}
	if chains[0].args("-S")[0] != "-S" {
		t.Error("arptables has no table argument")
	}
	x := iptablesRedirect("eth0", testVIPs[:1], []Port{{Proto: "tcp", Port: 80, ToPort: 8080}})
	if got := strings.Join(x.args(append([]string{"-A", x.Chain}, x.Rules[0]...)...), " "); got !=
		"-w -t nat -A VIGIL-RS -i eth0 -d 192.0.2.10/32 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080" {
		t.Errorf("iptables rule %q", got)
	}
	if len(x.Desc) != len(x.Rules) {
		t.Error("rule descriptions out of step with the rules")
	}
}

func TestLeftoverOnly(t *testing.T) {
	empty := `{"nftables": [{"metainfo": {}}, {"table": {"family": "arp", "name": "filter"}},
		{"chain": {"family": "arp", "table": "filter", "name": "INPUT", "type": "filter", "hook": "input", "prio": 0, "policy": "accept"}}]}`
	if !leftoverOnly([]byte(empty)) {
		t.Error("an empty built-in chain is not a leftover")
	}
	for _, used := range []string{
		`{"nftables": [{"rule": {"family": "arp"}}]}`,
		`{"nftables": [{"chain": {"name": "OTHER", "hook": "input", "policy": "accept"}}]}`,
		`{"nftables": [{"chain": {"name": "INPUT", "hook": "input", "policy": "drop"}}]}`,
		`not json`,
	} {
		if leftoverOnly([]byte(used)) {
			t.Errorf("%s taken for a leftover", used)
		}
	}
}
