package integration

import (
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
)

func needCommand(t *testing.T, name string) {
	t.Helper()
	testenv.NeedCommand(t, name)
}
