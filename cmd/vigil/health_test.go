package main

import (
	"testing"

	"github.com/vigil-ha/vigil/healthcheck"
	"github.com/vigil-ha/vigil/internal/config"
)

func TestHalfOpenCheckFromConfig(t *testing.T) {
	src := `virtual_server "web" {
  address = "10.99.0.100:80"
  real_server "10.99.0.11:80" {
    check "tcp" {
      half_open = true
    }
    check "tcp" {}
  }
}
`
	cfg, diags := config.Parse([]byte(src), "half.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	vss, _, err := healthTargets(cfg, fakeMarks{})
	if err != nil {
		t.Fatal(err)
	}
	checks := vss[0].RealServers[0].Checks
	for i, want := range []healthcheck.TCPChecker{{HalfOpen: true}, {}} {
		if got, ok := checks[i].Checker.(healthcheck.TCPChecker); !ok || got != want {
			t.Errorf("check %d is %#v, want %#v", i+1, checks[i].Checker, want)
		}
	}
}
