package fault

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Status is one fault as Show finds it: read back from the kernel, with
// the record's description and expiry.
type Status struct {
	Target
	// Spec is the recorded fault; nil when the kernel has vigil's tc
	// objects but there is no record.
	Spec *Spec
	// Started and Expires come from the record (zero without one).
	Started, Expires time.Time
	// Hooks lists the clsact hooks ("ingress", "egress") carrying
	// vigil's BPF filters.
	Hooks []string
	// Dropped counts the packets those filters dropped so far.
	Dropped uint64
	// Netem reports vigil's netem root qdisc.
	Netem bool
	// LinkUp is the link's administrative state (a flap toggles it).
	LinkUp bool
	// Problem says how kernel and record disagree; "" when they agree.
	Problem string
}

// Show lists the faults in scope (see Clear for how t selects them), after
// removing the expired ones.
func (inj *Injector) Show(t Target) ([]Status, error) {
	st := inj.store()
	unlock, err := st.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	_, errs := inj.expireLocked()
	targets, recs, err := inj.scope(t)
	errs = errors.Join(errs, err)
	var out []Status
	for _, x := range targets {
		s, err := status(x, recs[x])
		errs = errors.Join(errs, err)
		if s != nil {
			out = append(out, *s)
		}
	}
	return out, errs
}

// status reads one target back; nil when it carries no fault at all.
func status(t Target, rec *record) (*Status, error) {
	s := &Status{Target: t}
	if rec != nil {
		spec := rec.Spec
		s.Spec, s.Started, s.Expires = &spec, rec.Started, rec.Expires
	}
	p, err := openPort(t)
	if errors.Is(err, ErrNoInterface) {
		if rec == nil {
			return nil, nil
		}
		s.Problem = "the interface is gone; clear removes the record"
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	defer p.close()
	s.LinkUp = isLinkUp(p.link)
	ours, _, err := p.vigilFilters()
	if err != nil {
		return nil, err
	}
	for _, f := range ours {
		s.Hooks = append(s.Hooks, hookName(f.Parent))
		if n, err := dropCount(f.Id); err == nil {
			s.Dropped += n
		}
	}
	netem, err := p.vigilNetem()
	if err != nil {
		return nil, err
	}
	s.Netem = netem != nil
	switch {
	case rec == nil && len(ours) == 0 && !s.Netem:
		return nil, nil
	case rec == nil:
		s.Problem = "no record (left by a killed run?); clear removes it"
	case rec.IfIndex != p.link.Attrs().Index:
		s.Problem = "the interface was deleted and created again since; clear removes the record"
	case rec.Spec.Kind.mechanism() == mechBPF && len(ours) != len(parents(rec.Spec.Direction)):
		s.Problem = "vigil's BPF filters are not all there (tc changed by hand?); clear removes the rest"
	case rec.Spec.Kind.mechanism() == mechNetem && !s.Netem:
		s.Problem = "vigil's netem qdisc is gone (tc changed by hand?); clear removes the record"
	case rec.Spec.Kind == KindFlap && rec.ownerGone():
		s.Problem = "the flapping process is gone"
	}
	return s, nil
}

// Describe writes the status as one line, e.g.
// "vgfa/eth0  loss 30% in+out  expires in 42s  dropped 17".
func (s Status) Describe(w io.Writer, now time.Time) {
	what := "unknown fault"
	if s.Spec != nil {
		what = s.Spec.String()
		switch s.Spec.Kind.mechanism() {
		case mechBPF:
			what += " " + dirLabel(s.Spec.Direction)
		case mechNetem:
			what += " out"
		}
	}
	parts := []string{s.Target.String(), what}
	if !s.Expires.IsZero() {
		parts = append(parts, "expires in "+s.Expires.Sub(now).Round(time.Second).String())
	}
	var kernel []string
	if len(s.Hooks) > 0 {
		kernel = append(kernel, fmt.Sprintf("bpf %s, dropped %d", strings.Join(s.Hooks, "+"), s.Dropped))
	}
	if s.Netem {
		kernel = append(kernel, "netem")
	}
	if s.Spec != nil && s.Spec.Kind == KindFlap {
		kernel = append(kernel, map[bool]string{true: "link up", false: "link down"}[s.LinkUp])
	}
	if len(kernel) > 0 {
		parts = append(parts, "["+strings.Join(kernel, "; ")+"]")
	}
	if s.Problem != "" {
		parts = append(parts, "PROBLEM: "+s.Problem)
	}
	fmt.Fprintln(w, strings.Join(parts, "  "))
}

func dirLabel(d Direction) string {
	switch d {
	case DirIn:
		return "in"
	case DirOut:
		return "out"
	}
	return "in+out"
}
