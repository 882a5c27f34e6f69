package lab

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-ha/vigil/ipvs"
)

// IPVSAvailable reports whether the kernel has IPVS (loading ip_vs if it
// can). Without it the directors cannot balance, and the lab runs VRRP only.
func IPVSAvailable(ctx context.Context) bool { return ipvs.CheckAvailable(ctx) == nil }

// Dialer returns a dial function whose sockets live in a machine's
// namespace, for http.Transport.DialContext and the like.
func (l *Lab) Dialer(host string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	ns := ""
	if h := l.Host(host); h != nil {
		ns = h.NS
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if ns == "" {
			return nil, fmt.Errorf("no machine %q in the lab", host)
		}
		var c net.Conn
		err := InNamespace(ns, func() error {
			var err error
			// One address, so the dial runs on this (locked) thread and
			// the socket is made in the namespace.
			c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}

// VIPURL is the address of the virtual server.
func (l *Lab) VIPURL() string {
	if HTTPPort == 80 {
		return "http://" + l.VIP.String() + "/"
	}
	return "http://" + netip.AddrPortFrom(l.VIP, HTTPPort).String() + "/"
}

// HTTPClient returns a client whose connections start in a machine's
// namespace; every request uses a new connection, so IPVS schedules each
// one afresh.
func (l *Lab) HTTPClient(host string, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext:       l.Dialer(host),
		},
	}
}

// Get fetches url with c and returns the name of the real server that
// answered (the body of `vigil lab httpd`).
func Get(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	return strings.TrimSpace(string(body)), nil
}

// Outcome is the result of one probe of the VIP.
type Outcome struct {
	OK     bool
	Server string // the real server that answered an HTTP probe
	RTT    time.Duration
	Err    error
}

// String is "rs1 (2.1ms)" or the error.
func (o Outcome) String() string {
	if !o.OK {
		return "FAILED: " + o.Err.Error()
	}
	ms := strconv.FormatFloat(float64(o.RTT.Microseconds())/1000, 'f', 1, 64) + "ms"
	if o.Server == "" {
		return "reply (" + ms + ")"
	}
	return o.Server + " (" + ms + ")"
}
