package realserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// stateVersion is bumped when the record changes incompatibly.
const stateVersion = 1

// State statuses.
const (
	// StatusApplying: Apply is under way or stopped before it finished; the
	// changes listed were made and Remove can undo them.
	StatusApplying = "applying"
	// StatusApplied: Apply finished.
	StatusApplied = "applied"
)

// Change kinds.
const (
	KindSysctl  = "sysctl"  // a kernel parameter was changed from Previous
	KindAddress = "address" // Address was added to Link
	KindLink    = "link"    // the device Link was created
	KindLinkUp  = "link-up" // the existing device Link was set up
	KindNft     = "nft-table"
	KindXtChain = "xt-chain" // an arptables/iptables chain plus its jump
	KindFile    = "file"     // Path was written; Previous holds its old content
)

// Change is one thing Apply changed and how to put it back.
type Change struct {
	Kind string `json:"kind"`
	// KindSysctl: Key, Previous and Value.
	Key      string `json:"key,omitempty"`
	Previous string `json:"previous,omitempty"`
	Value    string `json:"value,omitempty"`
	// KindAddress, KindLink, KindLinkUp.
	Link    string `json:"link,omitempty"`
	Address string `json:"address,omitempty"`
	Label   string `json:"label,omitempty"`
	// KindNft: the table; Previous holds its listing if it existed before.
	// KindXtChain: Command (arptables or iptables), Table, Chain, and the jump
	// rule Jump in chain Parent; CreatedTable names an nf_tables table that the
	// xtables-nft command created and Remove deletes when it is left empty.
	Command      string   `json:"command,omitempty"`
	Family       string   `json:"family,omitempty"`
	Table        string   `json:"table,omitempty"`
	Chain        string   `json:"chain,omitempty"`
	Parent       string   `json:"parent,omitempty"`
	Jump         []string `json:"jump,omitempty"`
	CreatedTable string   `json:"created_table,omitempty"`
	// KindFile: Path; Existed says whether Previous is its old content.
	Path    string      `json:"path,omitempty"`
	Existed bool        `json:"existed,omitempty"`
	Mode    fs.FileMode `json:"mode,omitempty"`
}

// ID identifies the thing a change touched, so a repeated Apply keeps the
// first record (and so the first previous value) of each.
func (c Change) ID() string {
	switch c.Kind {
	case KindSysctl:
		return "sysctl:" + c.Key
	case KindAddress:
		return "address:" + c.Link + ":" + c.Address
	case KindLink, KindLinkUp:
		return c.Kind + ":" + c.Link
	case KindNft:
		return "nft:" + c.Family + ":" + c.Table
	case KindXtChain:
		return "xt:" + c.Command + ":" + c.Table + ":" + c.Chain
	case KindFile:
		return "file:" + c.Path
	}
	return c.Kind
}

// String describes the change for reports.
func (c Change) String() string {
	switch c.Kind {
	case KindSysctl:
		return fmt.Sprintf("sysctl %s: %s -> %s", DisplayKey(c.Key), c.Previous, c.Value)
	case KindAddress:
		s := fmt.Sprintf("address %s on %s", c.Address, c.Link)
		if c.Label != "" {
			s += " (label " + c.Label + ")"
		}
		return s
	case KindLink:
		return "created ipip device " + c.Link
	case KindLinkUp:
		return "set device " + c.Link + " up"
	case KindNft:
		return fmt.Sprintf("nftables table %s %s", c.Family, c.Table)
	case KindXtChain:
		return fmt.Sprintf("%s chain %s (table %s, jump from %s)", c.Command, c.Chain, c.Table, c.Parent)
	case KindFile:
		return "file " + c.Path
	}
	return c.Kind
}

// UndoString describes what undoing the change does, for reports.
func (c Change) UndoString() string {
	switch c.Kind {
	case KindSysctl:
		return fmt.Sprintf("sysctl %s restored to %s", DisplayKey(c.Key), c.Previous)
	case KindAddress:
		return fmt.Sprintf("address %s removed from %s", c.Address, c.Link)
	case KindLink:
		return "ipip device " + c.Link + " deleted"
	case KindLinkUp:
		return "device " + c.Link + " set down again"
	case KindNft:
		if c.Previous != "" {
			return fmt.Sprintf("nftables table %s %s restored to its previous rules", c.Family, c.Table)
		}
		return fmt.Sprintf("nftables table %s %s deleted", c.Family, c.Table)
	case KindXtChain:
		return fmt.Sprintf("%s chain %s and its jump deleted", c.Command, c.Chain)
	case KindFile:
		if c.Existed {
			return "file " + c.Path + " restored"
		}
		return "file " + c.Path + " deleted"
	}
	return c.Kind
}

// State is the record of one Apply, kept until Remove.
type State struct {
	Version int       `json:"version"`
	Status  string    `json:"status"`
	Updated time.Time `json:"updated"`
	Config  Config    `json:"config"`
	Changes []Change  `json:"changes"`
}

// find returns the recorded change with the given ID.
func (s *State) find(id string) (Change, bool) {
	for _, c := range s.Changes {
		if c.ID() == id {
			return c, true
		}
	}
	return Change{}, false
}

// DecodeState parses a state record.
func DecodeState(b []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s State
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("state record: %w", err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("state record: version %d, this vigil reads version %d", s.Version, stateVersion)
	}
	if s.Status != StatusApplying && s.Status != StatusApplied {
		return nil, fmt.Errorf("state record: unknown status %q", s.Status)
	}
	for i, c := range s.Changes {
		if c.ID() == c.Kind {
			return nil, fmt.Errorf("state record: change %d has unknown kind %q", i, c.Kind)
		}
	}
	return &s, nil
}

// LoadState reads the record at path; it returns (nil, nil) when there is none.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s, err := DecodeState(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (delete it by hand only if nothing it lists is still applied)", path, err)
	}
	return s, nil
}

// saveState writes the record atomically: a reader sees the old or the new
// record, never half of one, even if the machine stops in between.
func saveState(path string, s *State) error {
	s.Version = stateVersion
	s.Updated = time.Now().UTC().Truncate(time.Second)
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}

// stateWritable makes sure a record can be written at path (creating its
// directory, as saveState would) before Apply changes anything.
func stateWritable(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".probe*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// lockState serialises Apply and Remove on one record: it takes an exclusive
// lock on the record's directory (creating it), without blocking.
func lockState(path string) (unlock func(), err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		d.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("another vigil realserver apply or remove is running on %s", path)
		}
		return nil, err
	}
	return func() { d.Close() }, nil // closing releases the lock
}

// removeState deletes the record once nothing is left to undo.
func removeState(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// writeFileAtomic writes a temporary file next to path, syncs it and renames
// it over path, then syncs the directory so the rename survives a crash.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
