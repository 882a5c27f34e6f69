package importer

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// scriptOut is a converted vrrp_script.
type scriptOut struct {
	pos pos
}

// instanceOut is a converted vrrp_instance.
type instanceOut struct {
	st      *stmt
	name    string
	node    *node
	iface   string
	family  string
	version int
	vips    []netip.Addr
	// followed is set when a virtual_server follows this instance.
	followed bool
	// vipList is set once the virtual_ipaddresses list is written; a
	// second virtual_ipaddress block then uses blocks.
	vipList bool
}

// dropBlock reports a whole top-level block as not converted and returns
// the comment that stands in its place.
func (c *converter) dropBlock(st *stmt, why string) *node {
	holder := &node{}
	keyword := strings.Join(st.words[:min(len(st.words), 3)], " ")
	c.skipAt(st.pos, keyword, holder, why)
	return holder.children[0]
}

// dropBuilt reports a converted block as left out after all; the
// comments of what was skipped inside it stay in the output.
func (c *converter) dropBuilt(st *stmt, n *node, why string) *node {
	keyword := strings.Join(st.words[:min(len(st.words), 3)], " ")
	c.report = append(c.report, Skipped{File: st.pos.file, Line: st.pos.line, Keyword: keyword, Why: why})
	n.dropped = fmt.Sprintf("skipped (%s) %s: %s", c.where(st.pos), keyword, why)
	return n
}

// vrrpScript converts `vrrp_script NAME { ... }`.
func (c *converter) vrrpScript(st *stmt) *node {
	name := st.arg(1)
	switch {
	case !st.hasBlock:
		return c.dropBlock(st, "has no block")
	case !validName(name):
		c.noScript[name] = "its name is not valid in vigil"
		return c.dropBlock(st, fmt.Sprintf("the name %q is not valid in vigil (letters, digits, '_', '.', '-'; at most 64)", name))
	case c.scripts[name] != nil:
		return c.dropBlock(st, fmt.Sprintf("vrrp_script %q is defined twice", name))
	}
	n := newBlock(origin(st), "vrrp_script", name)
	var haveCommand bool
	var interval = time.Second
	var timeout *stmt
	for _, ch := range st.block {
		switch ch.key() {
		case "script":
			argv, extra, why := command(ch)
			if why != "" {
				c.noScript[name] = why
				return c.dropBlock(st, "script: "+why)
			}
			n.attr(origin(ch), "command", hclList(argv)).essential = true
			haveCommand = true
			if len(extra) > 0 {
				c.skipAt(ch.pos, "script "+strings.Join(extra, " "), n, "words after the quoted command are ignored (keepalived ignores them too); quote the whole command line")
			}
		case "interval":
			s, ok := parseInt(ch.arg(1), 0, 86400)
			if !ok {
				c.skip(ch, n, "not a whole number of seconds up to 86400")
				continue
			}
			interval = time.Duration(max(s, 1)) * time.Second
			if interval != time.Second {
				n.attr(origin(ch), "interval", hclDuration(interval))
			}
		case "timeout":
			timeout = ch
		case "weight":
			w, ok := parseInt(ch.arg(1), -253, 253)
			switch {
			case !ok:
				c.skip(ch, n, "not a weight in -253..253")
			case ch.arg(2) == "reverse":
				c.noScript[name] = "its weight is reversed"
				return c.dropBlock(st, "weight ... reverse: vigil has no reversed weights")
			case w != 0:
				n.attr(origin(ch), "weight", hclInt(w))
			}
		case "rise", "fall":
			v, ok := parseInt(ch.arg(1), 1, 1000)
			if !ok {
				c.skip(ch, n, "not a count in 1..1000 (vigil's limit)")
			} else if v != 1 {
				n.attr(origin(ch), ch.key(), hclInt(v))
			}
		case "user":
			c.skip(ch, n, "vigil runs scripts as the daemon's user")
		default:
			c.skip(ch, n, noEquivalent(ch))
		}
	}
	if !haveCommand {
		c.noScript[name] = "it has no script line"
		return c.dropBlock(st, "has no script line")
	}
	if timeout != nil {
		// keepalived lets a run last longer than the interval; vigil does
		// not, and its default timeout is the interval.
		t, ok := parseInt(timeout.arg(1), 0, 86400)
		switch {
		case !ok:
			c.skip(timeout, n, "not a whole number of seconds up to 86400")
		case time.Duration(max(t, 1))*time.Second > interval:
			c.skip(timeout, n, fmt.Sprintf("%ds is longer than the interval %s; vigil needs timeout <= interval and uses the interval", t, interval))
		default:
			n.attr(origin(timeout), "timeout", hclDuration(time.Duration(max(t, 1))*time.Second))
		}
	}
	c.scripts[name] = &scriptOut{pos: st.pos}
	return n
}

// instancePrescan reads the settings that others depend on, wherever they
// stand in the block: interface, version and use_vmac.
func (c *converter) instancePrescan(st *stmt, in *instanceOut) (explicitVersion *stmt, vmac bool) {
	for _, ch := range st.block {
		switch ch.key() {
		case "interface":
			in.iface = ch.arg(1)
		case "version":
			explicitVersion = ch
		case "use_vmac":
			vmac = true
		case "virtual_ipaddress":
			for _, e := range ch.block {
				if p, ok := parseVIP(e.key()); ok && in.family == "" {
					in.family = family(p.Addr())
				}
			}
		}
	}
	if in.family == "" {
		in.family = "ipv4"
	}
	in.version = c.global.vrrpVersion
	if explicitVersion != nil {
		if v, ok := parseInt(explicitVersion.arg(1), 2, 3); ok {
			in.version = int(v)
		}
	}
	if in.family == "ipv6" {
		in.version = 3 // keepalived runs IPv6 instances with version 3 whatever is set
	}
	return explicitVersion, vmac
}

// parseVIP parses "addr" or "addr/len".
func parseVIP(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p, err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// vrrpInstance converts `vrrp_instance NAME { ... }`.
func (c *converter) vrrpInstance(st *stmt) *node {
	name := st.arg(1)
	switch {
	case !st.hasBlock:
		return c.dropBlock(st, "has no block")
	case !validName(name):
		return c.dropBlock(st, fmt.Sprintf("the name %q is not valid in vigil (letters, digits, '_', '.', '-'; at most 64)", name))
	case c.byName[name] != nil:
		return c.dropBlock(st, fmt.Sprintf("vrrp_instance %q is defined twice", name))
	}
	in := &instanceOut{st: st, name: name}
	n := newBlock(origin(st), "vrrp_instance", name)
	in.node = n
	explicitVersion, vmac := c.instancePrescan(st, in)
	if in.iface == "" {
		return c.dropBlock(st, "has no interface; vigil needs the interface the adverts use")
	}
	for _, other := range c.instances {
		if other.iface == in.iface && other.family == in.family && other.vrid() == in.vrid() && in.vrid() != "" {
			return c.dropBlock(st, fmt.Sprintf("virtual_router_id %s is already used on %s by vrrp_instance %q (%s); vigil needs it unique per interface and family",
				in.vrid(), in.iface, other.name, c.where(other.st.pos)))
		}
	}

	var wantMaster, havePriority bool
	var garp garpSettings
	var notify *node
	for _, ch := range st.block {
		switch ch.key() {
		case "interface":
			n.attr(origin(ch), "interface", hclString(ch.arg(1))).essential = true
		case "virtual_router_id":
			if v, ok := parseInt(ch.arg(1), 1, 255); ok {
				n.attr(origin(ch), "vrid", hclInt(v)).essential = true
			} else {
				return c.dropBlock(st, "virtual_router_id is not in 1..255")
			}
		case "state":
			wantMaster = strings.EqualFold(ch.arg(1), "MASTER")
			c.skip(ch, n, "vigil has no initial state: every instance starts as backup and the priority elects the master")
		case "priority":
			if v, ok := parseInt(ch.arg(1), 1, 255); ok {
				n.attr(origin(ch), "priority", hclInt(v))
				havePriority = true
			} else {
				c.skip(ch, n, "not a priority in 1..255")
			}
		case "version":
			switch {
			case in.version == 3 && ch.arg(1) == "2":
				c.skip(ch, n, "keepalived runs IPv6 instances with version 3; so does vigil")
			case ch.arg(1) != "2" && ch.arg(1) != "3":
				c.skip(ch, n, "the version is not 2 or 3")
			default:
				n.attr(origin(ch), "version", hclInt(int64(in.version)))
			}
		case "advert_int":
			c.advertInt(ch, n, in.version)
		case "nopreempt":
			n.attr(origin(ch), "preempt", "false")
		case "preempt":
			// keepalived's default, kept for backwards compatibility; vigil's too.
		case "preempt_delay":
			if d, ok := parseTimer(ch.arg(1)); ok && d <= 1000*time.Second {
				n.attr(origin(ch), "preempt_delay", hclDuration(d))
			} else {
				c.skip(ch, n, "not a number of seconds in 0..1000")
			}
		case "virtual_ipaddress":
			c.vips(ch, n, in, vmac)
		case "virtual_ipaddress_excluded":
			c.skip(ch, n, "vigil has no excluded addresses: every VIP is carried in the adverts; move them to virtual_ipaddress if that is acceptable")
		case "unicast_src_ip", "mcast_src_ip":
			c.sourceAddress(ch, n, in)
		case "unicast_peer":
			c.unicastPeers(ch, n, in)
		case "authentication":
			c.skip(ch, n, "vigil does not implement VRRPv2 authentication (RFC 3768 removed it); all directors must run without it")
		case "track_interface":
			c.trackInterfaces(ch, n)
		case "track_script":
			c.trackScripts(ch, n)
		case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify":
			if notify == nil {
				notify = n.add(newBlock(origin(ch), "notify"))
			}
			c.notify(ch, notify)
		case "garp_master_delay", "garp_master_refresh":
			if d, ok := parseTimer(ch.arg(1)); ok {
				if ch.key() == "garp_master_delay" {
					garp.delay = &d
				} else {
					garp.refresh = &d
				}
			} else {
				c.skip(ch, n, "not a number of seconds")
			}
		case "garp_master_repeat":
			if v, ok := parseInt(ch.arg(1), 0, 100); ok {
				garp.repeat = &v
			} else {
				c.skip(ch, n, "not a number in 0..100 (vigil's limit)")
			}
		case "use_vmac":
			n.attr(origin(ch), "use_vmac", "true")
			if len(ch.words) > 1 {
				c.skipAt(ch.pos, "use_vmac "+strings.Join(ch.words[1:], " "), n, "vigil names the macvlan itself and uses the RFC MAC address 00-00-5E-00-01-{VRID}")
			}
		case "lvs_sync_daemon_interface":
			if c.wantArgs(ch, 1, n) {
				sd := n.add(newBlock(origin(ch), "sync_daemon"))
				sd.attr(origin(ch), "interface", hclString(ch.arg(1)))
			}
		case "smtp_alert":
			c.skip(ch, n, "vigil sends no e-mail; use notify commands instead")
		case "dont_track_primary":
			c.skip(ch, n, "vigil always tracks the instance's interface")
		case "virtual_routes", "virtual_rules":
			c.skip(ch, n, "vigil moves addresses only, not routes or rules; add them from a notify command")
		default:
			c.skip(ch, n, noEquivalent(ch))
		}
	}
	if len(in.vips) == 0 {
		return c.dropBuilt(st, n, "has no virtual IP address that vigil can take; vigil needs at least one")
	}
	if wantMaster && !havePriority {
		note(n, "keepalived gives `state MASTER` without a priority the address owner's priority 255")
		n.attr(origin(st), "priority", "255")
	}
	if explicitVersion == nil && in.version == 2 {
		note(n, "keepalived's default is VRRP version 2, vigil's is 3")
		n.attr(Skipped{File: st.pos.file, Line: st.pos.line, Keyword: "vrrp_version"}, "version", "2")
	}
	c.garp(st, n, garp)
	if sd := c.global.syncd; sd != nil && sd.instance == name {
		b := n.add(newBlock(origin(sd.st), "sync_daemon"))
		if sd.ifname != in.iface {
			b.attr(origin(sd.st), "interface", hclString(sd.ifname))
		}
		if sd.syncID >= 0 {
			b.attr(origin(sd.st), "sync_id", hclInt(sd.syncID))
		}
	}
	c.instances = append(c.instances, in)
	c.byName[name] = in
	for _, a := range in.vips {
		c.vipOwner[a] = in
	}
	return n
}

// vrid returns the instance's virtual_router_id as written.
func (in *instanceOut) vrid() string {
	for _, ch := range in.st.block {
		if ch.key() == "virtual_router_id" {
			return ch.arg(1)
		}
	}
	return ""
}

// advertInt converts advert_int, which must suit the VRRP version: version
// 2 carries whole seconds, version 3 centiseconds.
func (c *converter) advertInt(st *stmt, n *node, version int) {
	d, ok := parseTimer(st.arg(1))
	switch {
	case !ok:
		c.skip(st, n, "not a number of seconds")
	case version == 2 && (d < time.Second || d > 255*time.Second || d%time.Second != 0):
		c.skip(st, n, fmt.Sprintf("%s is not a whole number of seconds in 1..255, which VRRP version 2 needs", d))
	case version == 3 && (d < 10*time.Millisecond || d > 40950*time.Millisecond || d%(10*time.Millisecond) != 0):
		c.skip(st, n, fmt.Sprintf("%s is not a multiple of 10ms in 10ms..40.95s, which VRRP version 3 needs", d))
	case d != time.Second:
		n.attr(origin(st), "advert_interval", hclDuration(d))
	}
}

// vips converts a virtual_ipaddress block. Plain addresses go into the
// virtual_ipaddresses list, labelled ones into virtual_ipaddress blocks;
// when a labelled address comes before a plain one, all become blocks so
// that the order is kept.
func (c *converter) vips(st *stmt, parent *node, in *instanceOut, vmac bool) {
	group := parent.add(&node{src: origin(st)})
	type vip struct {
		st     *stmt
		prefix netip.Prefix
		text   string // as vigil gets it: a plain address stays plain
		label  string
	}
	var list []vip
	seen := map[netip.Addr]bool{}
	for _, a := range in.vips {
		seen[a] = true
	}
entries:
	for _, e := range st.block {
		p, ok := parseVIP(e.key())
		if !ok {
			c.skipAt(e.pos, e.key(), group, "not an address or address/prefix-length")
			continue
		}
		a := p.Addr()
		if why := checkHost(a); why != "" {
			c.skipAt(e.pos, e.key(), group, "the address "+why)
			continue
		}
		if family(a) != in.family {
			c.skipAt(e.pos, e.key(), group, fmt.Sprintf("is %s but the instance is %s (its first VIP); put it in a second instance", family(a), in.family))
			continue
		}
		if seen[a] {
			c.skipAt(e.pos, e.key(), group, "the address is listed twice")
			continue
		}
		if owner := c.vipOwner[a]; owner != nil {
			c.skipAt(e.pos, e.key(), group, fmt.Sprintf("the address already belongs to vrrp_instance %q; vigil allows one instance per VIP", owner.name))
			continue
		}
		v := vip{st: e, prefix: p, text: p.String()}
		if !strings.Contains(e.key(), "/") {
			v.text = a.String()
		}
		for i := 1; i < len(e.words); i++ {
			opt, val := e.words[i], e.arg(i+1)
			switch opt {
			case "dev":
				i++
				if val != in.iface {
					c.skipAt(e.pos, e.key(), group, fmt.Sprintf("is on %s; vigil puts every VIP on the instance's interface %s", val, in.iface))
					continue entries
				}
			case "label":
				i++
				if why := labelProblem(val, in, vmac); why != "" {
					c.skipAt(e.pos, e.key()+" label "+val, group, why)
				} else {
					v.label = val
				}
			case "peer":
				c.skipAt(e.pos, e.key(), group, "vigil has no point-to-point (peer) addresses")
				continue entries
			case "brd", "broadcast", "scope", "preferred_lft", "track_group":
				i++
				c.skipAt(e.pos, e.key()+" "+opt+" "+val, group, "vigil adds the address with the kernel's defaults")
			default:
				c.skipAt(e.pos, e.key()+" "+opt, group, "vigil adds the address with the kernel's defaults")
			}
		}
		seen[a] = true
		in.vips = append(in.vips, a)
		list = append(list, v)
	}
	allBlocks := in.vipList
	for i := 1; i < len(list); i++ {
		if list[i-1].label != "" && list[i].label == "" {
			allBlocks = true
		}
	}
	var plain []string
	var plainSrc Skipped
	for _, v := range list {
		if v.label == "" && !allBlocks {
			if plain == nil {
				plainSrc = origin(v.st)
			}
			plain = append(plain, v.text)
		}
	}
	if plain != nil {
		plainSrc.Keyword = "virtual_ipaddress"
		group.attr(plainSrc, "virtual_ipaddresses", hclList(plain))
		in.vipList = true
	}
	for _, v := range list {
		if v.label == "" && !allBlocks {
			continue
		}
		b := group.add(newBlock(origin(v.st), "virtual_ipaddress"))
		b.attr(origin(v.st), "address", hclString(v.text)).essential = true
		if v.label != "" {
			b.attr(origin(v.st), "label", hclString(v.label))
		}
	}
}

// labelProblem says why vigil cannot use an address label, or "".
func labelProblem(label string, in *instanceOut, vmac bool) string {
	switch {
	case in.family == "ipv6":
		return "Linux labels IPv4 addresses only"
	case vmac:
		return "labels cannot be combined with use_vmac in vigil"
	case len(label) > 15:
		return "longer than 15 characters (the kernel limit)"
	case label != in.iface && !strings.HasPrefix(label, in.iface+":"):
		return fmt.Sprintf("vigil needs a label that starts with %q", in.iface+":")
	}
	return ""
}

// sourceAddress converts unicast_src_ip and mcast_src_ip.
func (c *converter) sourceAddress(st *stmt, n *node, in *instanceOut) {
	a, err := netip.ParseAddr(st.arg(1))
	switch {
	case err != nil:
		c.skip(st, n, "not an IP address")
	case family(a) != in.family:
		c.skip(st, n, fmt.Sprintf("is %s but the instance is %s", family(a), in.family))
	default:
		n.attr(origin(st), "source_address", hclString(a.String()))
	}
}

// unicastPeers converts a unicast_peer block into the unicast_peers list.
func (c *converter) unicastPeers(st *stmt, parent *node, in *instanceOut) {
	group := parent.add(&node{src: origin(st)})
	var peers []string
	seen := map[netip.Addr]bool{}
	for _, e := range st.block {
		a, err := netip.ParseAddr(e.key())
		switch {
		case err != nil:
			c.skipAt(e.pos, e.key(), group, "not an IP address")
			continue
		case checkHost(a.WithZone("")) != "":
			c.skipAt(e.pos, e.key(), group, "the address "+checkHost(a.WithZone("")))
			continue
		case family(a) != in.family:
			c.skipAt(e.pos, e.key(), group, fmt.Sprintf("is %s but the instance is %s", family(a), in.family))
			continue
		case seen[a]:
			c.skipAt(e.pos, e.key(), group, "listed twice")
			continue
		}
		for i := 1; i < len(e.words); i += 2 {
			c.skipAt(e.pos, e.key()+" "+e.words[i], group, "vigil does not check the TTL of adverts")
		}
		seen[a] = true
		peers = append(peers, a.String())
	}
	if len(peers) > 0 {
		group.attr(origin(st), "unicast_peers", hclList(peers))
	}
}

// trackInterfaces converts a track_interface block.
func (c *converter) trackInterfaces(st *stmt, parent *node) {
	seen := map[string]bool{}
	for _, e := range st.block {
		name := e.key()
		if seen[name] {
			c.skipAt(e.pos, name, parent, "tracked twice")
			continue
		}
		var weight int64
		if len(e.words) > 1 {
			w, ok := parseInt(e.arg(2), -253, 253)
			if e.arg(1) != "weight" || !ok {
				c.skipAt(e.pos, name, parent, "expected `weight N` with N in -253..253")
				continue
			}
			if e.arg(3) == "reverse" {
				c.skipAt(e.pos, name, parent, "vigil has no reversed weights")
				continue
			}
			weight = w
		}
		seen[name] = true
		b := parent.add(newBlock(origin(e), "track_interface"))
		b.attr(origin(e), "name", hclString(name)).essential = true
		if weight != 0 {
			b.attr(origin(e), "weight", hclInt(weight))
		}
	}
}

// trackScripts converts a track_script block; only scripts that were
// converted can be tracked.
func (c *converter) trackScripts(st *stmt, parent *node) {
	seen := map[string]bool{}
	for _, e := range st.block {
		name := e.key()
		if c.scripts[name] == nil {
			why := fmt.Sprintf("there is no vrrp_script %q", name)
			if reason, ok := c.noScript[name]; ok {
				why = fmt.Sprintf("vrrp_script %q was not converted: %s", name, reason)
			}
			c.skipAt(e.pos, name, parent, why)
			continue
		}
		if seen[name] {
			c.skipAt(e.pos, name, parent, "tracked twice")
			continue
		}
		b := newBlock(origin(e), "track_script")
		b.attr(origin(e), "script", hclString(name)).essential = true
		if len(e.words) > 1 {
			w, ok := parseInt(e.arg(2), -253, 253)
			if e.arg(1) != "weight" || !ok {
				c.skipAt(e.pos, name, parent, "expected `weight N` with N in -253..253")
				continue
			}
			if e.arg(3) == "reverse" {
				c.skipAt(e.pos, name, parent, "vigil has no reversed weights")
				continue
			}
			b.attr(origin(e), "weight", hclInt(w))
		}
		seen[name] = true
		parent.add(b)
	}
}

// notifyAttrs maps keepalived's notify keywords to vigil's notify attributes.
var notifyAttrs = map[string]string{
	"notify_master": "master", "notify_backup": "backup", "notify_fault": "fault",
	"notify_stop": "stop", "notify": "command",
}

// notify converts one notify_* line into the notify block n.
func (c *converter) notify(st *stmt, n *node) {
	argv, extra, why := command(st)
	if why != "" {
		c.skip(st, n, why)
		return
	}
	for _, ch := range n.children {
		if ch.name == notifyAttrs[st.key()] {
			c.skip(st, n, "given twice; keepalived uses the last, vigil has one")
			ch.dropped = "replaced by the line below"
			break
		}
	}
	if st.key() == "notify" {
		note(n, "keepalived appended INSTANCE, the name, the state and the priority; vigil appends the name and the state")
	}
	n.attr(origin(st), notifyAttrs[st.key()], hclList(argv))
	if len(extra) > 0 {
		c.skipAt(st.pos, st.key()+" "+strings.Join(extra, " "), n, "vigil runs notify commands as the daemon's user")
	}
}

// garp writes the garp block: the instance's settings over global_defs
// over keepalived's defaults (5 messages, second burst after 5s), written
// wherever they differ from vigil's defaults (5 messages, 1s).
func (c *converter) garp(st *stmt, n *node, g garpSettings) {
	delay, repeat, refresh := 5*time.Second, int64(5), time.Duration(0)
	for _, s := range []garpSettings{c.global.garp, g} {
		if s.delay != nil {
			delay = *s.delay
		}
		if s.repeat != nil {
			repeat = *s.repeat
		}
		if s.refresh != nil {
			refresh = *s.refresh
		}
	}
	if refresh > 0 && refresh < time.Second {
		c.skipAt(st.pos, "garp_master_refresh", n, "vigil refreshes at most once a second")
		refresh = 0
	}
	if delay > time.Hour {
		c.skipAt(st.pos, "garp_master_delay", n, "longer than vigil's limit of 1h; left out")
		delay = time.Second
	}
	if delay == time.Second && repeat == 5 && refresh == 0 {
		return
	}
	b := n.add(newBlock(Skipped{File: st.pos.file, Line: st.pos.line, Keyword: "garp_master_delay"}, "garp"))
	if delay == 5*time.Second && g.delay == nil && c.global.garp.delay == nil {
		note(b, "keepalived's default second burst comes after 5s, vigil's after 1s")
	}
	if repeat != 5 {
		b.attr(b.src, "master_repeat", hclInt(repeat))
	}
	if delay != time.Second {
		b.attr(b.src, "master_delay", hclDuration(delay))
	}
	if refresh != 0 {
		b.attr(b.src, "master_refresh", hclDuration(refresh))
	}
}

// finishInstances adds what depends on the virtual servers: an instance
// that a virtual_server follows keeps its IPVS tables on every director,
// as keepalived does.
func (c *converter) finishInstances() {
	for _, in := range c.instances {
		if in.followed {
			note(in.node, "keepalived installs the IPVS tables on every director, master or not")
			in.node.attr(origin(in.st), "ipvs_follow", hclString("always"))
		}
	}
}
