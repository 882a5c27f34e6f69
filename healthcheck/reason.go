package healthcheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"
)

// maxReasonLen bounds reasons built from arbitrary error text so a log line
// or a notify environment stays small.
const maxReasonLen = 160

// errorReason turns a probe error into a short reason prefixed by kind
// ("tcp", "http", ...). Common network failures get fixed wording so logs
// and alerts can match on them.
func errorReason(kind string, err error) string {
	return kind + ": " + describeError(err)
}

func describeError(err error) string {
	var (
		unknownCA    x509.UnknownAuthorityError
		hostnameErr  x509.HostnameError
		invalidCert  x509.CertificateInvalidError
		recordHeader tls.RecordHeaderError
		verifyErr    *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "source address not available"
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return "permission denied"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.As(err, &unknownCA):
		return "tls: certificate signed by unknown authority"
	case errors.As(err, &hostnameErr):
		return "tls: certificate is not valid for " + truncate(hostnameErr.Host, 64)
	case errors.As(err, &invalidCert):
		return "tls: invalid certificate"
	case errors.As(err, &recordHeader):
		return "tls: server did not answer with TLS"
	case errors.As(err, &verifyErr):
		return "tls: certificate verification failed"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		// net/http detects this from the TLS record header but does not
		// wrap tls.RecordHeaderError.
		return "tls: server did not answer with TLS"
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return "timeout"
	}
	return truncate(err.Error(), maxReasonLen)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
