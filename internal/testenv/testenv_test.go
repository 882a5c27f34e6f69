package testenv

import "testing"

func TestInCIReadsEnvironment(t *testing.T) {
	t.Setenv("CI", "true")
	if !InCI() {
		t.Fatal("CI=true not recognised")
	}
	t.Setenv("CI", "")
	if InCI() {
		t.Fatal("empty CI taken as CI")
	}
}

func TestNeedPassesWhenSatisfied(t *testing.T) {
	t.Setenv("CI", "true")
	ran := false
	t.Run("ok", func(t *testing.T) {
		Need(t, true, "nothing")
		ran = true
	})
	if !ran {
		t.Fatal("Need stopped a satisfied test")
	}
}
