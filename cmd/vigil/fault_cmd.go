package main

import (
	"context"
	"io"

	"github.com/vigil-ha/vigil/internal/fault"
)

func init() {
	register(command{name: "fault", summary: "inject a network fault for a failover drill (loss, drop-vrrp, partition, flap, delay...)", run: runFault})
}

// runFault stays in the foreground until the fault expires; fault.Main
// handles SIGINT/SIGTERM itself and always removes the fault.
func runFault(args []string, stdout, stderr io.Writer) int {
	return fault.Main(context.Background(), args, stdout, stderr)
}
