package realserver

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// plan is what Apply will do, worked out and validated before anything changes.
type plan struct {
	cfg      Config
	realIP   netip.Addr // the real server's own address on the interface, if needed
	actions  []action
	warnings []string
}

// makePlan inspects the host and returns the actions for cfg, or every reason
// the configuration cannot be applied here. It changes nothing: the one write
// it does is putting a sysctl's current value back, to find out early whether
// /proc/sys can be written at all.
func makePlan(ctx context.Context, h *Host, cfg Config, prior *State) (*plan, error) {
	p := &plan{cfg: cfg}
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	all, err := hostAddrs(h)
	if err != nil {
		return nil, err
	}
	if cfg.Interface != "" {
		if _, err := h.Net.LinkByName(cfg.Interface); err != nil {
			bad("interface %s: no such interface (`ip link` lists them)", cfg.Interface)
		}
	}
	p.checkVIPsNotOwn(all, bad)
	p.pickRealIP(all, bad)
	needs := map[string]string{} // command -> package
	switch cfg.Method {
	case MethodArptables:
		needs["arptables"] = "arptables"
	case MethodNftables:
		needs["nft"] = "nftables"
	case MethodRedirect:
		if cfg.RedirectBackend == BackendNft {
			needs["nft"] = "nftables"
		} else {
			needs["iptables"] = "iptables"
		}
	case MethodTunnel:
		link, err := h.Net.LinkByName(cfg.TunnelDevice)
		switch {
		case err == nil && link.Type() != "ipip":
			bad("tunnel device %s exists and is a %s device, not ipip", cfg.TunnelDevice, link.Type())
		case err != nil && !h.ipip():
			bad("method tunnel needs ipip tunnels, and this kernel has no ipip module (try `modprobe ipip`)")
		}
	}
	for cmd, pkg := range needs {
		if _, err := exec.LookPath(cmd); err != nil {
			bad("method %s needs the %s command: install the %s package", cfg.Method, cmd, pkg)
		}
	}
	for _, f := range []string{cfg.SysctlFile, cfg.NftFile} {
		if f == "" {
			continue
		}
		if !filepath.IsAbs(f) {
			bad("file %s: give an absolute path", f)
		} else if fi, err := os.Stat(filepath.Dir(f)); err != nil || !fi.IsDir() {
			bad("file %s: directory %s does not exist", f, filepath.Dir(f))
		}
	}
	if len(errs) > 0 {
		return nil, invalid(errs)
	}
	p.build(h)
	if err := p.preflight(ctx, h, prior); err != nil {
		return nil, err
	}
	return p, nil
}

func (h *Host) ipip() bool {
	if h.hasIPIP != nil {
		return h.hasIPIP()
	}
	return ipipAvailable()
}

// ipipAvailable reports whether the kernel has ipip loaded, built in, or
// installed as a module it can load on demand.
func ipipAvailable() bool {
	if _, err := os.Stat("/sys/module/ipip"); err == nil {
		return true
	}
	var uts unix.Utsname
	if unix.Uname(&uts) != nil {
		return false
	}
	dir := filepath.Join("/lib/modules", unix.ByteSliceToString(uts.Release[:]))
	for _, f := range []string{"modules.builtin", "modules.dep"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil && strings.Contains(string(b), "/ipip.ko") {
			return true
		}
	}
	return false
}

// checkVIPsNotOwn refuses a VIP that is already one of the host's addresses,
// except as the /32 this method itself puts on its device (a repeated Apply).
func (p *plan) checkVIPsNotOwn(all []hostAddr, bad func(string, ...any)) {
	dev := p.cfg.VIPDevice()
	for _, v := range p.cfg.VIPs {
		for _, a := range findAddr(all, v) {
			if dev != "" && a.Dev == dev && a.Prefix.Bits() == 32 {
				continue
			}
			bad("VIP %s is already an address of this host (%s on %s): a VIP must not be the real server's own address", v, a.Prefix, a.Dev)
		}
	}
}

// pickRealIP finds the real server's own address where the method needs one.
func (p *plan) pickRealIP(all []hostAddr, bad func(string, ...any)) {
	switch p.cfg.Method {
	case MethodArptables, MethodNftables, MethodTunnel:
	default:
		return
	}
	if p.cfg.RealIP.IsValid() {
		if len(findAddr(all, p.cfg.RealIP)) == 0 {
			bad("real IP %s is not an address of this host", p.cfg.RealIP)
		}
		p.realIP = p.cfg.RealIP
		return
	}
	ip, ok := realIPOf(all, p.cfg.Interface, p.cfg.VIPs)
	if !ok && p.cfg.Interface != "" {
		bad("interface %s has no IPv4 address of its own: method %s needs the real server's address (or give one with -real-ip)", p.cfg.Interface, p.cfg.Method)
	}
	p.realIP = ip
}

// build lists the actions in an order that never leaves a window in which the
// host answers ARP for a VIP: ARP settings and rules come before addresses.
func (p *plan) build(h *Host) {
	c := p.cfg
	label := c.VIPLabel()
	addVIPs := func(dev string) {
		for _, v := range c.VIPs {
			p.actions = append(p.actions, addrAction{dev: dev, vip: v, label: label})
		}
	}
	switch c.Method {
	case MethodSysctl:
		for _, s := range sysctlSettings(c) {
			p.actions = append(p.actions, sysctlAction{s})
		}
		addVIPs("lo")
		p.warnRPFilter(h)
	case MethodArptables:
		for _, x := range arptablesChains(c.Interface, c.VIPs, p.realIP) {
			p.actions = append(p.actions, xtAction{x})
		}
		addVIPs(c.Interface)
	case MethodNftables:
		p.actions = append(p.actions, nftAction{nftTable{"arp", nftTableName}, nftARPRules(c.Interface, c.VIPs, p.realIP)})
		addVIPs(c.Interface)
	case MethodTunnel:
		settings := sysctlSettings(c)
		tunKey := confKey(c.TunnelDevice, "rp_filter")
		for _, s := range settings {
			if s.Key != tunKey {
				p.actions = append(p.actions, sysctlAction{s})
			}
		}
		p.actions = append(p.actions, tunnelAction{name: c.TunnelDevice, local: p.realIP})
		for _, s := range settings {
			if s.Key == tunKey {
				p.actions = append(p.actions, sysctlAction{s})
			}
		}
		addVIPs(c.TunnelDevice)
		p.actions = append(p.actions, linkUpAction{c.TunnelDevice})
	case MethodRedirect:
		if c.RedirectBackend == BackendNft {
			p.actions = append(p.actions, nftAction{nftTable{"ip", nftTableName}, nftRedirectRules(c.Interface, c.VIPs, c.Ports)})
		} else {
			p.actions = append(p.actions, xtAction{iptablesRedirect(c.Interface, c.VIPs, c.Ports)})
		}
		p.warnRPFilter(h)
	}
	if c.SysctlFile != "" {
		p.actions = append(p.actions, fileAction{c.SysctlFile, sysctlFileContent(h, c)})
	}
	if c.NftFile != "" {
		for _, a := range p.actions {
			if n, ok := a.(nftAction); ok {
				p.actions = append(p.actions, fileAction{c.NftFile, n.ruleset})
				break
			}
		}
	}
}

// preflight catches what would fail half-way: unwritable sysctls, a ruleset
// the kernel rejects, chains of the same name that vigil did not record.
func (p *plan) preflight(ctx context.Context, h *Host, prior *State) error {
	var errs []error
	for _, a := range p.actions {
		switch a := a.(type) {
		case sysctlAction:
			cur, err := h.Sysctl.Get(a.s.Key)
			if sysctlMissing(err) && strings.Contains(a.s.Key, "/"+p.cfg.TunnelDevice+"/") {
				continue // the tunnel device does not exist yet
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("sysctl %s: %w", DisplayKey(a.s.Key), err))
				continue
			}
			if a.s.ok(cur) {
				continue
			}
			if err := h.Sysctl.Set(a.s.Key, cur); err != nil {
				errs = append(errs, fmt.Errorf("sysctl %s cannot be written: %w", DisplayKey(a.s.Key), err))
			}
		case nftAction:
			if _, err := h.Run.Run(ctx, []byte(a.ruleset), "nft", "-c", "-f", "-"); err != nil {
				errs = append(errs, fmt.Errorf("nftables rejects the ruleset for table %s: %w", a.table, err))
			}
		case xtAction:
			exists, err := xtChainExists(ctx, h, a.x)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s does not work here: %w", a.x.Command, err))
				continue
			}
			id := Change{Kind: KindXtChain, Command: a.x.Command, Table: a.x.Table, Chain: a.x.Chain}.ID()
			recorded := false
			if prior != nil {
				_, recorded = prior.find(id)
			}
			if exists && !recorded {
				errs = append(errs, fmt.Errorf("%s chain %s already exists but is not in the record %s: delete it (%s -F %s; %s -X %s, after removing the jump to it) or give the state file that created it",
					a.x.Command, a.x.Chain, h.StatePath, a.x.Command, a.x.Chain, a.x.Command, a.x.Chain))
			}
		}
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

// sysctlFileContent is the sysctl.d form of the method's settings, with the
// value each will have once Apply has run.
func sysctlFileContent(h *Host, c Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `vigil realserver apply` (method %s); `vigil realserver remove` deletes it.\n", c.Method)
	for _, s := range sysctlSettings(c) {
		v := s.Want
		if cur, err := h.Sysctl.Get(s.Key); err == nil && s.ok(cur) {
			v = cur
		}
		key := DisplayKey(s.Key)
		if strings.Contains(key, "/") {
			key = s.Key // sysctl.d keeps dots in names when the first separator is a slash
		}
		fmt.Fprintf(&b, "%s = %s\n", key, v)
	}
	return b.String()
}

// warnRPFilter adds a warning when reverse-path filtering would drop client
// traffic: Apply does not change rp_filter outside the tunnel method.
func (p *plan) warnRPFilter(h *Host) {
	if p.cfg.Interface == "" {
		return
	}
	if problem, fix := rpFilterProblem(h, p.cfg.Interface); problem != "" {
		p.warnings = append(p.warnings, problem+"; fix: "+fix)
	}
}

// rpFilterProblem explains when strict reverse-path filtering on iface would
// drop client traffic, and how to fix it: with rp_filter=1 the kernel drops a
// packet whose source it would not route back out of the interface it came
// in on, and clients are reached through the default route.
func rpFilterProblem(h *Host, iface string) (problem, fix string) {
	mode, err := effectiveRPFilter(h, iface)
	if err != nil || mode != 1 {
		return "", ""
	}
	link, err := h.Net.LinkByName(iface)
	if err != nil {
		return "", ""
	}
	via, err := defaultRouteVia(h)
	if err != nil || slices.Contains(via, link.Attrs().Index) {
		return "", ""
	}
	return fmt.Sprintf("rp_filter is strict (1) on %s and the default route does not leave through it: packets from clients arriving on %s are dropped", iface, iface),
		fmt.Sprintf("sysctl -w %s=2 %s=2", DisplayKey(confKey("all", "rp_filter")), DisplayKey(confKey(iface, "rp_filter")))
}

// effectiveRPFilter is the mode the kernel uses for iface: max(all, iface).
func effectiveRPFilter(h *Host, iface string) (int, error) {
	a, err := sysctlInt(h, confKey("all", "rp_filter"))
	if err != nil {
		return 0, err
	}
	d, err := sysctlInt(h, confKey(iface, "rp_filter"))
	if err != nil {
		return 0, err
	}
	return max(a, d), nil
}

func sysctlInt(h *Host, key string) (int, error) {
	v, err := h.Sysctl.Get(key)
	if err != nil {
		return 0, err
	}
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil {
		return 0, fmt.Errorf("sysctl %s: %q is not a number", DisplayKey(key), v)
	}
	return n, nil
}
