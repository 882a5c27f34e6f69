package vrrp

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// codecNaiveChecksum is the RFC 1071 checksum written the obvious way, as a
// reference for the unrolled sumWords.
func codecNaiveChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		w := uint32(b[i]) << 8
		if i+1 < len(b) {
			w |= uint32(b[i+1])
		}
		sum += w
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

func TestChecksumRFC1071Example(t *testing.T) {
	// RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (with
	// end-around carry); the checksum is its complement.
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := fold(sumWords(0, b)); got != ^uint16(0xddf2) {
		t.Fatalf("checksum %#04x, want %#04x", got, ^uint16(0xddf2))
	}
	// An odd trailing byte is padded with zero.
	if got, want := fold(sumWords(0, []byte{0x12, 0x34, 0x56})), ^uint16(0x1234+0x5600); got != want {
		t.Fatalf("odd length: %#04x, want %#04x", got, want)
	}
}

func TestChecksumMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 600; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if n%50 == 0 {
			for i := range b {
				b[i] = 0xff // maximal carries
			}
		}
		if got, want := fold(sumWords(0, b)), codecNaiveChecksum(b); got != want {
			t.Fatalf("len %d: %#04x, naive %#04x", n, got, want)
		}
	}
}

// TestPseudoHeaderLayout builds the pseudo-headers byte by byte as RFC 2460
// §8.1 (IPv6) and RFC 768 (IPv4) lay them out and compares their sums.
func TestPseudoHeaderLayout(t *testing.T) {
	for _, c := range []struct {
		src, dst string
		length   int
	}{
		{"10.99.0.1", "224.0.0.18", 12},
		{"255.255.255.255", "255.255.255.255", 0xffff},
		{"fe80::88b9:4fff:fe38:70ff", "ff02::12", 40},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff02::12", 8 + 255*16},
	} {
		src, dst := netip.MustParseAddr(c.src), netip.MustParseAddr(c.dst)
		var ph []byte
		if src.Is4() {
			ph = append(src.AsSlice(), dst.AsSlice()...)
			ph = append(ph, 0, ProtocolNumber)
			ph = binary.BigEndian.AppendUint16(ph, uint16(c.length))
		} else {
			ph = append(src.AsSlice(), dst.AsSlice()...)
			ph = binary.BigEndian.AppendUint32(ph, uint32(c.length))
			ph = append(ph, 0, 0, 0, ProtocolNumber)
		}
		if got, want := fold(pseudoHeaderSum(src, dst, c.length)), codecNaiveChecksum(ph); got != want {
			t.Errorf("%s > %s len %d: %#04x, want %#04x", c.src, c.dst, c.length, got, want)
		}
	}
}
