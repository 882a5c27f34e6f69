package vrrp

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	codecSrc4 = netip.MustParseAddr("192.0.2.1")
	codecSrc6 = netip.MustParseAddr("fe80::1")
)

func TestAppendBinaryRejects(t *testing.T) {
	v3 := Advert{Version: 3, VRID: 7, Priority: 100, Interval: time.Second, Addrs: codecAddrs("192.0.2.10")}
	v2 := Advert{Version: 2, VRID: 7, Priority: 100, Interval: time.Second, Addrs: codecAddrs("192.0.2.10")}
	with := func(a Advert, f func(*Advert)) Advert { f(&a); return a }
	many := make([]netip.Addr, MaxAddrs+1)
	for i := range many {
		many[i] = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
	}

	cases := []struct {
		name     string
		a        Advert
		src, dst netip.Addr
		err      error
		field    string
	}{
		{"version 0", with(v3, func(a *Advert) { a.Version = 0 }), codecSrc4, IPv4Group, ErrBadVersion, "Version"},
		{"version 4", with(v3, func(a *Advert) { a.Version = 4 }), codecSrc4, IPv4Group, ErrBadVersion, "Version"},
		{"v2 over IPv6", with(v2, func(a *Advert) { a.Addrs = codecAddrs("fe80::10") }), codecSrc6, IPv6Group, ErrBadVersion, "Version"},
		{"VRID 0", with(v3, func(a *Advert) { a.VRID = 0 }), codecSrc4, IPv4Group, ErrZeroVRID, "VRID"},
		{"no addresses", with(v3, func(a *Advert) { a.Addrs = nil }), codecSrc4, IPv4Group, ErrAddrCount, "len(Addrs)"},
		{"256 addresses", with(v3, func(a *Advert) { a.Addrs = many }), codecSrc4, IPv4Group, ErrAddrCount, "len(Addrs)"},
		{"v3 interval 0", with(v3, func(a *Advert) { a.Interval = 0 }), codecSrc4, IPv4Group, ErrZeroInterval, "Interval"},
		{"v2 interval 0", with(v2, func(a *Advert) { a.Interval = 0 }), codecSrc4, IPv4Group, ErrZeroInterval, "Interval"},
		{"v3 interval 5ms", with(v3, func(a *Advert) { a.Interval = 5 * time.Millisecond }), codecSrc4, IPv4Group, ErrInterval, "Interval"},
		{"v3 interval 1.015s", with(v3, func(a *Advert) { a.Interval = 1015 * time.Millisecond }), codecSrc4, IPv4Group, ErrInterval, "Interval"},
		{"v3 interval 40.96s", with(v3, func(a *Advert) { a.Interval = 40960 * time.Millisecond }), codecSrc4, IPv4Group, ErrInterval, "Interval"},
		{"v3 interval negative", with(v3, func(a *Advert) { a.Interval = -time.Second }), codecSrc4, IPv4Group, ErrInterval, "Interval"},
		{"v2 interval 1.5s", with(v2, func(a *Advert) { a.Interval = 1500 * time.Millisecond }), codecSrc4, IPv4Group, ErrInterval, "Interval"},
		{"v2 interval 256s", with(v2, func(a *Advert) { a.Interval = 256 * time.Second }), codecSrc4, IPv4Group, ErrInterval, "Interval"},
		{"v2 interval negative", with(v2, func(a *Advert) { a.Interval = -time.Second }), codecSrc4, IPv4Group, ErrInterval, "Interval"},
		{"v2 auth type AH", with(v2, func(a *Advert) { a.AuthType = AuthTypeAH }), codecSrc4, IPv4Group, ErrAuthUnsupported, "AuthType"},
		{"v2 auth type 9", with(v2, func(a *Advert) { a.AuthType = 9 }), codecSrc4, IPv4Group, ErrAuthUnsupported, "AuthType"},
		{"v3 with auth type", with(v3, func(a *Advert) { a.AuthType = AuthTypeSimple }), codecSrc4, IPv4Group, ErrAuthUnsupported, "AuthType/AuthData"},
		{"v3 with auth data", with(v3, func(a *Advert) { a.AuthData[0] = 'x' }), codecSrc4, IPv4Group, ErrAuthUnsupported, "AuthType/AuthData"},
		{"IPv6 address, IPv4 source", with(v3, func(a *Advert) { a.Addrs = codecAddrs("192.0.2.10", "2001:db8::1") }), codecSrc4, IPv4Group, ErrFamily, "Addrs[1]"},
		{"IPv4-mapped address, IPv4 source", with(v3, func(a *Advert) { a.Addrs = codecAddrs("::ffff:192.0.2.10") }), codecSrc4, IPv4Group, ErrFamily, "Addrs[0]"},
		{"IPv4 address, IPv6 source", v3, codecSrc6, IPv6Group, ErrFamily, "Addrs[0]"},
		{"zero address", with(v3, func(a *Advert) { a.Addrs = []netip.Addr{{}} }), codecSrc4, IPv4Group, ErrFamily, "Addrs[0]"},
		{"no source", v3, netip.Addr{}, IPv4Group, ErrFamily, "src"},
		{"destination of another family", v3, codecSrc4, IPv6Group, ErrFamily, "dst"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := []byte("keep")
			out, err := c.a.AppendBinary(in, c.src, c.dst)
			var ee *EncodeError
			if !errors.Is(err, c.err) || !errors.As(err, &ee) || ee.Field != c.field {
				t.Fatalf("AppendBinary = %v, want %v on field %q", err, c.err, c.field)
			}
			if string(out) != "keep" || len(out) != len(in) {
				t.Errorf("on error the buffer became %q", out)
			}
			if !strings.Contains(err.Error(), c.field) {
				t.Errorf("message %q does not name the field %q", err, c.field)
			}
		})
	}
}

func TestAppendBinaryLimits(t *testing.T) {
	many6 := make([]netip.Addr, MaxAddrs)
	for i := range many6 {
		many6[i] = netip.AddrFrom16([16]byte{0: 0x20, 1: 0x01, 2: 0x0d, 3: 0xb8, 14: byte(i >> 8), 15: byte(i)})
	}
	cases := []struct {
		name     string
		a        Advert
		src, dst netip.Addr
		wantLen  int
		wantInt  [2]byte // bytes 4-5
	}{
		{"v3 10ms", Advert{Version: 3, VRID: 1, Interval: 10 * time.Millisecond, Addrs: codecAddrs("192.0.2.10")}, codecSrc4, IPv4Group, 12, [2]byte{0x00, 0x01}},
		{"v3 40.95s", Advert{Version: 3, VRID: 255, Interval: 40950 * time.Millisecond, Addrs: codecAddrs("192.0.2.10")}, codecSrc4, IPv4Group, 12, [2]byte{0x0f, 0xff}},
		{"v2 255s simple auth", Advert{Version: 2, VRID: 1, Interval: 255 * time.Second, AuthType: AuthTypeSimple, Addrs: codecAddrs("192.0.2.10")}, codecSrc4, IPv4Group, 20, [2]byte{AuthTypeSimple, 255}},
		{"v3 IPv4-mapped address over IPv6", Advert{Version: 3, VRID: 1, Interval: time.Second, Addrs: codecAddrs("::ffff:192.0.2.10")}, codecSrc6, IPv6Group, 24, [2]byte{0x00, 100}},
		{"v3 255 IPv6 addresses", Advert{Version: 3, VRID: 1, Interval: time.Second, Addrs: many6}, codecSrc6, IPv6Group, 8 + 255*16, [2]byte{0x00, 100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := c.a.AppendBinary(nil, c.src, c.dst)
			if err != nil || len(out) != c.wantLen || [2]byte(out[4:6]) != c.wantInt || int(out[3]) != len(c.a.Addrs) {
				t.Fatalf("AppendBinary = % x..., %v; want %d bytes with interval bytes % x", out[:min(8, len(out))], err, c.wantLen, c.wantInt)
			}
			var back Advert
			if err := back.Unmarshal(out, c.src, c.dst); err != nil || !codecSameAdvert(&back, &c.a) {
				t.Fatalf("decoding the encoding: %v, %+v", err, back)
			}
		})
	}
}

func TestAppendBinaryNormalizesAddresses(t *testing.T) {
	a := Advert{Version: 3, VRID: 9, Priority: 50, Interval: time.Second, Addrs: codecAddrs("fe80::9%eth0", "2001:db8::9")}
	zoned, err := a.AppendBinary(nil, netip.MustParseAddr("fe80::1%eth0"), IPv6Group)
	if err != nil {
		t.Fatal(err)
	}
	a.Addrs = codecAddrs("fe80::9", "2001:db8::9")
	plain, err := a.AppendBinary(nil, codecSrc6, IPv6Group)
	if err != nil || !bytes.Equal(zoned, plain) {
		t.Fatalf("zones changed the message:\n% x\n% x (%v)", zoned, plain, err)
	}

	b := Advert{Version: 3, VRID: 9, Interval: time.Second, Addrs: codecAddrs("192.0.2.9")}
	mapped, err1 := b.AppendBinary(nil, netip.AddrFrom16(codecSrc4.As16()), netip.AddrFrom16(IPv4Group.As16()))
	unmapped, err2 := b.AppendBinary(nil, codecSrc4, IPv4Group)
	if err1 != nil || err2 != nil || !bytes.Equal(mapped, unmapped) {
		t.Fatalf("IPv4-mapped src/dst: % x (%v) vs % x (%v)", mapped, err1, unmapped, err2)
	}
}

func TestAppendBinaryChecksumDependsOnDestinationForV3Only(t *testing.T) {
	v3 := Advert{Version: 3, VRID: 9, Interval: time.Second, Addrs: codecAddrs("192.0.2.9")}
	m1, _ := v3.AppendBinary(nil, codecSrc4, IPv4Group)
	m2, _ := v3.AppendBinary(nil, codecSrc4, netip.MustParseAddr("192.0.2.2"))
	if bytes.Equal(m1[6:8], m2[6:8]) || !bytes.Equal(m1[:6], m2[:6]) || !bytes.Equal(m1[8:], m2[8:]) {
		t.Fatalf("v3 messages for two destinations: % x / % x; want only the checksum to differ", m1, m2)
	}
	v2 := Advert{Version: 2, VRID: 9, Interval: time.Second, Addrs: codecAddrs("192.0.2.9")}
	m1, _ = v2.AppendBinary(nil, codecSrc4, IPv4Group)
	m2, _ = v2.AppendBinary(nil, netip.MustParseAddr("192.0.2.3"), netip.MustParseAddr("192.0.2.2"))
	if !bytes.Equal(m1, m2) {
		t.Fatalf("v2 messages differ with the IP addresses: % x / % x", m1, m2)
	}
}

func TestCodecDoesNotAllocate(t *testing.T) {
	for _, file := range []string{"vrrpv2_advert.pcap", "vrrpv3_advert.pcap", "local_v3_ipv6_advert.pcap"} {
		p := codecReadSingle(t, file)
		var a Advert
		if err := a.Unmarshal(p.payload, p.src, p.dst); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 0, 64)
		var err error
		if n := testing.AllocsPerRun(100, func() { err = a.Unmarshal(p.payload, p.src, p.dst) }); n != 0 || err != nil {
			t.Errorf("%s: Unmarshal into a reused Advert: %v allocs, err %v; want 0", file, n, err)
		}
		if n := testing.AllocsPerRun(100, func() { buf, err = a.AppendBinary(buf[:0], p.src, p.dst) }); n != 0 || err != nil {
			t.Errorf("%s: AppendBinary into a reused buffer: %v allocs, err %v; want 0", file, n, err)
		}
	}
}
