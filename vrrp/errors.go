package vrrp

import (
	"errors"
	"fmt"
)

// codecError is the type of every sentinel error of the codec. It carries the
// short reason label next to the message, so the label the transport logs and
// counts cannot drift from the error it names.
type codecError struct {
	reason string
	text   string
}

func (e *codecError) Error() string { return "vrrp: " + e.text }

// Sentinel errors of the advertisement codec. Unmarshal wraps them in a
// *DecodeError, AppendBinary in an *EncodeError; test with errors.Is and get
// a stable label with ErrorReason.
var (
	// ErrTruncated: the message is shorter than the fixed header, or than
	// the address list (and, for VRRPv2, the authentication data) its header
	// declares (RFC 5798 §7.1, RFC 3768 §7.1: the complete packet must be
	// present).
	ErrTruncated error = &codecError{"truncated", "message truncated"}
	// ErrBadVersion: the version is neither 2 nor 3, or VRRPv2 over IPv6
	// (RFC 3768 is IPv4 only).
	ErrBadVersion error = &codecError{"version", "unsupported VRRP version"}
	// ErrBadType: the type is not 1 (ADVERTISEMENT), the only type defined
	// (RFC 5798 §5.2.2, RFC 3768 §5.3.2).
	ErrBadType error = &codecError{"type", "not an advertisement"}
	// ErrZeroVRID: virtual router ID 0; valid IDs are 1-255 (RFC 5798
	// §5.2.3, RFC 3768 §5.3.3).
	ErrZeroVRID error = &codecError{"vrid", "virtual router ID 0"}
	// ErrAddrCount: the address count is 0 (an advertisement carries one or
	// more addresses, RFC 5798 §5.2.9, RFC 3768 §5.3.9), or more than 255 on
	// encode, or the message is longer than its count declares.
	ErrAddrCount error = &codecError{"addr-count", "address count does not match the message"}
	// ErrChecksum: the checksum does not verify (RFC 5798 §5.2.8 with the
	// pseudo-header, RFC 3768 §5.3.8 over the VRRP message only).
	ErrChecksum error = &codecError{"checksum", "bad checksum"}
	// ErrZeroInterval: the advertisement interval is 0.
	ErrZeroInterval error = &codecError{"interval-zero", "advertisement interval 0"}
	// ErrInterval: an interval the wire cannot carry (encode only): VRRPv3
	// needs a multiple of 10ms up to 40.95s, VRRPv2 whole seconds up to 255s.
	ErrInterval error = &codecError{"interval", "advertisement interval not representable"}
	// ErrAuthUnsupported: VRRPv2 authentication type 2 (IP Authentication
	// Header, RFC 2338) or an unknown type (RFC 3768 §5.3.6: discard), or
	// authentication fields set on a VRRPv3 advertisement, which has none.
	ErrAuthUnsupported error = &codecError{"auth-unsupported", "unsupported authentication type"}
	// ErrAuthMismatch: the authentication type or the simple password differ
	// from the configured ones (RFC 3768 §7.1, RFC 2338 §5.3.6).
	ErrAuthMismatch error = &codecError{"auth", "authentication mismatch"}
	// ErrFamily: the IP source or destination address is missing, the two
	// differ in family, or (encode) a virtual address is not of the source's
	// family.
	ErrFamily error = &codecError{"family", "address family mismatch"}
)

// codecErrors lists every sentinel, for ErrorReasons.
var codecErrors = [...]error{
	ErrTruncated, ErrBadVersion, ErrBadType, ErrZeroVRID, ErrAddrCount, ErrChecksum,
	ErrZeroInterval, ErrInterval, ErrAuthUnsupported, ErrAuthMismatch, ErrFamily,
}

// ErrorReason returns the short, stable label of the codec sentinel that err
// wraps (for example "checksum", "truncated", "addr-count"), for logs and
// counter labels. It returns "" for nil and "other" for an error that is not the
// codec's.
func ErrorReason(err error) string {
	if err == nil {
		return ""
	}
	var ce *codecError
	if errors.As(err, &ce) {
		return ce.reason
	}
	return "other"
}

// ErrorReasons lists every label ErrorReason can return for a codec error, so
// counters can be created up front.
func ErrorReasons() []string {
	out := make([]string, len(codecErrors))
	for i, err := range codecErrors {
		out[i] = ErrorReason(err)
	}
	return out
}

// DecodeError is the error Unmarshal and CheckAuth return: which check
// rejected the advertisement and on what value.
type DecodeError struct {
	// Err is the sentinel (ErrChecksum, ErrTruncated, ...).
	Err error
	// Field names the header field that failed the check: "length",
	// "version", "type", "vrid", "count", "checksum", "interval",
	// "auth type", "auth data", "src" or "dst".
	Field string
	// Value is the value found in Field (for "length", the payload length).
	Value int
	// Want is the value the check expected where there is a single one: the
	// computed checksum, or the length the header declares; otherwise 0.
	Want int
}

func (e *DecodeError) Error() string {
	switch e.Field {
	case "checksum":
		return fmt.Sprintf("%v: checksum %#04x, computed %#04x", e.Err, e.Value, e.Want)
	case "length":
		return fmt.Sprintf("%v: %d bytes, header declares %d", e.Err, e.Value, e.Want)
	case "auth data", "src", "dst":
		return fmt.Sprintf("%v (%s)", e.Err, e.Field)
	}
	return fmt.Sprintf("%v: %s %d", e.Err, e.Field, e.Value)
}

// Unwrap returns the sentinel, for errors.Is.
func (e *DecodeError) Unwrap() error { return e.Err }

// EncodeError is the error AppendBinary returns for an Advert the wire format
// cannot carry.
type EncodeError struct {
	// Err is the sentinel (ErrZeroVRID, ErrInterval, ...).
	Err error
	// Field names the offending Advert field or argument, such as
	// "Interval", "Addrs[2]" or "src".
	Field string
	// Value is the offending value.
	Value any
}

func (e *EncodeError) Error() string {
	return fmt.Sprintf("%v: cannot encode %s = %v", e.Err, e.Field, e.Value)
}

// Unwrap returns the sentinel, for errors.Is.
func (e *EncodeError) Unwrap() error { return e.Err }
