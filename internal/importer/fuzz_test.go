package importer

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to the whole conversion (reading,
// converting, settling): it must not panic, the output must always pass
// vigil's validation and every report item must point at a line of the
// input. Includes see an empty file system. The Debian samples are seeds.
func FuzzParse(f *testing.F) {
	for _, path := range samples(f) {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, report := convertFS(mapFS{}, src, "fuzz.conf", "/fuzz", Options{ConfigID: "a"})
		mustParse(t, out, "fuzz.hcl")
		lines := strings.Count(string(src), "\n") + 1
		for _, s := range report {
			if s.Line < 1 || s.Line > lines || s.Why == "" {
				t.Fatalf("bad report item %+v for %d lines", s, lines)
			}
		}
	})
}
