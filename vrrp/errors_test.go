package vrrp

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestErrorReason(t *testing.T) {
	if got := ErrorReason(nil); got != "" {
		t.Errorf("ErrorReason(nil) = %q", got)
	}
	if got := ErrorReason(errors.New("boom")); got != "other" {
		t.Errorf("ErrorReason(foreign) = %q, want other", got)
	}
	wrapped := fmt.Errorf("transport: %w", &DecodeError{Err: ErrChecksum, Field: "checksum"})
	if got := ErrorReason(wrapped); got != "checksum" || !errors.Is(wrapped, ErrChecksum) {
		t.Errorf("wrapped DecodeError: reason %q, Is %v", got, errors.Is(wrapped, ErrChecksum))
	}
	enc := &EncodeError{Err: ErrInterval, Field: "Interval", Value: "15ms"}
	if got := ErrorReason(enc); got != "interval" || !errors.Is(enc, ErrInterval) || errors.Is(enc, ErrZeroInterval) {
		t.Errorf("EncodeError: reason %q", got)
	}
}

func TestErrorReasonsAreStableAndDistinct(t *testing.T) {
	want := []string{"truncated", "version", "type", "vrid", "addr-count", "checksum",
		"interval-zero", "interval", "auth-unsupported", "auth", "family"}
	got := ErrorReasons()
	if !slices.Equal(got, want) {
		t.Fatalf("ErrorReasons() = %q\nwant %q", got, want)
	}
	for i, err := range codecErrors {
		if !strings.HasPrefix(err.Error(), "vrrp: ") {
			t.Errorf("%q lacks the package prefix", err)
		}
		for j, other := range codecErrors {
			if i != j && errors.Is(err, other) {
				t.Errorf("%v matches %v", err, other)
			}
		}
	}
}

func TestDecodeErrorMessages(t *testing.T) {
	for _, c := range []struct {
		err  *DecodeError
		want string
	}{
		{&DecodeError{Err: ErrTruncated, Field: "length", Value: 5, Want: 8}, "vrrp: message truncated: 5 bytes, header declares 8"},
		{&DecodeError{Err: ErrBadVersion, Field: "version", Value: 4}, "vrrp: unsupported VRRP version: version 4"},
		{&DecodeError{Err: ErrAuthMismatch, Field: "auth data"}, "vrrp: authentication mismatch (auth data)"},
		{&DecodeError{Err: ErrFamily, Field: "src"}, "vrrp: address family mismatch (src)"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.err, got, c.want)
		}
	}
}
