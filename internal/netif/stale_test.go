package netif

import (
	"net/netip"
	"slices"
	"testing"
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func held(entries ...Address) []Address { return entries }

func addr(p string, secondary bool) Address {
	return Address{Prefix: netip.MustParsePrefix(p), Secondary: secondary}
}

func TestStaleVIPsSelectsOnlyManagedUndesiredAddresses(t *testing.T) {
	h := held(
		addr("10.99.0.1/24", false),   // primary, listed as managed by mistake
		addr("10.99.0.100/24", true),  // desired VIP
		addr("10.99.0.101/24", true),  // stale VIP
		addr("10.99.0.102/32", false), // stale VIP, primary of its own subnet
		addr("10.99.0.103/24", true),  // not managed (added by an admin)
		addr("10.99.0.104/24", true),  // managed, kept by the caller
		addr("fd00::101/128", false),  // stale IPv6 VIP
		addr("fe80::1/64", false),     // link-local, never touched
	)
	desired := prefixes("10.99.0.100/32") // prefix length differs: same address
	managed := prefixes("10.99.0.1/32", "10.99.0.100/32", "10.99.0.101/32",
		"10.99.0.102/32", "10.99.0.104/32", "fd00::101/128", "fe80::1/128")
	keep := netip.MustParseAddr("10.99.0.104")

	var got []string
	for _, s := range StaleVIPs(h, desired, managed, keep) {
		got = append(got, s.Prefix.String())
	}
	want := []string{"10.99.0.101/24", "10.99.0.102/32", "fd00::101/128"}
	if !slices.Equal(got, want) {
		t.Errorf("stale %v, want %v", got, want)
	}
}

func TestStaleVIPsNothingManaged(t *testing.T) {
	h := held(addr("10.0.0.1/24", false), addr("10.0.0.2/24", true))
	if got := StaleVIPs(h, nil, nil); len(got) != 0 {
		t.Errorf("with no managed VIPs: %v", got)
	}
}
