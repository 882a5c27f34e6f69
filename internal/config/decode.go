package config

import (
	"fmt"
	"math/big"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// decoder collects the diagnostics of one Parse call.
type decoder struct {
	diags hcl.Diagnostics
	opts  Options
	// onOpen, when set, sees every body the decoder opens with the
	// attributes and blocks it accepts there. Only the schema test sets it,
	// to compare the reference table (schema.go) with what the decoder
	// really accepts.
	onOpen func(body hcl.Body, attrs []string, blocks []hcl.BlockHeaderSchema)
}

// errorAt records an error whose subject is rng.
func (d *decoder) errorAt(rng hcl.Range, summary, detail string) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  rng.Ptr(),
	})
}

// warnAt records a warning whose subject is rng.
func (d *decoder) warnAt(rng hcl.Range, summary, detail string) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   detail,
		Subject:  rng.Ptr(),
	})
}

// section is the decoded content of one block together with the name used
// in messages (`vrrp_instance "VI_1"`), so that every diagnostic says where
// it belongs even when printed without the source snippet.
type section struct {
	d    *decoder
	what string
	def  hcl.Range
	c    *hcl.BodyContent
}

// open decodes body against the attribute names and block types it may hold.
// Anything else is an error: a misspelt key must never be silently ignored.
func (d *decoder) open(body hcl.Body, what string, def hcl.Range, attrs []string, blocks ...hcl.BlockHeaderSchema) *section {
	if d.onOpen != nil {
		d.onOpen(body, attrs, blocks)
	}
	c, diags := Content(body, what, attrs, blocks...)
	d.diags = append(d.diags, diags...)
	return &section{d: d, what: what, def: def, c: c}
}

// Content decodes an HCL body that may hold only the given attributes and
// block types; anything else is an error, each prefixed with what (e.g.
// `vrrp_instance "VI_1"`). The content is never nil, so callers can read
// it even when there are errors. Other vigil files (the drill's hosts
// file) decode their bodies with it too.
func Content(body hcl.Body, what string, attrs []string, blocks ...hcl.BlockHeaderSchema) (*hcl.BodyContent, hcl.Diagnostics) {
	schema := &hcl.BodySchema{Blocks: blocks}
	for _, a := range attrs {
		schema.Attributes = append(schema.Attributes, hcl.AttributeSchema{Name: a})
	}
	c, diags := body.Content(schema)
	for _, diag := range diags {
		if what != "" {
			diag.Summary = what + ": " + diag.Summary
		}
	}
	if c == nil {
		c = &hcl.BodyContent{Attributes: hcl.Attributes{}}
	}
	return c, diags
}

// block is a helper for a block header schema.
func block(typ string, labels ...string) hcl.BlockHeaderSchema {
	return hcl.BlockHeaderSchema{Type: typ, LabelNames: labels}
}

// fail records an error about this section; the summary is prefixed with
// the section's name.
func (s *section) fail(rng hcl.Range, detail, format string, args ...any) {
	summary := fmt.Sprintf(format, args...)
	if s.what != "" {
		summary = s.what + ": " + summary
	}
	s.d.errorAt(rng, summary, detail)
}

// has reports whether the attribute is present.
func (s *section) has(name string) bool { return s.c.Attributes[name] != nil }

// rng is the range of the attribute's value, or the block header when the
// attribute is absent (the place where it should be added).
func (s *section) rng(name string) hcl.Range {
	if a := s.c.Attributes[name]; a != nil {
		return a.Expr.Range()
	}
	return s.def
}

// require reports an error when the attribute is missing.
func (s *section) require(name string) bool {
	if s.has(name) {
		return true
	}
	s.fail(s.def, fmt.Sprintf("Add %s = ... inside the block.", name), "%s is required", name)
	return false
}

// blocks returns the nested blocks of one type in file order.
func (s *section) blocks(typ string) hcl.Blocks {
	return s.c.Blocks.OfType(typ)
}

// single returns the only block of a type (nil if none); further ones are errors.
func (s *section) single(typ string) *hcl.Block {
	bs := s.blocks(typ)
	for _, b := range bs[min(1, len(bs)):] {
		s.fail(b.DefRange, fmt.Sprintf("The first %s block is at %s.", typ, bs[0].DefRange), "only one %s block is allowed", typ)
	}
	if len(bs) == 0 {
		return nil
	}
	return bs[0]
}

// value evaluates an attribute (without variables or functions) and
// converts it to ty. ok is false when absent or invalid; errors are recorded.
func (s *section) value(name string, ty cty.Type) (cty.Value, bool) {
	a := s.c.Attributes[name]
	if a == nil {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(nil)
	for _, diag := range diags {
		if s.what != "" {
			diag.Summary = s.what + ": " + diag.Summary
		}
	}
	s.d.diags = append(s.d.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if v.IsNull() {
		s.fail(a.Expr.Range(), "Remove the attribute to get the default.", "%s must not be null", name)
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		s.fail(a.Expr.Range(), "", "%s must be a constant", name)
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil || !cv.IsWhollyKnown() {
		s.fail(a.Expr.Range(), fmt.Sprintf("Got %s.", v.Type().FriendlyName()), "%s must be %s", name, typeWords(ty))
		return cty.NilVal, false
	}
	return cv, true
}

// typeWords names a cty type in messages.
func typeWords(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "true or false"
	case ty.IsListType():
		return "a list of " + typeWords(ty.ElementType())[2:] + "s"
	case ty.IsMapType():
		return "a map of " + typeWords(ty.ElementType())[2:] + "s"
	}
	return ty.FriendlyName()
}

// str stores a string attribute in dst when present and valid.
func (s *section) str(name string, dst *string) bool {
	v, ok := s.value(name, cty.String)
	if ok {
		*dst = v.AsString()
	}
	return ok
}

// boolean stores a bool attribute in dst when present and valid.
func (s *section) boolean(name string, dst *bool) bool {
	v, ok := s.value(name, cty.Bool)
	if ok {
		*dst = v.True()
	}
	return ok
}

// integer stores a whole-number attribute within lo..hi in dst.
func (s *section) integer(name string, dst *int, lo, hi int64) bool {
	v, ok := s.value(name, cty.Number)
	if !ok {
		return false
	}
	f := v.AsBigFloat()
	if !f.IsInt() {
		s.fail(s.rng(name), "", "%s %s is not a whole number", name, f.Text('g', 10))
		return false
	}
	n, acc := f.Int64()
	if acc != big.Exact || n < lo || n > hi {
		s.fail(s.rng(name), "", "%s %s is outside %d..%d", name, f.Text('g', 10), lo, hi)
		return false
	}
	*dst = int(n)
	return true
}

// oneOf stores a string attribute that must be one of allowed.
func (s *section) oneOf(name string, dst *string, allowed ...string) bool {
	var v string
	if !s.str(name, &v) {
		return false
	}
	for _, a := range allowed {
		if v == a {
			*dst = v
			return true
		}
	}
	s.fail(s.rng(name), fmt.Sprintf("Valid values: %s.", quoteList(allowed)), "%s %q is not valid", name, v)
	return false
}

// duration stores a duration attribute within lo..hi in dst.
func (s *section) duration(name string, dst *time.Duration, lo, hi time.Duration) bool {
	var text string
	if !s.str(name, &text) {
		return false
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		s.fail(s.rng(name), `Write a number with a unit, such as "10ms", "1s" or "1m30s".`, "%s %q is not a duration", name, text)
		return false
	}
	if d < lo || d > hi {
		s.fail(s.rng(name), "", "%s %s is outside %s..%s", name, d, lo, hi)
		return false
	}
	*dst = d
	return true
}

// strings returns a list-of-strings attribute and the range of each
// element (the whole value's range when the list is not written literally).
func (s *section) strings(name string) ([]string, []hcl.Range, bool) {
	v, ok := s.value(name, cty.List(cty.String))
	if !ok {
		return nil, nil, false
	}
	expr := s.c.Attributes[name].Expr
	elems, diags := hcl.ExprList(expr)
	out := make([]string, 0, v.LengthInt())
	ranges := make([]hcl.Range, 0, v.LengthInt())
	for i, e := range v.AsValueSlice() {
		r := expr.Range()
		if !diags.HasErrors() && len(elems) == v.LengthInt() {
			r = elems[i].Range()
		}
		if e.IsNull() {
			s.fail(r, "", "%s: element %d must not be null", name, i+1)
			return nil, nil, false
		}
		out = append(out, e.AsString())
		ranges = append(ranges, r)
	}
	if len(out) == 0 {
		return nil, nil, true
	}
	return out, ranges, true
}

// stringMap returns a map-of-strings attribute; nil when empty.
func (s *section) stringMap(name string) (map[string]string, bool) {
	v, ok := s.value(name, cty.Map(cty.String))
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for k, e := range v.AsValueMap() {
		if e.IsNull() {
			s.fail(s.rng(name), "", "%s: %q must not be null", name, k)
			return nil, false
		}
		out[k] = e.AsString()
	}
	if len(out) == 0 {
		return nil, true
	}
	return out, true
}

// quoteList renders allowed values for messages: "a", "b", "c".
func quoteList(vals []string) string {
	out := ""
	for i, v := range vals {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", v)
	}
	return out
}
