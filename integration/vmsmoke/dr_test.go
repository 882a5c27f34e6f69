//go:build vmtest

package vmsmoke

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/integration/topo"
)

// TestDirectRoutingBypassesDirector builds the LVS-DR data path vigil
// manages: a client, a director holding the VIP, and two real servers that
// carry the VIP on lo and neither answer nor announce ARP for it. The client
// fetches http://VIP/ repeatedly; both real servers must answer (round robin),
// and the director's counters must show the requests came in through it
// while no reply went out through it.
func TestDirectRoutingBypassesDirector(t *testing.T) {
	needIPVSKernel(t)
	needTools(t, "sysctl")
	const vip = "10.200.0.100"
	tp, err := topo.New("vsmd", netip.MustParsePrefix("10.200.0.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tp.Close)
	hosts := map[string]*topo.Host{}
	for _, h := range []struct {
		name string
		n    int
	}{{"dir", 2}, {"cli", 10}, {"rs1", 11}, {"rs2", 12}} {
		host, err := tp.AddHost(h.name, h.n)
		if err != nil {
			t.Fatal(err)
		}
		hosts[h.name] = host
	}
	dir, cli := hosts["dir"], hosts["cli"]
	run := func(h *topo.Host, args ...string) string {
		t.Helper()
		out, err := h.Output(args[0], args[1:]...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// Director: the VIP on its LAN interface and a DR virtual service.
	run(dir, "ip", "addr", "add", vip+"/32", "dev", dir.Link)
	run(dir, "ipvsadm", "-A", "-t", vip+":80", "-s", "rr")
	for _, rs := range []string{"rs1", "rs2"} {
		run(dir, "ipvsadm", "-a", "-t", vip+":80", "-r", hosts[rs].Addr.Addr().String()+":80", "-g", "-w", "1")
	}

	// Real servers: the VIP on lo, ARP for it neither answered nor used as
	// source, and an HTTP server that names itself.
	for _, rs := range []string{"rs1", "rs2"} {
		h := hosts[rs]
		run(h, "ip", "addr", "add", vip+"/32", "dev", "lo")
		run(h, "sysctl", "-w", "net.ipv4.conf.all.arp_ignore=1")
		run(h, "sysctl", "-w", "net.ipv4.conf.all.arp_announce=2")
		serveName(t, h.NS, rs)
	}

	// Client: fresh connections (no keep-alive) so each request is
	// scheduled anew, dialled from the client namespace.
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				var c net.Conn
				err := withNetns(cli.NS, func() error {
					var err error
					c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
					return err
				})
				return c, err
			},
		},
	}
	const requests = 6
	answers := map[string]uint64{}
	for i := 0; i < requests; i++ {
		name, err := get(client, "http://"+vip+"/")
		if err != nil {
			t.Fatalf("request %d to the VIP: %v", i+1, err)
		}
		answers[name]++
	}
	t.Logf("answers: %v", answers)
	if answers["rs1"] == 0 || answers["rs2"] == 0 || answers["rs1"]+answers["rs2"] != requests {
		t.Errorf("answers %v: want both rs1 and rs2, %d in total", answers, requests)
	}

	// The client reached the VIP through the director's MAC: the real
	// servers did not answer ARP for it.
	neigh := run(cli, "ip", "neigh", "show", vip)
	if !strings.Contains(neigh, dir.MAC) {
		t.Errorf("client's neighbour entry for the VIP is %q, want the director's MAC %s", strings.TrimSpace(neigh), dir.MAC)
	}

	// The kernel folds its per-CPU counters into what ipvsadm reads from an
	// estimator that runs every 2 s: wait until all connections show up.
	var stats map[string]ipvsStats
	var svc ipvsStats
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		var err error
		stats, err = parseIPVSStats(run(dir, "ipvsadm", "-Ln", "--stats", "--exact"))
		if err != nil {
			t.Fatal(err)
		}
		var ok bool
		if svc, ok = stats["TCP "+vip+":80"]; !ok {
			t.Fatalf("no stats for the service in %v", stats)
		}
		if svc.Conns >= requests || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("director service stats: %+v", svc)
	if svc.Conns != requests {
		t.Errorf("director counted %d connections, want %d", svc.Conns, requests)
	}
	if svc.InPkts == 0 {
		t.Error("director InPkts = 0: the requests did not pass through IPVS")
	}
	if svc.OutPkts != 0 || svc.OutBytes != 0 {
		t.Errorf("director OutPkts = %d, OutBytes = %d: replies went through the director, not straight to the client", svc.OutPkts, svc.OutBytes)
	}
	for _, rs := range []string{"rs1", "rs2"} {
		got := stats[vip+":80>"+hosts[rs].Addr.Addr().String()+":80"].Conns
		if got != answers[rs] {
			t.Errorf("director sent %d connections to %s, but %s answered %d", got, rs, rs, answers[rs])
		}
	}
}

// serveName starts an HTTP server on port 80 in namespace ns that answers
// every request with name; it stops when the test ends.
func serveName(t *testing.T, ns, name string) {
	t.Helper()
	var l net.Listener
	err := withNetns(ns, func() error {
		var err error
		l, err = net.Listen("tcp4", ":80")
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", ns, err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, name)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("server %s: %v", name, err)
		}
	})
}

// get fetches url and returns the body, which the servers set to their name.
func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s: %s", resp.Status, body)
	}
	return string(body), nil
}
