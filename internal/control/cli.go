package control

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-ha/vigil/internal/config"
)

// Exit codes of RunCLI, the same as the other vigil commands use.
const (
	ExitOK    = 0
	ExitFail  = 1 // the daemon is not running or the command failed
	ExitUsage = 2 // wrong flags or arguments
)

// CLICommand names one subcommand RunCLI implements, for `vigil help`.
type CLICommand struct {
	Name    string
	Summary string
}

// CLICommands are the subcommands RunCLI implements.
var CLICommands = []CLICommand{
	{"status", "show VRRP instances, IPVS services and real-server health of the running daemon"},
	{"maintenance", "take a VRRP instance out of the election (on) or put it back (off)"},
	{"reload", "make the running daemon re-read its configuration (like SIGHUP)"},
	{"garp", "re-send gratuitous ARP / unsolicited NA for the VIPs of a master instance"},
}

// cliSpec is one subcommand: its usage text, positional arguments, and
// what it does with a client.
type cliSpec struct {
	usage string
	// args is the number of positional arguments.
	args int
	run  func(c *Client, pos []string, asJSON bool, stdout io.Writer) error
}

var cliSpecs = map[string]cliSpec{
	"status": {usage: `Usage: vigil status [-json] [-socket PATH]

Asks the running daemon for its state and prints, for each vrrp_instance,
its state (MASTER, BACKUP, FAULT...) since when and why, its effective
priority and the trackers that lowered it, the current master, the VIPs and
advert counters; then the VRRP sockets with the adverts they rejected and
why, the IPVS services with their real servers and counters, and the
health of every real server.

-json prints the same as one JSON document, for scripts:
  vigil status -json | jq -r '.instances[] | "\(.name) \(.state)"'

Flags:
`, run: runStatus},
	"maintenance": {usage: `Usage: vigil maintenance on|off INSTANCE [-socket PATH]

"on" takes the vrrp_instance INSTANCE out of the election: a master hands
its VIPs (and the IPVS services that follow it) over to the peer, exactly
as on a graceful stop, and the instance stays out while the rest of the
daemon keeps running. Use it before working on this director.
"off" puts it back: it rejoins as backup and takes over again only if its
priority and preempt settings say so.

Example:
  vigil maintenance on VI_web && vigil status   # peer is now master

Flags:
`, args: 2, run: runMaintenance},
	"reload": {usage: `Usage: vigil reload [-socket PATH]

Makes the running daemon re-read its configuration file, exactly like
SIGHUP or 'systemctl reload vigil', and prints what changed per instance
(unchanged, updated in place, recreated, added, removed). Unchanged
instances keep running without an election. A file with errors is refused
and nothing changes: check it first with 'vigil validate -config FILE'.

Flags:
`, run: runReload},
	"garp": {usage: `Usage: vigil garp INSTANCE [-socket PATH]

Makes a master re-send the gratuitous ARP (IPv4) or unsolicited neighbour
advertisements (IPv6) for the VIPs of the vrrp_instance INSTANCE, as
configured by its garp block. Use it when a switch or router still sends
VIP traffic to the old master. A backup holds no VIPs and refuses.

Flags:
`, args: 1, run: runGARP},
}

// RunCLI runs `vigil SUBCOMMAND ARGS...`: args[0] is one of the names in
// CLICommands. It returns the process exit code; errors are printed to
// stderr as one line.
func RunCLI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "vigil: no control command given (status, maintenance, reload, garp)")
		return ExitUsage
	}
	name := args[0]
	spec, ok := cliSpecs[name]
	if !ok {
		fmt.Fprintf(stderr, "vigil: %q is not a control command (status, maintenance, reload, garp)\n", name)
		return ExitUsage
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed below, help to stdout
	socket := fs.String("socket", config.DefaultControlSocket, "control socket `path` (the daemon's global.control_socket)")
	asJSON := false
	if name == "status" {
		fs.BoolVar(&asJSON, "json", false, "print JSON instead of the tables")
	}
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stdout, spec, fs)
		return ExitOK
	}
	if err == nil && len(pos) != spec.args {
		err = fmt.Errorf("expected %d argument(s), got %d: %q", spec.args, len(pos), pos)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil %s: %v\nRun 'vigil %s -help' for the usage.\n", name, err, name)
		return ExitUsage
	}
	if err := spec.run(Dial(*socket), pos, asJSON, stdout); err != nil {
		fmt.Fprintln(stderr, err)
		var usage usageError
		if errors.As(err, &usage) {
			return ExitUsage
		}
		return ExitFail
	}
	return ExitOK
}

// usageError is a wrong argument found after flag parsing.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func printUsage(w io.Writer, spec cliSpec, fs *flag.FlagSet) {
	fmt.Fprint(w, spec.usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parseInterleaved accepts flags before, between and after the positional
// arguments ("maintenance on VI_1 -socket /x" as well as the flag first).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runStatus(c *Client, _ []string, asJSON bool, stdout io.Writer) error {
	doc, err := c.Status()
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	return WriteStatus(stdout, doc)
}

func runMaintenance(c *Client, pos []string, _ bool, stdout io.Writer) error {
	var on bool
	switch strings.ToLower(pos[0]) {
	case "on":
		on = true
	case "off":
	default:
		return usageError{fmt.Sprintf("vigil maintenance: %q is neither on nor off\nRun 'vigil maintenance -help' for the usage.", pos[0])}
	}
	if err := c.Maintenance(pos[1], on); err != nil {
		return err
	}
	if on {
		fmt.Fprintf(stdout, "%s: maintenance on; the instance has left the election (a master hands over to its peer; see 'vigil status')\n", pos[1])
	} else {
		fmt.Fprintf(stdout, "%s: maintenance off; the instance rejoins the election as backup\n", pos[1])
	}
	return nil
}

func runReload(c *Client, _ []string, _ bool, stdout io.Writer) error {
	summary, err := c.Reload()
	if summary != "" {
		fmt.Fprintf(stdout, "reloaded: %s\n", summary)
	}
	return err
}

func runGARP(c *Client, pos []string, _ bool, stdout io.Writer) error {
	if err := c.GARP(pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: gratuitous ARP / unsolicited NA sent for its VIPs\n", pos[0])
	return nil
}
