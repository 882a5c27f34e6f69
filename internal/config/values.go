package config

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
)

// maxNameLen bounds block names: they become metric label values and file names.
const maxNameLen = 64

// checkName reports what is wrong with a block name, or "" when it is valid.
// Names are restricted to letters, digits, '_', '.' and '-' so that they can
// be used unquoted in logs, metrics and the CLI.
func checkName(name string) string {
	if name == "" {
		return "must not be empty"
	}
	if len(name) > maxNameLen {
		return fmt.Sprintf("is longer than %d characters", maxNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return fmt.Sprintf("contains %q; use letters, digits, '_', '.' and '-'", r)
		}
	}
	return ""
}

// checkIfName reports what is wrong with a Linux interface name, or "".
// The kernel limit is IFNAMSIZ-1 = 15 bytes.
func checkIfName(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case len(name) > 15:
		return "is longer than 15 characters (the kernel limit)"
	case name == "." || name == "..":
		return "is not a valid interface name"
	case strings.ContainsAny(name, "/: \t\n\r\x00"):
		return "must not contain '/', ':' or white space"
	}
	return ""
}

// checkCommand reports what is wrong with an argv, or "". Commands are run
// by a root daemon without a shell, so the program must be an absolute path:
// a PATH lookup would depend on the daemon's environment.
func checkCommand(argv []string) string {
	if len(argv) == 0 {
		return "must not be empty"
	}
	if !filepath.IsAbs(argv[0]) {
		return fmt.Sprintf("program %q is not an absolute path", argv[0])
	}
	return ""
}

// parseHostAddr parses an address that names a host (a VIP, a peer, a real
// server): no zone unless allowZone, no IPv4-mapped IPv6 form, not
// unspecified, multicast or loopback.
func parseHostAddr(text string, allowZone bool) (netip.Addr, string) {
	a, err := netip.ParseAddr(text)
	if err != nil {
		return netip.Addr{}, "is not an IP address"
	}
	return a, checkHostAddr(a, allowZone)
}

// checkHostAddr is the address part of parseHostAddr.
func checkHostAddr(a netip.Addr, allowZone bool) string {
	switch {
	case a.Zone() != "" && !allowZone:
		return "must not have a zone"
	case a.Is4In6():
		return "is an IPv4-mapped IPv6 address; write the IPv4 form"
	case a.IsUnspecified():
		return "is the unspecified address"
	case a.IsMulticast():
		return "is a multicast address"
	case a.IsLoopback():
		return "is a loopback address"
	}
	return ""
}

// parseVIP parses "addr" or "addr/len"; a plain address gets /32 or /128.
func parseVIP(text string) (netip.Prefix, string) {
	if !strings.Contains(text, "/") {
		a, msg := parseHostAddr(text, false)
		if msg != "" {
			return netip.Prefix{}, msg
		}
		return netip.PrefixFrom(a, a.BitLen()), ""
	}
	p, err := netip.ParsePrefix(text)
	if err != nil {
		return netip.Prefix{}, "is not an address or address/prefix-length"
	}
	return p, checkHostAddr(p.Addr(), false)
}

// parseAddrPort parses "addr:port" or "[addr]:port" of a service or server.
func parseAddrPort(text string) (netip.AddrPort, string) {
	ap, err := netip.ParseAddrPort(text)
	if err != nil {
		return netip.AddrPort{}, `is not "address:port" (IPv6: "[address]:port")`
	}
	return ap, checkHostAddr(ap.Addr(), false)
}

// familyOf names the address family of a.
func familyOf(a netip.Addr) string {
	if a.Is4() {
		return FamilyIPv4
	}
	return FamilyIPv6
}
