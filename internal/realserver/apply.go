package realserver

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Report says what Apply or Remove did.
type Report struct {
	Method Method
	// Changed lists the changes made by this call.
	Changed []string
	// Unchanged lists the steps that found the host already as wanted.
	Unchanged []string
	// Warnings are problems that do not stop the real server from working
	// as configured but probably stop it from receiving traffic.
	Warnings []string
	// StatePath is where the record is (or was).
	StatePath string
	// verb labels the Changed lines: "changed" or "undone".
	verb string
}

// Write prints the report for people.
func (r *Report) Write(w io.Writer) {
	verb := r.verb
	if verb == "" {
		verb = "changed"
	}
	for _, c := range r.Changed {
		fmt.Fprintf(w, "%-10s %s\n", verb, c)
	}
	for _, c := range r.Unchanged {
		fmt.Fprintf(w, "%-10s %s\n", "unchanged", c)
	}
	for _, c := range r.Warnings {
		fmt.Fprintf(w, "%-10s %s\n", "WARNING", c)
	}
}

// Apply prepares the host as a real server for cfg. It validates everything
// before changing anything; it records each change in h.StatePath as it makes
// it; and if a step fails it undoes this call's changes and says so. Applying
// the same configuration again changes only what drifted and keeps the first
// record of previous values; a different configuration is refused until
// Remove has run.
func Apply(ctx context.Context, h *Host, cfg Config) (*Report, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := h.checkPrivileged(); err != nil {
		return nil, err
	}
	if err := stateWritable(h.StatePath); err != nil {
		return nil, fmt.Errorf("%w: the state record cannot be written, so apply could not record what it changes: %w", ErrInvalid, err)
	}
	unlock, err := lockState(h.StatePath)
	if err != nil {
		return nil, err
	}
	defer unlock()
	prior, err := LoadState(h.StatePath)
	if err != nil {
		return nil, fmt.Errorf("%w: state record: %w", ErrInvalid, err)
	}
	if prior != nil && !prior.Config.Equal(cfg) {
		return nil, fmt.Errorf("%w: a different realserver configuration (method %s, VIPs %v) is recorded in %s: run `vigil realserver remove` first",
			ErrInvalid, prior.Config.Method, prior.Config.VIPs, h.StatePath)
	}
	p, err := makePlan(ctx, h, cfg, prior)
	if err != nil {
		return nil, err
	}
	rep := &Report{Method: cfg.Method, Warnings: p.warnings, StatePath: h.StatePath}
	st := &State{Status: StatusApplying, Config: cfg}
	if prior != nil {
		st.Changes = append(st.Changes, prior.Changes...)
	}
	run := &applyRun{ctx: ctx, h: h, prior: prior}
	for _, a := range p.actions {
		c, err := a.do(run)
		if err != nil {
			return nil, rollback(ctx, h, prior, st, run.made, fmt.Errorf("%s: %w", a.describe(), err))
		}
		if c == nil {
			rep.Unchanged = append(rep.Unchanged, a.describe())
			continue
		}
		rep.Changed = append(rep.Changed, c.String())
		run.made = append(run.made, *c)
		if run.prior != nil {
			if _, ok := run.prior.find(c.ID()); ok {
				continue // keep the first previous value
			}
		}
		st.Changes = append(st.Changes, *c)
		if err := saveState(h.StatePath, st); err != nil {
			return nil, rollback(ctx, h, prior, st, run.made, fmt.Errorf("recording the change in %s: %w", h.StatePath, err))
		}
	}
	st.Status = StatusApplied
	if err := saveState(h.StatePath, st); err != nil {
		return nil, rollback(ctx, h, prior, st, run.made, fmt.Errorf("recording the result in %s: %w", h.StatePath, err))
	}
	return rep, nil
}

// rollback undoes the changes of this Apply call, newest first, and leaves a
// record of whatever could not be undone (plus the earlier record, if any).
func rollback(ctx context.Context, h *Host, prior, st *State, made []Change, cause error) error {
	var failed []Change
	var errs []error
	for i := len(made) - 1; i >= 0; i-- {
		if err := undo(ctx, h, made[i]); err != nil {
			failed = append([]Change{made[i]}, failed...)
			errs = append(errs, fmt.Errorf("undoing %s: %w", made[i], err))
		}
	}
	keep := failed
	if prior != nil {
		keep = append(append([]Change(nil), prior.Changes...), failedNotIn(prior, failed)...)
	}
	var recErr error
	if len(keep) == 0 {
		recErr = removeState(h.StatePath)
	} else {
		st.Changes, st.Status = keep, StatusApplying
		if prior != nil {
			st.Status = prior.Status
		}
		recErr = saveState(h.StatePath, st)
	}
	if len(errs) == 0 && recErr == nil {
		return fmt.Errorf("apply failed at %w; rolled back the %d change(s) it had made, the host is as before", cause, len(made))
	}
	if recErr != nil {
		errs = append(errs, fmt.Errorf("updating the record %s: %w", h.StatePath, recErr))
	}
	return fmt.Errorf("apply failed at %w; rolling back was incomplete (%w); what is left is recorded in %s for `vigil realserver remove`",
		cause, errors.Join(errs...), h.StatePath)
}

func failedNotIn(prior *State, failed []Change) []Change {
	var out []Change
	for _, c := range failed {
		if _, ok := prior.find(c.ID()); !ok {
			out = append(out, c)
		}
	}
	return out
}

// Remove undoes everything recorded in h.StatePath, newest first, restoring
// previous values exactly. Changes that cannot be undone stay in the record
// (and are reported) so that Remove can be run again once the cause is fixed.
func Remove(ctx context.Context, h *Host) (*Report, error) {
	if err := h.checkPrivileged(); err != nil {
		return nil, err
	}
	st, err := LoadState(h.StatePath)
	if err != nil || st == nil {
		return nil, removeNothing(h.StatePath, err)
	}
	unlock, err := lockState(h.StatePath)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err = LoadState(h.StatePath) // again, under the lock
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, removeNothing(h.StatePath, nil)
	}
	rep := &Report{Method: st.Config.Method, StatePath: h.StatePath, verb: "undone"}
	var left []Change
	var errs []error
	for i := len(st.Changes) - 1; i >= 0; i-- {
		c := st.Changes[i]
		if err := undo(ctx, h, c); err != nil {
			left = append([]Change{c}, left...)
			errs = append(errs, fmt.Errorf("undoing %s: %w", c, err))
			continue
		}
		rep.Changed = append(rep.Changed, c.UndoString())
	}
	if len(left) == 0 {
		if err := removeState(h.StatePath); err != nil {
			return rep, fmt.Errorf("everything was undone but the record %s could not be deleted: %w", h.StatePath, err)
		}
		return rep, nil
	}
	st.Changes = left
	if err := saveState(h.StatePath, st); err != nil {
		errs = append(errs, fmt.Errorf("updating the record %s: %w", h.StatePath, err))
	}
	return rep, fmt.Errorf("remove left %d change(s) in place (still recorded in %s): %w", len(left), h.StatePath, errors.Join(errs...))
}

func removeNothing(path string, err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: no realserver record at %s, so there is nothing to remove", ErrNotApplied, path)
}
