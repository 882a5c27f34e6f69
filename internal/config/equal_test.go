package config

import (
	"strings"
	"testing"
)

// parsePair parses the full test file before and after replacing old by new.
func parsePair(t *testing.T, old, new string) (a, b *Config) {
	t.Helper()
	src := readFile(t, "testdata/full.hcl")
	if !strings.Contains(src, old) {
		t.Fatalf("testdata/full.hcl has no %q", old)
	}
	return mustParse(t, src, "a.hcl"), mustParse(t, strings.Replace(src, old, new, 1), "b.hcl")
}

func TestInstanceEqual(t *testing.T) {
	cases := []struct {
		name, old, new string
		changed        map[string]bool // instance name → changed
	}{
		{"comment only", "# Uses every block", "\n\n# Uses every block", nil},
		{"priority", "priority            = 200", "priority = 201", map[string]bool{"VI_1": true}},
		{"tracked script", `interval = "2s"`, `interval = "3s"`, map[string]bool{"VI_1": true}},
		{"global notify", `timeout = "3s"`, `timeout = "4s"`, map[string]bool{"VI_1": true, "VI_6": true}},
		{"virtual server only", `scheduler       = "sh"`, `scheduler = "sh"
  forwarding = "dr"`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := parsePair(t, tc.old, tc.new)
			for i := range a.Instances {
				ia, ib := a.Instances[i], b.Instances[i]
				want := tc.changed[ia.Name]
				if got := !ia.Equal(ib); got != want {
					t.Errorf("%s changed = %v, want %v", ia.Name, got, want)
				}
				if got := ia.Fingerprint() != ib.Fingerprint(); got != want {
					t.Errorf("%s fingerprint changed = %v, want %v", ia.Name, got, want)
				}
			}
		})
	}
}

func TestVirtualServerEqual(t *testing.T) {
	a, b := parsePair(t, `weight          = 50`, `weight = 51`)
	for i := range a.VirtualServers {
		va, vb := a.VirtualServers[i], b.VirtualServers[i]
		want := va.Name == "web"
		if got := !va.Equal(vb); got != want {
			t.Errorf("%s changed = %v, want %v", va.Name, got, want)
		}
		if got := va.Fingerprint() != vb.Fingerprint(); got != want {
			t.Errorf("%s fingerprint changed = %v, want %v", va.Name, got, want)
		}
	}
}
