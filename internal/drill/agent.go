package drill

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"

	"github.com/vigil-ha/vigil/internal/lab"
)

// The agent is the hidden subcommand `vigil drill agent` that a drill on
// described hosts runs on the client (through its command prefix). It
// sends the same traffic as the lab's client and watches for gratuitous
// ARP, and talks to the drill over its standard input and output, one
// line each way:
//
//	agent -> drill  ready                     sockets open
//	drill -> agent  sync                      (any number of times)
//	agent -> drill  sync T                    T: the agent's clock
//	drill -> agent  start                     start the traffic
//	agent -> drill  probe KIND SENT DONE ok SERVER|-
//	agent -> drill  probe KIND SENT DONE err MESSAGE
//	agent -> drill  garp T MAC
//	drill: end of input                       stop; the agent waits for
//	                                          the probes in flight and exits
//
// Times are nanoseconds since the agent started, on its monotonic clock.
// The drill maps them onto its own clock with the sync exchange (the
// answer with the shortest round trip, at its midpoint), so the record's
// client times do not depend on the two hosts' clocks agreeing.

// agentMain runs `vigil drill agent ARGS`.
func agentMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vipFlag := fs.String("vip", "", "the VIP to ping (required)")
	url := fs.String("url", "", "URL to GET every 5ms (optional)")
	iface := fs.String("interface", "", "interface to watch for gratuitous ARP (default: the route to the VIP)")
	timeout := fs.Duration("timeout", DefaultTimeout, "request timeout")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	vip, err := netip.ParseAddr(*vipFlag)
	if err != nil || !vip.Is4() || fs.NArg() != 0 || *timeout <= 0 {
		fmt.Fprintln(stderr, "usage: vigil drill agent -vip IPv4 [-url URL] [-interface IF] [-timeout D] (internal: run by vigil drill -hosts)")
		return exitUsage
	}
	if err := runAgent(ctx, agentConfig{vip: vip, url: *url, iface: *iface, timeout: *timeout}, stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "vigil drill agent: %v\n", err)
		return exitFail
	}
	return exitOK
}

type agentConfig struct {
	vip     netip.Addr
	url     string
	iface   string
	timeout time.Duration
}

// agentOut writes the agent's lines, one at a time, each flushed.
type agentOut struct {
	mu    sync.Mutex
	w     *bufio.Writer
	start time.Time
}

func (o *agentOut) since(t time.Time) int64 { return int64(t.Sub(o.start)) }

func (o *agentOut) line(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, format+"\n", args...)
	_ = o.w.Flush()
}

func (o *agentOut) probe(kind string, sent, done time.Time, err error, server string) {
	if err != nil {
		msg := strings.Join(strings.Fields(err.Error()), " ")
		if msg == "" {
			msg = "failed"
		}
		o.line("probe %s %d %d err %s", kind, o.since(sent), o.since(done), msg)
		return
	}
	if server == "" {
		server = "-"
	}
	o.line("probe %s %d %d ok %s", kind, o.since(sent), o.since(done), strings.Join(strings.Fields(server), "_"))
}

func runAgent(ctx context.Context, c agentConfig, stdin io.Reader, stdout io.Writer) error {
	out := &agentOut{w: bufio.NewWriter(stdout), start: time.Now()}
	p, err := lab.ListenPinger()
	if err != nil {
		return fmt.Errorf("ICMP socket: %w", err)
	}
	var get func() (string, error)
	if c.url != "" {
		client := &http.Client{
			Timeout: c.timeout,
			// A new connection per request, as in the lab, so that IPVS
			// schedules each one afresh; a redirect is an answer.
			Transport:     &http.Transport{DisableKeepAlives: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		get = func() (string, error) { return agentGet(client, c.url) }
	}
	conn, err := listenARP(c.iface, c.vip)
	if err != nil {
		p.Close()
		return err
	}
	defer conn.Close()
	go watchARP(conn, c.vip, out)
	out.line("ready")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tr *traffic
	lines := bufio.NewScanner(stdin)
	for lines.Scan() {
		switch lines.Text() {
		case "sync":
			out.line("sync %d", out.since(time.Now()))
		case "start":
			if tr == nil {
				tr = sendTraffic(ctx, p, c.vip, get, out, c.timeout)
			}
		}
	}
	if tr != nil {
		tr.stop()
	} else {
		p.Close()
	}
	return nil
}

// agentGet fetches url; the server is the X-Served-By header (the lab's
// web servers set it), if any. Any status below 400 is an answer.
func agentGet(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 400 {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	return resp.Header.Get("X-Served-By"), nil
}

// listenARP opens a packet socket for ARP on iface, or on the interface
// of the route to vip.
func listenARP(iface string, vip netip.Addr) (*packet.Conn, error) {
	if iface == "" {
		routes, err := netlink.RouteGet(vip.AsSlice())
		if err != nil || len(routes) == 0 {
			return nil, fmt.Errorf("no route to %s to find the interface (give client interface): %v", vip, err)
		}
		lk, err := netlink.LinkByIndex(routes[0].LinkIndex)
		if err != nil {
			return nil, fmt.Errorf("the interface of the route to %s: %w", vip, err)
		}
		iface = lk.Attrs().Name
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, err
	}
	conn, err := packet.Listen(ifi, packet.Raw, etherTypeARP, nil)
	if err != nil {
		return nil, fmt.Errorf("ARP capture on %s: %w", iface, err)
	}
	return conn, nil
}

// watchARP reports every gratuitous ARP for vip until conn is closed.
func watchARP(conn *packet.Conn, vip netip.Addr, out *agentOut) {
	buf := make([]byte, 128)
	for {
		n, _, err := conn.ReadFrom(buf)
		now := time.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond)
			continue
		}
		if a, ok := parseARPFrame(buf[:n]); ok && a.gratuitousFor(vip) {
			out.line("garp %d %s", out.since(now), a.SenderMAC)
		}
	}
}

// agentClient is the drill's side of an agent: it starts it on the
// client host, maps its clock and feeds its lines to the recorder.
type agentClient struct {
	s     *stream
	rec   *recorder
	byMAC map[string]string

	mu        sync.Mutex
	base      time.Time // the drill's time of the agent's 0
	ready     chan struct{}
	readyOnce sync.Once
	syncs     chan int64
}

func newAgentClient(rec *recorder, byMAC map[string]string) *agentClient {
	return &agentClient{rec: rec, byMAC: byMAC, ready: make(chan struct{}), syncs: make(chan int64, 1)}
}

// startAgent runs `VIGIL drill agent` on the client and starts the traffic
// once the clocks are mapped.
func startAgent(c HostClient, vip netip.Addr, timeout time.Duration, rec *recorder, byMAC map[string]string, wait time.Duration) (*agentClient, error) {
	argv := []string{c.Vigil, "drill", "agent", "-vip", vip.String(), "-timeout", timeout.String()}
	if c.URL != "" {
		argv = append(argv, "-url", c.URL)
	}
	if c.Interface != "" {
		argv = append(argv, "-interface", c.Interface)
	}
	a := newAgentClient(rec, byMAC)
	s, err := c.startStream("exec "+shellWords(argv...), a.line)
	if err != nil {
		return nil, err
	}
	a.s = s
	fail := func(err error) (*agentClient, error) {
		s.terminate(time.Second)
		return nil, err
	}
	select {
	case <-a.ready:
	case <-s.done:
		return fail(fmt.Errorf("the agent on the client ended: %w", s.exitError()))
	case <-time.After(wait):
		return fail(fmt.Errorf("the agent on the client (%s) did not start within %s", shellWords(argv...), wait))
	}
	if err := a.mapClock(wait); err != nil {
		return fail(err)
	}
	if err := s.send("start"); err != nil {
		return fail(err)
	}
	return a, nil
}

// mapClock asks for the agent's time a few times and keeps the answer
// with the shortest round trip: the agent read its clock within that
// round trip, most likely in the middle.
func (a *agentClient) mapClock(wait time.Duration) error {
	best := time.Duration(-1)
	for range 8 {
		sent := time.Now()
		if err := a.s.send("sync"); err != nil {
			return err
		}
		var t int64
		select {
		case t = <-a.syncs:
		case <-a.s.done:
			return fmt.Errorf("the agent on the client ended: %w", a.s.exitError())
		case <-time.After(wait):
			return fmt.Errorf("the agent on the client does not answer")
		}
		got := time.Now()
		if rtt := got.Sub(sent); best < 0 || rtt < best {
			best = rtt
			a.mu.Lock()
			a.base = sent.Add(rtt / 2).Add(-time.Duration(t))
			a.mu.Unlock()
		}
	}
	return nil
}

// at is the drill's time of an agent's time.
func (a *agentClient) at(field string) (time.Time, bool) {
	ns, err := strconv.ParseInt(field, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.base.Add(time.Duration(ns)), true
}

// line handles one line of the agent.
func (a *agentClient) line(s string, _ time.Time) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return
	}
	switch f[0] {
	case "ready":
		a.readyOnce.Do(func() { close(a.ready) })
	case "sync":
		if len(f) == 2 {
			if t, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				select {
				case a.syncs <- t:
				default:
				}
			}
		}
	case "probe":
		if len(f) < 6 {
			return
		}
		sent, ok1 := a.at(f[2])
		done, ok2 := a.at(f[3])
		if !ok1 || !ok2 {
			return
		}
		var err error
		server := ""
		if f[4] == "ok" {
			if f[5] != "-" {
				server = f[5]
			}
		} else {
			err = errors.New(strings.Join(f[5:], " "))
		}
		a.rec.probe(f[1], sent, done, err, server)
	case "garp":
		if len(f) == 3 {
			if t, ok := a.at(f[1]); ok {
				a.rec.garp(f[2], a.byMAC[f[2]], t)
			}
		}
	}
}

// stop ends the traffic: the agent waits for its probes in flight (at
// most the timeout) and exits.
func (a *agentClient) stop() { a.s.stop(5 * time.Second) }
