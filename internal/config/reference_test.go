package config

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// referencePath is the checked-in reference, relative to this package.
const referencePath = "../../docs/configuration.md"

func TestReferenceIsCurrent(t *testing.T) {
	want := Reference()
	got, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v\nCreate it: go run ./internal/config/gendoc -o docs/configuration.md", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	line := 0
	for line < len(gl) && line < len(wl) && gl[line] == wl[line] {
		line++
	}
	at := func(ls []string) string {
		if line < len(ls) {
			return ls[line]
		}
		return "(end of file)"
	}
	t.Errorf("docs/configuration.md is stale; first difference at line %d:\n  file:      %s\n  generated: %s\n"+
		"Regenerate it: go run ./internal/config/gendoc -o docs/configuration.md (or go generate ./internal/config/)",
		line+1, at(gl), at(wl))
}

func TestReferenceCoversTheTable(t *testing.T) {
	ref := string(Reference())
	for _, n := range schemaNodes() {
		path := append([]*schemaBlock(nil), n.path...)
		if n.variant != nil {
			path = append(path, n.variant)
		}
		if !strings.Contains(ref, `<a id="`+blockAnchor(path)+`"></a>`) {
			t.Errorf("%s: no section", n.key())
		}
		if !strings.Contains(ref, n.example()) {
			t.Errorf("%s: the example is missing", n.key())
		}
		for _, a := range n.attrs() {
			if !strings.Contains(ref, "| `"+a.name+"` | "+string(a.typ)+" | ") {
				t.Errorf("%s: no row for %s", n.key(), a.name)
			}
		}
	}
	if strings.Contains(ref, "\n\n\n") {
		t.Error("the reference has runs of blank lines")
	}
}
