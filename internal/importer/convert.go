package importer

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// converter maps the keepalived statement tree to vigil nodes.
type converter struct {
	main   string // name of the main file, to shorten locations in comments
	report []Skipped

	global    globalDefs
	scripts   map[string]*scriptOut // converted vrrp_script blocks by name
	noScript  map[string]string     // vrrp_script blocks that were not converted: why
	instances []*instanceOut
	byName    map[string]*instanceOut
	vipOwner  map[netip.Addr]*instanceOut
	services  map[string]pos // vigil virtual_server names already used
}

func newConverter(main string) *converter {
	return &converter{
		main:     main,
		scripts:  map[string]*scriptOut{},
		noScript: map[string]string{},
		byName:   map[string]*instanceOut{},
		vipOwner: map[netip.Addr]*instanceOut{},
		services: map[string]pos{},
		global:   globalDefs{vrrpVersion: 2},
	}
}

// origin is the report entry of a statement, without a reason yet.
func origin(st *stmt) Skipped {
	return Skipped{File: st.pos.file, Line: st.pos.line, Keyword: st.key()}
}

// where describes a position for comments: "line 12", or "file line 12"
// for an included file.
func (c *converter) where(p pos) string {
	if p.file == c.main {
		return fmt.Sprintf("line %d", p.line)
	}
	return fmt.Sprintf("%s line %d", p.file, p.line)
}

// skip reports a statement that is not converted and, when parent is not
// nil, leaves a comment in its place.
func (c *converter) skip(st *stmt, parent *node, why string) {
	c.skipAt(st.pos, st.key(), parent, why)
}

// skipAt is skip for a part of a statement (an option, an entry).
func (c *converter) skipAt(p pos, keyword string, parent *node, why string) {
	c.report = append(c.report, Skipped{File: p.file, Line: p.line, Keyword: keyword, Why: why})
	if parent != nil {
		parent.comment(fmt.Sprintf("skipped (%s) %s: %s", c.where(p), keyword, why))
	}
}

// note leaves an explanatory comment without reporting anything.
func note(parent *node, text string) {
	parent.comment(text)
}

// noEquivalent is the reason for keywords vigil has no counterpart for.
func noEquivalent(st *stmt) string {
	return fmt.Sprintf("vigil has no equivalent of %s", st.key())
}

// convert converts the top-level statements. Each keepalived block becomes
// vigil block(s) at the same place in the output; global_defs is read first
// because it holds defaults for everything else, scripts before instances
// and instances before virtual servers, which refer to them.
func (c *converter) convert(top []*stmt) []*node {
	slots := make([][]*node, len(top))
	var globalSlot = -1
	pass := func(keys map[string]bool, fn func(i int, st *stmt)) {
		for i, st := range top {
			if keys[st.key()] {
				fn(i, st)
			}
		}
	}
	var globalNode *node
	pass(map[string]bool{"global_defs": true}, func(i int, st *stmt) {
		if globalNode == nil {
			globalNode = newBlock(origin(st), "global")
			globalSlot = i
		}
		c.globalDefs(st, globalNode)
	})
	c.finishGlobal()
	pass(map[string]bool{"vrrp_script": true}, func(i int, st *stmt) {
		if n := c.vrrpScript(st); n != nil {
			slots[i] = append(slots[i], n)
		}
	})
	pass(map[string]bool{"vrrp_instance": true}, func(i int, st *stmt) {
		if n := c.vrrpInstance(st); n != nil {
			slots[i] = append(slots[i], n)
		}
	})
	pass(map[string]bool{"virtual_server": true}, func(i int, st *stmt) {
		if n := c.virtualServer(st); n != nil {
			slots[i] = append(slots[i], n)
		}
	})
	c.finishInstances()
	if globalNode != nil {
		slots[globalSlot] = append([]*node{globalNode}, slots[globalSlot]...)
	}

	var out []*node
	for i, st := range top {
		switch st.key() {
		case "global_defs", "vrrp_script", "vrrp_instance", "virtual_server":
		default:
			holder := &node{}
			c.topLevelSkip(st, holder)
			out = append(out, holder.children...)
		}
		out = append(out, slots[i]...)
	}
	return out
}

// topLevelSkip reports a top-level block vigil has no counterpart for.
func (c *converter) topLevelSkip(st *stmt, parent *node) {
	why := noEquivalent(st)
	switch st.key() {
	case "vrrp_sync_group":
		why = "vigil has no sync groups: every instance fails over on its own" + syncGroupMembers(st)
	case "virtual_server_group":
		why = "vigil has no virtual server groups; write one virtual_server per address"
	case "static_ipaddress", "static_routes", "static_rules":
		why = "vigil does not manage static addresses, routes or rules; configure them with the system's network tools"
	case "vrrp_track_process", "track_file", "vrrp_track_file":
		why = "vigil tracks scripts and interfaces only; write a vrrp_script that checks this"
	case "bfd_instance":
		why = "vigil has no BFD"
	case "SSL":
		why = "vigil has no client certificates for SSL_GET checks"
	}
	c.skip(st, parent, why)
}

// syncGroupMembers lists the instances of a sync group for the report.
func syncGroupMembers(st *stmt) string {
	var names []string
	for _, ch := range st.block {
		switch {
		case ch.key() == "group":
			for _, m := range ch.block {
				names = append(names, m.words...)
			}
		case !ch.hasBlock && len(ch.words) == 1 && !strings.HasPrefix(ch.key(), "notify") && ch.key() != "smtp_alert" && ch.key() != "global_tracking":
			names = append(names, ch.key()) // the old syntax lists the members directly
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" (members %s are converted as independent instances; the group's notify and track settings are lost)", strings.Join(names, ", "))
}

// parseTimer parses a keepalived <TIMER>: seconds, possibly fractional,
// with microsecond resolution.
func parseTimer(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e7 {
		return 0, false
	}
	return time.Duration(math.Round(f*1e6)) * time.Microsecond, true
}

// parseInt parses a decimal integer within [lo, hi].
func parseInt(s string, lo, hi int64) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// parseBool parses keepalived's optional <BOOL>: a missing value is true.
func parseBool(st *stmt) (bool, bool) {
	if len(st.words) < 2 {
		return true, true
	}
	switch strings.ToLower(st.arg(1)) {
	case "on", "true", "yes":
		return true, true
	case "off", "false", "no":
		return false, true
	}
	return false, false
}

// checkHost reports why an address cannot name a host in vigil, or "".
func checkHost(a netip.Addr) string {
	switch {
	case a.Zone() != "":
		return "has a zone"
	case a.Is4In6():
		return "is an IPv4-mapped IPv6 address"
	case a.IsUnspecified():
		return "is the unspecified address"
	case a.IsMulticast():
		return "is a multicast address"
	case a.IsLoopback():
		return "is a loopback address"
	}
	return ""
}

// family names the address family of a.
func family(a netip.Addr) string {
	if a.Is4() {
		return "ipv4"
	}
	return "ipv6"
}

// validName reports whether a keepalived name can be a vigil block label:
// letters, digits, '_', '.' and '-', at most 64 characters.
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// wantArgs reports a statement that lacks arguments; it returns false then.
func (c *converter) wantArgs(st *stmt, n int, parent *node) bool {
	if len(st.words) > n {
		return true
	}
	c.skip(st, parent, fmt.Sprintf("needs %d argument(s)", n))
	return false
}

// command converts a keepalived script specification (`script`,
// `misc_path`, `notify_*`): the first argument is the command line, which
// keepalived splits again honouring quotes and escapes; further arguments
// are the user and group to run it as. vigil runs commands without a shell
// and needs an absolute program path, so anything else is not converted.
// ok is false when the command cannot be used; why then says why.
func command(st *stmt) (argv []string, extra []string, why string) {
	outer, ok := splitQuoted(st.raw)
	if !ok || len(outer) < 2 {
		return nil, nil, "the command line cannot be parsed (unclosed quote or missing command)"
	}
	argv, ok = splitQuoted(outer[1])
	if !ok || len(argv) == 0 {
		return nil, nil, "the command line cannot be parsed (unclosed quote or empty command)"
	}
	if !strings.HasPrefix(argv[0], "/") {
		return nil, nil, fmt.Sprintf("program %q is not an absolute path; vigil runs commands without a shell or PATH lookup, so write the full path (and wrap shell syntax in /bin/sh -c)", argv[0])
	}
	return argv, outer[2:], ""
}
