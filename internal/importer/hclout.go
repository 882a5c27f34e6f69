package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// node is one piece of the vigil file being written: an attribute, a block
// or a bare comment. Every node remembers the keepalived statement it came
// from so that one vigil rejects can be reported at the right line.
type node struct {
	name     string   // attribute or block type; "" for a comment or a group of nodes
	labels   []string // block labels
	value    string   // rendered HCL expression of an attribute
	isBlock  bool
	comments []string // comment lines written before the node
	children []*node
	src      Skipped // origin: file, line and keyword; Why unused

	// essential marks an attribute without which the enclosing block
	// makes no sense: when vigil rejects it, the block is dropped.
	essential bool
	// dropped, when set, is why the node is left out; it is written as a
	// comment instead.
	dropped string

	first, last int // line numbers in the rendered output
}

// newBlock returns a block node.
func newBlock(src Skipped, name string, labels ...string) *node {
	return &node{name: name, labels: labels, isBlock: true, src: src}
}

// attr appends an attribute with a rendered value and returns it.
func (n *node) attr(src Skipped, name, value string) *node {
	a := &node{name: name, value: value, src: src}
	n.children = append(n.children, a)
	return a
}

// add appends a child node.
func (n *node) add(c *node) *node {
	n.children = append(n.children, c)
	return c
}

// comment appends a comment node.
func (n *node) comment(lines ...string) {
	n.children = append(n.children, &node{comments: lines})
}

// hclString renders s as an HCL string literal with every escape HCL needs
// (quotes, backslashes, control characters, "${" and "%{").
func hclString(s string) string {
	return strings.TrimSpace(string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes()))
}

// hclList renders a list of strings.
func hclList(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = hclString(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func hclInt(n int64) string { return strconv.FormatInt(n, 10) }

// hclDuration renders a duration the way a person writes it: "5s",
// "250ms", "1.5s".
func hclDuration(d time.Duration) string {
	switch {
	case d == 0:
		return `"0s"`
	case d%time.Second == 0:
		return fmt.Sprintf(`"%ds"`, d/time.Second)
	case d%time.Millisecond == 0 && d < time.Second:
		return fmt.Sprintf(`"%dms"`, d/time.Millisecond)
	}
	return `"` + d.String() + `"`
}

// render writes the nodes as HCL and records each node's line range.
func render(header []string, nodes []*node) []byte {
	w := &hclWriter{line: 1}
	for _, h := range header {
		w.println(0, commentLine(h))
	}
	for i, n := range nodes {
		if i > 0 || len(header) > 0 {
			w.println(0, "")
		}
		w.node(n, 0)
	}
	return []byte(w.b.String())
}

// hclWriter accumulates the output and counts lines.
type hclWriter struct {
	b    strings.Builder
	line int // number of the next line
}

func (w *hclWriter) println(indent int, s string) {
	if s != "" {
		w.b.WriteString(strings.Repeat("  ", indent))
		w.b.WriteString(s)
	}
	w.b.WriteByte('\n')
	w.line++
}

func (w *hclWriter) node(n *node, indent int) {
	for _, c := range n.comments {
		w.println(indent, commentLine(c))
	}
	n.first = w.line
	switch {
	case n.dropped != "":
		w.println(indent, commentLine(n.dropped))
		// What was skipped inside stays listed.
		for _, line := range skippedInside(n) {
			w.println(indent, commentLine(line))
		}
	case n.name == "":
		// A group: its children stand at this level.
		for _, c := range n.children {
			w.node(c, indent)
		}
	case !n.isBlock:
		w.println(indent, n.name+" = "+n.value)
	default:
		head := n.name
		for _, l := range n.labels {
			head += " " + hclString(l)
		}
		if len(n.children) == 0 {
			w.println(indent, head+" {}")
			break
		}
		w.println(indent, head+" {")
		for _, c := range n.children {
			w.node(c, indent+1)
		}
		w.println(indent, "}")
	}
	n.last = w.line - 1
}

// skippedInside collects the "skipped" comments under n.
func skippedInside(n *node) []string {
	var out []string
	for _, c := range n.children {
		for _, line := range c.comments {
			if strings.HasPrefix(line, "skipped") {
				out = append(out, line)
			}
		}
		if c.dropped != "" {
			out = append(out, c.dropped)
		}
		out = append(out, skippedInside(c)...)
	}
	return out
}

// commentLine turns text into one HCL comment line; newlines in the text
// cannot end the comment early.
func commentLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if s == "" {
		return "#"
	}
	return "# " + s
}

// format aligns the attributes the way `terraform fmt` does. It changes
// white space only, never the line structure.
func format(src []byte) []byte {
	return hclwrite.Format(src)
}
