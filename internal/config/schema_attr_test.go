package config

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Each attribute of the table is put into a minimal valid file and parsed:
// its example must be accepted, a value of the wrong type must be refused
// with the table's type, the allowed values and the range must be the ones
// the decoder's messages state, a required attribute must be reported when
// missing, and the default must be what Parse fills in (read back from
// Config.HCL, the effective configuration).

// forEachAttr runs f as a subtest for each attribute where it is declared:
// the attributes of a block with variants are probed with its first variant.
func forEachAttr(t *testing.T, f func(t *testing.T, n schemaNode, a schemaAttr)) {
	for _, n := range schemaNodes() {
		attrs := n.block().attrs
		if n.variant != nil {
			attrs = n.variant.attrs
		}
		for _, a := range attrs {
			t.Run(n.key()+"."+a.name, func(t *testing.T) { f(t, n, a) })
		}
	}
}

// probeAttr builds a file in which the node's block sets a to value, with
// the lines a needs and without the minimal lines it excludes.
func probeAttr(n schemaNode, a schemaAttr, value string) probe {
	lines := append(slices.Clone(a.needs), a.name+" = "+value)
	return probeFile(n, lines, append([]string{a.name}, a.excludes...), 1)
}

// errorsOn returns the errors among diags.
func errorsOf(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}

func TestSchemaAttributeExamples(t *testing.T) {
	forEachAttr(t, func(t *testing.T, n schemaNode, a schemaAttr) {
		p := probeAttr(n, a, a.example)
		if _, diags := parseProbe(t, p.src); len(diags) > 0 {
			t.Errorf("the example is not clean:%s\n%s", describeDiags(diags), p.src)
		}
		if a.typ != typeString && a.typ != typeNumber {
			return
		}
		for _, v := range a.allowed {
			if a.typ == typeString {
				v = strconv.Quote(v)
			}
			p := probeAttr(n, a, v)
			if _, diags := parseProbe(t, p.src); len(errorsOf(onLine(diags, p.line))) > 0 {
				t.Errorf("allowed value %s is refused:%s\n%s", v, describeDiags(diags), p.src)
			}
		}
		if a.typ == typeNumber && len(a.allowed) > 0 {
			top, _ := strconv.Atoi(a.allowed[len(a.allowed)-1])
			p := probeAttr(n, a, strconv.Itoa(top+1))
			if _, diags := parseProbe(t, p.src); len(errorsOf(onLine(diags, p.line))) == 0 {
				t.Errorf("%d, not an allowed value, is accepted", top+1)
			}
		}
	})
}

// typeWordsOf is how the decoder's messages name each type of the table.
var typeWordsOf = map[attrType]string{
	typeString: "a string", typeDuration: "a string", typeNumber: "a number", typeBool: "true or false",
	typeList: "a list of strings", typeCommand: "a list of strings", typePorts: "a list of strings",
	typeMap: "a map of strings",
}

func TestSchemaTypes(t *testing.T) {
	forEachAttr(t, func(t *testing.T, n schemaNode, a schemaAttr) {
		want, ok := typeWordsOf[a.typ]
		if !ok {
			t.Fatalf("type %q is unknown", a.typ)
		}
		p := probeAttr(n, a, "{ probe = {} }")
		_, diags := parseProbe(t, p.src)
		for _, d := range onLine(diags, p.line) {
			if strings.HasSuffix(d.Summary, " "+a.name+" must be "+want) {
				return
			}
		}
		t.Errorf("an object was not refused as not %s:%s\n%s", want, describeDiags(diags), p.src)
	})
}

var quoted = regexp.MustCompile(`"([^"]*)"`)

func TestSchemaAllowedValues(t *testing.T) {
	forEachAttr(t, func(t *testing.T, n schemaNode, a schemaAttr) {
		var bogus string
		switch a.typ {
		case typeString:
			bogus = `"no-such-value"`
		case typeList, typeCommand, typePorts:
			bogus = `["no-such-value"]`
		default:
			return // numbers: TestSchemaAttributeExamples and TestSchemaRanges
		}
		p := probeAttr(n, a, bogus)
		_, diags := parseProbe(t, p.src)
		for _, d := range onLine(diags, p.line) {
			if !strings.HasPrefix(d.Detail, "Valid ") {
				continue
			}
			var got []string
			for _, m := range quoted.FindAllStringSubmatch(d.Detail, -1) {
				got = append(got, m[1])
			}
			if !slices.Equal(got, a.allowed) {
				t.Errorf("the decoder allows %q, the table %q", got, a.allowed)
			}
			return
		}
		if len(a.allowed) > 0 {
			t.Errorf("the table allows only %q, but the decoder does not say so for %s:%s", a.allowed, bogus, describeDiags(diags))
		}
	})
}

var outside = regexp.MustCompile(`is outside (\S+)\.\.(\S+)$`)

func TestSchemaRanges(t *testing.T) {
	forEachAttr(t, func(t *testing.T, n schemaNode, a schemaAttr) {
		var huge string
		switch a.typ {
		case typeNumber:
			huge = "1e12"
		case typeDuration:
			huge = `"1000000h"`
		default:
			if a.rng != "" {
				t.Errorf("a range on a %s", a.typ)
			}
			return
		}
		p := probeAttr(n, a, huge)
		_, diags := parseProbe(t, p.src)
		var lo, hi string
		for _, d := range onLine(diags, p.line) {
			if m := outside.FindStringSubmatch(d.Summary); m != nil {
				lo, hi = m[1], m[2]
			}
		}
		switch {
		case lo == "" && a.rng != "":
			t.Errorf("the table says %s, but %s was not refused as out of range:%s", a.rng, huge, describeDiags(diags))
		case lo == "":
		case a.rng == "" && a.limits == "" && len(a.allowed) == 0:
			t.Errorf("the decoder limits it to %s..%s, the table says nothing", lo, hi)
		case a.rng != "":
			wantLo, wantHi, _ := strings.Cut(a.rng, "..")
			if !sameBound(a.typ, wantLo, lo) || !sameBound(a.typ, wantHi, hi) {
				t.Errorf("the decoder says %s..%s, the table %s", lo, hi, a.rng)
			}
		}
	})
}

// sameBound compares a bound of the table with one of a message.
func sameBound(typ attrType, table, msg string) bool {
	if typ != typeDuration {
		return table == msg
	}
	a, err1 := time.ParseDuration(table)
	b, err2 := time.ParseDuration(msg)
	return err1 == nil && err2 == nil && a == b
}

func TestSchemaRequired(t *testing.T) {
	forEachAttr(t, func(t *testing.T, n schemaNode, a schemaAttr) {
		p := probeFile(n, nil, []string{a.name}, 1)
		_, diags := parseProbe(t, p.src)
		reported := false
		for _, d := range diags {
			reported = reported || strings.HasSuffix(d.Summary, " "+a.name+" is required")
		}
		if reported != a.required {
			t.Errorf("the table says required=%v; without it:%s", a.required, describeDiags(diags))
		}
	})
}

func TestSchemaDefaults(t *testing.T) {
	forEachAttr(t, func(t *testing.T, n schemaNode, a schemaAttr) {
		inMinimal := slices.ContainsFunc(n.minimal(), func(l string) bool { return lineKey(l) == a.name })
		if a.required || a.def == "" && inMinimal {
			return // a block without it is invalid: no default to see
		}
		var lines []string
		drop := []string{a.name}
		if a.def != "" {
			// The lines it needs make the default visible (verify needs tls).
			lines = a.needs
			drop = append(drop, a.excludes...)
		}
		p := probeFile(n, lines, drop, 1)
		cfg, diags := parseProbe(t, p.src)
		if diags.HasErrors() {
			t.Fatalf("the block without it is invalid:%s\n%s", describeDiags(diags), p.src)
		}
		eff := cfg.HCL()
		file, syn := hclsyntax.ParseConfig(eff, "effective.hcl", hcl.InitialPos)
		if syn.HasErrors() {
			t.Fatalf("Config.HCL is not HCL:%s", describeDiags(syn))
		}
		var got *hclsyntax.Attribute
		if body := findBlock(file.Body.(*hclsyntax.Body), n); body != nil {
			got = body.Attributes[a.name]
		}
		switch {
		case a.def == "" && got != nil:
			t.Errorf("the table says unset, the effective configuration has %s:\n%s", eff[got.SrcRange.Start.Byte:got.SrcRange.End.Byte], eff)
		case a.def != "" && got == nil:
			t.Errorf("the table says %s, the effective configuration has nothing:\n%s", a.def, eff)
		case a.def != "":
			want, _ := hclsyntax.ParseExpression([]byte(a.def), "table", hcl.InitialPos)
			wv, d1 := want.Value(nil)
			gv, d2 := got.Expr.Value(nil)
			if d1.HasErrors() || d2.HasErrors() || !sameValue(a.typ, wv, gv) {
				t.Errorf("the table says %s, the effective configuration has %s", a.def, eff[got.SrcRange.Start.Byte:got.SrcRange.End.Byte])
			}
		}
	})
}

// findBlock finds the node's block in an effective configuration: the first
// block of each type along the path, a check by its type.
func findBlock(body *hclsyntax.Body, n schemaNode) *hclsyntax.Body {
	for i, p := range n.path {
		var next *hclsyntax.Body
		for _, b := range body.Blocks {
			if b.Type != p.name {
				continue
			}
			if i == len(n.path)-1 && n.label() != "" && p.label == "type" && (len(b.Labels) != 1 || b.Labels[0] != n.label()) {
				continue
			}
			next = b.Body
			break
		}
		if next == nil {
			return nil
		}
		body = next
	}
	return body
}

// ctyTypeOf is the value type of an attribute type.
var ctyTypeOf = map[attrType]cty.Type{
	typeString: cty.String, typeDuration: cty.String, typeNumber: cty.Number, typeBool: cty.Bool,
	typeList: cty.List(cty.String), typeCommand: cty.List(cty.String), typePorts: cty.List(cty.String),
	typeMap: cty.Map(cty.String),
}

// sameValue compares two values of an attribute; durations by length of
// time ("300s" is "5m0s").
func sameValue(typ attrType, a, b cty.Value) bool {
	a, err1 := convert.Convert(a, ctyTypeOf[typ])
	b, err2 := convert.Convert(b, ctyTypeOf[typ])
	if err1 != nil || err2 != nil || !a.IsKnown() || !b.IsKnown() || a.IsNull() || b.IsNull() {
		return false
	}
	if typ == typeDuration {
		return sameBound(typ, a.AsString(), b.AsString())
	}
	return a.Equals(b).True()
}
