package config

import (
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// WriteDiagnostics renders diags with the offending source lines, the way
// `vigil validate` prints them. sources maps file names to their contents;
// a file the diagnostics name but sources lacks is read from disk, so
// callers of Load may pass nil. width wraps the text (0: no wrapping);
// color adds ANSI colours.
func WriteDiagnostics(w io.Writer, sources map[string][]byte, diags hcl.Diagnostics, width uint, color bool) error {
	files := map[string]*hcl.File{}
	for name, src := range sources {
		files[name] = sourceFile(name, src)
	}
	for _, diag := range diags {
		if diag.Subject == nil {
			continue
		}
		name := diag.Subject.Filename
		if _, ok := files[name]; ok {
			continue
		}
		// A missing file leaves the entry nil; the writer then says that
		// the source is not available instead of failing.
		if src, err := os.ReadFile(name); err == nil {
			files[name] = sourceFile(name, src)
		} else {
			files[name] = nil
		}
	}
	return hcl.NewDiagnosticTextWriter(w, files, width, color).WriteDiagnostics(diags)
}

// sourceFile wraps src for the diagnostic writer. Parsing it (errors or not)
// gives the writer the syntax tree it uses to name the enclosing block.
func sourceFile(name string, src []byte) *hcl.File {
	f, _ := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	if f == nil {
		return &hcl.File{Bytes: src}
	}
	return f
}
