package lab

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"
)

// Exit codes of Main.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// CommandSummary is the one-line description of `vigil lab` for the command list.
const CommandSummary = "a throw-away lab in network namespaces: two directors, two web servers, a client (up, start, get, down)"

const usageText = `Usage: vigil lab <command> [flags]

Builds a throw-away load-balancing lab in network namespaces on this machine,
without touching the host's own network: a LAN (a bridge), two directors d1
and d2, two real servers rs1 and rs2 that each run an HTTP server answering
with its own name, and a client. Needs root.

  d1 10.77.0.1 (priority 150)   rs1 10.77.0.11   client 10.77.0.50
  d2 10.77.0.2 (priority 100)   rs2 10.77.0.12   VIP    10.77.0.100

Commands:
  up       build the lab (a previous lab with the same prefix is removed first)
  start    start the director pair (vigil run, or keepalived) and wait for a master
  get      send HTTP requests from the client to the VIP and show who answers
  stop     stop a director: gracefully (-signal TERM) or as a crash (-signal KILL)
  status   show the machines, what runs on each and who holds the VIP
  down     kill everything in the lab and delete its namespaces (safe to repeat)

A first session:
  vigil lab up                  # namespaces, real servers, director configs
  vigil lab start               # vigil on d1 and d2; d1 becomes master
  vigil lab get -n 6            # rs1, rs2, rs1, ... through the VIP
  vigil lab stop -signal KILL d1
  vigil lab get -n 6            # d2 answers now
  vigil lab down

The configurations are in the state directory (/run/vigil/lab/PREFIX):
d1.hcl and d2.hcl for vigil, d1.keepalived.conf and d2.keepalived.conf for
keepalived; "vigil lab start -impl keepalived" runs those. Without IPVS in
the kernel (no ip_vs module) they are VRRP only: the VIP moves and answers
ping, but HTTP through it needs IPVS.

Measured failovers: vigil drill (it uses this lab).
Every command takes -prefix NAME (default vgl; for several labs side by side)
and -state-dir DIR. Run 'vigil lab <command> -help' for its flags.
`

// Main runs `vigil lab ARGS...` and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	case "httpd":
		return runHTTPD(ctx, rest, stderr)
	}
	sub, ok := subcommands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "vigil lab: unknown command %q\n\n%s", cmd, usageText)
		return exitUsage
	}
	fs := flag.NewFlagSet("lab "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.Prefix, "prefix", DefaultPrefix, "name prefix of the lab's namespaces (at most 6 characters)")
	fs.StringVar(&o.StateDir, "state-dir", "", "state directory (default /run/vigil/lab/PREFIX)")
	run := sub.flags(fs, &o)
	fs.Usage = func() {}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: vigil lab %s %s\n\n%s\n\nFlags:\n", cmd, sub.args, sub.help)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "run 'vigil lab %s -help' for its flags\n", cmd)
		return exitUsage
	}
	if err := run(ctx, o, fs.Args(), stdout); err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintf(stderr, "vigil lab %s: %v\n", cmd, err)
			return exitUsage
		}
		fmt.Fprintf(stderr, "vigil lab %s: %v\n", cmd, err)
		return exitFail
	}
	return exitOK
}

// usageError is a bad command line.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// subcommand declares its flags and returns the function that runs it.
type subcommand struct {
	args, help string
	flags      func(fs *flag.FlagSet, o *Options) func(ctx context.Context, o Options, args []string, w io.Writer) error
}

var subcommands = map[string]subcommand{
	"up": {"[-interval 10ms] [-vigil PATH]", "Builds the lab and writes the director configurations; prints its status.",
		func(fs *flag.FlagSet, o *Options) func(context.Context, Options, []string, io.Writer) error {
			fs.DurationVar(&o.Interval, "interval", DefaultInterval, "VRRP advert interval of the configurations (a multiple of 10ms)")
			fs.StringVar(&o.Vigil, "vigil", "", "vigil binary the directors run (default: this one)")
			return cmdUp
		}},
	"down": {"", "Kills every process in the lab's namespaces and deletes them, and the state directory.\nRepeating it, or running it after a crash, is safe.",
		func(*flag.FlagSet, *Options) func(context.Context, Options, []string, io.Writer) error {
			return cmdDown
		}},
	"status": {"", "Shows the machines, what runs on each and which director holds the VIP.",
		func(*flag.FlagSet, *Options) func(context.Context, Options, []string, io.Writer) error {
			return cmdStatus
		}},
	"start": {"[-impl vigil|keepalived] [d1] [d2]", "Starts the director daemons (both unless named) in the background, d1 first,\nand waits until one of them holds the VIP. Logs: STATE/d1-director.log.",
		func(fs *flag.FlagSet, _ *Options) func(context.Context, Options, []string, io.Writer) error {
			impl := fs.String("impl", string(ImplVigil), "vigil or keepalived")
			wait := fs.Duration("wait", 15*time.Second, "how long to wait for a master")
			return func(ctx context.Context, o Options, args []string, w io.Writer) error {
				return cmdStart(ctx, o, args, w, *impl, *wait)
			}
		}},
	"stop": {"[-signal TERM|KILL] d1|d2", "Stops a director's daemon: TERM is a graceful stop (a master hands over\nfirst), KILL is a crash (the VIP stays on the dead director's link).",
		func(fs *flag.FlagSet, _ *Options) func(context.Context, Options, []string, io.Writer) error {
			sig := fs.String("signal", "TERM", "TERM or KILL")
			return func(ctx context.Context, o Options, args []string, w io.Writer) error {
				return cmdStop(ctx, o, args, w, *sig)
			}
		}},
	"get": {"[-n 10] [-timeout 1s]", "Sends requests from the client to http://VIP/ and prints which real server\nanswered each. Without IPVS it pings the VIP instead, and says so.",
		func(fs *flag.FlagSet, _ *Options) func(context.Context, Options, []string, io.Writer) error {
			n := fs.Int("n", 10, "number of requests")
			timeout := fs.Duration("timeout", time.Second, "timeout of one request")
			return func(ctx context.Context, o Options, args []string, w io.Writer) error {
				return cmdGet(ctx, o, args, w, *n, *timeout)
			}
		}},
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return usageError{"unexpected arguments: " + strings.Join(args, " ")}
	}
	return nil
}

func cmdUp(ctx context.Context, o Options, args []string, w io.Writer) error {
	if err := noArgs(args); err != nil {
		return err
	}
	start := time.Now()
	l, err := Up(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "lab %s is up (%s)\n\n", l.Prefix, time.Since(start).Round(time.Millisecond))
	return l.WriteStatus(w)
}

func cmdDown(_ context.Context, o Options, args []string, w io.Writer) error {
	if err := noArgs(args); err != nil {
		return err
	}
	rep, err := Down(o)
	if len(rep.Namespaces) == 0 && err == nil {
		fmt.Fprintf(w, "lab %s: nothing to remove\n", o.Prefix)
		return nil
	}
	fmt.Fprintf(w, "lab %s is down: %d processes killed, %d namespaces deleted\n", o.Prefix, rep.Killed, len(rep.Namespaces))
	return err
}

func cmdStatus(_ context.Context, o Options, args []string, w io.Writer) error {
	if err := noArgs(args); err != nil {
		return err
	}
	l, err := Open(o)
	if err != nil {
		return err
	}
	return l.WriteStatus(w)
}

func cmdStart(ctx context.Context, o Options, args []string, w io.Writer, implName string, wait time.Duration) error {
	impl, err := ParseImpl(implName)
	if err != nil {
		return usageError{err.Error()}
	}
	l, err := Open(o)
	if err != nil {
		return err
	}
	names, err := directorArgs(l, args, true)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, d := range names {
		pid, err := l.StartDirector(d, impl)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %s started (pid %d), priority %d\n", d, impl, pid, l.MustHost(d).Priority)
	}
	master, err := l.WaitMaster(ctx, wait)
	if err != nil {
		for _, d := range names {
			fmt.Fprintf(w, "--- last lines of %s's log:\n%s\n", d, l.LogTail(directorTag(d), 15))
		}
		return err
	}
	fmt.Fprintf(w, "%s is master: it holds the VIP %s (%s after the start)\n", master, l.VIP, time.Since(start).Round(time.Millisecond))
	if !l.IPVS {
		return nil
	}
	// The master installs the virtual server at once, but each real server
	// takes its weight only after its checks pass (rise).
	if err := l.WaitServing(ctx, wait-time.Since(start)); err != nil {
		return err
	}
	fmt.Fprintf(w, "the web servers answer through the VIP (%s after the start)\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func cmdStop(_ context.Context, o Options, args []string, w io.Writer, sigName string) error {
	var sig syscall.Signal
	switch strings.TrimPrefix(strings.ToUpper(sigName), "SIG") {
	case "TERM":
		sig = syscall.SIGTERM
	case "KILL":
		sig = syscall.SIGKILL
	default:
		return usageError{fmt.Sprintf("signal %q: want TERM or KILL", sigName)}
	}
	l, err := Open(o)
	if err != nil {
		return err
	}
	names, err := directorArgs(l, args, false)
	if err != nil {
		return err
	}
	for _, d := range names {
		stopped, err := l.StopDirector(d, sig, 15*time.Second)
		if err != nil {
			return err
		}
		if !stopped {
			fmt.Fprintf(w, "%s: no director running\n", d)
			continue
		}
		fmt.Fprintf(w, "%s: director stopped with SIG%s\n", d, strings.TrimPrefix(strings.ToUpper(sigName), "SIG"))
	}
	holders, err := l.Holders()
	if err == nil {
		fmt.Fprintf(w, "VIP %s held by: %s\n", l.VIP, holderList(holders))
	}
	return nil
}

func holderList(h []string) string {
	if len(h) == 0 {
		return "nobody"
	}
	return strings.Join(h, " and ")
}

// directorArgs checks director names; none means both when all is true.
func directorArgs(l *Lab, args []string, all bool) ([]string, error) {
	if len(args) == 0 {
		if !all {
			return nil, usageError{"name a director: d1 or d2"}
		}
		return []string{D1, D2}, nil
	}
	for _, a := range args {
		if h := l.Host(a); h == nil || h.Role != RoleDirector {
			return nil, usageError{fmt.Sprintf("%q: %v", a, errNoDirector)}
		}
	}
	return args, nil
}

func cmdGet(ctx context.Context, o Options, args []string, w io.Writer, n int, timeout time.Duration) error {
	if err := noArgs(args); err != nil {
		return err
	}
	if n < 1 {
		return usageError{"-n must be at least 1"}
	}
	l, err := Open(o)
	if err != nil {
		return err
	}
	probe, what, closeFn, err := l.ClientProbe(timeout)
	if err != nil {
		return err
	}
	defer closeFn()
	fmt.Fprintf(w, "client -> %s:\n", what)
	if !l.IPVS {
		fmt.Fprintln(w, "  (this kernel has no IPVS: pinging the VIP instead of HTTP)")
	}
	failed := 0
	count := map[string]int{}
	for i := 1; i <= n; i++ {
		out := probe(ctx)
		fmt.Fprintf(w, "  %2d  %s\n", i, out)
		if !out.OK {
			failed++
		} else if out.Server != "" {
			count[out.Server]++
		}
	}
	if l.IPVS {
		fmt.Fprintf(w, "answers: rs1 %d, rs2 %d, failed %d\n", count[RS1], count[RS2], failed)
	}
	if failed == n {
		return fmt.Errorf("all %d requests failed (is a director running? vigil lab status)", n)
	}
	return nil
}

// ClientProbe returns a function that probes the VIP once from the client
// (HTTP GET with IPVS, a ping without), a description, and a function that
// releases its sockets.
func (l *Lab) ClientProbe(timeout time.Duration) (func(context.Context) Outcome, string, func(), error) {
	if l.IPVS {
		c := l.HTTPClient(Client, timeout)
		url := l.VIPURL()
		return func(ctx context.Context) Outcome {
			start := time.Now()
			name, err := Get(ctx, c, url)
			return Outcome{OK: err == nil, Server: name, RTT: time.Since(start), Err: err}
		}, "GET " + url, func() {}, nil
	}
	p, err := l.NewPinger(Client)
	if err != nil {
		return nil, "", nil, err
	}
	return func(ctx context.Context) Outcome {
		rtt, err := p.Ping(ctx, l.VIP, timeout)
		return Outcome{OK: err == nil, RTT: rtt, Err: err}
	}, "ping " + l.VIP.String(), func() { p.Close() }, nil
}
