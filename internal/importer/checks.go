package importer

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// vigilTiming is the timing of a vigil check (config.CheckTiming).
type vigilTiming struct {
	interval, timeout, retryDelay, warmup time.Duration
	rise, fall                            int64
}

// vigilDefaults is vigil's own check timing, used when a file says nothing.
var vigilDefaults = vigilTiming{interval: 2 * time.Second, timeout: time.Second, rise: 2, fall: 2, retryDelay: time.Second}

// Timing defaults of keepalived's checkers.
const (
	kaDelayLoop      = 60 * time.Second
	kaConnectTimeout = 5 * time.Second
)

// checkDefaults is the check_defaults of a service: keepalived's timing of
// a generic checker with only the virtual_server's settings.
func checkDefaults(t kaTiming) vigilTiming {
	return effectiveTiming(t, "", kaConnectTimeout)
}

// effectiveTiming resolves keepalived's timing for a checker type the way
// keepalived does: checker over real server over virtual server over the
// type's defaults. keepalived marks a server down after retry+1 failures
// in a row and up after one success; warmup defaults to the delay loop.
func effectiveTiming(t kaTiming, typ string, timeout time.Duration) vigilTiming {
	v := vigilTiming{interval: kaDelayLoop, timeout: timeout, rise: 1}
	if t.delayLoop != nil {
		v.interval = *t.delayLoop
	}
	if t.connectTimeout != nil && typ != "MISC_CHECK" {
		v.timeout = *t.connectTimeout
	}
	retry := int64(1)
	switch typ {
	case "DNS_CHECK":
		retry = 3
	case "MISC_CHECK":
		retry = 0
	}
	if t.retry != nil {
		retry = *t.retry
	}
	v.fall = retry + 1
	switch {
	case t.delayBeforeRetry != nil:
		v.retryDelay = *t.delayBeforeRetry
	case typ == "HTTP_GET" || typ == "SSL_GET":
		v.retryDelay = 3 * time.Second
	case typ == "DNS_CHECK":
		v.retryDelay = v.interval
	default:
		v.retryDelay = time.Second
	}
	v.warmup = v.interval
	if t.warmup != nil {
		v.warmup = *t.warmup
	}
	return v
}

// timingAttrs renders the attributes of v that differ from base. Values
// vigil cannot take are reported against at (when parent is not nil) and
// left to base.
func (c *converter) timingAttrs(v, base vigilTiming, at *stmt, parent *node) []*node {
	skipAt := func(keyword, why string) {
		if parent != nil {
			c.skipAt(at.pos, keyword, parent, why)
		}
	}
	if v.interval < 10*time.Millisecond {
		skipAt("delay_loop", fmt.Sprintf("%s is shorter than vigil's minimum of 10ms; left out", v.interval))
		v.interval = base.interval
	}
	if v.timeout > v.interval {
		skipAt("connect_timeout", fmt.Sprintf("%s is longer than the check interval %s; vigil needs timeout <= interval, so the interval is used", v.timeout, v.interval))
		v.timeout = v.interval
	}
	if v.timeout < time.Millisecond {
		skipAt("connect_timeout", "shorter than vigil's minimum of 1ms; left out")
		v.timeout = min(base.timeout, v.interval)
	}
	if v.retryDelay < 10*time.Millisecond {
		skipAt("delay_before_retry", fmt.Sprintf("%s is shorter than vigil's minimum of 10ms; left out", v.retryDelay))
		v.retryDelay = base.retryDelay
	}
	src := Skipped{File: at.pos.file, Line: at.pos.line, Keyword: at.key() + " timing"}
	var out []*node
	add := func(name, value string) { out = append(out, &node{name: name, value: value, src: src}) }
	if v.interval != base.interval {
		add("interval", hclDuration(v.interval))
	}
	if v.timeout != base.timeout {
		add("timeout", hclDuration(v.timeout))
	}
	if v.rise != base.rise {
		add("rise", hclInt(v.rise))
	}
	if v.fall != base.fall {
		add("fall", hclInt(v.fall))
	}
	if v.retryDelay != base.retryDelay {
		add("retry_delay", hclDuration(v.retryDelay))
	}
	if v.warmup != base.warmup {
		add("warmup", hclDuration(v.warmup))
	}
	return out
}

// checkDefaultsNode writes the check_defaults block of a service. The
// checks then state only where they differ.
func (c *converter) checkDefaultsNode(vs *vsOut) []*node {
	// A value vigil cannot take is fixed silently here: every check that
	// inherits it reports it at its own line.
	attrs := c.timingAttrs(vs.defaults, vigilDefaults, vs.st, nil)
	vs.defaults = applyAttrs(vigilDefaults, attrs)
	if len(attrs) == 0 {
		return nil
	}
	b := newBlock(Skipped{File: vs.st.pos.file, Line: vs.st.pos.line, Keyword: "delay_loop"}, "check_defaults")
	note(b, "keepalived: delay_loop (default 60s), connect_timeout (5s), retry+1 failures, one success, warmup up to delay_loop")
	b.children = append(b.children, attrs...)
	return []*node{b}
}

// applyAttrs returns base with the rendered timing attributes applied.
func applyAttrs(base vigilTiming, attrs []*node) vigilTiming {
	for _, a := range attrs {
		unq, _ := strconv.Unquote(a.value)
		d, _ := time.ParseDuration(unq)
		n, _ := strconv.ParseInt(a.value, 10, 64)
		switch a.name {
		case "interval":
			base.interval = d
		case "timeout":
			base.timeout = d
		case "retry_delay":
			base.retryDelay = d
		case "warmup":
			base.warmup = d
		case "rise":
			base.rise = n
		case "fall":
			base.fall = n
		}
	}
	return base
}

// checkCtx is what a checker inherits from its real and virtual server.
type checkCtx struct {
	vs     *vsOut
	rsAddr netip.AddrPort
	timing kaTiming // real server over virtual server
	vhost  string
}

// checker converts one keepalived checker block into vigil check blocks
// of the real server rs.
func (c *converter) checker(st *stmt, rs *node, cc checkCtx) {
	typ := st.key()
	var timing kaTiming
	port := int64(-1)
	var miscTimeout *time.Duration
	vhost := cc.vhost
	// The checker block is only a place for comments until it is known
	// that it converts.
	comments := &node{}
	for _, ch := range st.block {
		switch key := ch.key(); {
		case isTimingKey(key):
			if why := timing.set(ch); why != "" {
				c.skip(ch, comments, why)
			}
		case key == "connect_ip":
			a, err := netip.ParseAddr(ch.arg(1))
			if err != nil || a != cc.rsAddr.Addr() {
				c.skip(st, rs, fmt.Sprintf("it checks %s, not the real server; vigil checks the real server itself", ch.arg(1)))
				return
			}
		case key == "connect_port":
			p, ok := parseInt(ch.arg(1), 1, 65535)
			if !ok {
				c.skip(ch, comments, "not a port in 1..65535")
				continue
			}
			port = p
		case key == "bindto", key == "bind_port", key == "bind_if", key == "fwmark":
			c.skip(ch, comments, "vigil chooses the source of checks itself")
		case key == "alpha":
			c.skip(ch, comments, "vigil starts every real server as healthy until its checks fail")
		case key == "log_all_failures":
			c.skip(ch, comments, "vigil logs state changes and exports failures as metrics")
		case key == "virtualhost":
			vhost = ch.arg(1)
		case key == "misc_timeout" && typ == "MISC_CHECK":
			s, ok := parseInt(ch.arg(1), 1, 86400)
			if !ok {
				c.skip(ch, comments, "not a whole number of seconds in 1..86400")
				continue
			}
			d := time.Duration(s) * time.Second
			miscTimeout = &d
		}
	}
	timing = timing.over(cc.timing)
	effPort := cc.rsAddr.Port()
	if port >= 0 {
		effPort = uint16(port)
	}
	if typ != "MISC_CHECK" && effPort == 0 {
		c.skip(st, rs, "no port to check: the real server has none (fwmark service) and there is no connect_port")
		return
	}

	timeout := kaConnectTimeout
	if typ == "MISC_CHECK" {
		// keepalived's misc_timeout defaults to the virtual server's delay_loop.
		timeout = kaDelayLoop
		if cc.vs.timing.delayLoop != nil {
			timeout = *cc.vs.timing.delayLoop
		}
		if miscTimeout != nil {
			timeout = *miscTimeout
		}
	}
	eff := effectiveTiming(timing, typ, timeout)

	var checks []*node
	switch typ {
	case "TCP_CHECK":
		checks = []*node{newBlock(origin(st), "check", "tcp")}
		c.checkerOptions(st, comments, nil)
	case "HTTP_GET", "SSL_GET":
		checks = c.httpChecks(st, comments, vhost)
	case "MISC_CHECK":
		checks = c.miscCheck(st, comments)
	case "DNS_CHECK":
		checks = c.dnsCheck(st, comments)
	case "UDP_CHECK":
		checks = c.udpCheck(st, comments)
	}
	rs.children = append(rs.children, comments.children...)
	for _, b := range checks {
		if b.dropped != "" {
			continue
		}
		var pre []*node
		if port >= 0 && effPort != cc.rsAddr.Port() {
			pre = append(pre, &node{name: "port", value: hclInt(int64(effPort)), src: origin(st)})
		}
		holder := &node{}
		pre = append(pre, c.timingAttrs(eff, cc.vs.defaults, st, holder)...)
		rs.children = append(rs.children, holder.children...)
		b.children = append(pre, b.children...)
		rs.add(b)
	}
}

// checkerOptions reports the checker-specific keywords not handled by
// checker(); known lists the ones the caller converts.
func (c *converter) checkerOptions(st *stmt, comments *node, known map[string]bool) {
	for _, ch := range st.block {
		key := ch.key()
		switch {
		case known[key], isTimingKey(key):
		case key == "connect_ip", key == "connect_port", key == "bindto", key == "bind_port", key == "bind_if",
			key == "fwmark", key == "alpha", key == "log_all_failures", key == "virtualhost":
		case key == "misc_timeout" && st.key() == "MISC_CHECK":
		default:
			c.skip(ch, comments, noEquivalent(ch))
		}
	}
}

// httpChecks converts HTTP_GET and SSL_GET: one vigil check per url, since
// keepalived fails the server when any url fails.
func (c *converter) httpChecks(st *stmt, comments *node, vhost string) []*node {
	tls := st.key() == "SSL_GET"
	sni := false
	for _, ch := range st.block {
		switch ch.key() {
		case "enable_sni":
			sni = tls
		case "http_protocol":
			c.skip(ch, comments, "vigil speaks HTTP/1.1")
		case "fast_recovery":
			c.skip(ch, comments, "vigil checks every url independently")
		}
	}
	c.checkerOptions(st, comments, map[string]bool{"url": true, "enable_sni": true, "http_protocol": true, "fast_recovery": true})
	var out []*node
	for _, u := range st.block {
		if u.key() != "url" {
			continue
		}
		host := vhost
		var path string
		regexNoMatch := false
		for _, ch := range u.block {
			switch ch.key() {
			case "virtualhost":
				host = ch.arg(1)
			case "path":
				path = ch.arg(1)
			case "regex_no_match":
				regexNoMatch = true
			}
		}
		if !strings.HasPrefix(path, "/") {
			c.skip(u, comments, fmt.Sprintf("the url's path %q does not start with /", path))
			continue
		}
		b := newBlock(origin(u), "check", "http")
		for _, ch := range u.block {
			switch ch.key() {
			case "path":
				if ch.arg(1) == path {
					b.attr(origin(ch), "path", hclString(path))
				}
			case "digest":
				c.skip(ch, b, "vigil compares a SHA-256 of the body (body_sha256), keepalived an MD5; compute the SHA-256 of the page and add it")
			case "status_code":
				c.statusCodes(ch, b)
			case "virtualhost", "regex_no_match":
				// read above
			case "regex":
				switch _, err := regexp.Compile(ch.arg(1)); {
				case regexNoMatch:
					c.skip(ch, b, "vigil has no inverted regex match (regex_no_match)")
				case err != nil:
					c.skip(ch, b, "not an RE2 regular expression, which vigil uses: "+err.Error())
				default:
					b.attr(origin(ch), "body_regex", hclString(ch.arg(1)))
				}
			default:
				c.skip(ch, b, noEquivalent(ch))
			}
		}
		if host != "" {
			b.attr(origin(u), "host", hclString(host))
		}
		if tls {
			b.attr(origin(u), "tls", "true")
			if sni && host != "" {
				b.attr(origin(u), "server_name", hclString(host))
			}
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		c.skip(st, comments, "has no usable url; keepalived needs one too")
	}
	return out
}

// statusCodes converts `status_code 200 300-399 ...`.
func (c *converter) statusCodes(st *stmt, b *node) {
	var codes []string
	for _, w := range st.words[1:] {
		lo, hi, isRange := strings.Cut(w, "-")
		a, errA := strconv.Atoi(lo)
		z := a
		var errZ error
		if isRange {
			z, errZ = strconv.Atoi(hi)
		}
		if errA != nil || errZ != nil || a < 100 || z > 599 || a > z {
			c.skipAt(st.pos, "status_code "+w, b, "not a status code or range within 100..599")
			continue
		}
		codes = append(codes, w)
	}
	if len(codes) > 0 {
		b.attr(origin(st), "status", hclList(codes))
	}
}

// miscCheck converts MISC_CHECK into a script check.
func (c *converter) miscCheck(st *stmt, comments *node) []*node {
	b := newBlock(origin(st), "check", "script")
	have := false
	for _, ch := range st.block {
		switch ch.key() {
		case "misc_path":
			argv, extra, why := command(ch)
			if why != "" {
				c.skip(st, comments, "misc_path: "+why)
				return nil
			}
			b.attr(origin(ch), "command", hclList(argv)).essential = true
			if len(extra) > 0 {
				c.skipAt(ch.pos, "misc_path "+strings.Join(extra, " "), b, "words after the quoted command are ignored (keepalived ignores them too)")
			}
			have = true
		case "misc_dynamic":
			b.attr(origin(ch), "dynamic_weight", "true")
		case "user":
			c.skip(ch, b, "vigil runs scripts as the daemon's user")
		}
	}
	c.checkerOptions(st, comments, map[string]bool{"misc_path": true, "misc_dynamic": true, "user": true})
	if !have {
		c.skip(st, comments, "has no misc_path")
		return nil
	}
	return []*node{b}
}

// dnsTypes are the record types keepalived's DNS_CHECK and vigil share.
var dnsTypes = map[string]bool{"A": true, "NS": true, "CNAME": true, "SOA": true, "MX": true, "TXT": true, "AAAA": true}

// dnsCheck converts DNS_CHECK; keepalived queries "." for SOA by default.
func (c *converter) dnsCheck(st *stmt, comments *node) []*node {
	b := newBlock(origin(st), "check", "dns")
	name, typ := ".", "SOA"
	for _, ch := range st.block {
		switch ch.key() {
		case "name":
			if ch.arg(1) != "" {
				name = ch.arg(1)
			}
		case "type":
			t := strings.ToUpper(ch.arg(1))
			if !dnsTypes[t] {
				c.skip(st, comments, fmt.Sprintf("record type %q is not supported", ch.arg(1)))
				return nil
			}
			typ = t
		}
	}
	c.checkerOptions(st, comments, map[string]bool{"name": true, "type": true})
	b.attr(origin(st), "name", hclString(name)).essential = true
	b.attr(origin(st), "type", hclString(typ))
	return []*node{b}
}

// udpCheck converts UDP_CHECK. Without require_reply keepalived counts
// silence as success (only an ICMP error fails), which vigil's udp check,
// which waits for a reply, cannot express.
func (c *converter) udpCheck(st *stmt, comments *node) []*node {
	b := newBlock(origin(st), "check", "udp")
	var reply *stmt
	for _, ch := range st.block {
		switch ch.key() {
		case "payload":
			h, ok := hexString(ch.words[1:])
			if !ok {
				c.skip(st, comments, "payload is not plain pairs of hex digits")
				return nil
			}
			b.attr(origin(ch), "payload_hex", hclString(h))
		case "require_reply":
			reply = ch
		case "min_reply_length", "max_reply_length":
			c.skip(ch, b, "vigil checks the start of the reply, not its length")
		}
	}
	c.checkerOptions(st, comments, map[string]bool{"payload": true, "require_reply": true, "min_reply_length": true, "max_reply_length": true})
	if reply == nil {
		c.skip(st, comments, "without require_reply keepalived passes when no ICMP error comes back; vigil's udp check needs a reply")
		return nil
	}
	if len(reply.words) > 1 {
		h, ok := hexString(reply.words[1:])
		if !ok {
			c.skip(st, comments, "require_reply is not plain pairs of hex digits (vigil has no X wildcards)")
			return nil
		}
		b.attr(origin(reply), "expect_hex", hclString(h))
	}
	return []*node{b}
}

// hexString joins keepalived hex words when they are plain byte pairs.
func hexString(words []string) (string, bool) {
	s := strings.Join(words, "")
	if s == "" || len(s)%2 != 0 {
		return "", false
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", false
	}
	return strings.ToLower(s), true
}
