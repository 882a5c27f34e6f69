package integration

import (
	"runtime"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/vigil-ha/vigil/integration/topo"
)

// inNS runs fn on a thread inside the host's network namespace, so that
// sockets it creates live there.
func inNS(t *testing.T, h *topo.Host, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		ns, err := netns.GetFromName(h.NS)
		if err != nil {
			t.Error(err)
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			t.Error(err)
			return
		}
		fn()
	}()
	<-done
}
