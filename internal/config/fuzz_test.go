package config

import (
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary files to Parse: it must not panic, every
// diagnostic must have a subject, and a file that parses must survive the
// round trip through its effective configuration unchanged.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := Parse(src, "fuzz.hcl")
		for _, d := range diags {
			if d.Subject == nil {
				t.Fatalf("diagnostic without subject: %s", d.Summary)
			}
		}
		if cfg == nil {
			if !diags.HasErrors() {
				t.Fatal("nil Config without an error")
			}
			return
		}
		out := cfg.HCL()
		again, diags := Parse(out, "effective.hcl")
		if diags.HasErrors() {
			t.Fatalf("effective configuration does not parse: %s\n%s", diags.Error(), out)
		}
		if !reflect.DeepEqual(cfg, again) {
			t.Fatalf("effective configuration parses differently:\n%s", out)
		}
	})
}
