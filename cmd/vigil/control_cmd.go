package main

import (
	"io"

	"github.com/vigil-ha/vigil/internal/control"
)

// The operator's commands talk to the running daemon over its control
// socket: status, maintenance, reload, garp.
func init() {
	for _, c := range control.CLICommands {
		name := c.Name
		register(command{name: name, summary: c.Summary, run: func(args []string, stdout, stderr io.Writer) int {
			return control.RunCLI(append([]string{name}, args...), stdout, stderr)
		}})
	}
}
