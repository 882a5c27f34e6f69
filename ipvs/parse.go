package ipvs

import (
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

// String returns the key's canonical text: "tcp/10.0.0.1:80",
// "udp/[2001:db8::1]:53" or "fwmark/7/inet6". ParseServiceKey reads it back.
func (k ServiceKey) String() string {
	if k.IsFWMark() {
		return fmt.Sprintf("fwmark/%d/%s", k.FWMark, k.Family)
	}
	return k.Protocol.String() + "/" + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// MarshalText implements encoding.TextMarshaler (so keys work in JSON).
func (k ServiceKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *ServiceKey) UnmarshalText(b []byte) error {
	parsed, err := ParseServiceKey(string(b))
	if err != nil {
		return err
	}
	*k = parsed
	return nil
}

// ParseServiceKey parses the text ServiceKey.String produces. A firewall-mark
// key may leave out the family ("fwmark/7" is IPv4).
func ParseServiceKey(s string) (ServiceKey, error) {
	head, rest, ok := strings.Cut(s, "/")
	if !ok {
		return ServiceKey{}, fmt.Errorf("service key %q: want proto/addr:port or fwmark/N[/family]", s)
	}
	if head == "fwmark" {
		markText, famText, hasFam := strings.Cut(rest, "/")
		mark, err := strconv.ParseUint(markText, 10, 32)
		if err != nil || mark == 0 {
			return ServiceKey{}, fmt.Errorf("service key %q: firewall mark must be 1..%d", s, uint32(1<<32-1))
		}
		fam := IPv4
		if hasFam {
			switch famText {
			case "inet":
			case "inet6":
				fam = IPv6
			default:
				return ServiceKey{}, fmt.Errorf("service key %q: family must be inet or inet6", s)
			}
		}
		return FWMarkKey(fam, uint32(mark)), nil
	}
	proto, err := ParseProtocol(head)
	if err != nil {
		return ServiceKey{}, fmt.Errorf("service key %q: %w", s, err)
	}
	ap, err := ParseVirtualAddress(rest)
	if err != nil {
		return ServiceKey{}, fmt.Errorf("service key %q: %w", s, err)
	}
	return AddrKey(proto, ap), nil
}

// ParseProtocol parses "tcp", "udp" or "sctp" (any case).
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(s) {
	case "tcp":
		return TCP, nil
	case "udp":
		return UDP, nil
	case "sctp":
		return SCTP, nil
	}
	return 0, fmt.Errorf("protocol %q is not tcp, udp or sctp", s)
}

// ParseVirtualAddress parses a virtual service address "VIP:port" or
// "[VIP6]:port". The port is required (it may be 0 for a persistent
// all-ports service).
func ParseVirtualAddress(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("virtual address %q: want VIP:port or [VIP]:port", s)
	}
	if err := checkVirtualAddr(ap.Addr()); err != nil {
		return netip.AddrPort{}, err
	}
	return ap, nil
}

// ParseRealServer parses a real server "addr", "addr:port", "[addr6]:port",
// "[addr6]" or a bare IPv6 address. A missing port is returned as 0 (the
// virtual service's port).
func ParseRealServer(s string) (netip.Addr, uint16, error) {
	var (
		a    netip.Addr
		port uint16
		err  error
	)
	if ap, perr := netip.ParseAddrPort(s); perr == nil {
		a, port = ap.Addr(), ap.Port()
	} else {
		bare := s
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			bare = s[1 : len(s)-1]
		}
		if a, err = netip.ParseAddr(bare); err != nil || (bare != s && !a.Is6()) {
			return netip.Addr{}, 0, fmt.Errorf("real server %q: want addr, addr:port or [addr]:port", s)
		}
	}
	switch {
	case a.Zone() != "":
		return netip.Addr{}, 0, fmt.Errorf("real server %q: zones are not supported", s)
	case a.Is4In6():
		return netip.Addr{}, 0, fmt.Errorf("real server %q: IPv4-mapped; write it as IPv4", s)
	}
	return a, port, nil
}

// ParseNetmask parses a persistence netmask for family f: a prefix length
// ("24", "/24") or, for IPv4, a dotted mask ("255.255.255.0"). A /0 mask is
// refused: Service.Netmask uses 0 for "a single host".
func ParseNetmask(s string, f Family) (uint8, error) {
	if f != IPv4 && f != IPv6 {
		return 0, fmt.Errorf("netmask %q: unknown family %d", s, f)
	}
	bits, err := parseNetmaskBits(s, f)
	if err != nil {
		return 0, err
	}
	if bits == 0 {
		return 0, fmt.Errorf("netmask %q: a /0 persistence netmask is not supported", s)
	}
	return bits, nil
}

func parseNetmaskBits(s string, f Family) (uint8, error) {
	if n, err := strconv.ParseUint(strings.TrimPrefix(s, "/"), 10, 8); err == nil {
		if n > uint64(f.hostBits()) {
			return 0, fmt.Errorf("netmask %q: a %s prefix is at most /%d", s, f, f.hostBits())
		}
		return uint8(n), nil
	}
	if f == IPv4 {
		if m, err := netip.ParseAddr(s); err == nil && m.Is4() {
			return maskBits4(m.As4())
		}
	}
	return 0, fmt.Errorf("netmask %q: want a prefix length or (IPv4) a dotted mask", s)
}

// maskBits4 converts a contiguous IPv4 mask to its prefix length.
func maskBits4(m [4]byte) (uint8, error) {
	v := uint32(m[0])<<24 | uint32(m[1])<<16 | uint32(m[2])<<8 | uint32(m[3])
	ones := bits.LeadingZeros32(^v)
	if ones < 32 && v<<ones != 0 {
		return 0, fmt.Errorf("netmask %d.%d.%d.%d is not contiguous", m[0], m[1], m[2], m[3])
	}
	return uint8(ones), nil
}

// mask4 returns the IPv4 mask with the given prefix length.
func mask4(bits uint8) [4]byte {
	v := uint32(0)
	if bits > 0 {
		v = ^uint32(0) << (32 - uint32(min(bits, 32)))
	}
	return [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// ParseForward parses a forwarding method: dr (route), nat (masq) or tun
// (tunnel, ipip), in any case.
func ParseForward(s string) (Forward, error) {
	switch strings.ToLower(s) {
	case "dr", "route", "droute":
		return ForwardDR, nil
	case "nat", "masq":
		return ForwardNAT, nil
	case "tun", "tunnel", "ipip":
		return ForwardTunnel, nil
	}
	return 0, fmt.Errorf("forwarding method %q is not dr, nat or tun", s)
}

// ParseSchedFlags parses scheduler flag names for the given scheduler:
// sh-fallback, sh-port (sh only), mh-fallback, mh-port (mh only).
func ParseSchedFlags(scheduler string, names []string) (ServiceFlags, error) {
	var f ServiceFlags
	var errs []error
	for _, n := range names {
		want, flag := "", ServiceFlags(0)
		switch n {
		case "sh-fallback":
			want, flag = "sh", FlagSHFallback
		case "sh-port":
			want, flag = "sh", FlagSHPort
		case "mh-fallback":
			want, flag = "mh", FlagMHFallback
		case "mh-port":
			want, flag = "mh", FlagMHPort
		default:
			errs = append(errs, fmt.Errorf("unknown scheduler flag %q (sh-fallback, sh-port, mh-fallback, mh-port)", n))
			continue
		}
		if scheduler != want {
			errs = append(errs, fmt.Errorf("scheduler flag %s needs the %s scheduler, not %q", n, want, scheduler))
			continue
		}
		f |= flag
	}
	return f, errors.Join(errs...)
}

// SchedFlagNames names the scheduler flags of f as ipvsadm does: sh-* for the
// sh scheduler, mh-* for mh, flag-N for any other.
func SchedFlagNames(scheduler string, f ServiceFlags) []string {
	var names []string
	switch scheduler {
	case "sh", "mh":
		if f&FlagSched1 != 0 {
			names = append(names, scheduler+"-fallback")
		}
		if f&FlagSched2 != 0 {
			names = append(names, scheduler+"-port")
		}
	default:
		for i, bit := range []ServiceFlags{FlagSched1, FlagSched2, FlagSched3} {
			if f&bit != 0 {
				names = append(names, "flag-"+strconv.Itoa(i+1))
			}
		}
	}
	return names
}
