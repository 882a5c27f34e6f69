package importer

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/vigil-ha/vigil/internal/config"
)

// Options tune a conversion.
type Options struct {
	// ConfigID plays the part of keepalived's -i/--config-id: lines
	// starting with @ConfigID are used, other @id lines are left out (and
	// reported), @^id lines are used unless id is ConfigID. Empty means no
	// config id, which keepalived would take from the host name; the
	// importer never guesses it.
	ConfigID string
}

// Skipped is one keepalived setting that is not in the vigil file.
type Skipped struct {
	// File and Line locate the setting in the keepalived configuration
	// (an included file has its own name).
	File string
	Line int
	// Keyword is the keepalived keyword (or keyword and value) left out.
	Keyword string
	// Why says why vigil cannot take it, and what to do instead when there
	// is something.
	Why string
}

// String formats the item as "file:line: keyword: why".
func (s Skipped) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", s.File, s.Line, s.Keyword, s.Why)
}

// Convert reads the keepalived configuration at path, with the files it
// includes, and returns the vigil HCL and the settings left out. The error
// is only for a main file that cannot be read: everything else that does
// not convert is in the report, and the HCL always passes config.Parse.
func Convert(path string, opts Options) (hclSrc []byte, report []Skipped, err error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	hclSrc, report = ConvertBytes(src, path, filepath.Dir(path), opts)
	return hclSrc, report, nil
}

// ConvertBytes converts a keepalived configuration held in src. name is
// used in the report and the header comment; relative includes are
// resolved against baseDir.
func ConvertBytes(src []byte, name, baseDir string, opts Options) (hclSrc []byte, report []Skipped) {
	return convertFS(osFS{}, src, name, baseDir, opts)
}

// convertFS is ConvertBytes on a given file system.
func convertFS(fsys fileSystem, src []byte, name, baseDir string, opts Options) ([]byte, []Skipped) {
	r := newReader(fsys, opts)
	r.readFile(name, baseDir, src)
	top := r.buildTree()
	c := newConverter(name)
	nodes := c.convert(top)
	report := append(slices.Clone(r.report), c.report...)

	rejected := settle(nodes, name)
	report = append(report, rejected...)
	sortReport(report, r.fileSeq)

	header := []string{
		fmt.Sprintf("Converted from %s by vigil import.", name),
		"Check it with `vigil validate` and review every comment that starts with \"skipped\".",
	}
	if len(report) > 0 {
		header = append(header, fmt.Sprintf("%d keepalived setting(s) were not converted; each is listed where it stood.", len(report)))
	}
	// What reading left out has no place in the output; list it here.
	for _, s := range r.report {
		loc := fmt.Sprintf("line %d", s.Line)
		if s.File != name {
			loc = fmt.Sprintf("%s line %d", s.File, s.Line)
		}
		header = append(header, fmt.Sprintf("skipped (%s) %s: %s", loc, s.Keyword, s.Why))
	}
	out := format(render(header, nodes))
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return out, report
}

// maxSettleRounds bounds the validation loop; every round drops at least
// one node, so the bound is only a guard against a bug.
const maxSettleRounds = 1000

// settle parses the rendered nodes with config.Parse and leaves out what
// vigil rejects until the file is valid. A rejected attribute is dropped
// alone unless it is essential to its block; a rejected block is dropped
// whole. Each drop is reported at the keepalived line it came from.
func settle(nodes []*node, name string) []Skipped {
	var report []Skipped
	for range maxSettleRounds {
		out := render(nil, nodes)
		_, diags := config.Parse(out, name)
		if !diags.HasErrors() {
			return report
		}
		dropped := 0
		for _, d := range diags {
			if d.Severity != hcl.DiagError || d.Subject == nil {
				continue
			}
			n := culprit(nodes, d.Subject.Start.Line)
			if n == nil || n.dropped != "" {
				continue
			}
			why := "vigil rejects the converted setting: " + d.Summary
			if d.Detail != "" {
				why += " (" + strings.TrimSuffix(d.Detail, ".") + ")"
			}
			n.dropped = fmt.Sprintf("skipped (line %d) %s: %s", n.src.Line, n.src.Keyword, why)
			report = append(report, Skipped{File: n.src.File, Line: n.src.Line, Keyword: n.src.Keyword, Why: why})
			dropped++
		}
		if dropped == 0 {
			// Nothing identifiable to drop: leave everything out rather
			// than write a file that does not validate.
			for _, n := range nodes {
				if n.name != "" && n.dropped == "" {
					n.dropped = "skipped: vigil rejects the converted file: " + diags.Error()
					report = append(report, Skipped{File: n.src.File, Line: n.src.Line, Keyword: n.src.Keyword, Why: "vigil rejects the converted file: " + diags.Error()})
				}
			}
		}
	}
	return report
}

// culprit finds the node to drop for an error on an output line: the
// innermost node spanning the line, or its block when the node is
// essential to it.
func culprit(nodes []*node, line int) *node {
	var path []*node
	var walk func(ns []*node) bool
	walk = func(ns []*node) bool {
		for _, n := range ns {
			if n.dropped != "" {
				continue
			}
			if n.name == "" {
				// A group: look at its children.
				path = append(path, n)
				if walk(n.children) {
					return true
				}
				path = path[:len(path)-1]
				continue
			}
			if line < n.first || line > n.last {
				continue
			}
			path = append(path, n)
			walk(n.children)
			return true
		}
		return false
	}
	walk(nodes)
	for i := len(path) - 1; i >= 0; i-- {
		n := path[i]
		if n.name == "" {
			continue
		}
		if !n.essential {
			return n
		}
	}
	return nil
}

// sortReport orders the report by file (in the order they were read) and
// line; items of one line keep their order.
func sortReport(report []Skipped, fileSeq map[string]int) {
	slices.SortStableFunc(report, func(a, b Skipped) int {
		if c := cmp.Compare(fileSeq[a.File], fileSeq[b.File]); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
}
