package realserver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
)

// Result is one condition Check looked at.
type Result struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Fix is a command or step that makes the condition pass.
	Fix string `json:"fix,omitempty"`
}

// Failed counts the results that did not pass.
func Failed(results []Result) int {
	n := 0
	for _, r := range results {
		if !r.OK {
			n++
		}
	}
	return n
}

// WriteResults prints one line per result, with the fix under each failure.
func WriteResults(w io.Writer, results []Result) {
	for _, r := range results {
		mark := "PASS"
		if !r.OK {
			mark = "FAIL"
		}
		line := mark + "  " + r.Name
		if r.Detail != "" {
			line += ": " + r.Detail
		}
		fmt.Fprintln(w, line)
		if !r.OK && r.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", r.Fix)
		}
	}
	fmt.Fprintf(w, "%d checks, %d failed\n", len(results), Failed(results))
}

// Check reports whether the host is a working real server for cfg: the VIPs
// are where the method puts them, the sysctls and rules are in place, reverse
// path filtering and proxy ARP do not get in the way, and a service listens on
// each configured port. It needs no privileges beyond reading the rules, and
// changes nothing. The error is for a configuration that cannot be checked.
func Check(ctx context.Context, h *Host, cfg Config) ([]Result, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	all, err := hostAddrs(h)
	if err != nil {
		return nil, err
	}
	c := &checker{ctx: ctx, h: h, cfg: cfg, all: all}
	if cfg.Interface != "" {
		if _, err := h.Net.LinkByName(cfg.Interface); err != nil {
			c.add(Result{Name: "interface " + cfg.Interface + " exists", Detail: err.Error(), Fix: "name the interface that faces the directors (`ip link` lists them)"})
			return c.out, nil
		}
	}
	c.realIP = cfg.RealIP
	if !c.realIP.IsValid() && cfg.Interface != "" {
		c.realIP, _ = realIPOf(all, cfg.Interface, cfg.VIPs)
	}
	c.vips()
	c.sysctls()
	c.rules()
	c.rpFilter()
	c.proxyARP()
	c.listeners()
	return c.out, nil
}

type checker struct {
	ctx    context.Context
	h      *Host
	cfg    Config
	all    []hostAddr
	realIP netip.Addr
	out    []Result
}

func (c *checker) add(r Result) { c.out = append(c.out, r) }

func (c *checker) vips() {
	cfg := c.cfg
	if cfg.Method == MethodTunnel {
		r := Result{Name: "ipip device " + cfg.TunnelDevice}
		link, err := c.h.Net.LinkByName(cfg.TunnelDevice)
		switch {
		case err != nil:
			r.Detail, r.Fix = "missing", "vigil realserver apply -method tunnel"
		case link.Type() != "ipip":
			r.Detail, r.Fix = "is a "+link.Type()+" device", "use an ipip device (-tunnel-device)"
		case link.Attrs().Flags&net.FlagUp == 0:
			r.Detail, r.Fix = "down", "ip link set "+cfg.TunnelDevice+" up"
		default:
			r.OK, r.Detail = true, "up"
		}
		c.add(r)
	}
	dev := cfg.VIPDevice()
	for _, v := range cfg.VIPs {
		found := findAddr(c.all, v)
		if cfg.Method == MethodRedirect {
			r := Result{Name: "VIP " + v.String() + " is not configured on the host", OK: len(found) == 0}
			if !r.OK {
				r.Detail = "found on " + found[0].Dev
				r.Fix = fmt.Sprintf("ip addr del %s dev %s", found[0].Prefix, found[0].Dev)
			}
			c.add(r)
			continue
		}
		r := Result{Name: fmt.Sprintf("VIP %s/32 on %s", v, dev)}
		for _, a := range found {
			if a.Dev == dev && a.Prefix.Bits() == 32 {
				r.OK = true
			} else {
				r.Detail += fmt.Sprintf("also %s on %s; ", a.Prefix, a.Dev)
			}
		}
		r.Detail = strings.TrimSuffix(r.Detail, "; ")
		if !r.OK {
			r.Fix = fmt.Sprintf("ip addr add %s/32 dev %s", v, dev)
			if l := cfg.VIPLabel(); l != "" {
				r.Fix += " label " + l
			}
		} else if r.Detail != "" {
			r.OK = false // the VIP is also somewhere it should not be
			r.Fix = "remove the VIP from the other devices"
		}
		c.add(r)
	}
}

func (c *checker) sysctls() {
	for _, s := range sysctlSettings(c.cfg) {
		r := Result{Name: "sysctl " + DisplayKey(s.Key)}
		v, err := c.h.Sysctl.Get(s.Key)
		switch {
		case err != nil:
			r.Detail = err.Error()
		case s.ok(v):
			r.OK, r.Detail = true, v
		default:
			r.Detail = fmt.Sprintf("%s, want %s to %s", v, strings.Join(s.Accept, " or "), s.Why)
		}
		if !r.OK {
			r.Fix = "sysctl -w " + DisplayKey(s.Key) + "=" + s.Want
		}
		c.add(r)
	}
}

func (c *checker) rules() {
	cfg := c.cfg
	switch {
	case cfg.Method == MethodNftables:
		c.nftRules(nftTable{"arp", nftTableName}, nftARPExpect(cfg.VIPs, c.realIP))
	case cfg.Method == MethodRedirect && cfg.RedirectBackend == BackendNft:
		c.nftRules(nftTable{"ip", nftTableName}, nftRedirectExpect(cfg.VIPs, cfg.Ports))
	case cfg.Method == MethodArptables:
		for _, x := range arptablesChains(cfg.Interface, cfg.VIPs, c.realIP) {
			c.xtRules(x)
		}
	case cfg.Method == MethodRedirect:
		c.xtRules(iptablesRedirect(cfg.Interface, cfg.VIPs, cfg.Ports))
	}
}

func (c *checker) nftRules(t nftTable, want map[string]string) {
	listing, err := nftList(c.ctx, c.h, t)
	if err != nil || listing == "" {
		detail := "table missing"
		if err != nil {
			detail = err.Error()
		}
		c.add(Result{Name: "nftables table " + t.String(), Detail: detail, Fix: "vigil realserver apply -method " + string(c.cfg.Method)})
		return
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		r := Result{Name: "nftables: " + n, OK: strings.Contains(listing, want[n])}
		if !r.OK {
			r.Detail, r.Fix = "rule missing from table "+t.String(), "vigil realserver apply -method "+string(c.cfg.Method)
		}
		c.add(r)
	}
}

func (c *checker) xtRules(x xtChain) {
	fix := "vigil realserver apply -method " + string(c.cfg.Method)
	r := Result{Name: fmt.Sprintf("%s: jump from %s to %s", x.Command, x.Parent, x.Chain)}
	r.OK = xtRuleExists(c.ctx, c.h, x, x.Parent, x.Jump)
	if !r.OK {
		r.Fix = fix
	}
	c.add(r)
	for i, rule := range x.Rules {
		r := Result{Name: x.Command + ": " + x.Desc[i], OK: xtRuleExists(c.ctx, c.h, x, x.Chain, rule)}
		if !r.OK {
			r.Detail, r.Fix = "rule missing from chain "+x.Chain, fix
		}
		c.add(r)
	}
}

// rpFilter checks that reverse-path filtering lets client traffic in.
func (c *checker) rpFilter() {
	cfg := c.cfg
	if cfg.Method == MethodTunnel {
		dev := cfg.TunnelDevice
		r := Result{Name: "rp_filter on " + dev + " is off or loose"}
		mode, err := effectiveRPFilter(c.h, dev)
		switch {
		case err != nil:
			r.Detail = err.Error()
		case mode == 1:
			r.Detail = "strict (1): decapsulated packets from clients are dropped"
		default:
			r.OK, r.Detail = true, fmt.Sprint(mode)
		}
		if !r.OK {
			r.Fix = fmt.Sprintf("sysctl -w %s=2 %s=0", DisplayKey(confKey("all", "rp_filter")), DisplayKey(confKey(dev, "rp_filter")))
		}
		c.add(r)
		return
	}
	if cfg.Interface == "" {
		return
	}
	r := Result{Name: "rp_filter on " + cfg.Interface + " lets client traffic in", OK: true}
	if problem, fix := rpFilterProblem(c.h, cfg.Interface); problem != "" {
		r.OK, r.Detail, r.Fix = false, problem, fix
	}
	c.add(r)
}

// proxyARP checks that the facing interface does not answer ARP on behalf of
// other hosts, which would include the VIP wherever it is routed.
func (c *checker) proxyARP() {
	iface := c.cfg.Interface
	if iface == "" {
		return
	}
	r := Result{Name: "proxy_arp off on " + iface}
	a, err1 := sysctlInt(c.h, confKey("all", "proxy_arp"))
	d, err2 := sysctlInt(c.h, confKey(iface, "proxy_arp"))
	switch {
	case err1 != nil || err2 != nil:
		r.Detail = fmt.Sprint(err1, err2)
	case a != 0 || d != 0:
		r.Detail = "on: the host answers ARP for addresses it routes, the VIP among them"
		r.Fix = fmt.Sprintf("sysctl -w %s=0 %s=0", DisplayKey(confKey("all", "proxy_arp")), DisplayKey(confKey(iface, "proxy_arp")))
	default:
		r.OK = true
	}
	c.add(r)
}

// listeners checks that a service accepts each configured port on the VIPs
// (for MethodRedirect, the local port the traffic is redirected to).
func (c *checker) listeners() {
	if len(c.cfg.Ports) == 0 {
		return
	}
	socks, err := readListeners(c.h.procNet())
	if err != nil {
		c.add(Result{Name: "listening sockets", Detail: err.Error()})
		return
	}
	for _, p := range c.cfg.Ports {
		for _, v := range c.cfg.VIPs {
			target := v
			name := fmt.Sprintf("a %s service listens on %s:%d", p.Proto, v, p.Port)
			if c.cfg.Method == MethodRedirect {
				// REDIRECT rewrites the destination to the address of the
				// interface the packet came in on.
				target = c.redirectTarget()
				name = fmt.Sprintf("a %s service listens on port %d for %s:%d", p.Proto, p.Local(), v, p.Port)
			}
			r := Result{Name: name}
			if l, ok := findListener(socks, p.Proto, target, p.Local()); ok {
				r.OK, r.Detail = true, "bound to "+l.String()
			} else {
				r.Detail = "nothing listens"
				r.Fix = fmt.Sprintf("start the service bound to 0.0.0.0:%d or %s:%d", p.Local(), target, p.Local())
			}
			c.add(r)
		}
	}
}

func (c *checker) redirectTarget() netip.Addr {
	if c.realIP.IsValid() {
		return c.realIP
	}
	return netip.IPv4Unspecified()
}

// defaultRouteVia lists the indexes of the devices the default IPv4 route of
// the main table leaves through.
func defaultRouteVia(h *Host) ([]int, error) {
	routes, err := retryDump(func() ([]netlink.Route, error) {
		return h.Net.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: 254}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, err
	}
	var idx []int
	for _, r := range routes {
		if r.Dst != nil && !(r.Dst.IP.IsUnspecified() && isZeroMask(r.Dst.Mask)) {
			continue
		}
		idx = append(idx, r.LinkIndex)
		for _, nh := range r.MultiPath {
			idx = append(idx, nh.LinkIndex)
		}
	}
	return idx, nil
}

func isZeroMask(m net.IPMask) bool {
	ones, _ := m.Size()
	return ones == 0
}
