package vrrp

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// codecResum recomputes the checksum of a (mutated) message in place, so a
// test reaches the checks that come after the checksum one.
func codecResum(p []byte, src, dst netip.Addr) []byte {
	var acc uint64
	if p[0]>>4 == Version3 {
		acc = pseudoHeaderSum(src.Unmap(), dst.Unmap(), len(p))
	}
	p[6], p[7] = 0, 0
	sum := messageChecksum(acc, p)
	p[6], p[7] = byte(sum>>8), byte(sum)
	return p
}

func TestUnmarshalRejects(t *testing.T) {
	v2 := codecReadSingle(t, "vrrpv2_advert.pcap")
	v3 := codecReadSingle(t, "vrrpv3_advert.pcap")
	v6 := codecReadSingle(t, "local_v3_ipv6_advert.pcap")
	// edit returns a modified copy of a captured message.
	edit := func(p codecPacket, f func(b []byte) []byte) []byte { return f(bytes.Clone(p.payload)) }
	resum := func(p codecPacket, f func(b []byte)) []byte {
		return edit(p, func(b []byte) []byte { f(b); return codecResum(b, p.src, p.dst) })
	}

	cases := []struct {
		name     string
		payload  []byte
		src, dst netip.Addr
		err      error
		reason   string
		field    string
	}{
		{"empty", nil, v3.src, v3.dst, ErrTruncated, "truncated", "length"},
		{"shorter than the header", v3.payload[:7], v3.src, v3.dst, ErrTruncated, "truncated", "length"},
		{"address cut short", v3.payload[:11], v3.src, v3.dst, ErrTruncated, "truncated", "length"},
		{"v2 without auth data", v2.payload[:12], v2.src, v2.dst, ErrTruncated, "truncated", "length"},
		{"count larger than the addresses", edit(v3, func(b []byte) []byte { b[3] = 2; return b }), v3.src, v3.dst, ErrTruncated, "truncated", "length"},
		{"IPv6 message read as IPv4 is too long", v6.payload, v3.src, v3.dst, ErrAddrCount, "addr-count", "length"},
		{"trailing bytes", edit(v3, func(b []byte) []byte { return append(b, 0, 0, 0, 0) }), v3.src, v3.dst, ErrAddrCount, "addr-count", "length"},
		{"count 0", resum(v3, func(b []byte) { b[3] = 0 }), v3.src, v3.dst, ErrAddrCount, "addr-count", "count"},
		{"version 0", edit(v3, func(b []byte) []byte { b[0] = 0x01; return b }), v3.src, v3.dst, ErrBadVersion, "version", "version"},
		{"version 1", edit(v3, func(b []byte) []byte { b[0] = 0x11; return b }), v3.src, v3.dst, ErrBadVersion, "version", "version"},
		{"version 4", edit(v3, func(b []byte) []byte { b[0] = 0x41; return b }), v3.src, v3.dst, ErrBadVersion, "version", "version"},
		{"version 2 over IPv6", edit(v6, func(b []byte) []byte { b[0] = 0x21; return b }), v6.src, v6.dst, ErrBadVersion, "version", "version"},
		{"type 0", edit(v3, func(b []byte) []byte { b[0] = 0x30; return b }), v3.src, v3.dst, ErrBadType, "type", "type"},
		{"type 2", edit(v2, func(b []byte) []byte { b[0] = 0x22; return b }), v2.src, v2.dst, ErrBadType, "type", "type"},
		{"v3 checksum off by one", edit(v3, func(b []byte) []byte { b[7]++; return b }), v3.src, v3.dst, ErrChecksum, "checksum", "checksum"},
		{"v2 checksum off by one", edit(v2, func(b []byte) []byte { b[7]++; return b }), v2.src, v2.dst, ErrChecksum, "checksum", "checksum"},
		{"v3 priority changed, checksum kept", edit(v3, func(b []byte) []byte { b[2] = 151; return b }), v3.src, v3.dst, ErrChecksum, "checksum", "checksum"},
		{"v2 auth data changed, checksum kept", edit(v2, func(b []byte) []byte { b[len(b)-1] = 1; return b }), v2.src, v2.dst, ErrChecksum, "checksum", "checksum"},
		{"v3 IPv6 with another source", v6.payload, netip.MustParseAddr("fe80::1"), v6.dst, ErrChecksum, "checksum", "checksum"},
		{"VRID 0", resum(v3, func(b []byte) { b[1] = 0 }), v3.src, v3.dst, ErrZeroVRID, "vrid", "vrid"},
		{"v2 VRID 0", resum(v2, func(b []byte) { b[1] = 0 }), v2.src, v2.dst, ErrZeroVRID, "vrid", "vrid"},
		{"v3 interval 0", resum(v3, func(b []byte) { b[4], b[5] = 0, 0 }), v3.src, v3.dst, ErrZeroInterval, "interval-zero", "interval"},
		{"v3 interval 0 under reserved bits", resum(v3, func(b []byte) { b[4], b[5] = 0xf0, 0 }), v3.src, v3.dst, ErrZeroInterval, "interval-zero", "interval"},
		{"v2 interval 0", resum(v2, func(b []byte) { b[5] = 0 }), v2.src, v2.dst, ErrZeroInterval, "interval-zero", "interval"},
		{"v2 auth type 2 (AH)", resum(v2, func(b []byte) { b[4] = 2 }), v2.src, v2.dst, ErrAuthUnsupported, "auth-unsupported", "auth type"},
		{"v2 auth type 3", resum(v2, func(b []byte) { b[4] = 3 }), v2.src, v2.dst, ErrAuthUnsupported, "auth-unsupported", "auth type"},
		{"no source", v3.payload, netip.Addr{}, v3.dst, ErrFamily, "family", "src"},
		{"no destination", v3.payload, v3.src, netip.Addr{}, ErrFamily, "family", "dst"},
		{"IPv4 source, IPv6 destination", v3.payload, v3.src, IPv6Group, ErrFamily, "family", "dst"},
		{"IPv6 source, IPv4 destination", v6.payload, v6.src, IPv4Group, ErrFamily, "family", "dst"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := Advert{Version: 3, VRID: 9, Priority: 9, Interval: time.Second, Addrs: codecAddrs("192.0.2.9")}
			a := before
			a.Addrs = append(make([]netip.Addr, 0, 4), before.Addrs...)
			err := a.Unmarshal(c.payload, c.src, c.dst)
			var de *DecodeError
			if !errors.Is(err, c.err) || !errors.As(err, &de) || de.Field != c.field {
				t.Fatalf("Unmarshal = %v (%#v), want %v on field %q", err, err, c.err, c.field)
			}
			if got := ErrorReason(err); got != c.reason {
				t.Errorf("ErrorReason = %q, want %q", got, c.reason)
			}
			if !codecSameAdvert(&a, &before) {
				t.Errorf("a rejected message changed the Advert: %+v", a)
			}
		})
	}
}

func TestUnmarshalChecksumErrorCarriesValues(t *testing.T) {
	v3 := codecReadSingle(t, "vrrpv3_advert.pcap")
	bad := bytes.Clone(v3.payload)
	bad[6], bad[7] = 0x12, 0x34
	var a Advert
	err := a.Unmarshal(bad, v3.src, v3.dst)
	var de *DecodeError
	if !errors.As(err, &de) || de.Value != 0x1234 || de.Want != 0x4307 {
		t.Fatalf("Unmarshal = %#v, want checksum 0x1234 computed 0x4307", err)
	}
	if msg := err.Error(); msg != "vrrp: bad checksum: checksum 0x1234, computed 0x4307" {
		t.Errorf("message %q", msg)
	}
}

func TestUnmarshalAccepts(t *testing.T) {
	v2 := codecReadSingle(t, "vrrpv2_advert.pcap")
	v3 := codecReadSingle(t, "vrrpv3_advert.pcap")

	t.Run("v3 reserved bits are ignored", func(t *testing.T) {
		p := bytes.Clone(v3.payload)
		p[4] |= 0xf0
		codecResum(p, v3.src, v3.dst)
		var a Advert
		if err := a.Unmarshal(p, v3.src, v3.dst); err != nil || a.Interval != 100*time.Millisecond {
			t.Fatalf("Unmarshal = %v, interval %v; want nil, 100ms", err, a.Interval)
		}
	})
	t.Run("v3 largest interval", func(t *testing.T) {
		p := bytes.Clone(v3.payload)
		p[4], p[5] = 0x0f, 0xff
		codecResum(p, v3.src, v3.dst)
		var a Advert
		if err := a.Unmarshal(p, v3.src, v3.dst); err != nil || a.Interval != 40950*time.Millisecond {
			t.Fatalf("Unmarshal = %v, interval %v; want nil, 40.95s", err, a.Interval)
		}
	})
	t.Run("v2 auth data kept with auth type 0", func(t *testing.T) {
		p := bytes.Clone(v2.payload)
		copy(p[len(p)-8:], "ignored!")
		codecResum(p, v2.src, v2.dst)
		var a Advert
		if err := a.Unmarshal(p, v2.src, v2.dst); err != nil || a.AuthData != codecPassword("ignored!") {
			t.Fatalf("Unmarshal = %v, auth data %q", err, a.AuthData)
		}
		if err := a.CheckAuth(AuthTypeNone, [8]byte{}); err != nil {
			t.Errorf("CheckAuth(none) = %v: auth data must be ignored for type 0", err)
		}
	})
	t.Run("IPv4-mapped IPv6 source and destination", func(t *testing.T) {
		src := netip.AddrFrom16(v3.src.As16())
		dst := netip.AddrFrom16(v3.dst.As16())
		var a Advert
		if err := a.Unmarshal(v3.payload, src, dst); err != nil || a.Addrs[0] != netip.MustParseAddr("10.99.0.100") {
			t.Fatalf("Unmarshal = %v, addrs %v", err, a.Addrs)
		}
	})
	t.Run("reuses Addrs", func(t *testing.T) {
		a := Advert{Addrs: make([]netip.Addr, 3, 8)}
		backing := &a.Addrs[0]
		if err := a.Unmarshal(v3.payload, v3.src, v3.dst); err != nil || len(a.Addrs) != 1 || &a.Addrs[0] != backing {
			t.Fatalf("Unmarshal = %v, %d addrs, same backing array %v", err, len(a.Addrs), &a.Addrs[0] == backing)
		}
	})
}

func TestCheckAuthRejectsUnsupportedConfiguration(t *testing.T) {
	a := Advert{Version: 2, VRID: 1, Interval: time.Second, AuthType: AuthTypeAH, Addrs: codecAddrs("192.0.2.1")}
	for _, typ := range []uint8{AuthTypeAH, 3, 255} {
		if err := a.CheckAuth(typ, [8]byte{}); !errors.Is(err, ErrAuthUnsupported) {
			t.Errorf("CheckAuth(%d) = %v, want ErrAuthUnsupported", typ, err)
		}
	}
}
