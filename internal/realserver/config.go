package realserver

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Method is the way a real server is made to accept traffic for a VIP without
// answering ARP for it.
type Method string

// The methods Apply knows.
const (
	// MethodSysctl puts the VIP as a /32 on lo and sets arp_ignore=1 and
	// arp_announce=2 on all, the facing interface and lo.
	MethodSysctl Method = "sysctl"
	// MethodArptables puts the VIP on the facing interface and uses arptables
	// to drop ARP requests for it and to rewrite outgoing ARP that would carry it.
	MethodArptables Method = "arptables"
	// MethodNftables does what MethodArptables does with an nftables arp table.
	MethodNftables Method = "nftables"
	// MethodTunnel is for LVS-TUN: the VIP goes on an ipip device, rp_filter is
	// relaxed for it and the ARP sysctls are set as for MethodSysctl.
	MethodTunnel Method = "tunnel"
	// MethodRedirect configures no VIP at all: a nat PREROUTING redirect hands
	// VIP:port to the local service.
	MethodRedirect Method = "redirect"
)

// Methods lists every method in the order the help text shows them.
var Methods = []Method{MethodSysctl, MethodArptables, MethodNftables, MethodTunnel, MethodRedirect}

// Redirect back ends for MethodRedirect.
const (
	BackendNft      = "nft"
	BackendIptables = "iptables"
)

// Default paths and names.
const (
	DefaultStatePath    = "/run/vigil/realserver.json"
	DefaultSysctlFile   = "/etc/sysctl.d/90-vigil-realserver.conf"
	DefaultNftFile      = "/etc/nftables.d/vigil-realserver.nft"
	DefaultTunnelDevice = "vigil-tun0"
)

// Sentinel errors callers can test with errors.Is.
var (
	// ErrInvalid marks a configuration or input that cannot be applied.
	ErrInvalid = errors.New("invalid realserver configuration")
	// ErrPermission marks a caller without the privileges the change needs.
	ErrPermission = errors.New("permission denied")
	// ErrNotApplied is returned by Remove when no state record exists.
	ErrNotApplied = errors.New("nothing recorded")
)

// Port is a service port on the VIPs: Proto/Port, and for MethodRedirect the
// local port the traffic is redirected to (ToPort; 0 means the same port).
type Port struct {
	Proto  string `json:"proto"`
	Port   uint16 `json:"port"`
	ToPort uint16 `json:"to_port,omitempty"`
}

// ParsePort reads "tcp/80", "udp/53", "80" (tcp) or "tcp/80:8080" (redirect
// VIP port 80 to local port 8080).
func ParsePort(s string) (Port, error) {
	s = strings.TrimSpace(s)
	p := Port{Proto: "tcp"}
	if proto, rest, ok := strings.Cut(s, "/"); ok {
		p.Proto = strings.ToLower(proto)
		s = rest
	}
	if p.Proto != "tcp" && p.Proto != "udp" {
		return Port{}, fmt.Errorf("port %q: protocol must be tcp or udp", s)
	}
	from, to, hasTo := strings.Cut(s, ":")
	n, err := parsePortNumber(from)
	if err != nil {
		return Port{}, err
	}
	p.Port = n
	if hasTo {
		if p.ToPort, err = parsePortNumber(to); err != nil {
			return Port{}, err
		}
		if p.ToPort == p.Port {
			p.ToPort = 0
		}
	}
	return p, nil
}

func parsePortNumber(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("port %q: want a number from 1 to 65535", s)
	}
	return uint16(n), nil
}

// String is the form ParsePort reads.
func (p Port) String() string {
	s := p.Proto + "/" + strconv.Itoa(int(p.Port))
	if p.ToPort != 0 {
		s += ":" + strconv.Itoa(int(p.ToPort))
	}
	return s
}

// Local is the port the local service listens on.
func (p Port) Local() uint16 {
	if p.ToPort != 0 {
		return p.ToPort
	}
	return p.Port
}

// Config says what Apply sets up. The zero values of the optional fields mean
// the defaults documented on each field; WithDefaults fills them in.
type Config struct {
	// VIPs are the virtual IPv4 addresses the real server serves.
	VIPs []netip.Addr `json:"vips"`
	// Interface faces the directors. Required except for MethodRedirect.
	Interface string `json:"interface,omitempty"`
	// Method defaults to MethodSysctl.
	Method Method `json:"method"`
	// Ports are the services on the VIPs: checked for a listener, and the
	// ports MethodRedirect redirects (required there).
	Ports []Port `json:"ports,omitempty"`
	// Label is the address label of the VIPs (default "<device>:vip" when it
	// fits in 15 characters). It must begin with the device name.
	Label string `json:"label,omitempty"`
	// RealIP is the real server's own address on Interface, written into
	// outgoing ARP in place of the VIP (arptables, nftables) and used as the
	// local end of the tunnel. Default: the first IPv4 address of Interface.
	RealIP netip.Addr `json:"real_ip,omitzero"`
	// TunnelDevice is the ipip device of MethodTunnel (default vigil-tun0). An
	// existing ipip device such as tunl0 is used as it is.
	TunnelDevice string `json:"tunnel_device,omitempty"`
	// RedirectBackend is BackendNft (default) or BackendIptables.
	RedirectBackend string `json:"redirect_backend,omitempty"`
	// SysctlFile and NftFile, when set, receive the persistent form of the
	// sysctls and of the nftables ruleset.
	SysctlFile string `json:"sysctl_file,omitempty"`
	NftFile    string `json:"nft_file,omitempty"`
}

// WithDefaults returns c with the defaults filled in (labels excepted: they
// depend on the device and are computed by VIPDevice and VIPLabel).
func (c Config) WithDefaults() Config {
	if c.Method == "" {
		c.Method = MethodSysctl
	}
	if c.Method == MethodTunnel && c.TunnelDevice == "" {
		c.TunnelDevice = DefaultTunnelDevice
	}
	if c.Method == MethodRedirect && c.RedirectBackend == "" {
		c.RedirectBackend = BackendNft
	}
	return c
}

// VIPDevice is the device that carries the VIPs ("" for MethodRedirect).
func (c Config) VIPDevice() string {
	switch c.Method {
	case MethodSysctl:
		return "lo"
	case MethodTunnel:
		return c.TunnelDevice
	case MethodRedirect:
		return ""
	}
	return c.Interface
}

// VIPLabel is the address label the VIPs get.
func (c Config) VIPLabel() string {
	if c.Label != "" {
		return c.Label
	}
	dev := c.VIPDevice()
	if dev == "" || len(dev)+len(":vip") > maxNameLen {
		return ""
	}
	return dev + ":vip"
}

// maxNameLen is the longest interface name and address label (IFNAMSIZ-1).
const maxNameLen = 15

// ifaceNameRE keeps interface names safe to quote in an nft ruleset.
var ifaceNameRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,15}$`)

// Validate checks c on its own, without looking at the host. It returns every
// problem at once, wrapped in ErrInvalid.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !slices.Contains(Methods, c.Method) {
		bad("method %q: want one of %s", c.Method, methodList())
	}
	if len(c.VIPs) == 0 {
		bad("no VIP given")
	}
	seen := map[netip.Addr]bool{}
	for _, v := range c.VIPs {
		switch {
		case !v.IsValid():
			bad("empty VIP")
		case !v.Is4():
			bad("VIP %s: only IPv4 VIPs have the ARP problem this solves", v)
		case v.IsUnspecified() || v.IsLoopback() || v.IsMulticast() || v == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			bad("VIP %s: not a unicast address", v)
		case seen[v]:
			bad("VIP %s given twice", v)
		}
		seen[v] = true
	}
	if c.Interface == "" && c.Method != MethodRedirect {
		bad("no interface given: name the interface that faces the directors")
	}
	if c.Interface != "" && !ifaceNameRE.MatchString(c.Interface) {
		bad("interface %q: not a valid interface name", c.Interface)
	}
	if c.RealIP.IsValid() && (!c.RealIP.Is4() || seen[c.RealIP]) {
		bad("real IP %s: must be the host's own IPv4 address, not a VIP", c.RealIP)
	}
	if c.Method == MethodTunnel && !ifaceNameRE.MatchString(c.TunnelDevice) {
		bad("tunnel device %q: not a valid interface name", c.TunnelDevice)
	}
	if c.Method == MethodRedirect {
		if c.RedirectBackend != BackendNft && c.RedirectBackend != BackendIptables {
			bad("redirect backend %q: want nft or iptables", c.RedirectBackend)
		}
		if len(c.Ports) == 0 {
			bad("method redirect needs at least one port (e.g. -port tcp/80 or tcp/80:8080)")
		}
	} else {
		for _, p := range c.Ports {
			if p.ToPort != 0 {
				bad("port %s: a different local port only makes sense with method redirect", p)
			}
		}
	}
	if label := c.VIPLabel(); label != "" && c.Method != MethodRedirect {
		if len(label) > maxNameLen || !strings.HasPrefix(label, c.VIPDevice()) {
			bad("label %q: must begin with the device name %q and be at most 15 characters", label, c.VIPDevice())
		}
	}
	if c.NftFile != "" && c.Method != MethodNftables && !(c.Method == MethodRedirect && c.RedirectBackend == BackendNft) {
		bad("nft file %s: method %s has no nftables ruleset to persist", c.NftFile, c.Method)
	}
	if c.SysctlFile != "" && len(sysctlSettings(c)) == 0 {
		bad("sysctl file %s: method %s sets no sysctls to persist", c.SysctlFile, c.Method)
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

func methodList() string {
	s := make([]string, len(Methods))
	for i, m := range Methods {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}

// Equal reports whether two configurations set up the same thing.
func (c Config) Equal(o Config) bool {
	c, o = c.WithDefaults(), o.WithDefaults()
	return slices.Equal(c.VIPs, o.VIPs) && slices.Equal(c.Ports, o.Ports) &&
		c.Interface == o.Interface && c.Method == o.Method && c.Label == o.Label &&
		c.RealIP == o.RealIP && c.TunnelDevice == o.TunnelDevice &&
		c.RedirectBackend == o.RedirectBackend && c.SysctlFile == o.SysctlFile && c.NftFile == o.NftFile
}

// problems is a list of reasons a configuration cannot be applied.
type problems []error

// Error lists the problems, one per line when there are several.
func (p problems) Error() string {
	if len(p) == 1 {
		return p[0].Error()
	}
	var b strings.Builder
	for _, e := range p {
		b.WriteString("\n  - " + e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As see each problem.
func (p problems) Unwrap() []error { return p }

// invalid wraps every problem found in ErrInvalid, so the caller sees them
// all at once rather than one per attempt.
func invalid(errs []error) error {
	if len(errs) == 1 {
		return fmt.Errorf("%w: %w", ErrInvalid, problems(errs))
	}
	return fmt.Errorf("%w:%w", ErrInvalid, problems(errs))
}
