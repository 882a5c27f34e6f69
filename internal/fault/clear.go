package fault

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Clear removes vigil's fault from t.Interface and restores the interface:
// it deletes vigil's BPF filters, the clsact qdisc if vigil created it and
// no other filter uses it, vigil's netem qdisc, and sets a flapped link up.
// It touches nothing else. With t.Interface "" it clears every fault in
// scope: the recorded ones (of namespace t.Netns, or of all namespaces when
// t.Netns is "" too) and whatever vigil installed on any link of namespace
// t.Netns. Expired faults everywhere go too.
//
// It returns what it did, one line per action; clearing a clean interface
// does nothing and is no error. When a step fails the record stays, so a
// second Clear can finish the job.
func (inj *Injector) Clear(t Target) ([]string, error) {
	st := inj.store()
	unlock, err := st.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	done, errs := inj.expireLocked()
	targets, recs, err := inj.scope(t)
	if err != nil {
		return done, errors.Join(errs, err)
	}
	for _, x := range targets {
		lines, err := inj.clearLocked(x, recs[x])
		done = append(done, lines...)
		errs = errors.Join(errs, err)
	}
	return done, errs
}

// Expire removes the faults whose time is up, and flaps whose process is
// gone (a link left down would otherwise stay down until the expiry). Apply,
// Clear and Show call it first; a daemon may call it periodically.
func (inj *Injector) Expire() ([]string, error) {
	unlock, err := inj.store().lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return inj.expireLocked()
}

func (inj *Injector) expireLocked() ([]string, error) {
	recs, errs := inj.store().all()
	now := time.Now()
	var done []string
	for _, r := range recs {
		if r.expired(now) || (r.Spec.Kind == KindFlap && r.ownerGone()) {
			lines, err := inj.clearLocked(r.Spec.Target, r)
			done = append(done, lines...)
			errs = errors.Join(errs, err)
		}
	}
	return done, errs
}

// clearIfOwned clears t if its record is still fault id's.
func (inj *Injector) clearIfOwned(t Target, id string) ([]string, error) {
	st := inj.store()
	unlock, err := st.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec, err := st.load(t)
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.ID != id {
		return nil, nil
	}
	return inj.clearLocked(t, rec)
}

// clearLocked undoes the fault on t; rec (nil if none) says what vigil
// made there beyond what the kernel shows.
func (inj *Injector) clearLocked(t Target, rec *record) ([]string, error) {
	st := inj.store()
	what := "vigil's fault"
	if rec != nil {
		what = rec.Spec.String()
	}
	p, err := openPort(t)
	if errors.Is(err, ErrNoInterface) {
		// Its tc setup went with the interface (or namespace).
		if rec == nil {
			return nil, nil
		}
		return []string{fmt.Sprintf("%s: %s: interface gone, record removed", t, what)}, st.remove(t)
	}
	if err != nil {
		return nil, err
	}
	defer p.close()
	var done []string
	note := func(format string, a ...any) {
		done = append(done, fmt.Sprintf("%s: %s: ", t, what)+fmt.Sprintf(format, a...))
	}
	var errs error
	ours, others, err := p.vigilFilters()
	errs = errors.Join(errs, err)
	for _, f := range ours {
		if err := p.nl.FilterDel(f); err != nil {
			errs = errors.Join(errs, fmt.Errorf("%s: delete BPF filter on %s: %w", t, hookName(f.Parent), err))
			continue
		}
		note("removed the BPF filter on %s", hookName(f.Parent))
	}
	if err == nil && rec != nil && rec.CreatedClsact {
		clsact, _, _, qerr := p.qdiscs()
		errs = errors.Join(errs, qerr)
		switch {
		case clsact == nil:
		case others > 0:
			note("kept the clsact qdisc vigil added: %d other filter(s) use it now", others)
		default:
			if err := p.nl.QdiscDel(p.clsact()); err != nil {
				errs = errors.Join(errs, fmt.Errorf("%s: delete clsact qdisc: %w", t, err))
			} else {
				note("removed the clsact qdisc vigil added")
			}
		}
	}
	netem, err := p.vigilNetem()
	errs = errors.Join(errs, err)
	if netem != nil {
		if err := p.nl.QdiscDel(netem); err != nil {
			errs = errors.Join(errs, fmt.Errorf("%s: delete netem qdisc: %w", t, err))
		} else {
			note("removed the netem qdisc (the kernel's default root qdisc is back)")
		}
	}
	if rec != nil && rec.Spec.Kind == KindFlap && !isLinkUp(p.link) {
		if err := p.nl.LinkSetUp(p.link); err != nil {
			errs = errors.Join(errs, fmt.Errorf("%s: set link up: %w", t, err))
		} else {
			note("link set up")
		}
	}
	if errs != nil {
		return done, errs
	}
	if rec != nil {
		if len(done) == 0 {
			note("removed (nothing was left in the kernel)")
		}
		errs = st.remove(t)
	}
	return done, errs
}

// scope lists the targets t covers (see Clear) with their records.
func (inj *Injector) scope(t Target) ([]Target, map[Target]*record, error) {
	all, errs := inj.store().all()
	recs := map[Target]*record{}
	for _, r := range all {
		x := r.Spec.Target
		if t.Interface != "" && x == t || t.Interface == "" && (t.Netns == "" || x.Netns == t.Netns) {
			recs[x] = r
		}
	}
	seen := map[Target]bool{}
	for x := range recs {
		seen[x] = true
	}
	if t.Interface != "" {
		seen[t] = true
	} else {
		found, err := kernelFaults(t.Netns)
		errs = errors.Join(errs, err)
		for _, x := range found {
			seen[x] = true
		}
	}
	targets := make([]Target, 0, len(seen))
	for x := range seen {
		targets = append(targets, x)
	}
	sort.Slice(targets, func(i, j int) bool {
		if targets[i].Netns != targets[j].Netns {
			return targets[i].Netns < targets[j].Netns
		}
		return targets[i].Interface < targets[j].Interface
	})
	return targets, recs, errs
}

// kernelFaults lists the links of a namespace that carry vigil's filters or
// netem qdisc.
func kernelFaults(nsName string) ([]Target, error) {
	nl, err := openHandle(nsName)
	if err != nil {
		return nil, err
	}
	defer nl.Close()
	links, err := nl.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var found []Target
	var errs error
	for _, l := range links {
		p := &port{target: Target{Netns: nsName, Interface: l.Attrs().Name}, nl: nl, link: l}
		ours, _, err := p.vigilFilters()
		errs = errors.Join(errs, err)
		netem, err := p.vigilNetem()
		errs = errors.Join(errs, err)
		if len(ours) > 0 || netem != nil {
			found = append(found, p.target)
		}
	}
	return found, errs
}
