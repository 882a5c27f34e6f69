package main

import (
	"context"
	"io"
	"os/signal"
	"syscall"

	"github.com/vigil-ha/vigil/internal/realserver"
)

func init() {
	register(command{name: "realserver", summary: "set up, check or undo a DR real server (VIP on lo, ARP settings); probe for ARP offenders", run: runRealServer})
}

func runRealServer(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return realserver.Main(ctx, args, stdout, stderr)
}
