package config

import (
	"bytes"
	"fmt"
	"strings"
)

//go:generate go run ./gendoc -o ../../docs/configuration.md

// Reference renders the configuration reference, docs/configuration.md,
// from the schema table: every block and attribute with its type, default,
// limits, description and an example. The schema test keeps the table in
// step with the decoder, and TestReferenceIsCurrent the file with the table.
func Reference() []byte {
	var b bytes.Buffer
	b.WriteString(referenceIntro)
	b.WriteString("## Blocks\n\n")
	writeContents(&b, schemaRoot.children, 0)
	for _, c := range schemaRoot.children {
		writeBlock(&b, c, nil)
	}
	return b.Bytes()
}

const referenceIntro = `# vigil configuration reference

<!-- Generated from internal/config/schema.go by
     go run ./internal/config/gendoc -o docs/configuration.md
     Do not edit by hand: TestReferenceIsCurrent fails when this file is stale. -->

A director reads one file, by default ` + "`/etc/vigil/director.hcl`" + ` (` + "`vigil run -config FILE`" + `).
` + "`vigil validate -config FILE`" + ` checks it and prints the effective configuration: every
default filled in, blocks in a fixed order. A real server uses the same syntax for its
` + "`realserver`" + ` block (` + "`vigil realserver apply -config FILE`" + `).

The file is [HCL](https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md) in native
syntax, without variables or functions:

- An unknown attribute or block is an error, never ignored; so is a second copy of a block
  that may appear once. Every error names the block and attribute and points at the
  offending value (` + "`file:line:column`" + `).
- **Durations** are strings in Go syntax: ` + "`\"10ms\"`, `\"1s\"`, `\"1m30s\"`" + `.
- **Commands** are lists of strings run without a shell; the first element is an absolute
  path: ` + "`[\"/usr/bin/pgrep\", \"-x\", \"haproxy\"]`" + `.
- **Names** of ` + "`vrrp_script`, `vrrp_instance` and `virtual_server`" + ` blocks hold letters,
  digits, ` + "`_`, `.` and `-`" + ` (at most 64 characters) and are unique per block type; the order
  of blocks does not matter.
- **Inheritance** is attribute by attribute: the global ` + "`notify`" + ` block is the default of every
  instance's ` + "`notify`" + `; the global ` + "`check_defaults`" + ` is the default of every virtual server's
  ` + "`check_defaults`" + `, which is the default of each of its checks.

In the tables, *unset* means the attribute has no value unless written; a default in words
depends on another block or attribute.

`

// writeContents lists the blocks as a nested Markdown list of links.
func writeContents(b *bytes.Buffer, blocks []*schemaBlock, depth int) {
	writeContentsUnder(b, blocks, nil, depth)
	b.WriteString("\n")
}

func writeContentsUnder(b *bytes.Buffer, blocks []*schemaBlock, parents []*schemaBlock, depth int) {
	for _, c := range blocks {
		path := append(append([]*schemaBlock(nil), parents...), c)
		fmt.Fprintf(b, "%s- [`%s`](#%s) — %s\n", strings.Repeat("  ", depth), blockTitle(c), blockAnchor(path), countWords(c))
		writeContentsUnder(b, c.children, path, depth+1)
		for _, v := range c.variants {
			vpath := append(append([]*schemaBlock(nil), path...), v)
			fmt.Fprintf(b, "%s- [`%s`](#%s)\n", strings.Repeat("  ", depth+1), blockTitle(v), blockAnchor(vpath))
		}
	}
}

// blockTitle is the block header as written in a file: `check "http"`,
// `vrrp_instance "name"`.
func blockTitle(blk *schemaBlock) string {
	switch {
	case blk.label != "":
		return fmt.Sprintf("%s %q", blk.name, blk.label)
	case blk.labelExample != "":
		return fmt.Sprintf("%s %q", blk.name, blk.labelExample)
	}
	return blk.name
}

// blockAnchor is the HTML id of a block's section: the path of block types.
func blockAnchor(path []*schemaBlock) string {
	parts := make([]string, 0, len(path))
	for _, p := range path {
		part := p.name
		if p.label == "" && p.labelExample != "" {
			part = p.labelExample // a variant: the path already ends in its block type
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, "-")
}

func countWords(blk *schemaBlock) string {
	if blk.multiple {
		return "any number"
	}
	return "at most one"
}

// writeBlock writes the section of one block, then those of its children
// and variants. parents are the enclosing blocks.
func writeBlock(b *bytes.Buffer, blk *schemaBlock, parents []*schemaBlock) {
	path := append(append([]*schemaBlock(nil), parents...), blk)
	level := min(len(path)+1, 6)
	fmt.Fprintf(b, "<a id=\"%s\"></a>\n\n%s `%s`\n\n", blockAnchor(path), strings.Repeat("#", level), blockTitle(blk))
	b.WriteString("*In:* ")
	if len(parents) == 0 {
		b.WriteString("the top level")
	} else {
		for i, p := range parents {
			if i > 0 {
				b.WriteString(" › ")
			}
			fmt.Fprintf(b, "[`%s`](#%s)", blockTitle(p), blockAnchor(path[:i+1]))
		}
	}
	fmt.Fprintf(b, " · %s\n\n%s\n\n", countWords(blk), blk.doc)
	if len(blk.attrs) == 0 {
		b.WriteString("No attributes of its own.\n\n")
	} else {
		writeAttrTable(b, blk.attrs)
	}
	fmt.Fprintf(b, "Example:\n\n```hcl\n%s```\n\n", blk.example)
	for _, c := range blk.children {
		writeBlock(b, c, path)
	}
	for _, v := range blk.variants {
		writeVariant(b, v, path)
	}
}

// writeVariant writes the section of one check type.
func writeVariant(b *bytes.Buffer, v *schemaBlock, parents []*schemaBlock) {
	path := append(append([]*schemaBlock(nil), parents...), v)
	level := min(len(path)+1, 6)
	base := parents[len(parents)-1]
	fmt.Fprintf(b, "<a id=\"%s\"></a>\n\n%s `%s`\n\n", blockAnchor(path), strings.Repeat("#", level), blockTitle(v))
	fmt.Fprintf(b, "%s Takes the attributes of [`%s`](#%s)", v.doc, blockTitle(base), blockAnchor(parents))
	if len(v.attrs) == 0 {
		b.WriteString(" and no others.\n\n")
	} else {
		b.WriteString(" and these:\n\n")
		writeAttrTable(b, v.attrs)
	}
	fmt.Fprintf(b, "Example:\n\n```hcl\n%s```\n\n", v.example)
}

func writeAttrTable(b *bytes.Buffer, attrs []schemaAttr) {
	b.WriteString("| Attribute | Type | Default | Description |\n|---|---|---|---|\n")
	for _, a := range attrs {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", a.name, a.typ, cell(defaultText(a)), cell(describe(a)))
	}
	b.WriteString("\n")
}

// defaultText is the Default column of an attribute.
func defaultText(a schemaAttr) string {
	switch {
	case a.required:
		return "**required**"
	case a.defDoc != "":
		return a.defDoc
	case a.def != "":
		return "`" + a.def + "`"
	}
	return "unset"
}

// describe is the Description column: the text, then the allowed values,
// the range, other limits and an example.
func describe(a schemaAttr) string {
	parts := []string{a.doc}
	if len(a.allowed) > 0 {
		vals := make([]string, len(a.allowed))
		for i, v := range a.allowed {
			if a.typ == typeNumber {
				vals[i] = "`" + v + "`"
			} else {
				vals[i] = fmt.Sprintf("`%q`", v)
			}
		}
		lead := "One of "
		if a.typ == typeList {
			lead = "Each element one of "
		}
		parts = append(parts, lead+strings.Join(vals, ", ")+".")
	}
	if a.rng != "" {
		parts = append(parts, "Range `"+a.rng+"`.")
	}
	if a.limits != "" {
		parts = append(parts, "Limits: "+a.limits+".")
	}
	parts = append(parts, "Example: `"+a.name+" = "+a.example+"`.")
	return strings.Join(parts, " ")
}

// cell escapes the characters that would break a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}
