// Package topo builds throw-away test networks out of Linux network
// namespaces: one bridge namespace that acts as the LAN switch and any number
// of hosts, each a namespace with one veth leg on the bridge. Tests use it to
// run real vigil processes against each other without touching the host's
// own network. Everything it creates carries the topology's prefix, and
// Close removes it all, also when the test failed half-way.
package topo

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Topology is a LAN of namespaces joined by a bridge.
type Topology struct {
	Prefix string // e.g. "vgi1": names are <prefix>-<host> and <prefix>br
	Subnet netip.Prefix

	mu    sync.Mutex
	hosts []*Host
	procs []*exec.Cmd
}

// Host is one namespace on the LAN.
type Host struct {
	Name string       // short name given by the test, e.g. "d1"
	NS   string       // namespace name
	Link string       // interface name inside the namespace (always "eth0")
	Addr netip.Prefix // primary address on Link
	MAC  string
	topo *Topology
}

// New creates the bridge namespace. Close must be called (use t.Cleanup).
func New(prefix string, subnet netip.Prefix) (*Topology, error) {
	if len(prefix) > 6 {
		return nil, fmt.Errorf("topo: prefix %q longer than 6 characters (interface names are limited to 15)", prefix)
	}
	t := &Topology{Prefix: prefix, Subnet: subnet.Masked()}
	t.cleanupStale()
	br := t.bridgeNS()
	steps := [][]string{
		{"ip", "netns", "add", br},
		{"ip", "-n", br, "link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0"},
		{"ip", "-n", br, "link", "set", "br0", "up"},
		{"ip", "-n", br, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			t.Close()
			return nil, err
		}
	}
	return t, nil
}

func (t *Topology) bridgeNS() string { return t.Prefix + "-br" }

// AddHost creates a namespace with eth0 on the bridge and the host number
// n as the last part of its address in the topology's subnet.
func (t *Topology) AddHost(name string, n int) (*Host, error) {
	addr := t.Subnet.Addr()
	for i := 0; i < n; i++ {
		addr = addr.Next()
	}
	h := &Host{Name: name, NS: t.Prefix + "-" + name, Link: "eth0", Addr: netip.PrefixFrom(addr, t.Subnet.Bits()), topo: t}
	outer := t.Prefix + name // veth end in the bridge namespace
	if len(outer) > 15 {
		return nil, fmt.Errorf("topo: interface name %q too long", outer)
	}
	br := t.bridgeNS()
	steps := [][]string{
		{"ip", "netns", "add", h.NS},
		{"ip", "-n", br, "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", h.NS},
		{"ip", "-n", br, "link", "set", outer, "master", "br0", "up"},
		{"ip", "-n", h.NS, "link", "set", "lo", "up"},
		{"ip", "-n", h.NS, "addr", "add", h.Addr.String(), "dev", "eth0"},
		{"ip", "-n", h.NS, "link", "set", "eth0", "up"},
	}
	t.mu.Lock()
	t.hosts = append(t.hosts, h)
	t.mu.Unlock()
	for _, s := range steps {
		if err := run(s...); err != nil {
			return nil, err
		}
	}
	out, err := h.Output("cat", "/sys/class/net/eth0/address")
	if err != nil {
		return nil, err
	}
	h.MAC = strings.TrimSpace(out)
	return h, nil
}

// Hosts returns the hosts in creation order.
func (t *Topology) Hosts() []*Host {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*Host(nil), t.hosts...)
}

// Command returns a command that runs inside the host's namespace.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
}

// Output runs a command in the namespace and returns its standard output.
func (h *Host) Output(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := h.Command(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s in %s: %v: %s", strings.Join(append([]string{name}, args...), " "), h.NS, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// Run runs a command in the namespace, returning an error with its output.
func (h *Host) Run(name string, args ...string) error {
	_, err := h.Output(name, args...)
	return err
}

// Start starts a long-running command in the namespace; Close kills it.
func (h *Host) Start(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	h.topo.mu.Lock()
	h.topo.procs = append(h.topo.procs, cmd)
	h.topo.mu.Unlock()
	return nil
}

// Close kills started processes and deletes every namespace of the topology.
func (t *Topology) Close() {
	t.mu.Lock()
	procs := t.procs
	t.procs = nil
	t.mu.Unlock()
	for _, p := range procs {
		if p.Process != nil && p.ProcessState == nil {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}
	t.cleanupStale()
}

// cleanupStale deletes every namespace whose name starts with the prefix,
// so a test killed half-way does not poison the next run.
func (t *Topology) cleanupStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], t.Prefix+"-") {
			_ = run("ip", "netns", "del", f[0])
		}
	}
}

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
