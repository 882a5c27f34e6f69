package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "director.hcl")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateNamesFileLineAndField(t *testing.T) {
	p := writeFile(t, `vrrp_instance "VI_1" {
  interface = "eth0"
  vrid = 51
  priority = 300
  virtual_ipaddresses = ["10.99.0.100/24"]
}
`)
	var out, errb bytes.Buffer
	if code := dispatch([]string{"validate", "-config", p}, &out, &errb); code != exitConfig {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitConfig, errb.String())
	}
	msg := errb.String()
	for _, want := range []string{p + ":4", "priority", "300"} {
		if !strings.Contains(msg, want) {
			t.Errorf("diagnostic lacks %q:\n%s", want, msg)
		}
	}
	if out.Len() != 0 {
		t.Errorf("an invalid file printed a configuration:\n%s", out.String())
	}
}

func TestValidatePrintsEffectiveConfigThatValidatesAgain(t *testing.T) {
	p := writeFile(t, `vrrp_instance "VI_1" {
  interface = "eth0"
  vrid = 51
  virtual_ipaddresses = ["10.99.0.100/24"]
}
`)
	var out, errb bytes.Buffer
	if code := dispatch([]string{"validate", "-config", p}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// Defaults must be spelled out: priority 100, version 3, 1s adverts.
	for _, want := range []string{"priority", "100", "advert_interval", "preempt"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("effective config lacks %q:\n%s", want, out.String())
		}
	}
	again := writeFile(t, out.String())
	var out2 bytes.Buffer
	if code := dispatch([]string{"validate", "-config", again}, &out2, &errb); code != exitOK {
		t.Fatalf("effective config does not validate: %s", errb.String())
	}
	if out.String() != out2.String() {
		t.Errorf("effective config is not a fixed point:\n%s\n---\n%s", out.String(), out2.String())
	}
}

func TestValidateMissingFile(t *testing.T) {
	var out, errb bytes.Buffer
	code := dispatch([]string{"validate", "-config", "/nonexistent/vigil.hcl"}, &out, &errb)
	if code != exitConfig || !strings.Contains(errb.String(), "/nonexistent/vigil.hcl") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestValidateTakesTheFileAsArgumentToo(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"validate", "-q", "../../examples/pair/director-a.hcl"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if code := dispatch([]string{"validate", "a.hcl", "b.hcl"}, &out, &errb); code != exitUsage {
		t.Fatalf("two files: exit %d, want usage error", code)
	}
}

func TestValidateRecognisesARealServerFile(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"validate", "../../examples/realserver/realserver.hcl"}, &out, &errb); code != exitOK {
		t.Fatalf("the shipped real-server example does not validate (exit %d): %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "vigil realserver apply") {
		t.Fatalf("unexpected output %q", out.String())
	}
	bad := writeFile(t, "realserver {\n  vips = [\"10.0.0.1\"]\n  bogus = 1\n}\n")
	if code := dispatch([]string{"validate", bad}, &out, &errb); code != exitConfig || !strings.Contains(errb.String(), "bogus") {
		t.Fatalf("bad real-server file: exit %d, %q", code, errb.String())
	}
}
