package integration

import (
	"testing"

	"github.com/vigil-ha/vigil/integration/topo"
	"github.com/vigil-ha/vigil/internal/nstest"
)

// inNS runs fn inside the host's network namespace (nstest.InNamespace),
// so that sockets it creates live there.
func inNS(t *testing.T, h *topo.Host, fn func()) { nstest.InNamespace(t, h.NS, fn) }
