package drill

import (
	"net/netip"
	"strings"
)

// ipLine is one line of `ip -o link`, `ip -o addr` or `ip -o monitor link
// address` output (the same format for a listing and an event).
type ipLine struct {
	link    bool // a link line; else an address line
	deleted bool // "Deleted ..." (monitor)
	ifname  string
	// Link lines: the administrative state (UP among the flags) and the MAC.
	up  bool
	mac string
	// Address lines.
	prefix netip.Prefix
}

// parseIPLine reads one line of iproute2's one-line output, e.g.
//
//	3: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ... \    link/ether 6a:2b:6d:5b:31:86 brd ...
//	Deleted 3: eth0    inet 10.9.9.100/24 scope global secondary eth0\       valid_lft ...
//
// ok is false for anything else (other objects, a banner, noise).
func parseIPLine(s string) (l ipLine, ok bool) {
	s, l.deleted = strings.CutPrefix(s, "Deleted ")
	idx, rest, found := strings.Cut(s, ": ")
	if !found || idx == "" || strings.Trim(idx, "0123456789") != "" {
		return l, false
	}
	fields := strings.Fields(rest)
	if len(fields) < 2 {
		return l, false
	}
	if name, isLink := strings.CutSuffix(fields[0], ":"); isLink {
		flags := fields[1]
		if !strings.HasPrefix(flags, "<") || !strings.HasSuffix(flags, ">") {
			return l, false
		}
		l.link = true
		l.ifname, _, _ = strings.Cut(name, "@")
		for _, f := range strings.Split(strings.Trim(flags, "<>"), ",") {
			if f == "UP" {
				l.up = true
			}
		}
		for i, f := range fields {
			if strings.HasPrefix(f, "link/") && i+1 < len(fields) {
				l.mac = fields[i+1]
				break
			}
		}
		return l, l.ifname != ""
	}
	if len(fields) < 3 || (fields[1] != "inet" && fields[1] != "inet6") {
		return l, false
	}
	p, err := netip.ParsePrefix(fields[2])
	if err != nil {
		// A point-to-point address: "inet 10.0.0.1 peer 10.0.0.2/32".
		a, err := netip.ParseAddr(fields[2])
		if err != nil {
			return l, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	l.ifname, l.prefix = fields[0], p
	return l, true
}
