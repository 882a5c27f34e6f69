package fault

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"
)

// Exit codes of Main, the same as the other vigil commands use.
const (
	ExitOK    = 0
	ExitFail  = 1 // the fault could not be applied or removed
	ExitUsage = 2 // bad command line or a fault that cannot be
)

// Main runs `vigil fault ARGS...` and returns the exit code. Applying a
// fault stays in the foreground until it expires; SIGINT, SIGTERM or SIGHUP
// (or ctx) end it early, and the fault is removed either way.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, err := ParseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		PrintUsage(stdout)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil fault: %v\nRun 'vigil fault -help' for the usage.\n", err)
		return ExitUsage
	}
	inj := &Injector{StateDir: cmd.StateDir}
	switch cmd.Action {
	case ActionShow:
		return runShow(inj, cmd.Spec.Target, stdout, stderr)
	case ActionClear:
		return runClear(inj, cmd.Spec.Target, stdout, stderr)
	}
	return runApply(ctx, inj, cmd.Spec, stdout, stderr)
}

func runApply(ctx context.Context, inj *Injector, s Spec, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, unix.SIGTERM, unix.SIGHUP)
	defer stop()
	a, err := inj.Apply(ctx, s)
	if err != nil {
		fmt.Fprintf(stderr, "vigil fault: %v\n", err)
		if errors.Is(err, ErrInvalid) {
			return ExitUsage
		}
		return ExitFail
	}
	fmt.Fprintf(stdout, "%s on %s for %v, until %s; Ctrl-C removes it now\n",
		describeSpec(a.Spec), a.Spec.Target, a.Spec.Duration, a.Expires.Format(time.TimeOnly))
	if err := a.Wait(); err != nil {
		fmt.Fprintf(stderr, "vigil fault: removing %s from %s: %v\n", a.Spec, a.Spec.Target, err)
		return ExitFail
	}
	how := "expired"
	if ctx.Err() != nil {
		how = "stopped"
	}
	fmt.Fprintf(stdout, "%s: %s removed from %s\n", how, a.Spec, a.Spec.Target)
	return ExitOK
}

func runClear(inj *Injector, t Target, stdout, stderr io.Writer) int {
	done, err := inj.Clear(t)
	for _, line := range done {
		fmt.Fprintln(stdout, line)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil fault: clear: %v\n", err)
		return ExitFail
	}
	if len(done) == 0 {
		where := "anywhere"
		if t.Interface != "" {
			where = "on " + t.String()
		} else if t.Netns != "" {
			where = "in network namespace " + t.Netns
		}
		fmt.Fprintf(stdout, "no vigil fault %s\n", where)
	}
	return ExitOK
}

func runShow(inj *Injector, t Target, stdout, stderr io.Writer) int {
	list, err := inj.Show(t)
	now := time.Now()
	for _, s := range list {
		s.Describe(stdout, now)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil fault: show: %v\n", err)
		return ExitFail
	}
	if len(list) == 0 {
		fmt.Fprintln(stdout, "no active vigil fault")
	}
	return ExitOK
}

// describeSpec is the fault with its direction, for the start message.
func describeSpec(s Spec) string {
	switch s.Kind.mechanism() {
	case mechBPF:
		return s.String() + " (" + dirLabel(s.Direction) + ")"
	case mechNetem:
		return s.String() + " (out)"
	}
	return s.String()
}
