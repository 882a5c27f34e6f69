package healthcheck

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsTypes maps the mnemonics ParseDNSType accepts to their types.
var dnsTypes = map[string]dnsmessage.Type{
	"A":     dnsmessage.TypeA,
	"NS":    dnsmessage.TypeNS,
	"CNAME": dnsmessage.TypeCNAME,
	"SOA":   dnsmessage.TypeSOA,
	"PTR":   dnsmessage.TypePTR,
	"MX":    dnsmessage.TypeMX,
	"TXT":   dnsmessage.TypeTXT,
	"AAAA":  dnsmessage.TypeAAAA,
	"SRV":   dnsmessage.TypeSRV,
	"SVCB":  dnsmessage.TypeSVCB,
	"HTTPS": dnsmessage.TypeHTTPS,
	"CAA":   dnsmessage.Type(257),
	"ANY":   dnsmessage.TypeALL,
}

// ParseDNSType reads a query type: a mnemonic such as "A", "AAAA", "MX"
// (any case) or the RFC 3597 form "TYPE65".
func ParseDNSType(s string) (dnsmessage.Type, error) {
	up := strings.ToUpper(strings.TrimSpace(s))
	if t, ok := dnsTypes[up]; ok {
		return t, nil
	}
	if num, ok := strings.CutPrefix(up, "TYPE"); ok && num != "" && num[0] != '+' && num[0] != '-' {
		n, err := strconv.ParseUint(num, 10, 16)
		if err == nil && n > 0 {
			return dnsmessage.Type(n), nil
		}
	}
	return 0, fmt.Errorf("dns type %q: unknown (want A, AAAA, MX, ... or TYPEnnn)", truncate(s, 32))
}

// dnsTypeName is the inverse of ParseDNSType for messages.
func dnsTypeName(t dnsmessage.Type) string {
	for name, v := range dnsTypes {
		if v == t {
			return name
		}
	}
	return "TYPE" + strconv.Itoa(int(t))
}
