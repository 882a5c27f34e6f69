package config

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// The schema table against the decoder's own lists: every body the decoder
// opens is matched with the block of the table it belongs to, and the
// attribute names and nested block types the decoder accepts there must be
// exactly those of the table.

// decodedKey names a block of a parsed file the way schemaNode.key does.
func decodedKey(prefix string, b *hclsyntax.Block) string {
	seg := b.Type
	if b.Type == "check" && len(b.Labels) == 1 {
		seg += ":" + b.Labels[0]
	}
	if prefix == "" {
		return seg
	}
	return prefix + "/" + seg
}

// opening is what the decoder accepted in one body.
type opening struct {
	attrs  []string
	blocks []string // "type/number-of-labels"
}

// decodeObserved decodes src and returns, per block key ("" for the top
// level), what the decoder accepted each time it opened such a block.
func decodeObserved(t *testing.T, src []byte, filename string) map[string][]opening {
	t.Helper()
	file, diags := hclparse.NewParser().ParseHCL(src, filename)
	if diags.HasErrors() {
		t.Fatalf("%s is not HCL:%s", filename, describeDiags(diags))
	}
	keys := map[hcl.Body]string{file.Body: ""}
	var walk func(body *hclsyntax.Body, prefix string)
	walk = func(body *hclsyntax.Body, prefix string) {
		for _, b := range body.Blocks {
			k := decodedKey(prefix, b)
			keys[b.Body] = k
			walk(b.Body, k)
		}
	}
	walk(file.Body.(*hclsyntax.Body), "")

	seen := map[string][]opening{}
	d := &decoder{onOpen: func(body hcl.Body, attrs []string, blocks []hcl.BlockHeaderSchema) {
		k, ok := keys[body]
		if !ok {
			t.Errorf("%s: the decoder opened a body that is no block of the file", filename)
			return
		}
		o := opening{attrs: slices.Sorted(slices.Values(attrs))}
		for _, b := range blocks {
			o.blocks = append(o.blocks, blockSig(b.Type, len(b.LabelNames)))
		}
		slices.Sort(o.blocks)
		seen[k] = append(seen[k], o)
	}}
	d.decodeFile(file.Body, hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos})
	return seen
}

func blockSig(typ string, labels int) string { return typ + "/" + strings.Repeat("L", labels) }

// expectedOpening is what the table says a block of children and attrs accepts.
func expectedOpening(attrs []schemaAttr, children []*schemaBlock) opening {
	var o opening
	for _, a := range attrs {
		o.attrs = append(o.attrs, a.name)
	}
	for _, c := range children {
		labels := 0
		if c.label != "" {
			labels = 1
		}
		o.blocks = append(o.blocks, blockSig(c.name, labels))
	}
	slices.Sort(o.attrs)
	slices.Sort(o.blocks)
	return o
}

func TestSchemaMatchesDecoder(t *testing.T) {
	corpus := map[string][]byte{}
	full, err := os.ReadFile("testdata/full.hcl")
	if err != nil {
		t.Fatal(err)
	}
	corpus["testdata/full.hcl"] = full
	for _, n := range schemaNodes() {
		corpus["example of "+n.key()] = []byte(exampleFile(n))
		corpus["minimal "+n.key()] = []byte(probeFile(n, nil, nil, 1).src)
	}

	want := map[string]opening{"": expectedOpening(nil, schemaRoot.children)}
	for _, n := range decodedNodes() {
		if _, dup := want[n.key()]; dup {
			t.Fatalf("two blocks of the table have the key %q", n.key())
		}
		want[n.key()] = expectedOpening(n.attrs(), n.block().children)
	}

	observed := map[string]bool{}
	for name, src := range corpus {
		for k, opens := range decodeObserved(t, src, name) {
			w, known := want[k]
			if !known {
				t.Errorf("%s: the decoder accepts block %q, which the table lacks", name, k)
				continue
			}
			observed[k] = true
			for _, o := range opens {
				if !slices.Equal(o.attrs, w.attrs) {
					t.Errorf("%s: block %q: the decoder accepts attributes %v, the table lists %v", name, k, o.attrs, w.attrs)
				}
				if !slices.Equal(o.blocks, w.blocks) {
					t.Errorf("%s: block %q: the decoder accepts blocks %v, the table lists %v", name, k, o.blocks, w.blocks)
				}
			}
		}
	}
	for k := range want {
		if !observed[k] {
			t.Errorf("block %q of the table was never decoded: add it to testdata/full.hcl or fix its example", k)
		}
	}
}

// TestSchemaRejectsUnknownAttributes checks that the probe files put their
// lines where the decoder looks, and that every block is strict.
func TestSchemaRejectsUnknownAttributes(t *testing.T) {
	for _, n := range schemaNodes() {
		p := probeFile(n, []string{"no_such_attribute = 1"}, nil, 1)
		_, diags := parseProbe(t, p.src)
		found := false
		for _, d := range onLine(diags, p.line) {
			found = found || strings.Contains(d.Summary, "Unsupported argument")
		}
		if !found {
			t.Errorf("%s: an unknown attribute was not reported:%s\n%s", n.key(), describeDiags(diags), p.src)
		}
	}
}

func TestSchemaExamples(t *testing.T) {
	for _, n := range schemaNodes() {
		ex := n.example()
		if h := header(n.block().name, n.label()); !strings.HasPrefix(ex, h) || !strings.HasSuffix(ex, "}\n") {
			t.Errorf("%s: the example is not a block that starts with %s:\n%s", n.key(), h, ex)
		}
		if got := string(hclwrite.Format([]byte(ex))); got != ex {
			t.Errorf("%s: the example is not formatted like hclwrite.Format:\n%s\nwant:\n%s", n.key(), ex, got)
		}
		src := exampleFile(n)
		if _, diags := parseProbe(t, src); len(diags) > 0 {
			t.Errorf("%s: the example is not clean:%s\n%s", n.key(), describeDiags(diags), src)
		}
	}
}

func TestSchemaBlockCounts(t *testing.T) {
	for _, n := range schemaNodes() {
		if n.variant != nil || n.block().label != "" {
			continue // labelled blocks may repeat with other labels
		}
		p := probeFile(n, nil, nil, 2)
		_, diags := parseProbe(t, p.src)
		once := false
		for _, d := range diags {
			once = once || strings.Contains(d.Summary, "only one "+n.block().name+" block is allowed")
		}
		if once == n.block().multiple {
			t.Errorf("%s: the table says multiple=%v, but two blocks give:%s", n.key(), n.block().multiple, describeDiags(diags))
		}
	}
}

func TestSchemaTableIsComplete(t *testing.T) {
	anchors := map[string]bool{}
	for _, n := range schemaNodes() {
		path := slices.Clone(n.path)
		if n.variant != nil {
			path = append(path, n.variant)
		}
		a := blockAnchor(path)
		if anchors[a] {
			t.Errorf("%s: anchor %q is used twice", n.key(), a)
		}
		anchors[a] = true
		if n.block().doc == "" || (n.variant != nil && n.variant.doc == "") {
			t.Errorf("%s: no description", n.key())
		}
		names := map[string]bool{}
		for _, a := range n.attrs() {
			if names[a.name] {
				t.Errorf("%s: attribute %q is listed twice", n.key(), a.name)
			}
			names[a.name] = true
			if a.doc == "" || a.example == "" || a.typ == "" {
				t.Errorf("%s: attribute %q lacks a description, an example or a type", n.key(), a.name)
			}
			if a.required && (a.def != "" || a.defDoc != "") {
				t.Errorf("%s: attribute %q is required but has a default", n.key(), a.name)
			}
			for _, e := range []string{a.def, a.example} {
				if e == "" {
					continue
				}
				if _, diags := hclsyntax.ParseExpression([]byte(e), "table", hcl.InitialPos); diags.HasErrors() {
					t.Errorf("%s: attribute %q: %q is not an HCL expression", n.key(), a.name, e)
				}
			}
		}
	}
}
