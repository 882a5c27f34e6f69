package ipvs

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestServiceKeyTextRoundTrip(t *testing.T) {
	keys := []ServiceKey{
		AddrKey(TCP, ap("10.0.0.1:80")),
		AddrKey(UDP, ap("[2001:db8::1]:53")),
		AddrKey(SCTP, ap("192.0.2.1:0")),
		FWMarkKey(IPv4, 1),
		FWMarkKey(IPv6, 4294967295),
	}
	for _, k := range keys {
		got, err := ParseServiceKey(k.String())
		if err != nil || got != k {
			t.Errorf("ParseServiceKey(%q) = %+v, %v; want %+v", k.String(), got, err, k)
		}
	}
	if k, err := ParseServiceKey("fwmark/5"); err != nil || k != FWMarkKey(IPv4, 5) {
		t.Errorf("fwmark without family = %+v, %v", k, err)
	}
	if s := AddrKey(TCP, ap("[2001:db8::1]:443")).String(); s != "tcp/[2001:db8::1]:443" {
		t.Errorf("String() = %q", s)
	}
}

func TestParseServiceKeyRejects(t *testing.T) {
	for _, s := range []string{
		"", "tcp", "tcp/10.0.0.1", "icmp/10.0.0.1:80", "tcp/10.0.0.1:99999", "tcp/[fe80::1%eth0]:80",
		"tcp/[::ffff:10.0.0.1]:80", "tcp/224.0.0.1:80", "fwmark/0", "fwmark/-1", "fwmark/4294967296",
		"fwmark/1/inet7", "fwmark/x",
	} {
		if k, err := ParseServiceKey(s); err == nil {
			t.Errorf("ParseServiceKey(%q) = %+v, want an error", s, k)
		}
	}
}

func TestKeySetJSONRoundTrip(t *testing.T) {
	set := NewKeySet(FWMarkKey(IPv4, 3), AddrKey(TCP, ap("10.0.0.1:80")), AddrKey(UDP, ap("[2001:db8::1]:53")))
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	if want := `["tcp/10.0.0.1:80","udp/[2001:db8::1]:53","fwmark/3/inet"]`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var back KeySet
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Sorted(), set.Sorted()) {
		t.Errorf("round trip = %v, want %v", back.Sorted(), set.Sorted())
	}
	if b, _ := json.Marshal(KeySet(nil)); string(b) != "[]" {
		t.Errorf("empty set marshals to %s", b)
	}
	if err := json.Unmarshal([]byte(`["tcp/nonsense"]`), &back); err == nil {
		t.Error("bad key accepted")
	}
}

func TestParseRealServer(t *testing.T) {
	cases := []struct {
		in   string
		addr string
		port uint16
	}{
		{"10.0.0.1", "10.0.0.1", 0},
		{"10.0.0.1:8080", "10.0.0.1", 8080},
		{"2001:db8::1", "2001:db8::1", 0},
		{"[2001:db8::1]", "2001:db8::1", 0},
		{"[2001:db8::1]:80", "2001:db8::1", 80},
	}
	for _, c := range cases {
		a, p, err := ParseRealServer(c.in)
		if err != nil || a != addr(c.addr) || p != c.port {
			t.Errorf("ParseRealServer(%q) = %v, %d, %v", c.in, a, p, err)
		}
	}
	for _, bad := range []string{"", "host.example", "10.0.0.1:", "[10.0.0.1]", "fe80::1%eth0", "::ffff:10.0.0.1", "10.0.0.1:70000"} {
		if a, p, err := ParseRealServer(bad); err == nil {
			t.Errorf("ParseRealServer(%q) = %v, %d, want an error", bad, a, p)
		}
	}
}

func TestParseVirtualAddressNeedsPort(t *testing.T) {
	if _, err := ParseVirtualAddress("10.0.0.1"); err == nil {
		t.Error("address without port accepted")
	}
	if got, err := ParseVirtualAddress("[2001:db8::1]:443"); err != nil || got != ap("[2001:db8::1]:443") {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestParseNetmask(t *testing.T) {
	cases := []struct {
		in   string
		fam  Family
		want uint8
	}{
		{"24", IPv4, 24}, {"/32", IPv4, 32}, {"255.255.255.0", IPv4, 24},
		{"255.255.255.255", IPv4, 32}, {"255.128.0.0", IPv4, 9}, {"/1", IPv4, 1},
		{"64", IPv6, 64}, {"/128", IPv6, 128},
	}
	for _, c := range cases {
		got, err := ParseNetmask(c.in, c.fam)
		if err != nil || got != c.want {
			t.Errorf("ParseNetmask(%q, %s) = %d, %v; want %d", c.in, c.fam, got, err, c.want)
		}
	}
	for _, c := range []struct {
		in  string
		fam Family
	}{{"33", IPv4}, {"255.0.255.0", IPv4}, {"129", IPv6}, {"ffff::", IPv6}, {"255.255.0.0", IPv6}, {"x", IPv4}, {"24", 0},
		{"0", IPv4}, {"0.0.0.0", IPv4}, {"/0", IPv6}} {
		if got, err := ParseNetmask(c.in, c.fam); err == nil {
			t.Errorf("ParseNetmask(%q, %s) = %d, want an error", c.in, c.fam, got)
		}
	}
}

func TestMask4(t *testing.T) {
	for bits := range uint8(33) {
		m := mask4(bits)
		got, err := maskBits4(m)
		if err != nil || got != bits {
			t.Errorf("mask4(%d) = %v, back to %d, %v", bits, m, got, err)
		}
	}
	if m := mask4(20); m != [4]byte{255, 255, 240, 0} {
		t.Errorf("mask4(20) = %v", m)
	}
}

func TestParseForwardAndProtocol(t *testing.T) {
	for in, want := range map[string]Forward{"dr": ForwardDR, "DR": ForwardDR, "route": ForwardDR, "nat": ForwardNAT,
		"masq": ForwardNAT, "tun": ForwardTunnel, "TUN": ForwardTunnel, "ipip": ForwardTunnel} {
		if got, err := ParseForward(in); err != nil || got != want {
			t.Errorf("ParseForward(%q) = %s, %v", in, got, err)
		}
	}
	if _, err := ParseForward("local"); err == nil {
		t.Error("ParseForward accepted local")
	}
	for in, want := range map[string]Protocol{"tcp": TCP, "UDP": UDP, "sctp": SCTP} {
		if got, err := ParseProtocol(in); err != nil || got != want {
			t.Errorf("ParseProtocol(%q) = %s, %v", in, got, err)
		}
	}
	if _, err := ParseProtocol("icmp"); err == nil {
		t.Error("ParseProtocol accepted icmp")
	}
}

func TestSchedFlags(t *testing.T) {
	f, err := ParseSchedFlags("sh", []string{"sh-port", "sh-fallback"})
	if err != nil || f != FlagSHFallback|FlagSHPort {
		t.Fatalf("sh flags = %#x, %v", uint32(f), err)
	}
	if got := SchedFlagNames("sh", f); !slices.Equal(got, []string{"sh-fallback", "sh-port"}) {
		t.Errorf("names = %v", got)
	}
	f, err = ParseSchedFlags("mh", []string{"mh-port"})
	if err != nil || f != FlagMHPort {
		t.Fatalf("mh flags = %#x, %v", uint32(f), err)
	}
	if got := SchedFlagNames("mh", f); !slices.Equal(got, []string{"mh-port"}) {
		t.Errorf("names = %v", got)
	}
	if got := SchedFlagNames("rr", FlagSched1|FlagSched3); !slices.Equal(got, []string{"flag-1", "flag-3"}) {
		t.Errorf("generic names = %v", got)
	}
	_, err = ParseSchedFlags("wrr", []string{"sh-port", "nonsense"})
	if err == nil || !strings.Contains(err.Error(), "needs the sh scheduler") || !strings.Contains(err.Error(), "unknown scheduler flag") {
		t.Errorf("bad flags error = %v", err)
	}
}

// FuzzParseServiceKey: whatever parses is a valid key that prints back to
// text parsing to the same key.
func FuzzParseServiceKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseServiceKey(s)
		if err != nil {
			return
		}
		if err := k.validate(); err != nil {
			t.Fatalf("ParseServiceKey(%q) = %+v, invalid: %v", s, k, err)
		}
		again, err := ParseServiceKey(k.String())
		if err != nil || again != k {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, k, k.String(), again, err)
		}
	})
}

// FuzzParseRealServer: whatever parses has no zone, is not IPv4-mapped and
// survives printing and parsing again.
func FuzzParseRealServer(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		a, port, err := ParseRealServer(s)
		if err != nil {
			return
		}
		if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("ParseRealServer(%q) = %v", s, a)
		}
		a2, p2, err := ParseRealServer(netip.AddrPortFrom(a, port).String())
		if err != nil || a2 != a || p2 != port {
			t.Fatalf("%q -> %v:%d -> %v:%d, %v", s, a, port, a2, p2, err)
		}
	})
}

// FuzzParseNetmask: whatever parses fits the family and, for IPv4, prints as
// a dotted mask that parses to the same length.
func FuzzParseNetmask(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string, v6 bool) {
		fam := IPv4
		if v6 {
			fam = IPv6
		}
		bits, err := ParseNetmask(s, fam)
		if err != nil {
			return
		}
		if bits == 0 || bits > fam.hostBits() {
			t.Fatalf("ParseNetmask(%q, %s) = %d", s, fam, bits)
		}
		if fam == IPv4 {
			dotted := netip.AddrFrom4(mask4(bits)).String()
			if again, err := ParseNetmask(dotted, fam); err != nil || again != bits {
				t.Fatalf("%q -> /%d -> %s -> /%d, %v", s, bits, dotted, again, err)
			}
		}
	})
}
