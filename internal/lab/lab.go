package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Defaults of a lab.
const (
	DefaultPrefix   = "vgl"
	DefaultInterval = 10 * time.Millisecond
	// DefaultStateRoot holds one state directory per lab prefix.
	DefaultStateRoot = "/run/vigil/lab"
	// HTTPPort is the port of the real servers and of the virtual server.
	HTTPPort = 80
	// VRID is the virtual router id of the lab's VRRP instance.
	VRID = 77
	// InstanceName is the name of the VRRP instance in both configurations.
	InstanceName = "VI_1"
)

// Subnet is the lab's LAN; the host plan below gives each machine its
// last octet.
var Subnet = netip.MustParsePrefix("10.77.0.0/24")

// Role is what a lab machine does.
type Role string

// The roles.
const (
	RoleDirector   Role = "director"
	RoleRealServer Role = "realserver"
	RoleClient     Role = "client"
)

// Machine names, as used on the command line and in namespace names.
const (
	D1     = "d1"
	D2     = "d2"
	RS1    = "rs1"
	RS2    = "rs2"
	Client = "client"
)

// plan is the lab: name, last octet, role and director priority.
var plan = []struct {
	name     string
	octet    byte
	role     Role
	priority int
}{
	{D1, 1, RoleDirector, 150},
	{D2, 2, RoleDirector, 100},
	{RS1, 11, RoleRealServer, 0},
	{RS2, 12, RoleRealServer, 0},
	{Client, 50, RoleClient, 0},
}

// vipOctet is the last octet of the virtual IP.
const vipOctet = 100

// Host is one machine of the lab: a network namespace with eth0 on the LAN.
type Host struct {
	Name string     `json:"name"`
	Role Role       `json:"role"`
	NS   string     `json:"netns"`
	Addr netip.Addr `json:"addr"`
	MAC  string     `json:"mac"`
	// Priority is the VRRP priority of a director (0 otherwise).
	Priority int `json:"priority,omitempty"`
}

// Options say how to build (or where to find) a lab.
type Options struct {
	// Prefix starts every namespace and interface name (default "vgl", at
	// most 6 characters so that PREFIX+"client" fits in an interface name).
	Prefix string
	// StateDir keeps the lab's record, configurations, pid files and logs
	// (default DefaultStateRoot/PREFIX).
	StateDir string
	// Interval is the VRRP advert interval of the generated configurations
	// (default 10ms).
	Interval time.Duration
	// Self is the command that runs `vigil lab` (for the real servers'
	// HTTP servers), e.g. ["/usr/local/bin/vigil", "lab"]. Default: this
	// executable followed by "lab".
	Self []string
	// Vigil is the vigil binary the directors run (default: this executable).
	Vigil string
	// IPVS overrides the detection of IPVS in the kernel when not nil.
	IPVS *bool
}

// Lab is a lab that is up. Its exported fields are saved as lab.json in
// the state directory, which is how `vigil lab status` and the drill find it.
type Lab struct {
	Prefix   string        `json:"prefix"`
	StateDir string        `json:"state_dir"`
	Subnet   netip.Prefix  `json:"subnet"`
	VIP      netip.Addr    `json:"vip"`
	Hosts    []Host        `json:"hosts"`
	IPVS     bool          `json:"ipvs"`
	Interval time.Duration `json:"advert_interval"`
	Self     []string      `json:"self"`
	Vigil    string        `json:"vigil"`
	Created  time.Time     `json:"created"`
}

// prefixRE keeps names valid for namespaces and interfaces.
var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{0,5}$`)

// withDefaults fills in the defaults and checks the prefix.
func (o Options) withDefaults() (Options, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if !prefixRE.MatchString(o.Prefix) {
		return o, fmt.Errorf("lab prefix %q: want 1 to 6 lower-case letters or digits, starting with a letter", o.Prefix)
	}
	if o.StateDir == "" {
		o.StateDir = filepath.Join(DefaultStateRoot, o.Prefix)
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Interval < 10*time.Millisecond || o.Interval%(10*time.Millisecond) != 0 {
		return o, fmt.Errorf("advert interval %s: want a multiple of 10ms (VRRPv3 counts in centiseconds)", o.Interval)
	}
	if o.Vigil == "" || len(o.Self) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return o, fmt.Errorf("finding this executable: %w", err)
		}
		if o.Vigil == "" {
			o.Vigil = exe
		}
		if len(o.Self) == 0 {
			o.Self = []string{exe, "lab"}
		}
	}
	return o, nil
}

// ErrNotUp is returned by Open when no lab with the prefix is up.
var ErrNotUp = errors.New("the lab is not up")

// Open finds the lab with the options' prefix and state directory: its
// record must exist and every namespace must still be there.
func Open(o Options) (*Lab, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(o.StateDir, "lab.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w (no %s; run `vigil lab up -prefix %s`)", ErrNotUp, filepath.Join(o.StateDir, "lab.json"), o.Prefix)
	}
	if err != nil {
		return nil, err
	}
	var l Lab
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(o.StateDir, "lab.json"), err)
	}
	for _, h := range append(l.Hosts, Host{NS: l.bridgeNS()}) {
		if !namespaceExists(h.NS) {
			return nil, fmt.Errorf("%w: namespace %s is missing (run `vigil lab down -prefix %s` and up again)", ErrNotUp, h.NS, l.Prefix)
		}
	}
	return &l, nil
}

// save writes lab.json.
func (l *Lab) save() error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.StateDir, "lab.json"), append(b, '\n'), 0o644)
}

// Host returns the machine with the given name, or nil.
func (l *Lab) Host(name string) *Host {
	for i := range l.Hosts {
		if l.Hosts[i].Name == name {
			return &l.Hosts[i]
		}
	}
	return nil
}

// MustHost is Host for the lab's own names; it panics on an unknown name,
// which is a programming error.
func (l *Lab) MustHost(name string) *Host {
	h := l.Host(name)
	if h == nil {
		panic("lab: no machine " + name)
	}
	return h
}

// Directors returns d1 and d2.
func (l *Lab) Directors() []*Host { return l.withRole(RoleDirector) }

// RealServers returns rs1 and rs2.
func (l *Lab) RealServers() []*Host { return l.withRole(RoleRealServer) }

func (l *Lab) withRole(r Role) []*Host {
	var out []*Host
	for i := range l.Hosts {
		if l.Hosts[i].Role == r {
			out = append(out, &l.Hosts[i])
		}
	}
	return out
}

// Path returns a file name inside the lab's state directory.
func (l *Lab) Path(name string) string { return filepath.Join(l.StateDir, name) }

func (l *Lab) bridgeNS() string { return l.Prefix + "-br" }

// newLab lays out a lab from the options without touching the system.
func newLab(o Options, ipvs bool) *Lab {
	base := Subnet.Addr().As4()
	addr := func(octet byte) netip.Addr {
		a := base
		a[3] = octet
		return netip.AddrFrom4(a)
	}
	l := &Lab{
		Prefix: o.Prefix, StateDir: o.StateDir, Subnet: Subnet, VIP: addr(vipOctet),
		IPVS: ipvs, Interval: o.Interval, Self: o.Self, Vigil: o.Vigil, Created: time.Now(),
	}
	for _, p := range plan {
		l.Hosts = append(l.Hosts, Host{Name: p.name, Role: p.role, NS: o.Prefix + "-" + p.name,
			Addr: addr(p.octet), Priority: p.priority})
	}
	return l
}

// Up builds a fresh lab: it first removes whatever a previous lab with the
// same prefix left behind, then creates the namespaces, prepares and
// starts the real servers and writes the director configurations. On
// failure it removes what it built.
func Up(ctx context.Context, o Options) (*Lab, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if _, err := Down(o); err != nil {
		return nil, fmt.Errorf("removing the previous lab: %w", err)
	}
	ipvs := IPVSAvailable(ctx)
	if o.IPVS != nil {
		ipvs = *o.IPVS
	}
	l := newLab(o, ipvs)
	if err := makeStateDir(l.StateDir); err != nil {
		return nil, err
	}
	if err := l.build(ctx); err != nil {
		_, _ = Down(o)
		return nil, err
	}
	return l, nil
}

// build does the work of Up.
func (l *Lab) build(ctx context.Context) error {
	if err := l.buildNetwork(); err != nil {
		return err
	}
	for _, h := range l.RealServers() {
		if err := l.StartHTTPD(ctx, h.Name); err != nil {
			return err
		}
		if err := l.prepareRealServer(ctx, h); err != nil {
			return err
		}
	}
	if err := l.save(); err != nil {
		return err
	}
	_, err := l.WriteConfigs(l.Interval)
	return err
}
