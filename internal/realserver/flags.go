package realserver

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// Actions of `vigil realserver`.
const (
	ActionApply  = "apply"
	ActionCheck  = "check"
	ActionRemove = "remove"
	ActionProbe  = "probe"
)

// Options is a parsed `vigil realserver ACTION [flags]` command line.
type Options struct {
	Action string
	// Config merges the file named by ConfigFile with the flags; flags win.
	Config     Config
	ConfigFile string
	// StatePath is the record of what apply changed.
	StatePath string
	// FromFlags reports whether the command line (or file) named any VIP; a
	// check without one checks the recorded configuration.
	FromFlags bool
	// ProbeTimeout is how long probe waits for answers.
	ProbeTimeout time.Duration
	// Allowed lists MACs that may answer a probe (the master's).
	Allowed []net.HardwareAddr
}

// ErrUsage marks a command line that cannot be parsed.
var ErrUsage = errors.New("usage")

const usageHead = `Usage: vigil realserver apply|check|remove|probe [flags]

Prepare this host as a direct-routing (or LVS-TUN) real server: accept
packets for the VIPs without ever answering ARP for them.

  apply   make the changes (idempotent) and record them in the state file
  check   report each condition as PASS/FAIL with the command that fixes it
          (without -vip/-config it checks the recorded configuration)
  remove  undo everything the state file records, restoring previous values
  probe   (on a director) send ARP who-has for each VIP and list every MAC
          that answers; any but the master is a misconfigured real server

Methods (-method):
  sysctl     VIP /32 on lo, arp_ignore=1 and arp_announce=2 (default)
  arptables  VIP on the interface; arptables drops ARP requests for it and
             rewrites outgoing ARP from it to the host's own address
  nftables   the same with an nftables arp table
  tunnel     LVS-TUN: VIP on an ipip device, rp_filter relaxed, ARP sysctls
  redirect   no VIP on the host; nat PREROUTING redirects VIP:port locally

Flags:
`

// ParseFlags parses args, whose first element is the action. It returns
// flag.ErrHelp after printing the help to output for -h/--help, and an error
// wrapping ErrUsage for anything it cannot parse.
func ParseFlags(args []string, output io.Writer) (Options, error) {
	if len(args) == 0 {
		fmt.Fprint(output, usageHead)
		return Options{}, fmt.Errorf("%w: name an action: apply, check, remove or probe", ErrUsage)
	}
	o := Options{Action: args[0]}
	switch o.Action {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(output, usageHead)
		return Options{}, flag.ErrHelp
	case ActionApply, ActionCheck, ActionRemove, ActionProbe:
	default:
		return Options{}, fmt.Errorf("%w: unknown action %q: want apply, check, remove or probe", ErrUsage, o.Action)
	}
	fs := flag.NewFlagSet("vigil realserver "+o.Action, flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		fmt.Fprint(output, usageHead)
		fs.PrintDefaults()
	}
	var (
		vips, ports, allowed                          listFlag
		iface, method, label, realIP, tunDev, backend string
		sysctlFile, nftFile                           string
		persist                                       bool
	)
	fs.Var(&vips, "vip", "virtual IPv4 `address` (repeat the flag or separate with commas)")
	fs.StringVar(&iface, "interface", "", "the `interface` that faces the directors (probe: the LAN to probe)")
	if o.Action == ActionProbe {
		fs.DurationVar(&o.ProbeTimeout, "timeout", 2*time.Second, "how long to wait for answers")
		fs.Var(&allowed, "allow", "`MAC` that may answer (the master's, or the VRRP virtual MAC); repeatable")
	} else {
		fs.StringVar(&o.ConfigFile, "config", "", "HCL `file` with a realserver { } block; flags given override it")
		fs.StringVar(&o.StatePath, "state", DefaultStatePath, "state `file` recording what apply changed")
		fs.StringVar(&method, "method", "", "sysctl, arptables, nftables, tunnel or redirect (default sysctl)")
		fs.Var(&ports, "port", "service `port` on the VIPs: tcp/80, udp/53; redirect: tcp/80:8080 sends VIP port 80 to local 8080")
		fs.StringVar(&label, "label", "", "address `label` of the VIPs (default <device>:vip)")
		fs.StringVar(&realIP, "real-ip", "", "this host's own `address` on the interface (default: its first IPv4 address)")
		fs.StringVar(&tunDev, "tunnel-device", "", "ipip `device` of method tunnel (default "+DefaultTunnelDevice+")")
		fs.StringVar(&backend, "redirect-with", "", "method redirect: nft (default) or iptables")
		fs.BoolVar(&persist, "persist", false, "also write the persistent form: "+DefaultSysctlFile+" and/or "+DefaultNftFile)
		fs.StringVar(&sysctlFile, "sysctl-file", "", "write the sysctls to this sysctl.d `file` (implies -persist for sysctls)")
		fs.StringVar(&nftFile, "nft-file", "", "write the nftables ruleset to this `file` (implies -persist for nft)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Options{}, err
		}
		return Options{}, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return Options{}, fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	if o.ConfigFile != "" {
		src, err := os.ReadFile(o.ConfigFile)
		if err != nil {
			return Options{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		fc, err := ParseHCL(src, o.ConfigFile)
		if err != nil {
			return Options{}, err
		}
		o.Config = fc.Config
		if fc.StateFile != "" && !flagSet(fs, "state") {
			o.StatePath = fc.StateFile
		}
	}
	var perr error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "vip":
			o.Config.VIPs = nil
			for _, s := range vips {
				a, err := netip.ParseAddr(s)
				if err != nil {
					perr = errors.Join(perr, fmt.Errorf("-vip %q: not an IP address", s))
				}
				o.Config.VIPs = append(o.Config.VIPs, a)
			}
		case "interface":
			o.Config.Interface = iface
		case "method":
			o.Config.Method = Method(method)
		case "port":
			o.Config.Ports = nil
			for _, s := range ports {
				p, err := ParsePort(s)
				if err != nil {
					perr = errors.Join(perr, fmt.Errorf("-port: %v", err))
				}
				o.Config.Ports = append(o.Config.Ports, p)
			}
		case "label":
			o.Config.Label = label
		case "real-ip":
			a, err := netip.ParseAddr(realIP)
			if err != nil {
				perr = errors.Join(perr, fmt.Errorf("-real-ip %q: not an IP address", realIP))
			}
			o.Config.RealIP = a
		case "tunnel-device":
			o.Config.TunnelDevice = tunDev
		case "redirect-with":
			o.Config.RedirectBackend = backend
		case "sysctl-file":
			o.Config.SysctlFile = sysctlFile
		case "nft-file":
			o.Config.NftFile = nftFile
		case "allow":
			for _, s := range allowed {
				m, err := net.ParseMAC(s)
				if err != nil {
					perr = errors.Join(perr, fmt.Errorf("-allow %q: not a MAC address", s))
				}
				o.Allowed = append(o.Allowed, m)
			}
		}
	})
	if perr != nil {
		return Options{}, fmt.Errorf("%w: %w", ErrUsage, perr)
	}
	if persist {
		o.Config = withPersistDefaults(o.Config)
	}
	o.FromFlags = len(o.Config.VIPs) > 0 || o.ConfigFile != ""
	if o.Action == ActionProbe && (iface == "" || len(o.Config.VIPs) == 0) {
		return Options{}, fmt.Errorf("%w: probe needs -interface and at least one -vip", ErrUsage)
	}
	if o.Action == ActionRemove && o.FromFlags {
		return Options{}, fmt.Errorf("%w: remove takes only -state: it undoes what the state file records", ErrUsage)
	}
	return o, nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// listFlag collects a repeatable flag; commas separate values too.
type listFlag []string

// String implements flag.Value.
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set implements flag.Value.
func (l *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}
