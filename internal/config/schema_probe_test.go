package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Helpers of the schema tests: the blocks of the table as nodes, and small
// files that put one block of a node, with chosen lines, into a valid file.

// schemaNode is a block of the schema with the blocks around it.
type schemaNode struct {
	// path runs from a top-level block down to the block; for a check
	// type it ends with the check block itself.
	path []*schemaBlock
	// variant is the check type, or nil.
	variant *schemaBlock
}

func (n schemaNode) block() *schemaBlock { return n.path[len(n.path)-1] }

// key names the node the way decodedKey names a decoded body:
// "vrrp_instance/garp", "virtual_server/real_server/check:http".
func (n schemaNode) key() string {
	parts := make([]string, len(n.path))
	for i, b := range n.path {
		parts[i] = b.name
	}
	k := strings.Join(parts, "/")
	if n.variant != nil {
		k += ":" + n.variant.labelExample
	}
	return k
}

// attrs are the attributes a block of this node accepts.
func (n schemaNode) attrs() []schemaAttr {
	attrs := slices.Clone(n.block().attrs)
	if n.variant != nil {
		attrs = append(attrs, n.variant.attrs...)
	}
	return attrs
}

// minimal are the lines a block of this node needs.
func (n schemaNode) minimal() []string {
	lines := slices.Clone(n.block().minimal)
	if n.variant != nil {
		lines = append(lines, n.variant.minimal...)
	}
	return lines
}

// label is the label the node's block gets in probe files ("" for none).
func (n schemaNode) label() string {
	if n.variant != nil {
		return n.variant.labelExample
	}
	if n.block().label == "" {
		return ""
	}
	return n.block().labelExample
}

func (n schemaNode) example() string {
	if n.variant != nil {
		return n.variant.example
	}
	return n.block().example
}

// schemaNodes lists every block of the table; a block with variants is
// listed once bare (its own attributes, probed as its first variant) and
// once per variant.
func schemaNodes() []schemaNode {
	var out []schemaNode
	var walk func(parents []*schemaBlock, blocks []*schemaBlock)
	walk = func(parents []*schemaBlock, blocks []*schemaBlock) {
		for _, b := range blocks {
			path := append(slices.Clone(parents), b)
			out = append(out, schemaNode{path: path})
			for _, v := range b.variants {
				out = append(out, schemaNode{path: path, variant: v})
			}
			walk(path, b.children)
		}
	}
	walk(nil, schemaRoot.children)
	return out
}

// decodedNodes are the nodes whose blocks the decoder opens: a block with
// variants is opened as one of them, never bare.
func decodedNodes() []schemaNode {
	var out []schemaNode
	for _, n := range schemaNodes() {
		if n.variant != nil || len(n.block().variants) == 0 {
			out = append(out, n)
		}
	}
	return out
}

// lineKey is the attribute a line sets, or "" for a block line.
func lineKey(line string) string {
	k, _, ok := strings.Cut(line, " = ")
	if !ok || strings.ContainsAny(k, ` "{`) {
		return ""
	}
	return k
}

// header opens a block of b with the given label.
func header(name, label string) string {
	if label == "" {
		return name + " {"
	}
	return fmt.Sprintf("%s %q {", name, label)
}

// contextBlocks are top-level blocks that probe files need besides the
// block under test: the vrrp_script that track_script names and the
// vrrp_instance that virtual servers follow. A context block of the same
// type as the block under test is left out, so that the names stay unique.
func contextBlocks(top *schemaBlock) string {
	var b strings.Builder
	for _, c := range []*schemaBlock{schemaVRRPScript, schemaVRRPInstance} {
		if c == top {
			continue
		}
		b.WriteString(header(c.name, c.labelExample) + "\n")
		for _, l := range c.minimal {
			b.WriteString("  " + l + "\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// probe is a file built around one block of a node.
type probe struct {
	src string
	// line is the 1-based line of the last of the lines given, 0 if none.
	line int
}

// probeFile builds a valid file around the node's block, which holds its
// minimal lines except those setting an attribute in drop (or set by
// lines), then lines. The block is written copies times. Every enclosing
// block holds its minimal lines.
func probeFile(n schemaNode, lines, drop []string, copies int) probe {
	var b strings.Builder
	b.WriteString(contextBlocks(n.path[0]))
	indent := ""
	for _, p := range n.path[:len(n.path)-1] {
		b.WriteString(indent + header(p.name, p.labelExample) + "\n")
		indent += "  "
		for _, l := range p.minimal {
			b.WriteString(indent + l + "\n")
		}
	}
	skip := slices.Clone(drop)
	for _, l := range lines {
		skip = append(skip, lineKey(l))
	}
	var p probe
	for range copies {
		b.WriteString(indent + header(n.block().name, n.label()) + "\n")
		for _, l := range n.minimal() {
			if !slices.Contains(skip, lineKey(l)) {
				b.WriteString(indent + "  " + l + "\n")
			}
		}
		for _, l := range lines {
			b.WriteString(indent + "  " + l + "\n")
			p.line = strings.Count(b.String(), "\n")
		}
		b.WriteString(indent + "}\n")
	}
	for range len(n.path) - 1 {
		indent = indent[2:]
		b.WriteString(indent + "}\n")
	}
	p.src = b.String()
	return p
}

// exampleFile puts the node's example where probeFile puts its block.
func exampleFile(n schemaNode) string {
	var b strings.Builder
	b.WriteString(contextBlocks(n.path[0]))
	indent := ""
	for _, p := range n.path[:len(n.path)-1] {
		b.WriteString(indent + header(p.name, p.labelExample) + "\n")
		indent += "  "
		for _, l := range p.minimal {
			b.WriteString(indent + l + "\n")
		}
	}
	for _, l := range strings.SplitAfter(n.example(), "\n") {
		if l != "" {
			b.WriteString(indent + l)
		}
	}
	for range len(n.path) - 1 {
		indent = indent[2:]
		b.WriteString(indent + "}\n")
	}
	return b.String()
}

// parseProbe parses a probe file and fails the test on a file the parser
// rejects before decoding (a broken probe, not a finding).
func parseProbe(t *testing.T, src string) (*Config, hcl.Diagnostics) {
	t.Helper()
	if _, syn := hclsyntax.ParseConfig([]byte(src), "probe.hcl", hcl.InitialPos); syn.HasErrors() {
		t.Fatalf("probe file is not HCL:%s\n%s", describeDiags(syn), src)
	}
	return Parse([]byte(src), "probe.hcl")
}

// onLine returns the diagnostics whose subject starts on line.
func onLine(diags hcl.Diagnostics, line int) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Subject != nil && d.Subject.Start.Line == line {
			out = append(out, d)
		}
	}
	return out
}

// describeDiags renders diagnostics for a failure message.
func describeDiags(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "\n  %s", d.Error())
		if d.Detail != "" {
			fmt.Fprintf(&b, " (%s)", d.Detail)
		}
	}
	return b.String()
}
