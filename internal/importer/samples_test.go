package importer

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/vigil-ha/vigil/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// samples are the configurations Debian's keepalived package ships under
// /usr/share/doc/keepalived/samples, copied so that CI needs no keepalived.
func samples(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob("testdata/keepalived/keepalived.conf.*")
	if err != nil || len(names) < 20 {
		t.Fatalf("expected the Debian samples in testdata/keepalived, found %d (%v)", len(names), err)
	}
	return names
}

// mustParse fails unless vigil accepts src without errors.
func mustParse(t *testing.T, src []byte, name string) *config.Config {
	t.Helper()
	cfg, diags := config.Parse(src, name)
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			t.Errorf("%s: vigil rejects the output: %s", name, d.Error())
		}
	}
	if cfg == nil {
		t.Fatalf("%s: no configuration\n%s", name, src)
	}
	return cfg
}

// TestSamplesConvert converts every Debian sample: the result must pass
// vigil's validation, every report item must point at a real line of the
// sample, and converting twice must give the same bytes.
func TestSamplesConvert(t *testing.T) {
	for _, path := range samples(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			out, report, err := Convert(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			cfg := mustParse(t, out, path)
			if len(cfg.Instances)+len(cfg.VirtualServers) == 0 && cfg.Global.RouterID == "" {
				t.Errorf("nothing converted:\n%s", out)
			}
			src, _ := os.ReadFile(path)
			lines := strings.Count(string(src), "\n") + 1
			for _, s := range report {
				if s.File != path || s.Line < 1 || s.Line > lines || s.Keyword == "" || s.Why == "" {
					t.Errorf("bad report item %+v", s)
				}
				if strings.Contains(s.Why, "vigil rejects") {
					t.Errorf("the converter produced something vigil rejects: %v", s)
				}
				if !bytes.Contains(out, []byte(s.Keyword)) {
					t.Errorf("report item %v is not mentioned in the output", s)
				}
			}
			again, report2, _ := Convert(path, Options{})
			if !bytes.Equal(out, again) || len(report) != len(report2) {
				t.Error("conversion is not deterministic")
			}
		})
	}
}

// TestGolden compares representative conversions with testdata/golden.
// Run `go test ./internal/importer -run TestGolden -update` after an
// intended change and review the diff.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		sample, golden string
		opts           Options
	}{
		{"keepalived.conf.sample", "sample.hcl", Options{}},
		{"keepalived.conf.vrrp.scripts", "vrrp.scripts.hcl", Options{}},
		{"keepalived.conf.conditional_conf", "conditional_conf.high.hcl", Options{ConfigID: "high"}},
		{"keepalived.conf.fwmark", "fwmark.hcl", Options{}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata/keepalived", tc.sample))
			if err != nil {
				t.Fatal(err)
			}
			out, _ := ConvertBytes(src, tc.sample, "testdata/keepalived", tc.opts)
			mustParse(t, out, tc.golden)
			golden := filepath.Join("testdata/golden", tc.golden)
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("output differs from %s (run with -update and review the diff):\n%s", golden, out)
			}
		})
	}
}
