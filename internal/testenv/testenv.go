// Package testenv decides what a test does when the machine cannot run it.
//
// Outside CI a test that needs root, a network namespace or the test VM skips
// with the reason. In CI (CI=true) the same situation is a failure: a silent
// skip in CI would hide a test that never ran.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run under CI (the CI environment variable is "true").
func InCI() bool { return os.Getenv("CI") == "true" }

// Need skips t (or fails it under CI) unless ok is true. why says what is missing.
func Need(t testing.TB, ok bool, why string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("cannot run in CI: %s", why)
	}
	t.Skipf("skipped: %s (under CI=true this is a failure)", why)
}

// NeedRoot requires uid 0.
func NeedRoot(t testing.TB) {
	t.Helper()
	Need(t, os.Geteuid() == 0, "needs root")
}

// NeedCommand requires an executable in PATH.
func NeedCommand(t testing.TB, name string) {
	t.Helper()
	_, err := exec.LookPath(name)
	Need(t, err == nil, "needs the command "+name+" in PATH")
}
