package fault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/vishvananda/netlink"
)

// Injector applies, lists and removes faults, keeping one record per
// active fault in StateDir. Several processes may use the same StateDir at
// once: a lock file serialises them.
type Injector struct {
	// StateDir holds the records; "" means DefaultStateDir.
	StateDir string
}

// Default is the Injector of the package-level functions.
var Default = &Injector{StateDir: DefaultStateDir}

// Apply injects a fault with Default; see Injector.Apply.
func Apply(ctx context.Context, s Spec) (*Active, error) { return Default.Apply(ctx, s) }

// Clear removes faults with Default; see Injector.Clear.
func Clear(t Target) ([]string, error) { return Default.Clear(t) }

// Show lists faults with Default; see Injector.Show.
func Show(t Target) ([]Status, error) { return Default.Show(t) }

func (inj *Injector) store() store {
	if inj.StateDir == "" {
		return store{dir: DefaultStateDir}
	}
	return store{dir: inj.StateDir}
}

// Apply injects the fault s and returns at once; the fault stays until
// s.Duration has passed, ctx is cancelled or Active.Clear is called,
// whichever comes first, and then a goroutine of this process removes it.
// If the process dies before that, the record's expiry lets the next
// Apply, Clear, Show or Expire (of any process) remove it.
//
// Apply first removes expired faults everywhere. It fails, changing
// nothing, when s is invalid (ErrInvalid), the interface or namespace does
// not exist (ErrNoInterface), the interface carries a vigil fault already
// (ErrActive), the fault needs netem and the kernel lacks it
// (ErrNetemMissing) or the interface's tc setup is not vigil's to change
// (ErrBusy). A failure half-way is rolled back.
func (inj *Injector) Apply(ctx context.Context, s Spec) (*Active, error) {
	s, err := s.normalized()
	if err != nil {
		return nil, err
	}
	st := inj.store()
	unlock, err := st.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	_, _ = inj.expireLocked() // a failure here concerns other faults, not s
	p, err := openPort(s.Target)
	if err != nil {
		return nil, err
	}
	defer p.close()
	if err := checkFree(p, st); err != nil {
		return nil, err
	}
	now := time.Now()
	rec := &record{
		ID: newID(), Spec: s, IfIndex: p.link.Attrs().Index,
		Started: now, Expires: now.Add(s.Duration), PID: os.Getpid(),
	}
	undo, err := install(p, rec)
	if err != nil {
		return nil, err
	}
	if err := st.save(rec); err != nil {
		return nil, errors.Join(err, undo())
	}
	a := newActive(inj, rec)
	go a.run(ctx)
	return a, nil
}

// checkFree fails unless the interface is free of vigil faults, recorded
// or only found in the kernel.
func checkFree(p *port, st store) error {
	rec, err := st.load(p.target)
	if err != nil {
		return err
	}
	if rec != nil {
		return fmt.Errorf("%w on %s: %s until %s (%s left); `%s` removes it",
			ErrActive, p.target, rec.Spec, rec.Expires.Format(time.TimeOnly),
			time.Until(rec.Expires).Round(time.Second), clearCommand(p.target))
	}
	ours, _, err := p.vigilFilters()
	if err != nil {
		return err
	}
	netem, err := p.vigilNetem()
	if err != nil {
		return err
	}
	if len(ours) > 0 || netem != nil {
		return fmt.Errorf("%w on %s: vigil's tc filters or netem qdisc are there without a record (left by a killed run?); `%s` removes them",
			ErrActive, p.target, clearCommand(p.target))
	}
	return nil
}

// clearCommand is the command line that clears t.
func clearCommand(t Target) string {
	if t.Netns == "" {
		return "vigil fault -interface " + t.Interface + " clear"
	}
	return "vigil fault -netns " + t.Netns + " -interface " + t.Interface + " clear"
}

// install makes the fault in the kernel and returns how to undo it. On
// error it has undone its partial work.
func install(p *port, rec *record) (undo func() error, err error) {
	switch rec.Spec.Kind.mechanism() {
	case mechNetem:
		if err := p.addNetem(rec.Spec); err != nil {
			return nil, err
		}
		return func() error { return removeNetem(p) }, nil
	case mechFlap:
		if !isLinkUp(p.link) {
			return nil, fmt.Errorf("%w: %s is down; flap needs a link that is up (and leaves it up)", ErrBusy, p.target)
		}
		if err := p.nl.LinkSetDown(p.link); err != nil {
			return nil, fmt.Errorf("%s: set link down: %w", p.target, err)
		}
		return func() error { return p.nl.LinkSetUp(p.link) }, nil
	}
	return installDrops(p, rec)
}

// installDrops loads one drop program per hook (each counts its own
// drops) and attaches it, adding a clsact qdisc if the link has none.
func installDrops(p *port, rec *record) (undo func() error, err error) {
	created, err := p.ensureClsact()
	if err != nil {
		return nil, err
	}
	rec.CreatedClsact = created
	undo = func() error {
		var errs error
		ours, others, err := p.vigilFilters()
		errs = errors.Join(errs, err)
		for _, f := range ours {
			errs = errors.Join(errs, p.nl.FilterDel(f))
		}
		if created && others == 0 {
			errs = errors.Join(errs, p.nl.QdiscDel(p.clsact()))
		}
		return errs
	}
	for _, parent := range parents(rec.Spec.Direction) {
		prog, err := loadDropProgram(ruleFor(rec.Spec, p.l3Offset(), parent == netlink.HANDLE_MIN_EGRESS))
		if err == nil {
			// The filter holds its own reference to the program.
			err = p.addFilter(parent, prog.FD())
			prog.Close()
		}
		if err != nil {
			return nil, errors.Join(err, undo())
		}
	}
	return undo, nil
}

func removeNetem(p *port) error {
	q, err := p.vigilNetem()
	if err != nil || q == nil {
		return err
	}
	return p.nl.QdiscDel(q)
}

// isLinkUp reports the administrative state.
func isLinkUp(l netlink.Link) bool { return l.Attrs().Flags&net.FlagUp != 0 }
