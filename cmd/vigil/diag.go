package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// writeDiagnostics prints each diagnostic the way compilers do, so editors
// and grep can jump to it:
//
//	director.hcl:4:14: error: vrrp_instance "VI_1": priority 300 is outside 1..255
//	    4 |   priority = 300
//	      |              ^^^
//
// followed by the detail, if any.
func writeDiagnostics(w io.Writer, diags hcl.Diagnostics) {
	sources := map[string][][]byte{}
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if d.Subject == nil {
			fmt.Fprintf(w, "%s: %s\n", sev, d.Summary)
		} else {
			r := d.Subject
			fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", r.Filename, r.Start.Line, r.Start.Column, sev, d.Summary)
			lines, ok := sources[r.Filename]
			if !ok {
				if src, err := os.ReadFile(r.Filename); err == nil {
					lines = bytes.Split(src, []byte("\n"))
				}
				sources[r.Filename] = lines
			}
			if r.Start.Line >= 1 && r.Start.Line <= len(lines) {
				line := string(lines[r.Start.Line-1])
				width := 1
				if r.End.Line == r.Start.Line && r.End.Column > r.Start.Column {
					width = r.End.Column - r.Start.Column
				}
				fmt.Fprintf(w, "%5d | %s\n", r.Start.Line, line)
				fmt.Fprintf(w, "      | %s%s\n", strings.Repeat(" ", max(r.Start.Column-1, 0)), strings.Repeat("^", width))
			}
		}
		if d.Detail != "" && d.Detail != d.Summary {
			fmt.Fprintf(w, "      %s\n", d.Detail)
		}
	}
}
