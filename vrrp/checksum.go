package vrrp

import (
	"encoding/binary"
	"net/netip"
)

// The VRRP checksum is the Internet checksum (RFC 1071): the 16-bit one's
// complement of the one's complement sum of 16-bit words. VRRPv2 sums the
// VRRP message only (RFC 3768 §5.3.8). VRRPv3 adds a pseudo-header (RFC 5798
// §5.2.8): for IPv6 the one of RFC 2460 §8.1 (source, destination, 32-bit
// upper-layer length, next header 112), for IPv4 the RFC 768 style one
// (source, destination, zero, protocol 112, 16-bit length). Both contribute
// the same words to the sum apart from the address sizes, so one function
// covers both families.

// sumWords adds b, as big-endian 16-bit words, to the running sum acc. An odd
// trailing byte is padded with a zero byte (RFC 1071 §4.1). The accumulator
// is 64 bits wide and folded only at the end, which cannot overflow for any
// message an IP packet can hold.
func sumWords(acc uint64, b []byte) uint64 {
	for len(b) >= 8 {
		acc += uint64(binary.BigEndian.Uint16(b)) + uint64(binary.BigEndian.Uint16(b[2:])) +
			uint64(binary.BigEndian.Uint16(b[4:])) + uint64(binary.BigEndian.Uint16(b[6:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

// fold reduces a running sum to 16 bits with end-around carry and returns its
// one's complement: the value to put in the checksum field.
func fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return ^uint16(acc)
}

// pseudoHeaderSum returns the sum of the VRRPv3 pseudo-header words for a
// message of length bytes sent from src to dst. src and dst must both be
// IPv4 or both IPv6 (unmapped).
func pseudoHeaderSum(src, dst netip.Addr, length int) uint64 {
	var acc uint64
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		acc = sumWords(sumWords(acc, s[:]), d[:])
	} else {
		s, d := src.As16(), dst.As16()
		acc = sumWords(sumWords(acc, s[:]), d[:])
	}
	// IPv4: zero byte + protocol, 16-bit length. IPv6: 32-bit length, three
	// zero bytes + next header. Word for word the sums are equal.
	return acc + uint64(length>>16) + uint64(length&0xffff) + ProtocolNumber
}

// messageChecksum returns the checksum of a VRRP message whose checksum field
// (bytes 6-7) is treated as zero, starting from the pseudo-header sum acc (0
// for VRRPv2).
func messageChecksum(acc uint64, msg []byte) uint16 {
	acc = sumWords(acc, msg[:checksumOffset])
	acc = sumWords(acc, msg[checksumOffset+2:])
	return fold(acc)
}
