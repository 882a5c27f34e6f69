package vrrp

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// codecRandomAddr returns a random address of the family; one IPv6 address
// in 16 is IPv4-mapped, which an IPv6 advert carries like any other.
func codecRandomAddr(r *rand.Rand, v6 bool) netip.Addr {
	a4 := [4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}
	if !v6 {
		return netip.AddrFrom4(a4)
	}
	if r.IntN(16) == 0 {
		return netip.AddrFrom16(netip.AddrFrom4(a4).As16())
	}
	var b [16]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return netip.AddrFrom16(b)
}

// codecRandomAdvert returns a random advert the wire can carry, with the IP
// source and destination of its packet.
func codecRandomAdvert(r *rand.Rand) (a Advert, src, dst netip.Addr) {
	a.VRID = uint8(1 + r.IntN(255))
	a.Priority = uint8(r.IntN(256))
	v6 := false
	if r.IntN(2) == 0 {
		a.Version = Version2
		a.Interval = time.Duration(1+r.IntN(255)) * time.Second
		a.AuthType = uint8(r.IntN(2))
		if r.IntN(2) == 0 {
			for i := range a.AuthData {
				a.AuthData[i] = byte(r.Uint32())
			}
		}
	} else {
		a.Version = Version3
		a.Interval = time.Duration(1+r.IntN(4095)) * 10 * time.Millisecond
		v6 = r.IntN(2) == 0
	}
	n := 1 + r.IntN(4)
	if r.IntN(10) == 0 {
		n = 1 + r.IntN(MaxAddrs)
	}
	for range n {
		a.Addrs = append(a.Addrs, codecRandomAddr(r, v6))
	}
	// The IP addresses are never IPv4-mapped: the codec unmaps them.
	for src = codecRandomAddr(r, v6); src.Is4In6(); src = codecRandomAddr(r, v6) {
	}
	for dst = codecRandomAddr(r, v6); dst.Is4In6(); dst = codecRandomAddr(r, v6) {
	}
	if r.IntN(2) == 0 {
		dst = IPv4Group
		if v6 {
			dst = IPv6Group
		}
	}
	return a, src, dst
}

// codecCanonical is the message an encoder produces for what a receiver
// accepted: the same bytes, except that the reserved bits of the VRRPv3
// interval word are zero (RFC 5798 §5.2.6: sent as zero, ignored on
// reception), with the checksum that goes with them.
func codecCanonical(p []byte, src, dst netip.Addr) []byte {
	c := bytes.Clone(p)
	if c[0]>>4 == Version3 && c[4]&0xf0 != 0 {
		c[4] &= 0x0f
		codecResum(c, src, dst)
	}
	return c
}

// codecCheckReencode asserts that an accepted message re-encodes to its
// canonical form and that decoding that gives the same advert again.
func codecCheckReencode(t *testing.T, p []byte, src, dst netip.Addr, a *Advert) {
	t.Helper()
	out, err := a.AppendBinary(nil, src, dst)
	if err != nil {
		t.Fatalf("accepted % x but cannot re-encode %+v: %v", p, a, err)
	}
	if want := codecCanonical(p, src, dst); !bytes.Equal(out, want) {
		t.Fatalf("accepted  % x\nre-encoded % x\nwant       % x", p, out, want)
	}
	var again Advert
	if err := again.Unmarshal(out, src, dst); err != nil || !codecSameAdvert(&again, a) {
		t.Fatalf("decoding the re-encoding: %v, %+v, want %+v", err, again, a)
	}
}

func TestRoundTripRandomAdverts(t *testing.T) {
	r := rand.New(rand.NewPCG(5798, 3768))
	var got Advert
	var buf []byte
	for i := range 20000 {
		a, src, dst := codecRandomAdvert(r)
		var err error
		if buf, err = a.AppendBinary(buf[:0], src, dst); err != nil {
			t.Fatalf("#%d: AppendBinary(%+v, %v, %v): %v", i, a, src, dst, err)
		}
		if err := got.Unmarshal(buf, src, dst); err != nil {
			t.Fatalf("#%d: Unmarshal of the encoding of %+v: %v", i, a, err)
		}
		if !codecSameAdvert(&got, &a) {
			t.Fatalf("#%d: encoded %+v\ndecoded %+v", i, a, got)
		}
		codecCheckReencode(t, buf, src, dst, &got)
	}
}

// TestRoundTripMutatedMessages changes random bytes of valid messages, fixes
// the checksum half of the time so the field checks are reached, and checks
// that whatever is still accepted re-encodes to itself.
func TestRoundTripMutatedMessages(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 1071))
	accepted, rejected := 0, 0
	for range 20000 {
		a, src, dst := codecRandomAdvert(r)
		p, err := a.AppendBinary(nil, src, dst)
		if err != nil {
			t.Fatal(err)
		}
		for range 1 + r.IntN(3) {
			p[r.IntN(len(p))] ^= byte(1 + r.IntN(255))
		}
		if r.IntN(2) == 0 {
			codecResum(p, src, dst)
		}
		var got Advert
		if err := got.Unmarshal(p, src, dst); err != nil {
			rejected++
			continue
		}
		accepted++
		codecCheckReencode(t, p, src, dst, &got)
	}
	// Both outcomes must be common, or the test exercises nothing.
	if accepted < 1000 || rejected < 1000 {
		t.Fatalf("accepted %d, rejected %d mutated messages", accepted, rejected)
	}
}
