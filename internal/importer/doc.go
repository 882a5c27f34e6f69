// Package importer converts a keepalived configuration to vigil HCL
// (`vigil import keepalived.conf`).
//
// The conversion runs in three steps:
//
//  1. Reading follows keepalived's own parser (lib/parser.c): `!` and `#`
//     start comments outside double quotes, `{` and `}` are tokens wherever
//     they stand, `include` (with globs and brace expansion) is resolved
//     against the directory of the including file, `@id` conditional lines
//     and simple `$NAME=value` definitions are applied. The result is a tree
//     of statements, each with its file and line.
//  2. Conversion maps global_defs, vrrp_script, vrrp_instance and
//     virtual_server (with real_server and the checkers TCP_CHECK,
//     HTTP_GET, SSL_GET, MISC_CHECK, DNS_CHECK and UDP_CHECK) to the vigil
//     schema of package config. Where vigil's default differs from
//     keepalived's (VRRP version, gratuitous ARP delay, check timing,
//     forwarding method, protocol, on_failure ...) the keepalived value is
//     written explicitly so that behaviour is preserved.
//  3. The output is parsed with config.Parse. A block or attribute that
//     vigil rejects is left out and reported, and the file is checked again,
//     so the result always passes `vigil validate`.
//
// Anything that cannot be converted is never guessed: it is left out and
// listed as a Skipped item with its file, line, keyword and the reason, and
// the generated file carries the same list as comments at the place where
// the item would have been.
package importer
