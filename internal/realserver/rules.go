package realserver

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// nftTableName is the table vigil owns in each nftables family it uses.
const nftTableName = "vigil_realserver"

// nftTable names an nftables table.
type nftTable struct{ Family, Name string }

func (t nftTable) String() string { return t.Family + " " + t.Name }

// nftRuleset is a ruleset that replaces the table t atomically: declaring the
// table before deleting it makes the delete succeed whether or not the table
// existed, and nft applies the whole text as one transaction.
func nftRuleset(t nftTable, body string) string {
	return fmt.Sprintf("# Written by vigil realserver; `vigil realserver remove` deletes it.\n"+
		"table %[1]s\ndelete table %[1]s\ntable %[1]s {\n%[2]s}\n", t, body)
}

// arpHeader limits a rule to Ethernet/IPv4 ARP, whose address fields sit at
// the offsets the "arp saddr ip" and "arp daddr ip" expressions read.
const arpHeader = "arp htype 1 arp ptype ip arp hlen 6 arp plen 4"

// nftARPRules drops ARP requests for the VIPs arriving on iface and rewrites
// the sender address of outgoing ARP that carries a VIP to realIP.
func nftARPRules(iface string, vips []netip.Addr, realIP netip.Addr) string {
	var in, out strings.Builder
	for _, v := range vips {
		fmt.Fprintf(&in, "\t\tiifname %q %s arp operation request arp daddr ip %s drop\n", iface, arpHeader, v)
		fmt.Fprintf(&out, "\t\toifname %q %s arp saddr ip %s arp saddr ip set %s\n", iface, arpHeader, v, realIP)
	}
	return nftRuleset(nftTable{"arp", nftTableName},
		"\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"+in.String()+"\t}\n"+
			"\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n"+out.String()+"\t}\n")
}

// nftRedirectRules hands VIP:port to the local service before routing.
func nftRedirectRules(iface string, vips []netip.Addr, ports []Port) string {
	var b strings.Builder
	b.WriteString("\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n")
	for _, v := range vips {
		for _, p := range ports {
			b.WriteString("\t\t")
			if iface != "" {
				fmt.Fprintf(&b, "iifname %q ", iface)
			}
			fmt.Fprintf(&b, "ip daddr %s %s dport %d redirect to :%d\n", v, p.Proto, p.Port, p.Local())
		}
	}
	b.WriteString("\t}\n")
	return nftRuleset(nftTable{"ip", nftTableName}, b.String())
}

// nftExpect lists text fragments the listing of a correctly applied table
// contains, one per rule, for Check.
func nftARPExpect(vips []netip.Addr, realIP netip.Addr) map[string]string {
	m := map[string]string{}
	for _, v := range vips {
		m["drop ARP requests for "+v.String()] = "arp daddr ip " + v.String() + " drop"
		m["rewrite ARP sender "+v.String()+" to "+realIP.String()] = "arp saddr ip " + v.String() + " arp saddr ip set " + realIP.String()
	}
	return m
}

func nftRedirectExpect(vips []netip.Addr, ports []Port) map[string]string {
	m := map[string]string{}
	for _, v := range vips {
		for _, p := range ports {
			m[fmt.Sprintf("redirect %s:%s to local port %d", v, p, p.Local())] =
				fmt.Sprintf("ip daddr %s %s dport %d redirect to :%d", v, p.Proto, p.Port, p.Local())
		}
	}
	return m
}

// xtChain is a chain of arptables or iptables that vigil owns, entered by one
// jump rule from a built-in chain.
type xtChain struct {
	Command string // "arptables" or "iptables"
	Table   string // "filter" (arptables) or "nat"
	Chain   string
	Parent  string
	Jump    []string   // the jump rule's arguments (without -A/-I Parent)
	Rules   [][]string // the chain's rules, in order
	// Desc names each rule for Check, parallel to Rules.
	Desc []string
	// NftTable is the nf_tables table the -nft variant of Command keeps this
	// xtables table in ("arp filter", "ip nat").
	NftTable nftTable
}

// base is the arguments that select the table.
func (x xtChain) base() []string {
	if x.Command == "iptables" {
		return []string{"-w", "-t", x.Table}
	}
	return nil
}

func (x xtChain) args(a ...string) []string { return append(x.base(), a...) }

// The chains vigil owns.
const (
	chainARPIn    = "VIGIL-RS-IN"
	chainARPOut   = "VIGIL-RS-OUT"
	chainRedirect = "VIGIL-RS"
)

// arptablesChains drop ARP requests for the VIPs and rewrite outgoing ARP
// whose sender is a VIP to realIP.
func arptablesChains(iface string, vips []netip.Addr, realIP netip.Addr) []xtChain {
	in := xtChain{Command: "arptables", Table: "filter", Chain: chainARPIn, Parent: "INPUT",
		Jump: []string{"-i", iface, "-j", chainARPIn}, NftTable: nftTable{"arp", "filter"}}
	out := xtChain{Command: "arptables", Table: "filter", Chain: chainARPOut, Parent: "OUTPUT",
		Jump: []string{"-o", iface, "-j", chainARPOut}, NftTable: nftTable{"arp", "filter"}}
	for _, v := range vips {
		in.Rules = append(in.Rules, []string{"-d", v.String(), "--opcode", "Request", "-j", "DROP"})
		in.Desc = append(in.Desc, "drop ARP requests for "+v.String())
		out.Rules = append(out.Rules, []string{"-s", v.String(), "-j", "mangle", "--mangle-ip-s", realIP.String()})
		out.Desc = append(out.Desc, "rewrite ARP sender "+v.String()+" to "+realIP.String())
	}
	return []xtChain{in, out}
}

// iptablesRedirect redirects VIP:port to the local port in nat PREROUTING.
func iptablesRedirect(iface string, vips []netip.Addr, ports []Port) xtChain {
	x := xtChain{Command: "iptables", Table: "nat", Chain: chainRedirect, Parent: "PREROUTING",
		Jump: []string{"-j", chainRedirect}, NftTable: nftTable{"ip", "nat"}}
	for _, v := range vips {
		for _, p := range ports {
			var r []string
			if iface != "" {
				r = append(r, "-i", iface)
			}
			r = append(r, "-d", v.String()+"/32", "-p", p.Proto, "-m", p.Proto, "--dport", strconv.Itoa(int(p.Port)),
				"-j", "REDIRECT", "--to-ports", strconv.Itoa(int(p.Local())))
			x.Rules = append(x.Rules, r)
			x.Desc = append(x.Desc, fmt.Sprintf("redirect %s:%s to local port %d", v, p, p.Local()))
		}
	}
	return x
}
