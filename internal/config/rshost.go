package config

import (
	"net/netip"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// Real-server methods (RealServerHost.Method).
const (
	MethodSysctl    = "sysctl"
	MethodArptables = "arptables"
	MethodNftables  = "nftables"
	MethodTunnel    = "tunnel"
	MethodRedirect  = "redirect"
)

// decodeRealServerHost decodes the `realserver` block.
func (d *decoder) decodeRealServerHost(b *hcl.Block) *RealServerHost {
	h := &RealServerHost{Method: MethodSysctl}
	s := d.open(b.Body, "realserver", b.DefRange, []string{"vips", "interface", "method", "persist", "redirect_ports"})
	if s.require("vips") {
		texts, ranges, ok := s.strings("vips")
		if ok && len(texts) == 0 {
			s.fail(s.rng("vips"), "", "vips must not be empty")
		}
		for i, t := range texts {
			a, msg := parseHostAddr(t, false)
			switch {
			case msg != "":
				s.fail(ranges[i], "", "vip %q %s", t, msg)
			case slices.Contains(h.VIPs, a):
				s.fail(ranges[i], "", "vip %s is listed twice", a)
			default:
				h.VIPs = append(h.VIPs, a)
			}
		}
	}
	s.oneOf("method", &h.Method, MethodSysctl, MethodArptables, MethodNftables, MethodTunnel, MethodRedirect)
	switch h.Method {
	case MethodTunnel:
		h.Interface = "tunl0"
		if slices.ContainsFunc(h.VIPs, netip.Addr.Is6) {
			h.Interface = "ip6tnl0"
		}
	case MethodRedirect:
	default:
		h.Interface = "lo"
	}
	if s.str("interface", &h.Interface) {
		switch msg := checkIfName(h.Interface); {
		case h.Method == MethodRedirect:
			s.fail(s.rng("interface"), "The redirect method adds no address.", "interface is not used with method \"redirect\"")
		case msg != "":
			s.fail(s.rng("interface"), "", "interface %q %s", h.Interface, msg)
		}
	}
	s.boolean("persist", &h.Persist)
	if s.has("redirect_ports") {
		if h.Method != MethodRedirect {
			s.fail(s.rng("redirect_ports"), "", "redirect_ports needs method = \"redirect\"")
		}
		d.decodePorts(s, h)
	} else if h.Method == MethodRedirect {
		s.fail(s.def, "List the service ports to redirect to this host.", "method \"redirect\" needs redirect_ports")
	}
	return h
}

// decodePorts reads redirect_ports: a non-empty list of distinct ports.
func (d *decoder) decodePorts(s *section, h *RealServerHost) {
	texts, ranges, ok := s.strings("redirect_ports")
	if ok && len(texts) == 0 {
		s.fail(s.rng("redirect_ports"), "", "redirect_ports must not be empty")
	}
	for i, t := range texts {
		p, err := parsePort(t)
		switch {
		case err != "":
			s.fail(ranges[i], "", "port %q %s", t, err)
		case slices.Contains(h.RedirectPorts, p):
			s.fail(ranges[i], "", "port %d is listed twice", p)
		default:
			h.RedirectPorts = append(h.RedirectPorts, p)
		}
	}
}

// parsePort parses a port 1..65535 given as a number or a string.
func parsePort(text string) (int, string) {
	n := 0
	if text == "" || len(text) > 5 {
		return 0, "is not a port number 1..65535"
	}
	for _, r := range text {
		if r < '0' || r > '9' {
			return 0, "is not a port number 1..65535"
		}
		n = n*10 + int(r-'0')
	}
	if n < 1 || n > 65535 {
		return 0, "is not a port number 1..65535"
	}
	return n, ""
}
