package realserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
)

// Netlink is the part of *netlink.Handle the package uses; a handle made with
// netlink.NewHandle (or NewHandleAt for another namespace) satisfies it.
type Netlink interface {
	LinkByName(name string) (netlink.Link, error)
	LinkList() ([]netlink.Link, error)
	LinkAdd(link netlink.Link) error
	LinkDel(link netlink.Link) error
	LinkSetUp(link netlink.Link) error
	LinkSetDown(link netlink.Link) error
	AddrList(link netlink.Link, family int) ([]netlink.Addr, error)
	AddrAdd(link netlink.Link, addr *netlink.Addr) error
	AddrDel(link netlink.Link, addr *netlink.Addr) error
	RouteListFiltered(family int, filter *netlink.Route, filterMask uint64) ([]netlink.Route, error)
}

// Runner starts a command (never through a shell) and returns its standard
// output. A failure carries the command line and its standard error.
type Runner interface {
	Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error)
}

// ExecRunner runs commands with os/exec from the calling thread, so a child
// inherits that thread's network namespace.
type ExecRunner struct{}

// Run implements Runner.
func (ExecRunner) Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return out, &CommandError{Cmd: name + " " + strings.Join(args, " "), Msg: msg, Err: err}
	}
	return out, nil
}

// CommandError is a command that failed.
type CommandError struct {
	Cmd string
	Msg string
	Err error
}

// Error says which command failed and what it printed.
func (e *CommandError) Error() string { return fmt.Sprintf("%s: %s", e.Cmd, e.Msg) }

// Unwrap returns the underlying exec error.
func (e *CommandError) Unwrap() error { return e.Err }

// Host is the machine (or network namespace) the package changes and checks.
type Host struct {
	Sysctl Sysctl
	Net    Netlink
	Run    Runner
	// StatePath is the JSON record of what Apply changed.
	StatePath string
	// ProcNet is the directory with the tcp, tcp6, udp, udp6 socket tables of
	// the namespace (default /proc/thread-self/net: /proc/self/net would show
	// the namespace of the process's main thread instead).
	ProcNet string
	// privileged reports whether the caller may change the network settings;
	// nil means the real check of CAP_NET_ADMIN.
	privileged func() error
	// hasIPIP reports kernel support for ipip; nil means ipipAvailable.
	hasIPIP func() bool
}

// NewHost returns a Host for the network namespace of the calling thread.
// An empty statePath means DefaultStatePath.
func NewHost(statePath string) (*Host, error) {
	h, err := netlink.NewHandle()
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	if statePath == "" {
		statePath = DefaultStatePath
	}
	return &Host{Sysctl: ProcSys{Root: "/proc/sys"}, Net: h, Run: ExecRunner{}, StatePath: statePath}, nil
}

func (h *Host) procNet() string {
	if h.ProcNet != "" {
		return h.ProcNet
	}
	if _, err := os.Stat("/proc/thread-self/net"); err == nil {
		return "/proc/thread-self/net"
	}
	return "/proc/self/net"
}

// checkPrivileged fails with ErrPermission unless the caller can change the
// network configuration.
func (h *Host) checkPrivileged() error {
	if h.privileged != nil {
		return h.privileged()
	}
	ok, err := hasCapability(capNetAdmin)
	if err != nil {
		return fmt.Errorf("reading capabilities: %w", err)
	}
	if !ok {
		return fmt.Errorf("%w: changing addresses, sysctls and firewall rules needs root (CAP_NET_ADMIN); run as root", ErrPermission)
	}
	return nil
}

// capNetAdmin is the capability number of CAP_NET_ADMIN.
const capNetAdmin = 12

// hasCapability reads the effective capability set of the calling thread.
func hasCapability(capability uint) (bool, error) {
	b, err := os.ReadFile("/proc/thread-self/status")
	if errors.Is(err, os.ErrNotExist) {
		b, err = os.ReadFile("/proc/self/status")
	}
	if err != nil {
		return false, err
	}
	return capabilityIn(string(b), capability)
}

// capabilityIn finds the CapEff line of a /proc status file and tests a bit.
func capabilityIn(status string, capability uint) (bool, error) {
	for line := range strings.SplitSeq(status, "\n") {
		hex, ok := strings.CutPrefix(line, "CapEff:")
		if !ok {
			continue
		}
		set, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		if err != nil {
			return false, fmt.Errorf("CapEff %q: %w", hex, err)
		}
		return set&(1<<capability) != 0, nil
	}
	return false, errors.New("no CapEff line in the process status")
}
