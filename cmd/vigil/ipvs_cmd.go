package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/vigil-ha/vigil/ipvs"
)

func init() {
	register(command{name: "ipvs", summary: "show the kernel's IPVS table like ipvsadm -Ln (also --stats, --rate, -json)", run: runIPVS})
}

func runIPVS(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ipvs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stats := fs.Bool("stats", false, "show packet and byte counters (ipvsadm -Ln --stats)")
	rate := fs.Bool("rate", false, "show rates per second (ipvsadm -Ln --rate)")
	exact := fs.Bool("exact", false, "print full numbers instead of K, M, G suffixes")
	asJSON := fs.Bool("json", false, "print JSON for machines")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: vigil ipvs [-stats | -rate] [-exact] [-json]

Lists the virtual services and real servers in this network namespace's
IPVS table, in the layout of 'ipvsadm -Ln', whether vigil installed them or
not. Needs root and a kernel with the ip_vs module.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	opts := ipvs.FormatOptions{Mode: ipvs.FormatList, Exact: *exact}
	switch {
	case *asJSON:
		opts.Mode = ipvs.FormatJSON
	case *stats && *rate:
		fmt.Fprintln(stderr, "vigil ipvs: -stats and -rate cannot be combined")
		return exitUsage
	case *stats:
		opts.Mode = ipvs.FormatStats
	case *rate:
		opts.Mode = ipvs.FormatRate
	}
	h, err := ipvs.Open("")
	if err != nil {
		fmt.Fprintf(stderr, "vigil ipvs: %v\n", err)
		return exitFail
	}
	defer h.Close()
	snap, err := ipvs.ReadSnapshot(h)
	if err != nil {
		fmt.Fprintf(stderr, "vigil ipvs: %v\n", err)
		return exitFail
	}
	if err := ipvs.Format(stdout, snap, opts); err != nil {
		fmt.Fprintf(stderr, "vigil ipvs: %v\n", err)
		return exitFail
	}
	return exitOK
}
