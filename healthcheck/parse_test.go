package healthcheck

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

func TestParseStatusCodes(t *testing.T) {
	tests := []struct {
		in   string
		want StatusCodes
	}{
		{"200", StatusCodes{{200, 200}}},
		{"200-299,301", StatusCodes{{200, 299}, {301, 301}}},
		{" 200 - 204 , 404 ", StatusCodes{{200, 204}, {404, 404}}},
		{"100-599", StatusCodes{{100, 599}}},
	}
	for _, tt := range tests {
		got, err := ParseStatusCodes(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseStatusCodes(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", " ", "20", "2000", "600", "099", "abc", "299-200", "200,", ",200", "200-", "-200", "200--300", "+20", "2e2"} {
		if got, err := ParseStatusCodes(bad); err == nil {
			t.Errorf("ParseStatusCodes(%q) = %v, want an error", bad, got)
		}
	}
}

func TestStatusCodesContains(t *testing.T) {
	codes, err := ParseStatusCodes("200-204,301")
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[int]bool{199: false, 200: true, 204: true, 205: false, 301: true, 302: false} {
		if codes.Contains(code) != want {
			t.Errorf("Contains(%d) = %t, want %t", code, !want, want)
		}
	}
	var def StatusCodes
	if !def.Contains(200) || !def.Contains(299) || def.Contains(300) || def.String() != "200-299" {
		t.Error("the zero StatusCodes does not mean 200-299")
	}
}

func TestParseWeight(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "42": 42, " 7 ": 7, "1048576": 1 << 20, "007": 7} {
		got, err := ParseWeight(in)
		if err != nil || got != want {
			t.Errorf("ParseWeight(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "+3", "1.5", "1048577", "99999999999", "ten", "0x10", "4 2"} {
		if got, err := ParseWeight(bad); err == nil {
			t.Errorf("ParseWeight(%q) = %d, want an error", bad, got)
		}
	}
}

func TestParseDNSType(t *testing.T) {
	for in, want := range map[string]dnsmessage.Type{"A": dnsmessage.TypeA, "aaaa": dnsmessage.TypeAAAA,
		" MX ": dnsmessage.TypeMX, "TYPE65": dnsmessage.TypeHTTPS, "type99": 99, "any": dnsmessage.TypeALL} {
		got, err := ParseDNSType(in)
		if err != nil || got != want {
			t.Errorf("ParseDNSType(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "B", "TYPE", "TYPE0", "TYPE65536", "TYPE-1", "TYPE+1", "TYPEx"} {
		if got, err := ParseDNSType(bad); err == nil {
			t.Errorf("ParseDNSType(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseOnFailure(t *testing.T) {
	for in, want := range map[string]OnFailure{"": Inhibit, "inhibit": Inhibit, "REMOVE": Remove, " remove ": Remove} {
		got, err := ParseOnFailure(in)
		if err != nil || got != want {
			t.Errorf("ParseOnFailure(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseOnFailure("drain"); err == nil || !strings.Contains(err.Error(), "drain") {
		t.Errorf("ParseOnFailure(drain) error = %v", err)
	}
}
