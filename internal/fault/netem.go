package fault

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetemAvailable reports whether the kernel has the netem qdisc (loading
// sch_netem if it is a module). It tries a netem qdisc on the loopback of a
// scratch network namespace that disappears afterwards, so nothing anyone
// can see changes. It needs CAP_SYS_ADMIN and CAP_NET_ADMIN.
func NetemAvailable() (bool, error) {
	scratch, err := newScratchNamespace()
	if err != nil {
		return false, err
	}
	defer scratch.Close()
	nl, err := netlink.NewHandleAt(scratch, unix.NETLINK_ROUTE)
	if err != nil {
		return false, fmt.Errorf("netem probe: %w", err)
	}
	defer nl.Close()
	lo, err := nl.LinkByName("lo")
	if err != nil {
		return false, fmt.Errorf("netem probe: %w", err)
	}
	err = nl.QdiscAdd(netlink.NewNetem(netlink.QdiscAttrs{
		LinkIndex: lo.Attrs().Index,
		Handle:    netlink.MakeHandle(NetemHandleMajor, 0),
		Parent:    netlink.HANDLE_ROOT,
	}, netlink.NetemQdiscAttrs{Latency: 1000}))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	}
	return false, fmt.Errorf("netem probe: %w", err)
}

// newScratchNamespace creates an unnamed network namespace without moving
// the process into it: only a locked thread enters it, and leaves again.
func newScratchNamespace() (netns.NsHandle, error) {
	runtime.LockOSThread()
	origin, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return netns.None(), fmt.Errorf("current network namespace: %w", err)
	}
	defer origin.Close()
	scratch, err := netns.New()
	if err != nil {
		// netns.New switches only on success: the thread is still home.
		runtime.UnlockOSThread()
		return netns.None(), fmt.Errorf("scratch network namespace: %w", err)
	}
	if err := netns.Set(origin); err != nil {
		// Keep the thread locked: the runtime discards it when the
		// goroutine exits rather than reuse it in the wrong namespace.
		scratch.Close()
		return netns.None(), fmt.Errorf("leave scratch network namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return scratch, nil
}
