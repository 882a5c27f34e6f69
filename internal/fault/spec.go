package fault

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Kind names one fault.
type Kind string

// The faults vigil injects. The drops (KindLoss, KindBlackhole,
// KindDropVRRP, KindPartition) are BPF filters on a clsact qdisc and work on
// any kernel with cls_bpf; KindDelay and KindDuplicate need the netem qdisc
// (sch_netem); KindFlap toggles the link.
const (
	KindLoss      Kind = "loss"
	KindDelay     Kind = "delay"
	KindDuplicate Kind = "duplicate"
	KindBlackhole Kind = "blackhole"
	KindDropVRRP  Kind = "drop-vrrp"
	KindPartition Kind = "partition"
	KindFlap      Kind = "flap"
)

// Kinds lists every fault, in the order the usage text shows them.
var Kinds = []Kind{KindLoss, KindDelay, KindDuplicate, KindBlackhole, KindDropVRRP, KindPartition, KindFlap}

// mechanism is how a fault is made: the removal differs for each.
type mechanism string

const (
	mechBPF   mechanism = "bpf"   // BPF filters on clsact ingress/egress
	mechNetem mechanism = "netem" // a netem root qdisc
	mechFlap  mechanism = "flap"  // a goroutine toggling the link
)

func (k Kind) mechanism() mechanism {
	switch k {
	case KindDelay, KindDuplicate:
		return mechNetem
	case KindFlap:
		return mechFlap
	}
	return mechBPF
}

// NeedsNetem reports whether the fault needs the kernel's netem qdisc.
func (k Kind) NeedsNetem() bool { return k.mechanism() == mechNetem }

// Direction selects the traffic a drop fault sees.
type Direction string

// Directions. DirDefault means both for drops and out for netem faults,
// which only shape outgoing traffic.
const (
	DirDefault Direction = ""
	DirIn      Direction = "in"
	DirOut     Direction = "out"
	DirBoth    Direction = "both"
)

// ParseDirection parses in, out or both.
func ParseDirection(s string) (Direction, error) {
	switch d := Direction(s); d {
	case DirIn, DirOut, DirBoth:
		return d, nil
	}
	return "", fmt.Errorf("direction %q: want in, out or both", s)
}

// ingress and egress report which hooks the direction covers.
func (d Direction) ingress() bool { return d == DirIn || d == DirBoth }
func (d Direction) egress() bool  { return d == DirOut || d == DirBoth }

// Target names an interface, optionally inside a named network namespace
// (/run/netns/NAME, as `ip netns` makes them). Netns "" is the namespace of
// the calling process.
type Target struct {
	Netns     string `json:"netns,omitempty"`
	Interface string `json:"interface"`
}

// String is NETNS/IFACE, or IFACE in the current namespace.
func (t Target) String() string {
	if t.Netns == "" {
		return t.Interface
	}
	return t.Netns + "/" + t.Interface
}

// Defaults and limits of a Spec.
const (
	DefaultDuration = 60 * time.Second
	MaxDuration     = 24 * time.Hour
	// MaxDelay bounds delay and jitter: netem counts in microseconds in a
	// uint32, and a longer delay is no longer a network fault but an outage.
	MaxDelay = time.Minute
	// MinFlapPeriod keeps a flap from hammering the link (and the machine).
	MinFlapPeriod = 10 * time.Millisecond
)

// Spec is one fault to inject.
type Spec struct {
	Target
	Kind Kind `json:"kind"`
	// Direction of the drops; DirDefault is both (drops) or out (netem).
	Direction Direction `json:"direction,omitempty"`
	// Duration after which the fault removes itself; 0 means DefaultDuration.
	Duration time.Duration `json:"duration"`
	// Percent is the probability of KindLoss, KindDuplicate, in (0, 100].
	Percent float64 `json:"percent,omitempty"`
	// Delay, Jitter and Reorder (a percent of packets sent at once, not
	// delayed) shape KindDelay.
	Delay   time.Duration `json:"delay,omitempty"`
	Jitter  time.Duration `json:"jitter,omitempty"`
	Reorder float64       `json:"reorder,omitempty"`
	// Peer is the address KindPartition cuts off.
	Peer netip.Addr `json:"peer,omitzero"`
	// Period is the half cycle of KindFlap: down for Period, up for Period.
	Period time.Duration `json:"period,omitempty"`
}

// ErrInvalid marks a Spec (or command line) that cannot be applied as given.
var ErrInvalid = errors.New("invalid fault")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// normalized returns s with the defaults filled in, or an error wrapping
// ErrInvalid that says what is wrong. It checks only s itself; whether the
// interface exists is for Apply to find out.
func (s Spec) normalized() (Spec, error) {
	if s.Interface == "" {
		return s, invalid("no interface given")
	}
	if len(s.Interface) > 15 || strings.ContainsAny(s.Interface, "/: \t\n") {
		return s, invalid("%q is not an interface name", s.Interface)
	}
	if strings.Contains(s.Netns, "/") || s.Netns == "." || s.Netns == ".." {
		return s, invalid("%q is not a network namespace name (one under /run/netns)", s.Netns)
	}
	if s.Duration == 0 {
		s.Duration = DefaultDuration
	}
	if s.Duration < 0 || s.Duration > MaxDuration {
		return s, invalid("duration %v: want more than 0 and at most %v", s.Duration, MaxDuration)
	}
	switch s.Direction {
	case DirDefault:
		s.Direction = DirBoth
		if s.Kind.NeedsNetem() {
			s.Direction = DirOut
		}
	case DirIn, DirOut, DirBoth:
	default:
		return s, invalid("direction %q: want in, out or both", s.Direction)
	}
	if s.Kind.NeedsNetem() && s.Direction != DirOut {
		return s, invalid("%s shapes only outgoing traffic (netem is an egress qdisc): use -dir out, and apply it on the peer's interface for the other way", s.Kind)
	}
	if s.Kind == KindFlap && s.Direction != DirBoth {
		return s, invalid("flap takes the whole link down: -dir does not apply")
	}
	if err := s.checkKind(); err != nil {
		return s, err
	}
	return s, nil
}

// checkKind checks the arguments of the fault itself.
func (s Spec) checkKind() error {
	zeroExcept := func(allowed ...string) error {
		set := map[string]bool{
			"percent": s.Percent != 0, "delay": s.Delay != 0, "jitter": s.Jitter != 0,
			"reorder": s.Reorder != 0, "peer": s.Peer.IsValid(), "period": s.Period != 0,
		}
		for _, a := range allowed {
			delete(set, a)
		}
		for _, name := range []string{"percent", "delay", "jitter", "reorder", "peer", "period"} {
			if set[name] {
				return invalid("%s takes no %s", s.Kind, name)
			}
		}
		return nil
	}
	switch s.Kind {
	case KindLoss, KindDuplicate:
		if err := checkPercent(string(s.Kind), s.Percent); err != nil {
			return err
		}
		return zeroExcept("percent")
	case KindDelay:
		if s.Delay <= 0 || s.Delay > MaxDelay {
			return invalid("delay %v: want more than 0 and at most %v", s.Delay, MaxDelay)
		}
		if s.Jitter < 0 || s.Jitter > s.Delay {
			return invalid("jitter %v: want between 0 and the delay (%v)", s.Jitter, s.Delay)
		}
		if s.Reorder != 0 {
			if err := checkPercent("reorder", s.Reorder); err != nil {
				return err
			}
		}
		return zeroExcept("delay", "jitter", "reorder")
	case KindBlackhole, KindDropVRRP:
		return zeroExcept()
	case KindPartition:
		if !s.Peer.IsValid() {
			return invalid("partition needs the peer's address")
		}
		if s.Peer.Zone() != "" {
			return invalid("partition peer %v: drop the zone, the filter matches the address only", s.Peer)
		}
		return zeroExcept("peer")
	case KindFlap:
		if s.Period < MinFlapPeriod {
			return invalid("flap period %v: want at least %v", s.Period, MinFlapPeriod)
		}
		if s.Period > s.Duration {
			return invalid("flap period %v is longer than the fault (%v): the link would just go down once", s.Period, s.Duration)
		}
		return zeroExcept("period")
	case "":
		return invalid("no fault given")
	}
	return invalid("unknown fault %q", s.Kind)
}

func checkPercent(what string, p float64) error {
	if math.IsNaN(p) || p <= 0 || p > 100 {
		return invalid("%s %s%%: want more than 0 and at most 100", what, formatPercent(p))
	}
	return nil
}

func formatPercent(p float64) string { return strconv.FormatFloat(p, 'g', -1, 64) }

// String describes the fault the way the command line names it, e.g.
// "loss 30%" or "delay 100ms jitter 10ms".
func (s Spec) String() string {
	switch s.Kind {
	case KindLoss, KindDuplicate:
		return fmt.Sprintf("%s %s%%", s.Kind, formatPercent(s.Percent))
	case KindDelay:
		d := fmt.Sprintf("delay %v", s.Delay)
		if s.Jitter > 0 {
			d += fmt.Sprintf(" jitter %v", s.Jitter)
		}
		if s.Reorder > 0 {
			d += fmt.Sprintf(" reorder %s%%", formatPercent(s.Reorder))
		}
		return d
	case KindPartition:
		return fmt.Sprintf("partition %v", s.Peer)
	case KindFlap:
		return fmt.Sprintf("flap %v", s.Period)
	}
	return string(s.Kind)
}
