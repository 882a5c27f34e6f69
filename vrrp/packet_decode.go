package vrrp

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Unmarshal decodes and validates the VRRP message payload (the bytes after
// the IP header) of a packet sent from src to dst.
//
// It applies the checks of RFC 5798 §7.1 and RFC 3768 §7.1 that need only the
// message: version 3, or 2 over IPv4; type ADVERTISEMENT; the complete
// message present and no longer than its address count declares; a count of
// at least one; the checksum (VRRPv3 over the pseudo-header, VRRPv2 over the
// message only); VRID not 0; interval not 0; VRRPv2 authentication type 0 or
// 1. Matching the VRID, interval, addresses and password against the
// configuration is left to the caller (see CheckAuth).
//
// The family of src decides between 4- and 16-byte addresses; dst must be of
// the same family. IPv4-mapped IPv6 forms of src and dst are unmapped. The
// reserved top 4 bits of the VRRPv3 interval word are ignored (RFC 5798
// §5.2.6).
//
// Unmarshal reuses the capacity of a.Addrs and does not allocate when it is
// large enough. On error it returns a *DecodeError and leaves a unchanged.
func (a *Advert) Unmarshal(payload []byte, src, dst netip.Addr) error {
	src, dst = src.Unmap(), dst.Unmap()
	alen, ferr := addrLen(src, dst)
	if ferr != nil {
		return ferr
	}
	if len(payload) < headerLen {
		return &DecodeError{Err: ErrTruncated, Field: "length", Value: len(payload), Want: headerLen}
	}
	version := payload[0] >> 4
	if version != Version3 && (version != Version2 || alen != 4) {
		return &DecodeError{Err: ErrBadVersion, Field: "version", Value: int(version)}
	}
	if typ := payload[0] & 0x0f; typ != typeAdvert {
		return &DecodeError{Err: ErrBadType, Field: "type", Value: int(typ)}
	}
	count := int(payload[3])
	if count == 0 {
		return &DecodeError{Err: ErrAddrCount, Field: "count", Value: count}
	}
	switch want := messageLen(version, count, alen); {
	case len(payload) < want:
		return &DecodeError{Err: ErrTruncated, Field: "length", Value: len(payload), Want: want}
	case len(payload) > want:
		return &DecodeError{Err: ErrAddrCount, Field: "length", Value: len(payload), Want: want}
	}

	// The checksum comes before the field checks, so that a corrupted
	// packet is reported as such rather than by whichever field the
	// corruption hit.
	var acc uint64
	if version == Version3 {
		acc = pseudoHeaderSum(src, dst, len(payload))
	}
	got := binary.BigEndian.Uint16(payload[checksumOffset:])
	if want := messageChecksum(acc, payload); got != want {
		return &DecodeError{Err: ErrChecksum, Field: "checksum", Value: int(got), Want: int(want)}
	}

	vrid := payload[1]
	if vrid == 0 {
		return &DecodeError{Err: ErrZeroVRID, Field: "vrid"}
	}
	var (
		interval time.Duration
		authType uint8
		authData [authDataLen]byte
	)
	if version == Version3 {
		interval = time.Duration(binary.BigEndian.Uint16(payload[4:])&v3IntervalMask) * v3IntervalUnit
	} else {
		authType = payload[4]
		if authType >= AuthTypeAH {
			return &DecodeError{Err: ErrAuthUnsupported, Field: "auth type", Value: int(authType)}
		}
		interval = time.Duration(payload[5]) * time.Second
		copy(authData[:], payload[len(payload)-authDataLen:])
	}
	if interval == 0 {
		return &DecodeError{Err: ErrZeroInterval, Field: "interval"}
	}

	a.Version, a.VRID, a.Priority = version, vrid, payload[2]
	a.Interval, a.AuthType, a.AuthData = interval, authType, authData
	a.Addrs = a.Addrs[:0]
	for off := headerLen; count > 0; count, off = count-1, off+alen {
		if alen == 4 {
			a.Addrs = append(a.Addrs, netip.AddrFrom4([4]byte(payload[off:off+4])))
		} else {
			a.Addrs = append(a.Addrs, netip.AddrFrom16([16]byte(payload[off:off+16])))
		}
	}
	return nil
}
