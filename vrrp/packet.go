// The advertisement codec: VRRPv3 (RFC 5798) for IPv4 and IPv6 and VRRPv2
// (RFC 3768) for IPv4. (The package documentation is in doc.go.)
//
// The codec (Advert, Unmarshal, AppendBinary) works on the VRRP message
// alone, the bytes after the IP header. The caller passes the IP source and
// destination addresses, which the VRRPv3 checksum covers through its
// pseudo-header and whose family decides between 4- and 16-byte virtual
// addresses. The IP-level checks of RFC 5798 §7.1 and RFC 3768 §7.1 (TTL or
// hop limit 255, protocol 112) belong to the transport, which sees the IP
// header.

package vrrp

import (
	"crypto/subtle"
	"net/netip"
	"time"
)

// Wire constants shared by VRRPv2 and VRRPv3.
const (
	// ProtocolNumber is the IP protocol (IPv6 next header) number of VRRP
	// (RFC 5798 §5.1.1.4 and §5.1.2.4, RFC 3768 §5.2.4).
	ProtocolNumber = 112
	// TTL is the IPv4 TTL / IPv6 hop limit of every advertisement; a
	// receiver discards any other value (RFC 5798 §5.1.1.3, §5.1.2.3, §7.1).
	TTL = 255
	// MaxAddrs is the largest address count one advertisement can carry
	// (the count field is 8 bits).
	MaxAddrs = 255
)

// Protocol versions, the values of Advert.Version.
const (
	// Version2 is VRRPv2 (RFC 3768): IPv4 only, whole-second intervals,
	// authentication fields.
	Version2 uint8 = 2
	// Version3 is VRRPv3 (RFC 5798): IPv4 and IPv6, centisecond intervals.
	Version3 uint8 = 3
)

// VRRPv2 authentication types (RFC 3768 §5.3.6 keeps the field and reserves
// the values 1 and 2 that RFC 2338 §5.3.6 defined).
const (
	// AuthTypeNone: no authentication.
	AuthTypeNone uint8 = 0
	// AuthTypeSimple: simple text password, 8 bytes in AuthData, compared
	// by Advert.CheckAuth. keepalived calls it "PASS".
	AuthTypeSimple uint8 = 1
	// AuthTypeAH: IP Authentication Header. Not supported: rejected with
	// ErrAuthUnsupported.
	AuthTypeAH uint8 = 2
)

// Multicast groups that advertisements are sent to (RFC 5798 §5.1.1.2 and
// §5.1.2.2, RFC 3768 §5.2.2).
var (
	// IPv4Group is 224.0.0.18.
	IPv4Group = netip.AddrFrom4([4]byte{224, 0, 0, 18})
	// IPv6Group is ff02::12.
	IPv6Group = netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 15: 0x12})
)

// Message layout (RFC 5798 §5.2, RFC 3768 §5.1): an 8-byte fixed header, the
// addresses, and for VRRPv2 8 bytes of authentication data at the end.
const (
	headerLen      = 8
	checksumOffset = 6
	authDataLen    = 8
	typeAdvert     = 1 // the only type (RFC 5798 §5.2.2, RFC 3768 §5.3.2)

	// v3IntervalUnit is the unit of the VRRPv3 Max Adver Int field, a
	// centisecond (RFC 5798 §5.2.7).
	v3IntervalUnit = 10 * time.Millisecond
	// v3IntervalMask keeps the 12 interval bits; the top 4 bits of the
	// 16-bit word are reserved (RFC 5798 §5.2.6).
	v3IntervalMask = 0x0fff
	// maxV3Interval and maxV2Interval are the largest intervals the 12-bit
	// centisecond and 8-bit second fields hold.
	maxV3Interval = v3IntervalMask * v3IntervalUnit
	maxV2Interval = 255 * time.Second
)

// Advert is a VRRP advertisement (RFC 5798 §5.2, RFC 3768 §5.3).
//
// The zero value is not valid: Version, VRID, Interval and at least one
// address must be set before encoding.
type Advert struct {
	// Version is Version2 or Version3.
	Version uint8
	// VRID is the virtual router ID, 1-255.
	VRID uint8
	// Priority is the sender's priority: 255 for the address owner, 0 for a
	// master that is leaving, 1-254 otherwise.
	Priority uint8
	// Interval is the advertisement interval: for VRRPv3 Max Adver Int, a
	// multiple of 10ms from 10ms to 40.95s; for VRRPv2 Adver Int, whole
	// seconds from 1s to 255s.
	Interval time.Duration
	// AuthType is the VRRPv2 authentication type (AuthTypeNone or
	// AuthTypeSimple). Always 0 for VRRPv3.
	AuthType uint8
	// AuthData is the VRRPv2 authentication data: the simple password,
	// zero-padded, for AuthTypeSimple; sent as found for AuthTypeNone, where
	// receivers ignore it (RFC 3768 §5.3.10). Always zero for VRRPv3.
	AuthData [8]byte
	// Addrs are the virtual addresses, all of the IP packet's family: IPv4,
	// or IPv6 (the first one the link-local address, RFC 5798 §5.2.9).
	Addrs []netip.Addr
}

// CheckAuth verifies a received advertisement against the locally configured
// VRRPv2 authentication: the type must match (RFC 3768 §7.1) and, for
// AuthTypeSimple, the 8-byte password too (RFC 2338 §5.3.6), compared in
// constant time. VRRPv3 has no authentication, so for a VRRPv3 advertisement
// only a configured AuthTypeNone matches. It returns a *DecodeError wrapping
// ErrAuthMismatch, or ErrAuthUnsupported when authType itself is not
// supported.
func (a *Advert) CheckAuth(authType uint8, key [8]byte) error {
	if authType >= AuthTypeAH {
		return &DecodeError{Err: ErrAuthUnsupported, Field: "auth type", Value: int(authType)}
	}
	got := a.AuthType
	if a.Version != Version2 {
		got = AuthTypeNone
	}
	if got != authType {
		return &DecodeError{Err: ErrAuthMismatch, Field: "auth type", Value: int(got), Want: int(authType)}
	}
	if authType == AuthTypeSimple && subtle.ConstantTimeCompare(a.AuthData[:], key[:]) != 1 {
		return &DecodeError{Err: ErrAuthMismatch, Field: "auth data"}
	}
	return nil
}

// addrLen returns the size of one virtual address in a message carried from
// src to dst (4 or 16), or a *DecodeError wrapping ErrFamily. The callers
// unmap IPv4-mapped IPv6 addresses first.
func addrLen(src, dst netip.Addr) (int, *DecodeError) {
	switch {
	case !src.IsValid():
		return 0, &DecodeError{Err: ErrFamily, Field: "src"}
	case !dst.IsValid() || dst.Is4() != src.Is4():
		return 0, &DecodeError{Err: ErrFamily, Field: "dst"}
	case src.Is4():
		return 4, nil
	}
	return 16, nil
}

// messageLen is the length of a message with count addresses of alen bytes.
func messageLen(version uint8, count, alen int) int {
	n := headerLen + count*alen
	if version == Version2 {
		n += authDataLen
	}
	return n
}
