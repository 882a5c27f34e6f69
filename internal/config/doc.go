// Package config parses, defaults and validates the vigil configuration file.
//
// The file is HCL (github.com/hashicorp/hcl/v2, native syntax) with a fixed
// schema; an unknown attribute or block is an error, never ignored. Every
// error is an hcl.Diagnostic whose Subject points at the offending value
// (file:line:column) and whose Summary names the block and attribute, for
// example `vrrp_instance "VI_1": priority 300 is outside 1..255`.
// WriteDiagnostics prints them with the source snippet.
//
// The top level holds these blocks:
//
//	global { ... }                   daemon settings (Global), at most one
//	vrrp_script "name" { ... }       health of something an instance depends on (VRRPScript)
//	vrrp_instance "name" { ... }     one VRRP virtual router (VRRPInstance)
//	virtual_server "name" { ... }    one IPVS service with its real servers (VirtualServer)
//	realserver { ... }               settings for `vigil realserver apply` (RealServerHost)
//
// The doc comment of each field gives its attribute name, default and
// limits. The user's reference, docs/configuration.md, is generated from
// the table in schema.go (go generate), which the tests check against the
// decoder. Durations are strings in Go syntax ("10ms", "1s", "1m30s").
// Commands are argv lists run without a shell; the program is an absolute
// path.
//
// Decisions worth knowing:
//   - An instance is IPv4 or IPv6, never both: RFC 5798 runs one virtual
//     router per family. Put IPv6 VIPs in a second instance, which may reuse
//     the vrid. IPv6 needs version 3.
//   - A VRID must be unique per interface and family; a VIP belongs to at
//     most one instance.
//   - With forwarding "dr" or "tun" a real server's port must equal the
//     service port (only NAT rewrites ports); "dr" and "nat" need real
//     servers of the service's family.
//   - Priority 255 (address owner) is checked against the host only when
//     Options.IsLocalAddress is given.
//   - Inheritance is field by field: global notify → instance notify,
//     global check_defaults → virtual_server check_defaults → check.
//
// This package depends on no other vigil package: the daemon converts the
// plain structs it returns. Config.HCL renders the effective configuration
// (defaults filled in, fixed order); parsing it gives an equal Config.
// VRRPInstance.Equal and VirtualServer.Equal (or their Fingerprint) tell a
// reload which objects changed.
package config
