package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vigil-ha/vigil/internal/importer"
)

func init() {
	register(command{name: "import", summary: "convert a keepalived.conf to vigil HCL, listing what it cannot convert", run: runImport})
}

func runImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the HCL to `file` instead of standard output")
	configID := fs.String("config-id", "", "keepalived's -i: which @id lines apply")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: vigil import [-o FILE] [-config-id ID] keepalived.conf

Converts a keepalived configuration (with its includes) to vigil HCL:
global_defs, vrrp_script, vrrp_instance, virtual_server / real_server and
the TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK and DNS_CHECK checkers.
Anything vigil cannot express is left out, never guessed: it is listed on
standard error with its file and line, and marked in the output as a
"# skipped" comment. The output always passes 'vigil validate'.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	hcl, skipped, err := importer.Convert(fs.Arg(0), importer.Options{ConfigID: *configID})
	if err != nil {
		fmt.Fprintf(stderr, "vigil import: %v\n", err)
		return exitFail
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "skipped: %s\n", s)
	}
	if *out == "" {
		_, err = stdout.Write(hcl)
	} else {
		err = os.WriteFile(*out, hcl, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil import: %v\n", err)
		return exitFail
	}
	if len(skipped) > 0 {
		fmt.Fprintf(stderr, "vigil import: %d item(s) not converted; review them before use\n", len(skipped))
	}
	return exitOK
}
