package ipvs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// ErrUnavailable is the error (matched with errors.Is) for a kernel without IPVS.
var ErrUnavailable = errors.New("IPVS is not available in this kernel: load ip_vs")

// UnavailableError says why IPVS was found missing. errors.Is(err,
// ErrUnavailable) holds for it.
type UnavailableError struct {
	Reasons []string // what was checked and tried, in order
}

// Error returns ErrUnavailable's text followed by the reasons.
func (e *UnavailableError) Error() string {
	if len(e.Reasons) == 0 {
		return ErrUnavailable.Error()
	}
	return ErrUnavailable.Error() + " (" + strings.Join(e.Reasons, "; ") + ")"
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// CheckAvailable reports whether the running kernel has IPVS. If not, it
// runs `modprobe ip_vs` (when modprobe is installed) and checks again. It
// returns nil or an *UnavailableError.
//
// IPVS is present when the generic netlink family "IPVS" is registered; if
// generic netlink cannot be asked, /proc/net/ip_vs decides.
func CheckAvailable(ctx context.Context) error {
	return systemProbe.check(ctx)
}

// availabilityProbe holds the checks as functions so tests can replay every
// path without a kernel that lacks (or has) IPVS.
type availabilityProbe struct {
	familyRegistered func() (bool, error)
	procFileExists   func() bool
	findModprobe     func() (string, error)
	runModprobe      func(ctx context.Context, path string) error
}

var systemProbe = availabilityProbe{
	familyRegistered: func() (bool, error) {
		c, err := dialGenl("")
		if err != nil {
			return false, err
		}
		defer c.Close()
		_, ok, err := c.familyID(ipvsGenlName)
		return ok, err
	},
	procFileExists: func() bool {
		_, err := os.Stat("/proc/net/ip_vs")
		return err == nil
	},
	findModprobe: func() (string, error) { return exec.LookPath("modprobe") },
	runModprobe: func(ctx context.Context, path string) error {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, path, "ip_vs").CombinedOutput()
		if err != nil {
			if msg := string(bytes.TrimSpace(out)); msg != "" {
				return fmt.Errorf("%w: %s", err, msg)
			}
			return err
		}
		return nil
	},
}

// present reports whether IPVS is there, and if not, why not.
func (p availabilityProbe) present() (bool, string) {
	ok, err := p.familyRegistered()
	switch {
	case err == nil && ok:
		return true, ""
	case err == nil:
		return false, "generic netlink family IPVS is not registered"
	case p.procFileExists():
		return true, ""
	}
	return false, fmt.Sprintf("generic netlink cannot be asked (%v) and /proc/net/ip_vs is absent", err)
}

func (p availabilityProbe) check(ctx context.Context) error {
	ok, why := p.present()
	if ok {
		return nil
	}
	reasons := []string{why}
	path, err := p.findModprobe()
	if err != nil {
		reasons = append(reasons, "modprobe is not installed, so ip_vs was not loaded")
		return &UnavailableError{Reasons: reasons}
	}
	if err := p.runModprobe(ctx, path); err != nil {
		reasons = append(reasons, fmt.Sprintf("modprobe ip_vs failed: %v", err))
		return &UnavailableError{Reasons: reasons}
	}
	if ok, why := p.present(); !ok {
		reasons = append(reasons, "modprobe ip_vs succeeded but still "+why)
		return &UnavailableError{Reasons: reasons}
	}
	return nil
}
