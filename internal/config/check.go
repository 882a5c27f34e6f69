package config

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// checkTypeAttrs lists the attributes of each check type beyond the common ones.
var checkTypeAttrs = map[string][]string{
	CheckTCP: {"half_open"},
	CheckHTTP: {"method", "path", "host", "status", "body_regex", "body_sha256", "headers", "tls",
		"server_name", "verify", "weight_header", "weight_field", "max_weight"},
	CheckScript: {"command", "env", "dynamic_weight"},
	CheckUDP:    {"payload", "payload_hex", "expect", "expect_hex"},
	CheckDNS:    {"name", "type"},
}

// DNSTypes are the record types a dns check may query.
var DNSTypes = []string{"A", "AAAA", "CNAME", "MX", "NS", "PTR", "SOA", "SRV", "TXT"}

// decodeCheck decodes a `check "type"` block of a real server of vs.
func (d *decoder) decodeCheck(b *hcl.Block, parent *section, vs *VirtualServer, rs netip.AddrPort) (Check, bool) {
	typ := b.Labels[0]
	extra, known := checkTypeAttrs[typ]
	if !known {
		d.errorAt(b.LabelRanges[0], fmt.Sprintf("%s: check type %q is not known", parent.what, typ),
			`Valid types: "tcp", "http", "script", "udp", "dns".`)
		return Check{}, false
	}
	c := Check{Type: typ}
	attrs := append(append([]string{"port", "via_vip"}, timingAttrs...), extra...)
	s := d.open(b.Body, fmt.Sprintf("%s check %q", parent.what, typ), b.DefRange, attrs)
	c.Timing = d.decodeTiming(b, "", vs.CheckDefaults, s)
	s.integer("port", &c.Port, 0, 65535)
	if s.boolean("via_vip", &c.ViaVIP) && c.ViaVIP {
		switch {
		case vs.FWMark != 0:
			s.fail(s.rng("via_vip"), "", "via_vip needs a service address, not a fwmark")
		case vs.Forwarding == "nat":
			s.fail(s.rng("via_vip"), "With NAT the real server does not own the VIP.", "via_vip is not possible with forwarding \"nat\"")
		case vs.Address.Addr().Is6():
			s.fail(s.rng("via_vip"), "Probing at the VIP is tested for IPv4 only so far.", "via_vip is not supported for IPv6 virtual servers yet")
		case typ == CheckScript:
			s.fail(s.rng("via_vip"), "A script opens its own connections; give it the VIP as an argument.", "via_vip is not possible with a script check")
		}
	}
	if s.boolean("half_open", &c.HalfOpen) && c.HalfOpen {
		switch {
		case rs.Addr().Unmap().Is6():
			s.fail(s.rng("half_open"), "Half-open checks send hand-made IPv4 SYNs.", "half_open is not supported for IPv6 real servers yet")
		case c.ViaVIP:
			s.fail(s.rng("half_open"), "The director's reset to the VIP's SYN-ACK would not reach the real server.", "half_open is not possible with via_vip")
		}
	}
	switch typ {
	case CheckHTTP:
		c.HTTP = decodeHTTPCheck(s)
	case CheckScript:
		c.Script = decodeScriptCheck(s)
	case CheckUDP:
		c.UDP = decodeUDPCheck(s)
	case CheckDNS:
		c.DNS = decodeDNSCheck(s)
	}
	return c, true
}

// decodeHTTPCheck reads the attributes of an http check.
func decodeHTTPCheck(s *section) *HTTPCheck {
	h := &HTTPCheck{Method: "GET", Path: "/", Status: []StatusRange{{200, 299}}}
	s.oneOf("method", &h.Method, "GET", "HEAD")
	if s.str("path", &h.Path) && !strings.HasPrefix(h.Path, "/") {
		s.fail(s.rng("path"), "", "path %q does not start with \"/\"", h.Path)
	}
	s.str("host", &h.Host)
	if texts, ranges, ok := s.strings("status"); ok {
		h.Status = nil
		for i, t := range texts {
			r, msg := parseStatusRange(t)
			if msg != "" {
				s.fail(ranges[i], `Write a code such as "200" or a range such as "200-299".`, "status %q %s", t, msg)
				continue
			}
			h.Status = append(h.Status, r)
		}
		if len(texts) == 0 {
			s.fail(s.rng("status"), "", "status must not be empty")
		}
		if len(h.Status) == 0 {
			h.Status = []StatusRange{{200, 299}}
		}
	}
	if s.str("body_regex", &h.BodyRegex) {
		if _, err := regexp.Compile(h.BodyRegex); err != nil {
			s.fail(s.rng("body_regex"), err.Error(), "body_regex %q is not a valid regular expression", h.BodyRegex)
		}
	}
	if s.str("body_sha256", &h.BodySHA256) {
		h.BodySHA256 = strings.ToLower(h.BodySHA256)
		if b, err := hex.DecodeString(h.BodySHA256); err != nil || len(b) != 32 {
			s.fail(s.rng("body_sha256"), "", "body_sha256 is not 64 hexadecimal digits")
		}
	}
	h.Headers, _ = s.stringMap("headers")
	s.boolean("tls", &h.TLS)
	s.str("server_name", &h.ServerName)
	s.boolean("verify", &h.Verify)
	for _, name := range []string{"server_name", "verify"} {
		if s.has(name) && !h.TLS {
			s.fail(s.rng(name), "Set tls = true.", "%s needs tls = true", name)
		}
	}
	s.str("weight_header", &h.WeightHeader)
	s.str("weight_field", &h.WeightField)
	if h.WeightHeader != "" && h.WeightField != "" {
		s.fail(s.rng("weight_field"), "", "weight_header and weight_field are mutually exclusive")
	}
	if h.WeightHeader != "" || h.WeightField != "" {
		h.MaxWeight = 65535
		s.integer("max_weight", &h.MaxWeight, 1, 65535)
	} else if s.has("max_weight") {
		s.fail(s.rng("max_weight"), "", "max_weight needs weight_header or weight_field")
	}
	return h
}

// parseStatusRange parses "200" or "200-299".
func parseStatusRange(text string) (StatusRange, string) {
	lo, hi, isRange := strings.Cut(text, "-")
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.Atoi(strings.TrimSpace(hi))
	}
	switch {
	case err1 != nil || err2 != nil:
		return StatusRange{}, "is not a status code or range"
	case a < 100 || b > 599:
		return StatusRange{}, "is outside 100..599"
	case a > b:
		return StatusRange{}, "is an empty range"
	}
	return StatusRange{a, b}, ""
}

// String renders the range the way it is written in the file.
func (r StatusRange) String() string {
	if r.Min == r.Max {
		return strconv.Itoa(r.Min)
	}
	return fmt.Sprintf("%d-%d", r.Min, r.Max)
}

// decodeScriptCheck reads the attributes of a script check.
func decodeScriptCheck(s *section) *ScriptCheck {
	sc := &ScriptCheck{}
	if s.require("command") {
		if argv, _, ok := s.strings("command"); ok {
			if msg := checkCommand(argv); msg != "" {
				s.fail(s.rng("command"), "Commands are executed without a shell: [\"/path/to/program\", \"arg\", ...].", "command: %s", msg)
			}
			sc.Command = argv
		}
	}
	sc.Env, _ = s.stringMap("env")
	s.boolean("dynamic_weight", &sc.DynamicWeight)
	return sc
}

// decodeUDPCheck reads the attributes of a udp check.
func decodeUDPCheck(s *section) *UDPCheck {
	u := &UDPCheck{}
	u.Payload = textOrHex(s, "payload")
	u.Expect = textOrHex(s, "expect")
	return u
}

// textOrHex reads name (text) or name_hex (hex bytes); at most one of them.
func textOrHex(s *section, name string) []byte {
	var text string
	var out []byte
	if s.str(name, &text) {
		out = []byte(text)
	}
	if s.str(name+"_hex", &text) {
		if s.has(name) {
			s.fail(s.rng(name+"_hex"), "", "%s and %s_hex are mutually exclusive", name, name)
		}
		b, err := hex.DecodeString(strings.ReplaceAll(text, " ", ""))
		if err != nil {
			s.fail(s.rng(name+"_hex"), "Write pairs of hexadecimal digits, optionally separated by spaces.", "%s_hex is not hexadecimal", name)
		}
		out = b
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// decodeDNSCheck reads the attributes of a dns check.
func decodeDNSCheck(s *section) *DNSCheck {
	dc := &DNSCheck{Type: "A"}
	if s.require("name") && s.str("name", &dc.Name) {
		if dc.Name == "" || len(dc.Name) > 253 || strings.ContainsAny(dc.Name, " \t\r\n") {
			s.fail(s.rng("name"), "", "name %q is not a DNS name", dc.Name)
		}
	}
	var t string
	if s.str("type", &t) {
		t = strings.ToUpper(t)
		for _, ok := range DNSTypes {
			if t == ok {
				dc.Type = t
				return dc
			}
		}
		s.fail(s.rng("type"), fmt.Sprintf("Valid types: %s.", quoteList(DNSTypes)), "type %q is not supported", t)
	}
	return dc
}
