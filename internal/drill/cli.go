package drill

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vigil-ha/vigil/internal/lab"
)

// CommandSummary is the one-line description of `vigil drill` for the command list.
const CommandSummary = "measure failovers in the lab or on your own pair: kill, stop, cut or partition the master under client traffic"

// Exit codes of Main.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Usage: vigil drill -scenario NAME [-n N] [-interval 10ms] [-impl vigil|keepalived]
                   [-json FILE] [-timeline DIR]
       vigil drill -hosts FILE -scenario NAME [-n N] [-impl vigil|keepalived] ...

Runs a failover drill in the lab of 'vigil lab' (built for the drill and
removed afterwards, or the one that is up), or with -hosts on a pair that
exists, and measures it. Each run starts the director pair afresh, waits for
a stable master, starts client traffic (HTTP GET to the VIP every 5ms and
ping every 10ms, 200ms -timeout), injects the fault and measures from that
moment:

  new master holds the VIP     netlink address events in the director's namespace
                               (on hosts: ip monitor run on each director)
  first gratuitous ARP         seen by a packet socket on the client
  client traffic restored      the first success after the first failure
  two VIP holders / none       total time; a holder is a running daemon, link up, VIP on eth0
  requests failed              HTTP requests and pings sent after the injection

then prints min / median / p95 / max over the runs. Needs root (on hosts:
root on the directors and the client, through their commands).

Scenarios:
`)
	for _, s := range Scenarios {
		fmt.Fprintf(w, "  %-17s %s\n", s.Name, s.Summary)
	}
	fmt.Fprint(w, `
Examples:
  vigil drill -scenario master-sigkill -n 10
  vigil drill -scenario graceful-stop -n 10 -impl keepalived -interval 100ms
  vigil drill -scenario advert-loss -timeline /tmp/drill -json /tmp/drill/advert-loss.json

Without IPVS in the kernel (no ip_vs module) the pair runs VRRP only and the
client uses ping alone; realserver-dies needs IPVS. examples/demo/drill.sh
runs a drill inside the project's test VM, whose kernel has IPVS.

Drills on described hosts (-hosts FILE):
  vigil drill -hosts examples/drill/hosts.hcl -scenario master-sigkill -n 5

The drill runs every command on a host as the host's command prefix followed
by one shell command line: start, stop and kill the daemons, 'ip link set'
(link down, crash) and 'vigil fault' (advert-loss, partition, flap) on the
directors, 'ip monitor' on each to watch the VIP and the link, and 'vigil
drill agent' (an internal subcommand: pings, HTTP and gratuitous ARP,
reported on its standard output) on the client. realserver-dies runs in the
lab only. Every fault has a duration that outlasts the run, and a link taken
down comes back by itself if the drill loses the director; at the end, also
after Ctrl-C, the drill clears its faults, sets the links up, kills both
daemons, removes a VIP a killed daemon left and starts both again. The
advert interval is the file's; -interval must not contradict it. -impl
names the daemon in the report and picks the default kill command.
A systemd unit with Restart= brings a killed daemon back at once: the drill
then sees the old master return.

`+HostsFileHelp+`
Flags:
`)
	fs.PrintDefaults()
}

// Main runs `vigil drill ARGS...` and returns the exit code. SIGINT and
// SIGTERM end the drill early; the lab is cleaned up either way.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "agent" {
		// Hidden: the client side of a drill on hosts (agent.go).
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		return agentMain(ctx, args[1:], os.Stdin, stdout, stderr)
	}
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	impl := fs.String("impl", string(lab.ImplVigil), "director daemon: vigil or keepalived")
	fs.StringVar(&o.Scenario, "scenario", "", "scenario to run (required; see the list above)")
	fs.IntVar(&o.N, "n", 1, "number of runs")
	fs.DurationVar(&o.Interval, "interval", lab.DefaultInterval, "VRRP advert interval (a multiple of 10ms; with -hosts the file's advert_interval)")
	fs.DurationVar(&o.Timeout, "timeout", DefaultTimeout, "the client's request timeout (raise it on a slow, emulated machine)")
	fs.StringVar(&o.JSON, "json", "", "write the report (every run, every event) to this JSON file")
	fs.StringVar(&o.TimelineDir, "timeline", "", "write one SVG (and, with rsvg-convert, PNG) timeline per run into this directory")
	fs.StringVar(&o.Vigil, "vigil", "", "vigil binary the directors run (default: this one)")
	fs.StringVar(&o.Prefix, "prefix", lab.DefaultPrefix, "lab prefix (namespaces PREFIX-d1 ...)")
	fs.StringVar(&o.StateDir, "state-dir", "", "lab state directory (default /run/vigil/lab/PREFIX)")
	fs.BoolVar(&o.Keep, "keep", false, "leave the lab the drill built up afterwards")
	fs.StringVar(&o.Hosts, "hosts", "", "drill the pair this hosts `file` describes instead of the lab (see above)")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			usage(stdout, fs)
			return exitOK
		}
		fmt.Fprintln(stderr, "run 'vigil drill -help' for the scenarios and flags")
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil drill: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return exitUsage
	}
	if o.Scenario == "" {
		fmt.Fprintf(stderr, "vigil drill: -scenario is required (one of: %s)\n", strings.Join(ScenarioNames(), ", "))
		return exitUsage
	}
	if _, err := LookupScenario(o.Scenario); err != nil {
		fmt.Fprintf(stderr, "vigil drill: %v\n", err)
		return exitUsage
	}
	if o.Hosts != "" {
		var labOnly []string
		intervalSet := false
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "prefix", "state-dir", "keep", "vigil":
				labOnly = append(labOnly, "-"+f.Name)
			case "interval":
				intervalSet = true
			}
		})
		if len(labOnly) > 0 {
			fmt.Fprintf(stderr, "vigil drill: %s: for the lab only, not with -hosts\n", strings.Join(labOnly, ", "))
			return exitUsage
		}
		if !intervalSet {
			o.Interval = 0 // the file's (Run refuses one that contradicts it)
		}
	}
	var err error
	if o.Impl, err = lab.ParseImpl(*impl); err != nil {
		fmt.Fprintf(stderr, "vigil drill: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if _, err := Run(ctx, o, stdout); err != nil {
		fmt.Fprintf(stderr, "vigil drill: %v\n", err)
		return exitFail
	}
	return exitOK
}
