// Command vigil is an HA director pair for Linux load balancing: VRRP elects a
// master, the master claims the virtual IPs and installs the IPVS tables, and
// health checks steer real-server weights. Run `vigil help` for the commands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand of the vigil binary.
type command struct {
	name    string
	summary string
	// run receives the arguments after the subcommand name and returns the
	// process exit code.
	run func(args []string, stdout, stderr io.Writer) int
}

// commands lists every subcommand; each file of this package adds its own.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// exit codes shared by the subcommands.
const (
	exitOK     = 0
	exitFail   = 1 // the command ran and failed (or a check did not pass)
	exitUsage  = 2 // wrong flags or arguments
	exitConfig = 3 // the configuration is invalid
)

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run([]string{"-help"}, stdout, stderr)
			}
		}
		usage(stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "vigil: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `vigil: an HA director pair for Linux load balancing (VRRP + IPVS + health checks).

Usage:
  vigil <command> [flags]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Run 'vigil <command> -help' for the flags of one command.
A director runs 'vigil run -config /etc/vigil/director.hcl'; check a file first with
'vigil validate -config FILE'.
`)
}

// flagExit is the exit code for a flag parsing error: -help asked for the
// usage text, which is a success; anything else is a usage error.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
