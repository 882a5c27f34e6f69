package vrrp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// AppendBinary validates a and appends its VRRP message, checksum included,
// to b for a packet sent from src to dst. For VRRPv3 the checksum covers the
// pseudo-header, so a message for another destination (another unicast peer)
// must be encoded again.
//
// src decides the family: every address in a.Addrs must be of that family
// (an IPv4-mapped IPv6 address is IPv6: refused in an IPv4 advert, sent as
// is in an IPv6 one), and VRRPv2 needs IPv4. IPv4-mapped forms of src and
// dst themselves are unmapped; IPv6 zones are not sent. On error b is
// returned unchanged with an *EncodeError. AppendBinary does not allocate
// when b has room for the message.
func (a *Advert) AppendBinary(b []byte, src, dst netip.Addr) ([]byte, error) {
	src, dst = src.Unmap(), dst.Unmap()
	alen, ferr := addrLen(src, dst)
	if ferr != nil {
		value := src
		if ferr.Field == "dst" {
			value = dst
		}
		return b, &EncodeError{Err: ErrFamily, Field: ferr.Field, Value: value}
	}
	if err := a.validate(alen); err != nil {
		return b, err
	}

	n := messageLen(a.Version, len(a.Addrs), alen)
	start := len(b)
	b = slices.Grow(b, n)[:start+n]
	msg := b[start:]
	msg[0] = a.Version<<4 | typeAdvert
	msg[1], msg[2], msg[3] = a.VRID, a.Priority, uint8(len(a.Addrs))
	if a.Version == Version3 {
		binary.BigEndian.PutUint16(msg[4:], uint16(a.Interval/v3IntervalUnit))
	} else {
		msg[4], msg[5] = a.AuthType, uint8(a.Interval/time.Second)
		copy(msg[n-authDataLen:], a.AuthData[:])
	}
	for i, addr := range a.Addrs {
		off := headerLen + i*alen
		if alen == 4 {
			*(*[4]byte)(msg[off:]) = addr.As4()
		} else {
			*(*[16]byte)(msg[off:]) = addr.As16()
		}
	}
	var acc uint64
	if a.Version == Version3 {
		acc = pseudoHeaderSum(src, dst, n)
	}
	binary.BigEndian.PutUint16(msg[checksumOffset:], messageChecksum(acc, msg))
	return b, nil
}

// validate checks that a can be encoded with addresses of alen bytes.
func (a *Advert) validate(alen int) *EncodeError {
	switch {
	case a.Version != Version2 && a.Version != Version3:
		return &EncodeError{Err: ErrBadVersion, Field: "Version", Value: a.Version}
	case a.Version == Version2 && alen != 4:
		return &EncodeError{Err: ErrBadVersion, Field: "Version", Value: "2 over IPv6"}
	case a.VRID == 0:
		return &EncodeError{Err: ErrZeroVRID, Field: "VRID", Value: a.VRID}
	case len(a.Addrs) == 0 || len(a.Addrs) > MaxAddrs:
		return &EncodeError{Err: ErrAddrCount, Field: "len(Addrs)", Value: len(a.Addrs)}
	case a.Interval == 0:
		return &EncodeError{Err: ErrZeroInterval, Field: "Interval", Value: a.Interval}
	}
	for i, addr := range a.Addrs {
		// An IPv6 advert carries any 16 bytes, an IPv4-mapped address too
		// (the decoder accepts it, so the encoder must reproduce it).
		if alen == 4 && !addr.Is4() || alen == 16 && !addr.Is6() {
			return &EncodeError{Err: ErrFamily, Field: fmt.Sprintf("Addrs[%d]", i), Value: addr}
		}
	}
	if a.Version == Version3 {
		if a.Interval < 0 || a.Interval > maxV3Interval || a.Interval%v3IntervalUnit != 0 {
			return &EncodeError{Err: ErrInterval, Field: "Interval", Value: a.Interval}
		}
		if a.AuthType != AuthTypeNone || a.AuthData != [authDataLen]byte{} {
			return &EncodeError{Err: ErrAuthUnsupported, Field: "AuthType/AuthData", Value: "set on VRRPv3"}
		}
		return nil
	}
	if a.Interval < 0 || a.Interval > maxV2Interval || a.Interval%time.Second != 0 {
		return &EncodeError{Err: ErrInterval, Field: "Interval", Value: a.Interval}
	}
	if a.AuthType >= AuthTypeAH {
		return &EncodeError{Err: ErrAuthUnsupported, Field: "AuthType", Value: a.AuthType}
	}
	return nil
}
