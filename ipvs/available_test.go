package ipvs

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// scriptedProbe plays one machine: whether the family is registered before
// and after modprobe, whether generic netlink works, whether modprobe exists
// and succeeds.
type scriptedProbe struct {
	registered       bool
	genlBroken       bool
	procFile         bool
	haveModprobe     bool
	modprobeErr      error
	modprobeLoadsIt  bool
	modprobeRuns     int
	familyLookups    int
	registeredByLoad bool
}

func (s *scriptedProbe) probe() availabilityProbe {
	return availabilityProbe{
		familyRegistered: func() (bool, error) {
			s.familyLookups++
			if s.genlBroken {
				return false, errors.New("socket: permission denied")
			}
			return s.registered || s.registeredByLoad, nil
		},
		procFileExists: func() bool { return s.procFile },
		findModprobe: func() (string, error) {
			if !s.haveModprobe {
				return "", errors.New("not found")
			}
			return "/sbin/modprobe", nil
		},
		runModprobe: func(context.Context, string) error {
			s.modprobeRuns++
			if s.modprobeErr != nil {
				return s.modprobeErr
			}
			s.registeredByLoad = s.modprobeLoadsIt
			return nil
		},
	}
}

func TestAvailabilityPaths(t *testing.T) {
	cases := []struct {
		name         string
		machine      scriptedProbe
		wantErr      string // "" for available
		wantModprobe int
	}{
		{"registered", scriptedProbe{registered: true, haveModprobe: true}, "", 0},
		{"loaded by modprobe", scriptedProbe{haveModprobe: true, modprobeLoadsIt: true}, "", 1},
		{"no modprobe", scriptedProbe{}, "modprobe is not installed", 0},
		{"modprobe fails", scriptedProbe{haveModprobe: true, modprobeErr: errors.New("exit status 1: Module ip_vs not found")},
			"modprobe ip_vs failed: exit status 1: Module ip_vs not found", 1},
		{"modprobe succeeds in vain", scriptedProbe{haveModprobe: true}, "modprobe ip_vs succeeded but still", 1},
		{"genl broken, proc says yes", scriptedProbe{genlBroken: true, procFile: true}, "", 0},
		{"genl broken, proc says no", scriptedProbe{genlBroken: true}, "/proc/net/ip_vs is absent", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := c.machine
			err := m.probe().check(context.Background())
			if m.modprobeRuns != c.wantModprobe {
				t.Errorf("modprobe ran %d times, want %d", m.modprobeRuns, c.wantModprobe)
			}
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("check() = %v, want IPVS available", err)
				}
				return
			}
			var ue *UnavailableError
			if !errors.Is(err, ErrUnavailable) || !errors.As(err, &ue) {
				t.Fatalf("check() = %v, want ErrUnavailable", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "IPVS is not available in this kernel: load ip_vs (") || !strings.Contains(msg, c.wantErr) {
				t.Fatalf("message %q lacks %q", msg, c.wantErr)
			}
		})
	}
}

// procHasIPVS is the ground truth: the kernel creates /proc/net/ip_vs in
// every network namespace once IPVS is loaded.
func procHasIPVS() bool {
	_, err := os.Stat("/proc/net/ip_vs")
	return err == nil
}

// TestCheckAvailableOnThisKernel runs the real check. On the development
// host (no IPVS) it must produce the clear error; on a kernel with IPVS (the
// test VM) it must pass.
func TestCheckAvailableOnThisKernel(t *testing.T) {
	err := CheckAvailable(context.Background())
	if procHasIPVS() {
		if err != nil {
			t.Fatalf("IPVS is loaded (/proc/net/ip_vs exists) but CheckAvailable says %v", err)
		}
		return
	}
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("no /proc/net/ip_vs, but CheckAvailable() = %v", err)
	}
	if !strings.Contains(err.Error(), "IPVS is not available in this kernel: load ip_vs") ||
		!strings.Contains(err.Error(), "generic netlink family IPVS is not registered") {
		t.Fatalf("unclear message %q", err)
	}
}

// TestOpenRefusesWithoutIPVS: where moby/ipvs would hand out a handle whose
// every call silently does nothing, Open must fail.
func TestOpenRefusesWithoutIPVS(t *testing.T) {
	h, err := Open("")
	if procHasIPVS() {
		if err != nil {
			t.Fatalf("Open on a kernel with IPVS: %v", err)
		}
		if _, err := h.GetServices(); err != nil {
			t.Errorf("GetServices: %v", err)
		}
		h.Close()
		return
	}
	if !errors.Is(err, ErrUnavailable) || h != nil {
		t.Fatalf("Open without IPVS = %v, %v; want ErrUnavailable", h, err)
	}
}
