// Package nsexec runs code inside a named network namespace (one made by
// `ip netns add`, under /run/netns). Sockets created there stay in that
// namespace for their whole life, so they may be used from anywhere after.
package nsexec

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// Run runs fn on the calling goroutine's OS thread switched into the named
// namespace, then switches back. If the thread cannot go back it stays
// locked, so the runtime ends it with the goroutine instead of reusing a
// thread that sits in the wrong namespace.
func Run(name string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("current network namespace: %w", err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(name)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("network namespace %s: %w", name, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter network namespace %s: %w", name, err)
	}
	defer func() {
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return fn()
}
