package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteDiagnosticsShowsSnippet(t *testing.T) {
	src := instance("  priority = 300\n")
	_, diags := Parse([]byte(src), "t.hcl")
	var b strings.Builder
	if err := WriteDiagnostics(&b, map[string][]byte{"t.hcl": []byte(src)}, diags, 0, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`Error: vrrp_instance "VI_1": priority 300 is outside 1..255`,
		"on t.hcl line 5, in vrrp_instance \"VI_1\":",
		"5:   priority = 300",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteDiagnosticsReadsFileFromDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.hcl")
	if err := os.WriteFile(path, []byte("global {\n  log_level = \"loud\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(path)
	var b strings.Builder
	if err := WriteDiagnostics(&b, nil, diags, 0, true); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, `log_level "loud" is not valid`) || !strings.Contains(out, "log_level = ") ||
		!strings.Contains(out, "\x1b[31m") {
		t.Errorf("output:\n%q", out)
	}
}

func TestWriteDiagnosticsWithoutSource(t *testing.T) {
	_, diags := Parse([]byte("global {\n  log_level = \"loud\"\n}\n"), filepath.Join(t.TempDir(), "gone.hcl"))
	var b strings.Builder
	if err := WriteDiagnostics(&b, nil, diags, 0, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "(source code not available)") {
		t.Errorf("output:\n%s", b.String())
	}
}
