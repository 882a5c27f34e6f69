package main

import (
	"os"
	"os/exec"
	"testing"
)

// testChild returns a command that runs one test of this binary again in a
// fresh process, with extra environment.
func testChild(t *testing.T, name string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

func readFileIfExists(path string) ([]byte, error) { return os.ReadFile(path) }
