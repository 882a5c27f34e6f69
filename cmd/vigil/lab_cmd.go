package main

import (
	"context"
	"io"

	"github.com/vigil-ha/vigil/internal/drill"
	"github.com/vigil-ha/vigil/internal/lab"
)

func init() {
	register(command{name: "lab", summary: lab.CommandSummary, run: func(args []string, stdout, stderr io.Writer) int {
		return lab.Main(context.Background(), args, stdout, stderr)
	}})
	register(command{name: "drill", summary: drill.CommandSummary, run: func(args []string, stdout, stderr io.Writer) int {
		return drill.Main(context.Background(), args, stdout, stderr)
	}})
}
