package importer

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strings"
	"time"
)

// kaTiming holds keepalived's checker timing at one level (virtual
// server, real server or checker); nil means not set there.
type kaTiming struct {
	delayLoop, connectTimeout, delayBeforeRetry, warmup *time.Duration
	retry                                               *int64
}

// isTimingKey reports whether keyword is one of the timing settings.
func isTimingKey(keyword string) bool {
	switch keyword {
	case "delay_loop", "connect_timeout", "retry", "nb_get_retry", "delay_before_retry", "warmup":
		return true
	}
	return false
}

// set reads one timing statement; why is non-empty when the value is bad.
func (t *kaTiming) set(st *stmt) (why string) {
	if st.key() == "retry" || st.key() == "nb_get_retry" {
		n, ok := parseInt(st.arg(1), 0, 999)
		if !ok {
			return "not a count in 0..999 (vigil allows at most 1000 failures)"
		}
		t.retry = &n
		return ""
	}
	d, ok := parseTimer(st.arg(1))
	if !ok || d > 24*time.Hour {
		return "not a number of seconds up to 86400"
	}
	switch st.key() {
	case "delay_loop":
		t.delayLoop = &d
	case "connect_timeout":
		t.connectTimeout = &d
	case "delay_before_retry":
		t.delayBeforeRetry = &d
	case "warmup":
		t.warmup = &d
	}
	return ""
}

// over returns t with the unset fields taken from base.
func (t kaTiming) over(base kaTiming) kaTiming {
	if t.delayLoop == nil {
		t.delayLoop = base.delayLoop
	}
	if t.connectTimeout == nil {
		t.connectTimeout = base.connectTimeout
	}
	if t.delayBeforeRetry == nil {
		t.delayBeforeRetry = base.delayBeforeRetry
	}
	if t.warmup == nil {
		t.warmup = base.warmup
	}
	if t.retry == nil {
		t.retry = base.retry
	}
	return t
}

// vsOut is the state of one virtual_server conversion.
type vsOut struct {
	st        *stmt
	node      *node
	fwmark    int64
	addr      netip.Addr // invalid for fwmark services
	port      uint16
	family    string
	forward   string // "nat", "dr" or "tun"
	timing    kaTiming
	vhost     string
	defaults  vigilTiming // the check_defaults written for this service
	inhibit   bool        // inhibit_on_failure at the virtual_server level
	rsInhibit []bool      // effective inhibit of each converted real server
	rsPos     []pos       // where each converted real server is
	rsWeights []int64
	rsAddrs   map[netip.AddrPort]bool
	quorum    *stmt
	flags     []string
	timingDef *node // placeholder for check_defaults, before the first real_server
	hasChecks bool
}

// virtualServer converts `virtual_server IP PORT`, `virtual_server IP` or
// `virtual_server fwmark N`.
func (c *converter) virtualServer(st *stmt) *node {
	if !st.hasBlock {
		return c.dropBlock(st, "has no block")
	}
	vs := &vsOut{st: st, forward: "nat", rsAddrs: map[netip.AddrPort]bool{}}
	switch st.arg(1) {
	case "group":
		return c.dropBlock(st, "vigil has no virtual server groups; write one virtual_server per address of the group")
	case "fwmark":
		m, ok := parseInt(st.arg(2), 1, 1<<32-1)
		if !ok {
			return c.dropBlock(st, "the firewall mark is not in 1..4294967295")
		}
		vs.fwmark = m
	default:
		a, err := netip.ParseAddr(st.arg(1))
		if err != nil {
			return c.dropBlock(st, fmt.Sprintf("%q is not an IP address", st.arg(1)))
		}
		if why := checkHost(a); why != "" {
			return c.dropBlock(st, "the address "+why)
		}
		vs.addr, vs.family = a, family(a)
		if len(st.words) > 2 {
			p, ok := parseInt(st.arg(2), 0, 65535)
			if !ok {
				return c.dropBlock(st, "the port is not in 0..65535")
			}
			vs.port = uint16(p)
		}
	}
	if why := c.vsPrescan(vs); why != "" {
		return c.dropBlock(st, why)
	}
	name := c.serviceName(vs)
	if first, dup := c.services[name]; dup {
		return c.dropBlock(st, fmt.Sprintf("the same service is defined at %s", c.where(first)))
	}
	c.services[name] = st.pos
	n := newBlock(origin(st), "virtual_server", name)
	vs.node = n
	if vs.fwmark != 0 {
		n.attr(origin(st), "fwmark", hclInt(vs.fwmark)).essential = true
		if vs.family == "ipv6" {
			n.attr(origin(st), "family", hclString("ipv6"))
		}
	} else {
		n.attr(origin(st), "address", hclString(netip.AddrPortFrom(vs.addr, vs.port).String())).essential = true
		if in := c.vipOwner[vs.addr]; in != nil {
			n.attr(Skipped{File: st.pos.file, Line: st.pos.line, Keyword: "virtual_server (follows " + in.name + ")"}, "vrrp_instance", hclString(in.name))
			in.followed = true
		}
	}

	var persistence *node
	sawProtocol, sawForwarding := false, false
	for _, ch := range st.block {
		switch key := ch.key(); key {
		case "protocol":
			sawProtocol = true
			if vs.fwmark != 0 {
				c.skip(ch, n, "a fwmark service matches on the mark alone (keepalived ignores the protocol too)")
			} else {
				n.attr(origin(ch), "protocol", hclString(strings.ToLower(ch.arg(1))))
			}
		case "lb_algo", "lvs_sched":
			if isScheduler(ch.arg(1)) {
				n.attr(origin(ch), "scheduler", hclString(ch.arg(1)))
			} else {
				c.skip(ch, n, fmt.Sprintf("%q is not an IPVS scheduler vigil knows", ch.arg(1)))
			}
		case "lb_kind", "lvs_method":
			sawForwarding = true
			n.attr(origin(ch), "forwarding", hclString(vs.forward))
		case "persistence_timeout", "persistence_granularity":
			if persistence == nil {
				persistence = n.add(newBlock(origin(ch), "persistence"))
			}
			c.persistence(ch, persistence, vs)
		case "sorry_server":
			c.sorryServer(ch, n, vs)
		case "real_server":
			if vs.timingDef == nil {
				// The checks state only where they differ from these.
				vs.timingDef = n.add(&node{src: origin(ch)})
				vs.timingDef.children = c.checkDefaultsNode(vs)
			}
			c.realServer(ch, n, vs)
		case "quorum":
			vs.quorum = ch
		case "inhibit_on_failure", "virtualhost":
			// read by vsPrescan
		case "ip_family":
			switch {
			case vs.fwmark == 0:
				c.skip(ch, n, "the family follows from the address")
			case ch.arg(1) != "inet" && ch.arg(1) != "inet6":
				c.skip(ch, n, "not inet or inet6")
			}
		case "sh-port", "sh-fallback", "mh-port", "mh-fallback":
			vs.flags = append(vs.flags, key)
		case "alpha":
			c.skip(ch, n, "vigil starts every real server as healthy until its checks fail")
		case "omega", "quorum_up", "quorum_down":
			c.skip(ch, n, "vigil runs no commands when the quorum changes")
		case "hysteresis":
			c.skip(ch, n, "vigil's quorum has no hysteresis")
		case "ha_suspend":
			c.skip(ch, n, "vigil follows a vrrp_instance instead (vrrp_instance attribute)")
		case "smtp_alert":
			c.skip(ch, n, "vigil sends no e-mail")
		case "persistence_engine":
			c.skip(ch, n, "vigil has no IPVS persistence engines")
		case "ops":
			c.skip(ch, n, "vigil has no one-packet scheduling")
		case "sorry_server_inhibit":
			c.skip(ch, n, "vigil removes or inhibits the sorry server like the real servers (on_failure)")
		case "sorry_server_lvs_method":
			if f, ok := forwarding(ch.arg(1)); !ok || f != vs.forward {
				c.skip(ch, n, "vigil forwards to the sorry server the way it forwards to the real servers")
			}
		default:
			if isTimingKey(key) {
				// Read by vsPrescan; only a bad value is left to report.
				var probe kaTiming
				if why := probe.set(ch); why != "" {
					c.skip(ch, n, why)
				}
				continue
			}
			c.skip(ch, n, noEquivalent(ch))
		}
	}
	if vs.fwmark == 0 && !sawProtocol {
		note(n, "keepalived's default protocol is UDP, vigil's TCP")
		n.attr(origin(st), "protocol", hclString("udp"))
	}
	if !sawForwarding {
		note(n, "keepalived's default forwarding is NAT, vigil's DR")
		n.attr(origin(st), "forwarding", hclString("nat"))
	}
	if persistence != nil && !hasKey(st, "persistence_timeout") {
		note(persistence, "keepalived's persistence timeout is 360s when only the granularity is given")
		persistence.attr(origin(st), "timeout", hclDuration(360*time.Second))
	}
	if persistence == nil && vs.fwmark == 0 && vs.port == 0 {
		note(n, "keepalived makes a service on port 0 persistent for 360s")
		b := n.add(newBlock(origin(st), "persistence"))
		b.attr(origin(st), "timeout", hclDuration(360*time.Second))
	}
	c.finishService(vs)
	return n
}

// hasKey reports whether a block has a statement with the keyword.
func hasKey(st *stmt, keyword string) bool {
	for _, ch := range st.block {
		if ch.key() == keyword {
			return true
		}
	}
	return false
}

// vsPrescan reads the settings that the real servers and checks depend on,
// wherever they stand: forwarding, family, timing, virtualhost and
// inhibit_on_failure. A non-empty result is why the service is dropped.
func (c *converter) vsPrescan(vs *vsOut) string {
	for _, ch := range vs.st.block {
		switch ch.key() {
		case "lb_kind", "lvs_method":
			f, ok := forwarding(ch.arg(1))
			if !ok {
				return fmt.Sprintf("%s %q is not NAT, DR or TUN", ch.key(), ch.arg(1))
			}
			if f == "tun" && len(ch.words) > 2 && !(ch.arg(2) == "type" && ch.arg(3) == "ipip" && len(ch.words) == 4) {
				return "vigil tunnels with IPIP only, not " + strings.Join(ch.words[2:], " ")
			}
			vs.forward = f
		case "ip_family":
			switch {
			case vs.fwmark != 0 && ch.arg(1) == "inet6":
				vs.family = "ipv6"
			case vs.fwmark != 0 && ch.arg(1) == "inet":
				vs.family = "ipv4"
			}
		case "virtualhost":
			vs.vhost = ch.arg(1)
		case "inhibit_on_failure":
			vs.inhibit = true
		default:
			if isTimingKey(ch.key()) {
				vs.timing.set(ch) // a bad value is reported in place by virtualServer
			}
		}
	}
	if vs.family == "" {
		// keepalived takes a fwmark service's family from its real servers.
		vs.family = "ipv4"
		for _, ch := range vs.st.block {
			if ch.key() == "real_server" || ch.key() == "sorry_server" {
				if a, err := netip.ParseAddr(ch.arg(1)); err == nil {
					vs.family = family(a)
					break
				}
			}
		}
	}
	vs.defaults = checkDefaults(vs.timing)
	return ""
}

// serviceName makes the vigil block name of a service: the address and
// port ("192.0.2.1_80", "2001-db8--1_80"), with the protocol when it is
// not TCP, or "fwmark_N".
func (c *converter) serviceName(vs *vsOut) string {
	if vs.fwmark != 0 {
		return fmt.Sprintf("fwmark_%d", vs.fwmark)
	}
	name := fmt.Sprintf("%s_%d", strings.ReplaceAll(vs.addr.String(), ":", "-"), vs.port)
	proto := "udp" // keepalived's default
	for _, ch := range vs.st.block {
		if ch.key() == "protocol" {
			proto = strings.ToLower(ch.arg(1))
		}
	}
	if proto != "tcp" {
		name += "_" + proto
	}
	return name
}

// forwarding maps lb_kind / lvs_method to vigil's forwarding.
func forwarding(s string) (string, bool) {
	switch strings.ToUpper(s) {
	case "NAT":
		return "nat", true
	case "DR":
		return "dr", true
	case "TUN":
		return "tun", true
	}
	return "", false
}

// isScheduler reports whether vigil knows an IPVS scheduler.
func isScheduler(s string) bool {
	switch s {
	case "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf", "twos":
		return true
	}
	return false
}

// persistence converts persistence_timeout and persistence_granularity.
func (c *converter) persistence(st *stmt, b *node, vs *vsOut) {
	if st.key() == "persistence_timeout" {
		t := int64(360) // keepalived's default when no value is given
		if len(st.words) > 1 {
			v, ok := parseInt(st.arg(1), 1, 1<<31-1)
			if !ok {
				c.skip(st, b, "not a number of seconds")
				return
			}
			t = v
		}
		if t != 300 {
			b.attr(origin(st), "timeout", hclDuration(time.Duration(t)*time.Second))
		}
		return
	}
	var bitsLen int64
	if vs.family == "ipv6" {
		v, ok := parseInt(st.arg(1), 1, 128)
		if !ok {
			c.skip(st, b, "not a prefix length in 1..128")
			return
		}
		bitsLen = v
	} else {
		m, err := netip.ParseAddr(st.arg(1))
		if err != nil || !m.Is4() {
			c.skip(st, b, "not an IPv4 netmask")
			return
		}
		v := m.As4()
		word := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
		ones := bits.LeadingZeros32(^word)
		if word<<ones != 0 {
			c.skip(st, b, "not a contiguous netmask; vigil takes a prefix length")
			return
		}
		bitsLen = int64(ones)
	}
	if bitsLen != int64(map[string]int{"ipv4": 32, "ipv6": 128}[vs.family]) {
		b.attr(origin(st), "netmask", hclInt(bitsLen))
	}
}

// backendPort is the port keepalived uses for a real or sorry server: a
// fwmark service has none, DR and TUN cannot change the port, and a
// missing port is the service's.
func backendPort(vs *vsOut, given int64, haveGiven bool) uint16 {
	switch {
	case vs.fwmark != 0 && vs.forward != "nat":
		return 0
	case vs.fwmark != 0:
		return uint16(given)
	case vs.forward != "nat" || !haveGiven || given == 0:
		return vs.port
	}
	return uint16(given)
}

// sorryServer converts `sorry_server IP [PORT]`.
func (c *converter) sorryServer(st *stmt, n *node, vs *vsOut) {
	a, err := netip.ParseAddr(st.arg(1))
	if err != nil || checkHost(a) != "" {
		c.skip(st, n, "not a usable IP address")
		return
	}
	if vs.forward != "tun" && family(a) != vs.family {
		c.skip(st, n, fmt.Sprintf("is %s but the service is %s", family(a), vs.family))
		return
	}
	p, ok := parseInt(st.arg(2), 0, 65535)
	if len(st.words) > 2 && !ok {
		c.skip(st, n, "the port is not in 0..65535")
		return
	}
	n.attr(origin(st), "sorry_server", hclString(netip.AddrPortFrom(a, backendPort(vs, p, len(st.words) > 2)).String()))
}

// realServer converts `real_server IP [PORT] { ... }`.
func (c *converter) realServer(st *stmt, vsNode *node, vs *vsOut) {
	a, err := netip.ParseAddr(st.arg(1))
	if err != nil {
		c.skip(st, vsNode, fmt.Sprintf("%q is not an IP address", st.arg(1)))
		return
	}
	if why := checkHost(a); why != "" {
		c.skip(st, vsNode, "the address "+why)
		return
	}
	if vs.forward != "tun" && family(a) != vs.family {
		c.skip(st, vsNode, fmt.Sprintf("is %s but the service is %s (keepalived skips it too)", family(a), vs.family))
		return
	}
	given, ok := parseInt(st.arg(2), 0, 65535)
	if len(st.words) > 2 && !ok {
		c.skip(st, vsNode, "the port is not in 0..65535")
		return
	}
	ap := netip.AddrPortFrom(a, backendPort(vs, given, len(st.words) > 2))
	for _, ch := range st.block {
		if (ch.key() == "lvs_method" || ch.key() == "lb_kind") && !strings.EqualFold(ch.arg(1), vs.forward) {
			c.skip(st, vsNode, "its lvs_method differs from the virtual_server's; vigil forwards all real servers of a service alike")
			return
		}
	}
	if vs.rsAddrs[ap] {
		c.skip(st, vsNode, fmt.Sprintf("real server %s is listed twice", ap))
		return
	}
	vs.rsAddrs[ap] = true
	rs := vsNode.add(newBlock(origin(st), "real_server", ap.String()))
	if len(st.words) > 2 && given != 0 && uint16(given) != ap.Port() {
		c.skipAt(st.pos, "real_server port "+st.arg(2), rs, fmt.Sprintf("forwarding %s cannot change the port; keepalived uses %d, and so does vigil", vs.forward, ap.Port()))
	}

	weight := int64(1)
	inhibit := vs.inhibit
	var timing kaTiming
	vhost := vs.vhost
	for _, ch := range st.block {
		if isTimingKey(ch.key()) {
			if why := timing.set(ch); why != "" {
				c.skip(ch, rs, why)
			}
		}
		if ch.key() == "virtualhost" {
			vhost = ch.arg(1)
		}
	}
	timing = timing.over(vs.timing)
	for _, ch := range st.block {
		switch key := ch.key(); key {
		case "weight":
			w, ok := parseInt(ch.arg(1), 0, 65535)
			if !ok {
				c.skip(ch, rs, "not a weight in 0..65535")
				continue
			}
			weight = w
			if w != 1 {
				rs.attr(origin(ch), "weight", hclInt(w))
			}
		case "inhibit_on_failure":
			if on, ok := parseBool(ch); ok {
				inhibit = on
			} else {
				c.skip(ch, rs, "not on/off/true/false/yes/no")
			}
		case "uthreshold", "lthreshold":
			v, ok := parseInt(ch.arg(1), 0, 1<<31-1)
			if !ok {
				c.skip(ch, rs, "not a connection count")
				continue
			}
			rs.attr(origin(ch), map[string]string{"uthreshold": "upper_threshold", "lthreshold": "lower_threshold"}[key], hclInt(v))
		case "lvs_method", "lb_kind", "virtualhost":
			// checked above
		case "notify_up", "notify_down":
			c.skip(ch, rs, "vigil runs no commands when a real server changes state")
		case "alpha":
			c.skip(ch, rs, "vigil starts every real server as healthy until its checks fail")
		case "smtp_alert":
			c.skip(ch, rs, "vigil sends no e-mail")
		case "TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "DNS_CHECK", "UDP_CHECK":
			cc := checkCtx{vs: vs, rsAddr: ap, timing: timing, vhost: vhost}
			c.checker(ch, rs, cc)
		case "SMTP_CHECK":
			c.skip(ch, rs, "vigil has no SMTP check; a check \"tcp\" or \"script\" can stand in for it")
		case "PING_CHECK":
			c.skip(ch, rs, "vigil has no ICMP check")
		case "BFD_CHECK":
			c.skip(ch, rs, "vigil has no BFD")
		case "FILE_CHECK":
			c.skip(ch, rs, "vigil has no file check; a check \"script\" can read the file")
		default:
			if !isTimingKey(key) {
				c.skip(ch, rs, noEquivalent(ch))
			}
		}
	}
	for _, ch := range rs.children {
		if ch.name == "check" {
			vs.hasChecks = true
		}
	}
	vs.rsInhibit = append(vs.rsInhibit, inhibit)
	vs.rsPos = append(vs.rsPos, st.pos)
	vs.rsWeights = append(vs.rsWeights, weight)
}

// finishService writes what needs all real servers: on_failure, quorum,
// scheduler flags and the check defaults.
func (c *converter) finishService(vs *vsOut) {
	n := vs.node
	if len(vs.flags) > 0 {
		n.attr(origin(vs.st), "scheduler_flags", hclList(vs.flags))
	}
	if len(vs.rsInhibit) > 0 {
		// vigil decides per service; keepalived per real server. Keep the
		// virtual_server's choice unless every real server says otherwise.
		onFailure := vs.inhibit
		all := true
		for _, in := range vs.rsInhibit {
			all = all && in != vs.inhibit
		}
		if all {
			onFailure = !vs.inhibit
		} else {
			for i, in := range vs.rsInhibit {
				if in != vs.inhibit {
					c.skipAt(vs.rsPos[i], "real_server inhibit_on_failure", n,
						"vigil sets on_failure per virtual_server; it follows the virtual_server's setting")
				}
			}
		}
		if onFailure {
			n.attr(origin(vs.st), "on_failure", hclString("inhibit"))
		} else {
			note(n, "keepalived removes a failed real server unless inhibit_on_failure is set")
			n.attr(origin(vs.st), "on_failure", hclString("remove"))
		}
	}
	if q := vs.quorum; q != nil {
		c.quorum(q, vs)
	}
	if !vs.hasChecks && vs.timingDef != nil {
		vs.timingDef.children = nil // no check inherits them
	}
}

// quorum converts keepalived's quorum, a sum of weights, into vigil's,
// a number of healthy real servers; that is exact only when all real
// servers weigh the same.
func (c *converter) quorum(st *stmt, vs *vsOut) {
	q, ok := parseInt(st.arg(1), 0, 1<<31-1)
	if !ok {
		c.skip(st, vs.node, "not a number")
		return
	}
	if len(vs.rsWeights) == 0 {
		c.skip(st, vs.node, "the service has no real servers")
		return
	}
	w := vs.rsWeights[0]
	for _, x := range vs.rsWeights {
		if x != w || w == 0 {
			c.skip(st, vs.node, "keepalived's quorum is a sum of weights and vigil's a number of servers; the real servers weigh differently, so there is no exact translation")
			return
		}
	}
	count := (q + w - 1) / w
	if count > int64(len(vs.rsWeights)) {
		c.skip(st, vs.node, fmt.Sprintf("needs %d healthy real servers but the service has %d", count, len(vs.rsWeights)))
		return
	}
	if count != 1 {
		if w != 1 {
			note(vs.node, fmt.Sprintf("quorum %d over real servers of weight %d", q, w))
		}
		vs.node.attr(origin(st), "quorum", hclInt(count))
	}
}
