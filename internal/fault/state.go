package fault

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultStateDir holds one record per active fault. It is on tmpfs: a
// reboot, which also resets every interface, forgets the faults.
const DefaultStateDir = "/run/vigil/fault"

// record is the state file of one active fault: what the kernel cannot
// say (description, expiry, whether vigil created the clsact qdisc, which
// process flaps the link).
type record struct {
	// ID tells this fault from a later one on the same interface, so a
	// timer of an old fault never removes a new one.
	ID      string    `json:"id"`
	Spec    Spec      `json:"spec"`
	IfIndex int       `json:"ifindex"`
	Started time.Time `json:"started"`
	Expires time.Time `json:"expires"`
	// CreatedClsact: vigil added the clsact qdisc, so clear removes it
	// (when no other filter has appeared on it meanwhile).
	CreatedClsact bool `json:"created_clsact,omitempty"`
	// PID is the process that applied the fault; for a flap, the one
	// that toggles the link.
	PID int `json:"pid"`
}

func (r *record) expired(now time.Time) bool { return !now.Before(r.Expires) }

// ownerGone reports whether the process that applied the fault has exited.
// Only a flap needs its owner; other faults live in the kernel.
func (r *record) ownerGone() bool {
	if r.PID <= 0 {
		return true
	}
	err := unix.Kill(r.PID, 0)
	return errors.Is(err, unix.ESRCH)
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// store is the state directory.
type store struct{ dir string }

// path names a target's record; escaping keeps every (netns, interface)
// pair on its own file.
func (s store) path(t Target) string {
	return filepath.Join(s.dir, url.QueryEscape(t.Interface)+"@"+url.QueryEscape(t.Netns)+".json")
}

// lock takes the directory's lock: one vigil process at a time changes
// faults, so two applies cannot both see a free interface, and a flap never
// toggles a link that clear has just restored.
func (s store) lock() (unlock func(), err error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state lock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("state lock: %w", err)
	}
	return func() { f.Close() }, nil
}

// load returns the target's record, or nil when there is none.
func (s store) load(t Target) (*record, error) {
	b, err := os.ReadFile(s.path(t))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fault record: %w", err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("fault record %s: %w", s.path(t), err)
	}
	return &r, nil
}

// save writes the record atomically.
func (s store) save(r *record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	p := s.path(r.Spec.Target)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("fault record: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("fault record: %w", err)
	}
	return nil
}

func (s store) remove(t Target) error {
	err := os.Remove(s.path(t))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("fault record: %w", err)
	}
	return nil
}

// all returns every record, skipping unreadable files (reported in errs).
func (s store) all() (recs []*record, errs error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		var r record
		if err := json.Unmarshal(b, &r); err != nil {
			errs = errors.Join(errs, fmt.Errorf("fault record %s: %w", e.Name(), err))
			continue
		}
		recs = append(recs, &r)
	}
	return recs, errs
}
