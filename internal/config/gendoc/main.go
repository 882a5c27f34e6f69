// Command gendoc writes the configuration reference, docs/configuration.md,
// generated from the schema table of package config:
//
//	go run ./internal/config/gendoc -o docs/configuration.md
//
// Without -o it writes to standard output. The config tests fail when the
// checked-in file differs from what this prints.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/vigil-ha/vigil/internal/config"
)

func main() {
	out := flag.String("o", "", "write the reference to this `file` instead of standard output")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gendoc [-o file]")
		os.Exit(2)
	}
	ref := config.Reference()
	var err error
	if *out == "" {
		_, err = os.Stdout.Write(ref)
	} else {
		err = os.WriteFile(*out, ref, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gendoc: %v\n", err)
		os.Exit(1)
	}
}
