package vrrp

import (
	"errors"
	"net/netip"
	"testing"
)

// FuzzAdvertUnmarshal feeds arbitrary messages and IP addresses to the
// decoder. src and dst are raw address bytes (4 or 16 make a valid address).
// With fixChecksum set the message gets a correct checksum first, so the
// fuzzer also explores the checks behind it. The seed corpus in
// testdata/fuzz/FuzzAdvertUnmarshal holds the golden payloads.
//
// Properties: Unmarshal never panics; a rejection is a *DecodeError with a
// codec reason; an accepted message satisfies the field invariants and
// re-encodes to itself (canonical form: VRRPv3 reserved bits cleared).
func FuzzAdvertUnmarshal(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload, srcBytes, dstBytes []byte, fixChecksum bool) {
		src, _ := netip.AddrFromSlice(srcBytes)
		dst, _ := netip.AddrFromSlice(dstBytes)
		if fixChecksum && len(payload) >= headerLen && src.IsValid() && dst.IsValid() && src.Unmap().Is4() == dst.Unmap().Is4() {
			payload = codecResum(append([]byte(nil), payload...), src, dst)
		}
		var a Advert
		err := a.Unmarshal(payload, src, dst)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			if r := ErrorReason(err); r == "" || r == "other" {
				t.Fatalf("error %v has no codec reason", err)
			}
			return
		}
		alen := 4
		if !src.Unmap().Is4() {
			alen = 16
		}
		switch {
		case a.Version != Version2 && a.Version != Version3, a.Version == Version2 && alen != 4:
			t.Fatalf("accepted version %d with %d-byte addresses", a.Version, alen)
		case a.VRID == 0 || a.Interval <= 0:
			t.Fatalf("accepted VRID %d interval %v", a.VRID, a.Interval)
		case len(a.Addrs) == 0 || len(a.Addrs) != int(payload[3]) || len(payload) != messageLen(a.Version, len(a.Addrs), alen):
			t.Fatalf("accepted %d addresses from count %d in %d bytes", len(a.Addrs), payload[3], len(payload))
		case a.Version == Version3 && (a.AuthType != 0 || a.AuthData != [8]byte{}):
			t.Fatalf("VRRPv3 advert with authentication fields %+v", a)
		case a.Version == Version2 && a.AuthType > AuthTypeSimple:
			t.Fatalf("accepted auth type %d", a.AuthType)
		}
		codecCheckReencode(t, payload, src, dst, &a)
	})
}
