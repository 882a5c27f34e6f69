package lab

import (
	"context"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// The real servers of a lab built by the tests run `SELF lab httpd`:
	// this test binary answers for vigil (see testOptions).
	if len(os.Args) > 1 && os.Args[1] == "lab" {
		os.Exit(Main(context.Background(), os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
