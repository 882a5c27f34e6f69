package healthcheck

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// DefaultMaxBody is how much of a response body HTTPChecker reads when
// MaxBody is zero.
const DefaultMaxBody = 1 << 20

// HTTPChecker sends a GET and checks the status, optionally the body, and
// optionally takes a dynamic weight from the response. A new connection is
// made for every probe (no keep-alive), so each probe proves the server still
// accepts connections.
type HTTPChecker struct {
	// TLS selects HTTPS.
	TLS bool
	// Path is the request path with optional query; default "/".
	Path string
	// Host is the Host header; default the probed address.
	Host string
	// Codes are the accepted status codes; default 200-299.
	Codes StatusCodes
	// BodyRegex, when set, must match the (first MaxBody bytes of the) body.
	BodyRegex *regexp.Regexp
	// BodySHA256, when set, is the hex SHA-256 digest the whole body must
	// have (keepalived's digest, with SHA-256 instead of MD5).
	BodySHA256 string
	// ServerName is the TLS SNI and verification name; default the host part
	// of Host, or none when probing an IP address without Host.
	ServerName string
	// Verify turns on certificate verification (off by default: real
	// servers often present certificates for the public name only).
	Verify bool
	// RootCAs verifies the server when Verify is set; nil uses the system
	// pool.
	RootCAs *x509.CertPool
	// Headers are added to the request.
	Headers http.Header
	// WeightHeader names a response header carrying a dynamic weight.
	WeightHeader string
	// WeightRegex takes a dynamic weight from the first capture group of a
	// match in the body, for example `"weight":\s*(\d+)`.
	WeightRegex *regexp.Regexp
	// MaxBody bounds how much of the body is read; default DefaultMaxBody.
	MaxBody int64
}

// String describes every setting that affects the result.
func (c *HTTPChecker) String() string {
	var b strings.Builder
	b.WriteString(c.kind())
	fmt.Fprintf(&b, " path=%q host=%q codes=%s sni=%q verify=%t", c.Path, c.Host, c.Codes, c.ServerName, c.Verify)
	if c.BodyRegex != nil {
		fmt.Fprintf(&b, " body=/%s/", c.BodyRegex)
	}
	if c.BodySHA256 != "" {
		fmt.Fprintf(&b, " sha256=%s", strings.ToLower(c.BodySHA256))
	}
	if c.RootCAs != nil {
		b.WriteString(" ca=custom")
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range c.Headers {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, " header[%s]=%q", k, c.Headers[k])
	}
	if c.WeightHeader != "" {
		fmt.Fprintf(&b, " weight-header=%q", c.WeightHeader)
	}
	if c.WeightRegex != nil {
		fmt.Fprintf(&b, " weight-body=/%s/", c.WeightRegex)
	}
	fmt.Fprintf(&b, " max-body=%d", c.maxBody())
	return b.String()
}

func (c *HTTPChecker) kind() string {
	if c.TLS {
		return "https"
	}
	return "http"
}

func (c *HTTPChecker) maxBody() int64 {
	if c.MaxBody > 0 {
		return c.MaxBody
	}
	return DefaultMaxBody
}

// Check performs one GET against t.ProbeAddr().
func (c *HTTPChecker) Check(ctx context.Context, t Target) Result {
	kind := c.kind()
	req, err := c.newRequest(ctx, t)
	if err != nil {
		return failed(errorReason(kind, err))
	}
	transport := &http.Transport{
		DialContext:        t.Dialer.DialContext,
		DisableKeepAlives:  true,
		DisableCompression: true,
		// Never go through an HTTP proxy taken from the environment.
		Proxy: nil,
	}
	if c.TLS {
		transport.TLSClientConfig = c.tlsConfig(req.Host)
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport: transport,
		// A redirect is an answer: judge its status, do not follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return failed(errorReason(kind, err))
	}
	defer resp.Body.Close()
	if !c.Codes.Contains(resp.StatusCode) {
		return failed(fmt.Sprintf("%s: status %d", kind, resp.StatusCode))
	}
	res := healthy(fmt.Sprintf("%s: status %d", kind, resp.StatusCode))
	if c.BodyRegex != nil || c.BodySHA256 != "" || c.WeightRegex != nil {
		body, err := c.readBody(resp.Body)
		if err != nil {
			return failed(errorReason(kind, err))
		}
		if r, ok := c.checkBody(kind, body); !ok {
			return r
		}
		if c.WeightRegex != nil {
			res = withWeight(res, "body", weightFromBody(c.WeightRegex, body))
		}
	}
	if c.WeightHeader != "" {
		v := resp.Header.Get(c.WeightHeader)
		if v == "" {
			res.Reason += ", no " + c.WeightHeader + " header"
		} else {
			res = withWeight(res, "header", v)
		}
	}
	return res
}

func (c *HTTPChecker) newRequest(ctx context.Context, t Target) (*http.Request, error) {
	path := c.Path
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	scheme := "http"
	if c.TLS {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+t.ProbeAddr().String()+path, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range c.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.Host != "" {
		req.Host = c.Host
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "vigil-healthcheck")
	}
	return req, nil
}

func (c *HTTPChecker) tlsConfig(host string) *tls.Config {
	name := c.ServerName
	if name == "" && c.Host != "" {
		name = hostWithoutPort(host)
	}
	return &tls.Config{
		ServerName: name,
		RootCAs:    c.RootCAs,
		// Verification is the user's choice (Verify); see the field comment.
		InsecureSkipVerify: !c.Verify, //nolint:gosec
		MinVersion:         tls.VersionTLS12,
	}
}

// hostWithoutPort strips ":port" and IPv6 brackets from a Host header.
func hostWithoutPort(host string) string {
	if strings.HasPrefix(host, "[") {
		if end := strings.IndexByte(host, ']'); end > 0 {
			return host[1:end]
		}
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[:i], ":") {
		return host[:i]
	}
	return host
}

func (c *HTTPChecker) readBody(r io.Reader) ([]byte, error) {
	limit := c.maxBody()
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit && c.BodySHA256 != "" {
		return nil, fmt.Errorf("body larger than %d bytes, cannot digest it", limit)
	}
	if int64(len(body)) > limit {
		body = body[:limit]
	}
	return body, nil
}

// checkBody applies the regex and digest conditions.
func (c *HTTPChecker) checkBody(kind string, body []byte) (Result, bool) {
	if c.BodyRegex != nil && !c.BodyRegex.Match(body) {
		return failed(kind + ": body does not match /" + truncate(c.BodyRegex.String(), 64) + "/"), false
	}
	if c.BodySHA256 != "" {
		want, err := hex.DecodeString(strings.TrimSpace(c.BodySHA256))
		sum := sha256.Sum256(body)
		if err != nil || subtle.ConstantTimeCompare(want, sum[:]) != 1 {
			return failed(kind + ": body digest " + hex.EncodeToString(sum[:8]) + "... differs"), false
		}
	}
	return Result{}, true
}

// weightFromBody returns the first capture group of re in body, or the whole
// match when re has no group, or "" when nothing matches.
func weightFromBody(re *regexp.Regexp, body []byte) string {
	m := re.FindSubmatch(body)
	switch {
	case m == nil:
		return ""
	case len(m) > 1:
		return string(m[1])
	default:
		return string(m[0])
	}
}

// withWeight records a dynamic weight on a healthy result. A missing or
// malformed weight leaves the configured weight in force and says so in the
// reason: the server answered correctly, only its weight hint is unusable.
func withWeight(res Result, source, value string) Result {
	w, err := ParseWeight(value)
	if err != nil {
		res.Reason += fmt.Sprintf(", ignored %s weight: %v", source, err)
		return res
	}
	res.Weight, res.WeightSet = w, true
	res.Reason += fmt.Sprintf(", weight %d", w)
	return res
}

// Validate reports settings that can never produce a healthy result.
func (c *HTTPChecker) Validate() error {
	for _, r := range c.Codes {
		if r.Lo < minStatus || r.Hi > maxStatus || r.Lo > r.Hi {
			return fmt.Errorf("%s check: bad status range %d-%d", c.kind(), r.Lo, r.Hi)
		}
	}
	if c.BodySHA256 != "" {
		if b, err := hex.DecodeString(strings.TrimSpace(c.BodySHA256)); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%s check: body digest %q is not a hex SHA-256", c.kind(), truncate(c.BodySHA256, 80))
		}
	}
	if c.MaxBody < 0 {
		return fmt.Errorf("%s check: negative max body", c.kind())
	}
	return nil
}
