package main

import (
	"os"
	"strings"
	"testing"
)

// TestManPageCoversCommands keeps docs/vigil.8.md in step with the binary.
func TestManPageCoversCommands(t *testing.T) {
	page, err := os.ReadFile("../../docs/vigil.8.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range commands {
		if !strings.Contains(string(page), "\n### "+name+"\n") {
			t.Errorf("docs/vigil.8.md has no section for command %q", name)
		}
	}
}
