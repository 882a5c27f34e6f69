package realserver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Sysctl reads and writes kernel parameters. Keys are paths below /proc/sys
// with "/" separators ("net/ipv4/conf/eth0.100/arp_ignore"), so interface
// names that contain dots need no escaping.
type Sysctl interface {
	Get(key string) (string, error)
	Set(key, value string) error
}

// ProcSys is the Sysctl of the calling thread's namespaces, read and written
// through files under Root (normally /proc/sys). /proc/sys/net shows the
// network namespace of the thread that opens the file, so a caller working in
// another namespace must stay on its locked OS thread.
type ProcSys struct {
	Root string
}

// Get returns the value without the trailing newline.
func (p ProcSys) Get(key string) (string, error) {
	path, err := p.path(key)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Set writes value; the kernel parses it on write, so a bad value fails here.
func (p ProcSys) Set(key, value string) error {
	path, err := p.path(key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(value)
	cerr := f.Close()
	if werr != nil {
		return werr
	}
	return cerr
}

func (p ProcSys) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || slices.Contains(strings.Split(key, "/"), "..") {
		return "", fmt.Errorf("sysctl key %q: not a relative path below /proc/sys", key)
	}
	root := p.Root
	if root == "" {
		root = "/proc/sys"
	}
	return filepath.Join(root, key), nil
}

// sysctlMissing reports an error that means the key does not exist (for
// example because its interface is gone).
func sysctlMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// confKey is the key of an IPv4 per-device setting ("all" and "default" are
// devices here, as in the kernel).
func confKey(dev, name string) string { return "net/ipv4/conf/" + dev + "/" + name }

// DisplayKey writes a key the way sysctl(8) and sysctl.d(5) read it: dots as
// separators, and dots inside a component (VLAN device names) as slashes.
func DisplayKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, ".", "/")
	}
	return strings.Join(parts, ".")
}

// sysctlSetting is one kernel parameter a method needs.
type sysctlSetting struct {
	Key string
	// Want is written when the current value is not in Accept.
	Want string
	// Accept lists the values that already do the job; Want is one of them.
	Accept []string
	// Why explains the setting in check output.
	Why string
}

func (s sysctlSetting) ok(value string) bool { return slices.Contains(s.Accept, value) }

// arpSettings are arp_ignore=1 (answer ARP only for addresses on the receiving
// interface) and arp_announce=2 (never use a VIP as the source of our own ARP
// requests) on each device.
func arpSettings(devs ...string) []sysctlSetting {
	var s []sysctlSetting
	for _, d := range devs {
		s = append(s,
			sysctlSetting{Key: confKey(d, "arp_ignore"), Want: "1", Accept: []string{"1", "2"},
				Why: "answer ARP only for addresses of the receiving interface"},
			sysctlSetting{Key: confKey(d, "arp_announce"), Want: "2", Accept: []string{"2"},
				Why: "never announce a VIP as the source of ARP requests"})
	}
	return s
}

// sysctlSettings lists the parameters Apply sets for c, in the order it sets
// them. c must have its defaults filled in.
func sysctlSettings(c Config) []sysctlSetting {
	switch c.Method {
	case MethodSysctl:
		return arpSettings("all", c.Interface, "lo")
	case MethodTunnel:
		return append(arpSettings("all", c.Interface), tunnelRPFilter(c)...)
	}
	return nil
}

// tunnelRPFilter relaxes reverse-path filtering for decapsulated packets: they
// arrive on the tunnel device from clients routed via another interface, which
// strict mode (1) drops. The kernel uses max(all, device), so "all" must not be
// 1 either; loose mode (2) keeps some protection there.
func tunnelRPFilter(c Config) []sysctlSetting {
	return []sysctlSetting{
		{Key: confKey("all", "rp_filter"), Want: "2", Accept: []string{"0", "2"},
			Why: "let decapsulated packets through (strict mode 1 drops them)"},
		{Key: confKey(c.TunnelDevice, "rp_filter"), Want: "0", Accept: []string{"0", "2"},
			Why: "accept decapsulated packets from clients routed through another interface"},
	}
}
