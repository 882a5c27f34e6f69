package lab

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/vigil-ha/vigil/internal/fault"
)

// buildNetwork creates the bridge namespace and one namespace per machine
// with eth0 on the bridge, and records each machine's MAC address.
func (l *Lab) buildNetwork() error {
	br := l.bridgeNS()
	steps := [][]string{
		{"ip", "netns", "add", br},
		{"ip", "-n", br, "link", "set", "lo", "up"},
		{"ip", "-n", br, "link", "add", "br0", "type", "bridge", "forward_delay", "0", "stp_state", "0"},
		{"ip", "-n", br, "link", "set", "br0", "up"},
	}
	if err := runAll(steps); err != nil {
		return err
	}
	for i := range l.Hosts {
		h := &l.Hosts[i]
		outer := l.Prefix + h.Name // the veth end on the bridge
		if err := runAll([][]string{{"ip", "netns", "add", h.NS}}); err != nil {
			return err
		}
		// No IPv6: its neighbour discovery and MLD would only add noise
		// to the LAN the drills watch.
		_ = InNamespace(h.NS, disableIPv6)
		steps := [][]string{
			{"ip", "-n", br, "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", h.NS},
			{"ip", "-n", br, "link", "set", outer, "master", "br0", "up"},
			{"ip", "-n", h.NS, "link", "set", "lo", "up"},
			{"ip", "-n", h.NS, "addr", "add", netip.PrefixFrom(h.Addr, l.Subnet.Bits()).String(), "dev", "eth0"},
			{"ip", "-n", h.NS, "link", "set", "eth0", "up"},
		}
		if err := runAll(steps); err != nil {
			return err
		}
		mac, err := macOf(h.NS, "eth0")
		if err != nil {
			return err
		}
		h.MAC = mac
	}
	return nil
}

func disableIPv6() error {
	for _, k := range []string{"all", "default"} {
		_ = os.WriteFile("/proc/sys/net/ipv6/conf/"+k+"/disable_ipv6", []byte("1"), 0)
	}
	return nil
}

// macOf returns the MAC address of a link inside a namespace.
func macOf(nsName, link string) (string, error) {
	h, err := handleIn(nsName)
	if err != nil {
		return "", err
	}
	defer h.Close()
	lk, err := h.LinkByName(link)
	if err != nil {
		return "", fmt.Errorf("%s in %s: %w", link, nsName, err)
	}
	return lk.Attrs().HardwareAddr.String(), nil
}

// handleIn opens a netlink handle inside the named namespace.
func handleIn(nsName string) (*netlink.Handle, error) {
	ns, err := netns.GetFromName(nsName)
	if err != nil {
		return nil, fmt.Errorf("network namespace %s: %w", nsName, err)
	}
	defer ns.Close()
	return netlink.NewHandleAt(ns)
}

// Netlink opens a netlink handle inside a machine's namespace; the caller
// closes it.
func (l *Lab) Netlink(name string) (*netlink.Handle, error) {
	h := l.Host(name)
	if h == nil {
		return nil, fmt.Errorf("no machine %q in the lab", name)
	}
	return handleIn(h.NS)
}

// LAN returns a netlink handle inside a machine's namespace and its eth0,
// the lab's LAN interface. The caller closes the handle.
func (l *Lab) LAN(name string) (*netlink.Handle, netlink.Link, error) {
	h, err := l.Netlink(name)
	if err != nil {
		return nil, nil, err
	}
	lk, err := h.LinkByName("eth0")
	if err != nil {
		h.Close()
		return nil, nil, err
	}
	return h, lk, nil
}

// DownReport says what Down removed.
type DownReport struct {
	Killed     int      // processes killed
	Namespaces []string // namespaces deleted
}

// Down removes the lab with the options' prefix: it kills every process
// inside its namespaces, removes the faults the fault package recorded on
// them, deletes the namespaces and the state directory. A lab that is not
// there is no error, and Down works without the state directory (after a
// crash, or a reboot that emptied /run).
func Down(o Options) (DownReport, error) {
	var rep DownReport
	o, err := o.withDefaults()
	if err != nil {
		return rep, err
	}
	names, err := namespacesWithPrefix(o.Prefix)
	if err != nil {
		return rep, err
	}
	var errs error
	// SIGKILL, not SIGTERM: a director stopping gracefully would hand over
	// to the other, which is about to be killed too.
	for _, ns := range names {
		n, err := SignalAll(ns, syscall.SIGKILL)
		rep.Killed += n
		errs = errors.Join(errs, err)
	}
	for _, ns := range names {
		waitEmpty(ns, 2*time.Second)
		_, _ = fault.Clear(fault.Target{Netns: ns})
	}
	for _, ns := range names {
		if err := runAll([][]string{{"ip", "netns", "del", ns}}); err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		rep.Namespaces = append(rep.Namespaces, ns)
	}
	if err := removeStateDir(o.StateDir); err != nil {
		errs = errors.Join(errs, err)
	}
	return rep, errs
}

// stateMarker marks a directory the lab created, and so may delete.
const stateMarker = ".vigil-lab"

// makeStateDir creates the state directory, refusing a directory with
// files that are not the lab's.
func makeStateDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, stateMarker)); err != nil {
			return fmt.Errorf("state directory %s has files that are not a lab's: choose another -state-dir", dir)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, stateMarker), []byte("created by vigil lab; `vigil lab down` deletes this directory\n"), 0o644)
}

// removeStateDir deletes the state directory if the lab created it.
func removeStateDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, stateMarker)); err != nil {
		return nil
	}
	return os.RemoveAll(dir)
}

// waitEmpty waits until no process is left in the namespace.
func waitEmpty(ns string, timeout time.Duration) {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if pids, _ := PIDsIn(ns); len(pids) == 0 {
			return
		}
	}
}

// runAll runs commands in order and stops at the first failure.
func runAll(steps [][]string) error {
	for _, s := range steps {
		cmd := exec.Command(s[0], s[1:]...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(s, " "), err, strings.TrimSpace(out.String()))
		}
	}
	return nil
}
