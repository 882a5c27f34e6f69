package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/vigil-ha/vigil/ipvs"
)

// directorTag names a director's daemon in the state directory.
func directorTag(director string) string { return director + "-director" }

// StartDirector starts the daemon of a director (vigil or keepalived) as
// a detached process with the configuration WriteConfigs wrote, logging to
// STATE/DIRECTOR-director.log.
func (l *Lab) StartDirector(director string, impl Impl) (int, error) {
	argv, err := l.DirectorArgv(director, impl)
	if err != nil {
		return 0, err
	}
	if pid := l.DirectorPID(director); pid != 0 {
		return 0, fmt.Errorf("%s already runs a director (pid %d): stop it first", director, pid)
	}
	if impl == ImplKeepalived {
		for _, f := range []string{".keepalived.kpid", ".keepalived-vrrp.kpid", ".keepalived-checkers.kpid"} {
			_ = os.Remove(l.Path(director + f))
		}
	}
	if err := os.WriteFile(l.Path(director+".impl"), []byte(impl), 0o644); err != nil {
		return 0, err
	}
	return l.Spawn(director, directorTag(director), argv...)
}

// DirectorPID is the pid of a director's daemon started by StartDirector,
// or 0 if it does not run.
func (l *Lab) DirectorPID(director string) int { return l.PID(director, directorTag(director)) }

// DirectorImpl is the implementation StartDirector last started on a
// director ("" if none).
func (l *Lab) DirectorImpl(director string) Impl {
	b, _ := os.ReadFile(l.Path(director + ".impl"))
	return Impl(strings.TrimSpace(string(b)))
}

// StopDirector stops a director's daemon with sig: SIGTERM is a graceful
// stop (the master hands over), SIGKILL a crash. keepalived's child
// processes are signalled too, so that SIGKILL really is a crash of the
// whole daemon. It waits up to timeout for the daemon to end.
func (l *Lab) StopDirector(director string, sig syscall.Signal, timeout time.Duration) (bool, error) {
	h := l.Host(director)
	if h == nil || h.Role != RoleDirector {
		return false, fmt.Errorf("%q: %w", director, errNoDirector)
	}
	if sig == syscall.SIGKILL {
		// Everything in a director's namespace is its daemon.
		n, err := SignalAll(h.NS, syscall.SIGKILL)
		if err != nil {
			return n > 0, err
		}
		waitEmpty(h.NS, timeout)
		_ = os.Remove(l.Path(directorTag(director) + ".pid"))
		return n > 0, nil
	}
	return l.Stop(director, directorTag(director), sig, timeout)
}

// HasVIP reports whether a machine carries the VIP on eth0.
func (l *Lab) HasVIP(name string) (bool, error) {
	h, err := l.Netlink(name)
	if err != nil {
		return false, err
	}
	defer h.Close()
	return hasAddr(h, "eth0", l.VIP)
}

func hasAddr(h *netlink.Handle, link string, want netip.Addr) (bool, error) {
	lk, err := h.LinkByName(link)
	if err != nil {
		return false, err
	}
	addrs, err := h.AddrList(lk, netlink.FAMILY_V4)
	if err != nil {
		return false, err
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == want {
			return true, nil
		}
	}
	return false, nil
}

// Holders lists the directors that carry the VIP.
func (l *Lab) Holders() ([]string, error) {
	var out []string
	for _, d := range l.Directors() {
		ok, err := l.HasVIP(d.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, d.Name)
		}
	}
	return out, nil
}

// WaitMaster waits until exactly one director holds the VIP and returns it.
func (l *Lab) WaitMaster(ctx context.Context, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last []string
	for {
		holders, err := l.Holders()
		if err != nil {
			return "", err
		}
		if len(holders) == 1 {
			return holders[0], nil
		}
		last = holders
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no single master within %s (VIP holders: %v)", timeout, last)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// WaitServing waits until both real servers have answered an HTTP request
// from the client through the VIP.
func (l *Lab) WaitServing(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, max(timeout, time.Second))
	defer cancel()
	c := l.HTTPClient(Client, time.Second)
	seen := map[string]bool{}
	var last error
	for len(seen) < len(l.RealServers()) {
		name, err := Get(ctx, c, l.VIPURL())
		if err == nil {
			seen[name] = true
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the web servers do not all answer through the VIP (answered: %v; last error: %v)", seen, last)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// RemoveVIP deletes the VIP from a director's eth0, with any prefix
// length, if it is there: a daemon killed with SIGKILL leaves it behind.
func (l *Lab) RemoveVIP(director string) error {
	h, lk, err := l.LAN(director)
	if err != nil {
		return err
	}
	defer h.Close()
	addrs, err := h.AddrList(lk, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == l.VIP {
			if err := h.AddrDel(lk, &a); err != nil {
				return fmt.Errorf("removing %s from %s: %w", a.IPNet, director, err)
			}
		}
	}
	return nil
}

// FlushIPVS deletes every IPVS service in a director's namespace: a daemon
// killed with SIGKILL leaves its table behind, and the next daemon should
// start from an empty one.
func (l *Lab) FlushIPVS(director string) error {
	h := l.Host(director)
	if h == nil || h.Role != RoleDirector {
		return fmt.Errorf("%q: %w", director, errNoDirector)
	}
	if !l.IPVS {
		return nil
	}
	k, err := ipvs.Open(filepath.Join(netnsDir, h.NS))
	if err != nil {
		return err
	}
	defer k.Close()
	svcs, err := k.GetServices()
	if err != nil {
		return err
	}
	for _, s := range svcs {
		if err := k.DelService(s.Service.Key); err != nil {
			return fmt.Errorf("%s: deleting IPVS service %v: %w", director, s.Service.Key, err)
		}
	}
	return nil
}
