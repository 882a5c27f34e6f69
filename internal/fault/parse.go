package fault

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Actions of a Command besides injecting a fault.
const (
	ActionApply = "apply"
	ActionClear = "clear"
	ActionShow  = "show"
	ActionHelp  = "help"
)

// Command is a parsed `vigil fault` command line.
type Command struct {
	// Action is ActionApply, ActionClear, ActionShow or ActionHelp.
	Action string
	// Spec is the fault of ActionApply (normalized: defaults filled in);
	// clear and show use only Spec.Target.
	Spec Spec
	// StateDir is where the records live.
	StateDir string
}

// ErrUsage marks a command line that cannot be parsed or names a fault
// that cannot be applied as given.
var ErrUsage = errors.New("usage")

// Usage is the help text of `vigil fault`.
const Usage = `Usage: vigil fault [flags] FAULT [ARGS]    (flags may also follow the fault)
       vigil fault [flags] clear | show

Inject a network fault on an interface to test failover; every fault removes
itself after -for. The command stays in the foreground until then; Ctrl-C
removes the fault at once. If the command is killed, the next
'vigil fault clear' or 'vigil fault show' removes expired faults.

Faults:
  loss PCT                       drop PCT percent of packets at random (30, 30%, 0.5)
  blackhole                      drop every packet
  drop-vrrp                      drop VRRP (IP protocol 112, IPv4 and IPv6):
                                 the peers stop hearing each other (split brain)
  partition PEER                 drop packets from or to the address PEER
  flap PERIOD                    link down for PERIOD, up for PERIOD, ...; up at the end
  delay D [jitter J] [reorder PCT]   delay outgoing packets by D +- J (needs netem)
  duplicate PCT                  duplicate PCT percent of outgoing packets (needs netem)

  clear   remove vigil's fault from -interface and restore it (without
          -interface: every fault vigil made, in -netns or everywhere)
  show    list active faults, read back from the kernel, with time left
          and packets dropped

Drops are a BPF program on a clsact qdisc and work on any kernel with
cls_bpf; delay and duplicate need the sch_netem kernel module.
Durations: 100ms, 1.5s, 2m. One fault per interface at a time.

Examples:
  vigil fault -interface eth1 -for 30s drop-vrrp
  vigil fault -netns lb1 -interface eth0 loss 20 -dir in
  vigil fault -interface eth0 partition 192.0.2.7
  vigil fault -interface eth0 clear

Flags:
`

// ParseArgs parses the arguments of `vigil fault` (after the subcommand
// name). Flags and the fault's words may come in any order; a value that
// starts with "-" (a negative number) is read as a value, not a flag.
// It returns flag.ErrHelp for -h/-help/help, and errors wrapping ErrUsage
// (and ErrInvalid for a fault that cannot be) otherwise.
func ParseArgs(args []string) (Command, error) {
	cmd := Command{Action: ActionApply}
	var iface, nsName, dir string
	fs := newFlagSet(&iface, &nsName, &dir, &cmd.Spec.Duration, &cmd.StateDir)
	var words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			words = append(words, args[i+1:]...)
			break
		}
		if !isFlag(a) {
			words = append(words, a)
			continue
		}
		chunk := []string{a}
		if !strings.Contains(a, "=") && !isHelpFlag(a) && i+1 < len(args) {
			i++
			chunk = append(chunk, args[i])
		}
		if err := fs.Parse(chunk); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return Command{Action: ActionHelp}, flag.ErrHelp
			}
			return Command{}, fmt.Errorf("%w: %v", ErrUsage, err)
		}
	}
	if len(words) == 0 {
		return Command{}, fmt.Errorf("%w: name a fault (%s), clear or show", ErrUsage, kindList())
	}
	cmd.Spec.Target = Target{Netns: nsName, Interface: iface}
	if dir != "" {
		d, err := ParseDirection(dir)
		if err != nil {
			return Command{}, fmt.Errorf("%w: -dir: %v", ErrUsage, err)
		}
		cmd.Spec.Direction = d
	}
	forSet := false
	fs.Visit(func(f *flag.Flag) { forSet = forSet || f.Name == "for" })
	if forSet && cmd.Spec.Duration <= 0 {
		return Command{}, fmt.Errorf("%w: -for %v: a fault must last more than 0", ErrUsage, cmd.Spec.Duration)
	}
	switch words[0] {
	case "help":
		return Command{Action: ActionHelp}, flag.ErrHelp
	case ActionClear, ActionShow:
		if len(words) > 1 {
			return Command{}, fmt.Errorf("%w: %s takes no arguments, got %q", ErrUsage, words[0], words[1:])
		}
		cmd.Action = words[0]
		if err := checkTarget(cmd.Spec.Target); err != nil {
			return Command{}, err
		}
		return cmd, nil
	}
	if err := parseFault(&cmd.Spec, words); err != nil {
		return Command{}, err
	}
	if iface == "" {
		return Command{}, fmt.Errorf("%w: %s needs -interface NAME", ErrUsage, words[0])
	}
	spec, err := cmd.Spec.normalized()
	if err != nil {
		return Command{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	cmd.Spec = spec
	return cmd, nil
}

func newFlagSet(iface, nsName, dir *string, dur *time.Duration, stateDir *string) *flag.FlagSet {
	fs := flag.NewFlagSet("vigil fault", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(iface, "interface", "", "the `interface` to act on")
	fs.StringVar(iface, "i", "", "short for -interface")
	fs.StringVar(nsName, "netns", "", "network `namespace` (/run/netns/NAME) of the interface; default: this one")
	fs.StringVar(dir, "dir", "", "traffic the drops see: in, out or both (default both; delay and duplicate: out only)")
	fs.DurationVar(dur, "for", DefaultDuration, "how long the fault lasts, at most 24h")
	fs.StringVar(stateDir, "state", DefaultStateDir, "`directory` of the fault records")
	return fs
}

// PrintUsage writes the help text with the flags.
func PrintUsage(w io.Writer) {
	fmt.Fprint(w, Usage)
	var s1, s2, s3, s5 string
	var d time.Duration
	fs := newFlagSet(&s1, &s2, &s3, &d, &s5)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// isFlag tells a flag from a word; negative numbers are words (the
// parser then reports them as out of range).
func isFlag(a string) bool {
	if len(a) < 2 || a[0] != '-' {
		return false
	}
	_, err := strconv.ParseFloat(strings.TrimSuffix(a, "%"), 64)
	return err != nil
}

func isHelpFlag(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "h", "help":
		return true
	}
	return false
}

func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func checkTarget(t Target) error {
	probe := Spec{Target: t, Kind: KindBlackhole}
	if t.Interface == "" {
		probe.Interface = "x"
	}
	if _, err := probe.normalized(); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return nil
}

// parseFault reads FAULT [ARGS] into s.
func parseFault(s *Spec, words []string) error {
	name, args := words[0], words[1:]
	s.Kind = Kind(name)
	need := func(n int, what string) error {
		if len(args) != n {
			return fmt.Errorf("%w: usage: %s %s", ErrUsage, name, what)
		}
		return nil
	}
	var err error
	switch s.Kind {
	case KindLoss, KindDuplicate:
		if err = need(1, "PCT"); err == nil {
			s.Percent, err = parsePercent(name, args[0])
		}
	case KindBlackhole, KindDropVRRP:
		err = need(0, "(no arguments)")
	case KindPartition:
		if err = need(1, "PEER (an IPv4 or IPv6 address)"); err == nil {
			s.Peer, err = netip.ParseAddr(args[0])
			if err != nil {
				err = fmt.Errorf("%w: partition %q: not an IP address", ErrUsage, args[0])
			}
		}
	case KindFlap:
		if err = need(1, "PERIOD (e.g. 2s)"); err == nil {
			s.Period, err = parseDuration("flap period", args[0])
		}
	case KindDelay:
		err = parseDelay(s, args)
	default:
		err = fmt.Errorf("%w: unknown fault %q: want %s, clear or show", ErrUsage, name, kindList())
	}
	return err
}

// parseDelay reads D [jitter J] [reorder PCT].
func parseDelay(s *Spec, args []string) error {
	const usage = "usage: delay D [jitter J] [reorder PCT]"
	if len(args) == 0 || len(args)%2 == 0 {
		return fmt.Errorf("%w: %s", ErrUsage, usage)
	}
	var err error
	if s.Delay, err = parseDuration("delay", args[0]); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := 1; i < len(args); i += 2 {
		key, val := args[i], args[i+1]
		if seen[key] {
			return fmt.Errorf("%w: %s given twice", ErrUsage, key)
		}
		seen[key] = true
		switch key {
		case "jitter":
			s.Jitter, err = parseDuration("jitter", val)
		case "reorder":
			s.Reorder, err = parsePercent("reorder", val)
		default:
			return fmt.Errorf("%w: delay: unknown option %q; %s", ErrUsage, key, usage)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parsePercent accepts 30, 30% and 0.5; the range is checked later.
func parsePercent(what, v string) (float64, error) {
	p, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil || math.IsNaN(p) || math.IsInf(p, 0) {
		return 0, fmt.Errorf("%w: %s %q: not a percentage (e.g. 30 or 30%%)", ErrUsage, what, v)
	}
	return p, nil
}

func parseDuration(what, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		if _, nerr := strconv.ParseFloat(v, 64); nerr == nil {
			return 0, fmt.Errorf("%w: %s %q: give a unit, e.g. %sms", ErrUsage, what, v, v)
		}
		return 0, fmt.Errorf("%w: %s %q: not a duration (e.g. 100ms, 2s)", ErrUsage, what, v)
	}
	return d, nil
}
