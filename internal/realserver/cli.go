package realserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes of Main, the same as the other vigil commands use.
const (
	ExitOK     = 0
	ExitFail   = 1 // the action failed, a check did not pass, or a probe found a suspect
	ExitUsage  = 2
	ExitConfig = 3
)

// Main runs `vigil realserver ARGS...` (args start with the action) and
// returns the exit code. The vigil command registers it as its realserver
// subcommand.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil realserver: %v\n", err)
		if errors.Is(err, ErrInvalid) {
			return ExitConfig
		}
		return ExitUsage
	}
	if o.Action == ActionProbe {
		return runProbe(ctx, o, stdout, stderr)
	}
	h, err := NewHost(o.StatePath)
	if err != nil {
		fmt.Fprintf(stderr, "vigil realserver: %v\n", err)
		return ExitFail
	}
	switch o.Action {
	case ActionApply:
		rep, err := Apply(ctx, h, o.Config)
		return finish(rep, err, "applied; recorded in "+h.StatePath, stdout, stderr)
	case ActionRemove:
		rep, err := Remove(ctx, h)
		if errors.Is(err, ErrNotApplied) {
			fmt.Fprintf(stdout, "%v\n", err)
			return ExitOK
		}
		return finish(rep, err, "removed; previous values restored", stdout, stderr)
	}
	return runCheck(ctx, h, o, stdout, stderr)
}

func finish(rep *Report, err error, done string, stdout, stderr io.Writer) int {
	if rep != nil {
		rep.Write(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil realserver: %v\n", err)
		if errors.Is(err, ErrInvalid) {
			return ExitConfig
		}
		return ExitFail
	}
	fmt.Fprintln(stdout, done)
	return ExitOK
}

func runCheck(ctx context.Context, h *Host, o Options, stdout, stderr io.Writer) int {
	cfg := o.Config
	if !o.FromFlags {
		st, err := LoadState(h.StatePath)
		if err != nil || st == nil {
			fmt.Fprintf(stderr, "vigil realserver: check needs -vip and -interface (or -config), or a record at %s from apply\n", h.StatePath)
			return ExitUsage
		}
		cfg = st.Config
	}
	results, err := Check(ctx, h, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "vigil realserver: %v\n", err)
		return ExitConfig
	}
	WriteResults(stdout, results)
	if Failed(results) > 0 {
		return ExitFail
	}
	return ExitOK
}

func runProbe(ctx context.Context, o Options, stdout, stderr io.Writer) int {
	answers, err := Probe(ctx, o.Config.Interface, o.Config.VIPs, o.ProbeTimeout)
	if err != nil {
		fmt.Fprintf(stderr, "vigil realserver: %v\n", err)
		if errors.Is(err, ErrInvalid) {
			return ExitConfig
		}
		return ExitFail
	}
	WriteAnswers(stdout, o.Config.VIPs, answers, o.Allowed...)
	if len(Suspects(answers, o.Allowed...)) > 0 {
		return ExitFail
	}
	return ExitOK
}
