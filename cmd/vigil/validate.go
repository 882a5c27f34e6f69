package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/vigil-ha/vigil/internal/realserver"
)

func init() {
	register(command{name: "validate", summary: "check a configuration file and print it with defaults filled in", run: runValidate})
}

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "/etc/vigil/director.hcl", "configuration `file` to check")
	quiet := fs.Bool("q", false, "print nothing when the file is valid")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: vigil validate [-q] -config FILE
       vigil validate [-q] FILE

Parses FILE exactly as 'vigil run' would, including the checks that need
this host (a priority-255 owner must hold its addresses). Errors are shown
with file:line:column and the offending line, and the exit status is 3.
A valid file is printed back as the effective configuration: every default
filled in, blocks in a stable order, so two directors' files can be diffed.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	switch {
	case fs.NArg() == 1 && !flagSet(fs, "config"):
		*cfgPath = fs.Arg(0) // `vigil validate FILE` reads as well as -config FILE
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "vigil validate: unexpected argument %q\n", fs.Arg(fs.NArg()-1))
		return exitUsage
	}
	if code, ok := validateRealServerFile(*cfgPath, *quiet, stdout, stderr); ok {
		return code
	}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	if !*quiet {
		if err := cfg.WriteHCL(stdout); err != nil {
			fmt.Fprintf(stderr, "vigil validate: %v\n", err)
			return exitFail
		}
	}
	return exitOK
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// validateRealServerFile checks a real server's file (a lone realserver
// block) with the decoder of `vigil realserver`, which owns that block.
// ok is false when the file is something else.
func validateRealServerFile(path string, quiet bool, stdout, stderr io.Writer) (code int, ok bool) {
	src, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return 0, false
	}
	content, _, _ := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "realserver"}}})
	body, isBody := f.Body.(*hclsyntax.Body)
	if len(content.Blocks) == 0 || !isBody || len(body.Blocks) != len(content.Blocks) || len(body.Attributes) > 0 {
		return 0, false
	}
	if _, err := realserver.ParseHCL(src, path); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return exitConfig, true
	}
	if !quiet {
		fmt.Fprintf(stdout, "%s: a valid real-server file; apply it with 'vigil realserver apply -config %s'\n", path, path)
	}
	return exitOK, true
}
