package ipvs

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"

	"golang.org/x/sys/unix"
)

// Family is the address family of a virtual service, with the kernel's values.
type Family uint16

// Address families IPVS supports.
const (
	IPv4 Family = unix.AF_INET
	IPv6 Family = unix.AF_INET6
)

// String returns "inet" or "inet6" (the names `ip` uses).
func (f Family) String() string {
	switch f {
	case IPv4:
		return "inet"
	case IPv6:
		return "inet6"
	}
	return fmt.Sprintf("family-%d", uint16(f))
}

// hostBits is the prefix length of a single host in the family.
func (f Family) hostBits() uint8 {
	if f == IPv6 {
		return 128
	}
	return 32
}

// familyOf returns the family of a (non-zero) address.
func familyOf(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

// Protocol is the transport protocol of a virtual service (IPPROTO_* values).
type Protocol uint16

// Transport protocols IPVS balances.
const (
	TCP  Protocol = unix.IPPROTO_TCP
	UDP  Protocol = unix.IPPROTO_UDP
	SCTP Protocol = unix.IPPROTO_SCTP
)

// String returns "tcp", "udp", "sctp", or "proto-N" for anything else.
func (p Protocol) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case SCTP:
		return "sctp"
	}
	return fmt.Sprintf("proto-%d", uint16(p))
}

// Forward is how the director hands packets to a real server. The zero value
// is direct routing, vigil's default.
type Forward uint8

// Forwarding methods. ForwardLocal only appears when reading a table someone
// else wrote (IP_VS_CONN_F_LOCALNODE); a desired table cannot ask for it.
const (
	ForwardDR     Forward = iota // IP_VS_CONN_F_DROUTE: rewrite the MAC only
	ForwardNAT                   // IP_VS_CONN_F_MASQ: rewrite the destination address and port
	ForwardTunnel                // IP_VS_CONN_F_TUNNEL: encapsulate in IP-in-IP
	ForwardLocal                 // IP_VS_CONN_F_LOCALNODE: deliver locally
)

// Kernel connection-flag values of the forwarding methods (include/uapi/linux/ip_vs.h).
const (
	connFwdMask      = 0x0007
	connFwdMasq      = 0x0000
	connFwdLocalNode = 0x0001
	connFwdTunnel    = 0x0002
	connFwdDRoute    = 0x0003
)

// String returns "dr", "nat", "tun" or "local".
func (f Forward) String() string {
	switch f {
	case ForwardDR:
		return "dr"
	case ForwardNAT:
		return "nat"
	case ForwardTunnel:
		return "tun"
	case ForwardLocal:
		return "local"
	}
	return fmt.Sprintf("forward-%d", uint8(f))
}

// connFlags returns the kernel's IP_VS_CONN_F_* value for f.
func (f Forward) connFlags() uint32 {
	switch f {
	case ForwardNAT:
		return connFwdMasq
	case ForwardTunnel:
		return connFwdTunnel
	case ForwardLocal:
		return connFwdLocalNode
	}
	return connFwdDRoute
}

// forwardFromConnFlags maps the kernel's forwarding bits back to a Forward.
// The bypass value (4) never appears on a destination; it reads as local.
func forwardFromConnFlags(flags uint32) Forward {
	switch flags & connFwdMask {
	case connFwdMasq:
		return ForwardNAT
	case connFwdTunnel:
		return ForwardTunnel
	case connFwdDRoute:
		return ForwardDR
	}
	return ForwardLocal
}

// ServiceFlags are the kernel's virtual service flags (IP_VS_SVC_F_*).
type ServiceFlags uint32

// Service flags a desired table may set. The scheduler flags mean different
// things to different schedulers; the SH/MH names are the kernel's aliases.
const (
	FlagPersistent ServiceFlags = 0x0001 // IP_VS_SVC_F_PERSISTENT
	FlagOnePacket  ServiceFlags = 0x0004 // IP_VS_SVC_F_ONEPACKET: schedule every UDP datagram
	FlagSched1     ServiceFlags = 0x0008 // IP_VS_SVC_F_SCHED1
	FlagSched2     ServiceFlags = 0x0010 // IP_VS_SVC_F_SCHED2
	FlagSched3     ServiceFlags = 0x0020 // IP_VS_SVC_F_SCHED3

	FlagSHFallback = FlagSched1 // sh: skip overloaded or zero-weight servers
	FlagSHPort     = FlagSched2 // sh: hash the source port too
	FlagMHFallback = FlagSched1 // mh: skip overloaded or zero-weight servers
	FlagMHPort     = FlagSched2 // mh: hash the source port too
)

// flagHashed is set by the kernel on every service it has hashed; it is state,
// not configuration, and must be ignored when comparing.
const flagHashed ServiceFlags = 0x0002

// settableFlags are the flags a desired table controls; everything else the
// kernel reports is ignored by the reconciler.
const settableFlags = FlagPersistent | FlagOnePacket | FlagSched1 | FlagSched2 | FlagSched3

const schedFlagMask = FlagSched1 | FlagSched2 | FlagSched3

// Schedulers lists every scheduler the kernel ships (net/netfilter/ipvs/ip_vs_*.c).
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf", "twos"}

// DefaultScheduler is used when a service names none (ipvsadm's default too).
const DefaultScheduler = "wlc"

// KnownScheduler reports whether name is one of Schedulers.
func KnownScheduler(name string) bool { return slices.Contains(Schedulers, name) }

// Limits of the model, taken from what ipvsadm accepts.
const (
	MaxWeight         = 65535
	MaxThreshold      = math.MaxInt32
	MaxPersistTimeout = 31 * 24 * 3600 // ipvsadm's MAX_TIMEOUT
)

// ServiceKey identifies a virtual service: either protocol + address + port,
// or firewall mark + family. It is comparable and usable as a map key; build
// it with AddrKey or FWMarkKey so the unused fields stay zero.
type ServiceKey struct {
	Family   Family
	Protocol Protocol   // zero for firewall-mark services
	Addr     netip.Addr // zero for firewall-mark services
	Port     uint16
	FWMark   uint32 // non-zero for firewall-mark services
}

// AddrKey returns the key of the service at ap for protocol p.
func AddrKey(p Protocol, ap netip.AddrPort) ServiceKey {
	a := ap.Addr()
	return ServiceKey{Family: familyOf(a), Protocol: p, Addr: a, Port: ap.Port()}
}

// FWMarkKey returns the key of the firewall-mark service mark in family f.
func FWMarkKey(f Family, mark uint32) ServiceKey {
	return ServiceKey{Family: f, FWMark: mark}
}

// IsFWMark reports whether k names a firewall-mark service.
func (k ServiceKey) IsFWMark() bool { return k.FWMark != 0 }

// Compare orders keys the way ipvsadm lists services: by mark (address
// services first), family, protocol, address, port. ipvsadm compares with C
// int subtraction, which misorders addresses more than 2^31 apart; this uses
// true numeric order.
func (k ServiceKey) Compare(o ServiceKey) int {
	return cmp.Or(
		cmp.Compare(k.FWMark, o.FWMark),
		cmp.Compare(k.Family, o.Family),
		cmp.Compare(k.Protocol, o.Protocol),
		k.Addr.Compare(o.Addr),
		cmp.Compare(k.Port, o.Port),
	)
}

func (k ServiceKey) validate() error {
	if k.Family != IPv4 && k.Family != IPv6 {
		return fmt.Errorf("address family %d is neither IPv4 nor IPv6", k.Family)
	}
	if k.IsFWMark() {
		if k.Addr.IsValid() || k.Port != 0 || k.Protocol != 0 {
			return errors.New("a firewall-mark service has no address, port or protocol")
		}
		return nil
	}
	switch k.Protocol {
	case TCP, UDP, SCTP:
	default:
		return fmt.Errorf("protocol %d is not tcp, udp or sctp", k.Protocol)
	}
	if err := checkVirtualAddr(k.Addr); err != nil {
		return err
	}
	if familyOf(k.Addr) != k.Family {
		return fmt.Errorf("address %s is not in family %s", k.Addr, k.Family)
	}
	return nil
}

func checkVirtualAddr(a netip.Addr) error {
	switch {
	case !a.IsValid():
		return errors.New("no virtual address")
	case a.Zone() != "":
		return fmt.Errorf("virtual address %s has a zone", a)
	case a.Is4In6():
		return fmt.Errorf("virtual address %s is IPv4-mapped; write it as IPv4", a)
	case a.IsUnspecified(), a.IsMulticast():
		return fmt.Errorf("virtual address %s is not a unicast address", a)
	}
	return nil
}

// DestKey identifies a real server within a service.
type DestKey struct {
	Addr netip.Addr
	Port uint16
}

// String returns addr:port ([addr]:port for IPv6).
func (k DestKey) String() string { return netip.AddrPortFrom(k.Addr, k.Port).String() }

// Compare orders real servers by address, then port (ipvsadm's order).
func (k DestKey) Compare(o DestKey) int {
	return cmp.Or(k.Addr.Compare(o.Addr), cmp.Compare(k.Port, o.Port))
}

// Dest is a real server of a virtual service.
type Dest struct {
	Addr netip.Addr
	// Port of the real server. Zero means "the virtual service's port" for an
	// address service, and "the packet's port" for a firewall-mark service.
	Port   uint16
	Weight int     // 0..MaxWeight; 0 drains the server (no new connections)
	Fwd    Forward // zero value: direct routing
	Upper  uint32  // upper connection threshold, 0 = none
	Lower  uint32  // lower connection threshold (resume below it), <= Upper
}

// Key returns the identity of d within its service.
func (d Dest) Key() DestKey { return DestKey{Addr: d.Addr, Port: d.Port} }

// Service is a virtual service with its real servers.
type Service struct {
	Key       ServiceKey
	Scheduler string       // one of Schedulers; empty means DefaultScheduler
	Flags     ServiceFlags // FlagPersistent, FlagOnePacket, scheduler flags
	// Timeout is the persistence timeout in seconds; set exactly when
	// FlagPersistent is.
	Timeout uint32
	// Netmask is the persistence netmask as a prefix length (clients in the
	// same prefix stick to one server). Zero means a single host (/32, /128);
	// a /0 mask cannot be expressed.
	Netmask uint8
	Dests   []Dest
}

// Persistent reports whether the service has client persistence.
func (s Service) Persistent() bool { return s.Flags&FlagPersistent != 0 }

// Validate checks s against what the kernel accepts and what vigil allows.
func (s Service) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := s.Key.validate(); err != nil {
		errs = append(errs, err)
	}
	if s.Scheduler != "" && !KnownScheduler(s.Scheduler) {
		add("unknown scheduler %q (known: %v)", s.Scheduler, Schedulers)
	}
	if extra := s.Flags &^ settableFlags; extra != 0 {
		add("service flags %#x cannot be set", uint32(extra))
	}
	errs = append(errs, s.validateSchedFlags()...)
	if s.Flags&FlagOnePacket != 0 && !s.Key.IsFWMark() && s.Key.Protocol != UDP {
		add("one-packet scheduling (ops) applies to UDP services only")
	}
	errs = append(errs, s.validatePersistence()...)

	seen := make(map[DestKey]bool, len(s.Dests))
	for _, d := range s.Dests {
		for _, err := range s.validateDest(d) {
			errs = append(errs, fmt.Errorf("real server %s: %w", d.Key(), err))
		}
		k := s.normalizedDest(d).Key()
		if seen[k] {
			add("real server %s is listed twice", k)
		}
		seen[k] = true
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("service %s: %w", s.Key, err)
	}
	return nil
}

func (s Service) validateSchedFlags() []error {
	sf := s.Flags & schedFlagMask
	if sf == 0 {
		return nil
	}
	switch s.scheduler() {
	case "sh", "mh":
		if sf&FlagSched3 != 0 {
			return []error{fmt.Errorf("scheduler %s has no flag-3", s.scheduler())}
		}
		return nil
	}
	return []error{fmt.Errorf("scheduler flags apply to the sh and mh schedulers only, not %s", s.scheduler())}
}

func (s Service) validatePersistence() []error {
	var errs []error
	if s.Persistent() {
		if s.Timeout < 1 || s.Timeout > MaxPersistTimeout {
			errs = append(errs, fmt.Errorf("persistence timeout %d s is outside 1..%d", s.Timeout, MaxPersistTimeout))
		}
	} else {
		if s.Timeout != 0 {
			errs = append(errs, errors.New("a persistence timeout needs the persistent flag"))
		}
		if s.Netmask != 0 {
			errs = append(errs, errors.New("a persistence netmask needs the persistent flag"))
		}
		if !s.Key.IsFWMark() && s.Key.Port == 0 {
			errs = append(errs, errors.New("port 0 (all ports) needs persistence"))
		}
	}
	if s.Netmask > s.Key.Family.hostBits() {
		errs = append(errs, fmt.Errorf("persistence netmask /%d is longer than a %s address", s.Netmask, s.Key.Family))
	}
	return errs
}

func (s Service) validateDest(d Dest) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	a := d.Addr
	switch {
	case !a.IsValid():
		add("no address")
	case a.Zone() != "":
		add("address has a zone")
	case a.Is4In6():
		add("address is IPv4-mapped; write it as IPv4")
	case familyOf(a) != s.Key.Family:
		add("address family %s differs from the service's %s", familyOf(a), s.Key.Family)
	case a.IsUnspecified(), a.IsMulticast(), a.IsLinkLocalUnicast() && a.Is6(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		add("not a unicast address the kernel accepts")
	}
	if d.Weight < 0 || d.Weight > MaxWeight {
		add("weight %d is outside 0..%d", d.Weight, MaxWeight)
	}
	if d.Upper > MaxThreshold {
		add("upper threshold %d is above %d", d.Upper, MaxThreshold)
	}
	if d.Lower > d.Upper {
		add("lower threshold %d is above the upper threshold %d", d.Lower, d.Upper)
	}
	switch d.Fwd {
	case ForwardDR, ForwardTunnel:
		// Neither rewrites the destination port, so a different port is a lie.
		if s.Key.IsFWMark() && d.Port != 0 {
			add("%s cannot map ports: a firewall-mark service's real server has port 0", d.Fwd)
		}
		if !s.Key.IsFWMark() && d.Port != 0 && d.Port != s.Key.Port {
			add("%s cannot map ports: real server port %d differs from the virtual port %d", d.Fwd, d.Port, s.Key.Port)
		}
	case ForwardNAT:
	default:
		add("forwarding method %s cannot be configured (use dr, nat or tun)", d.Fwd)
	}
	return errs
}

func (s Service) scheduler() string {
	if s.Scheduler == "" {
		return DefaultScheduler
	}
	return s.Scheduler
}

func (s Service) normalizedDest(d Dest) Dest {
	if d.Port == 0 && !s.Key.IsFWMark() {
		d.Port = s.Key.Port
	}
	return d
}

// normalized returns s as the kernel will report it back: defaults filled in,
// real-server ports resolved, real servers sorted. The input must be valid.
func (s Service) normalized() Service {
	n := s
	n.Scheduler = s.scheduler()
	if n.Netmask == 0 {
		n.Netmask = s.Key.Family.hostBits()
	}
	n.Dests = make([]Dest, len(s.Dests))
	for i, d := range s.Dests {
		n.Dests[i] = s.normalizedDest(d)
	}
	slices.SortFunc(n.Dests, func(a, b Dest) int { return a.Key().Compare(b.Key()) })
	return n
}

// Table is a desired IPVS state: the services vigil should own.
type Table struct {
	Services []Service
}

// Validate checks every service and that no key appears twice.
func (t Table) Validate() error {
	var errs []error
	seen := make(map[ServiceKey]bool, len(t.Services))
	for _, s := range t.Services {
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[s.Key] {
			errs = append(errs, fmt.Errorf("service %s is listed twice", s.Key))
		}
		seen[s.Key] = true
	}
	return errors.Join(errs...)
}

// normalized returns the valid table's services normalized and sorted by key.
func (t Table) normalized() []Service {
	out := make([]Service, len(t.Services))
	for i, s := range t.Services {
		out[i] = s.normalized()
	}
	slices.SortFunc(out, func(a, b Service) int { return a.Key.Compare(b.Key) })
	return out
}
