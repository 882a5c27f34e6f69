package lab

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigil-ha/vigil/internal/nsexec"
)

// netnsDir is where `ip netns add` keeps named namespaces.
const netnsDir = "/run/netns"

// InNamespace runs fn on an OS thread that has entered the named network
// namespace. Sockets fn creates belong to that namespace for their whole
// life, so they may be used from any goroutine afterwards. fn runs in a
// goroutine of its own: the caller's thread never changes namespace.
func InNamespace(name string, fn func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- nsexec.Run(name, fn) }()
	return <-errc
}

// namespaceExists reports whether /run/netns/NAME exists.
func namespaceExists(name string) bool {
	_, err := os.Stat(filepath.Join(netnsDir, name))
	return err == nil
}

// namespacesWithPrefix lists the named namespaces PREFIX-*.
func namespacesWithPrefix(prefix string) ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix+"-") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// nsID identifies a namespace by the device and inode of its nsfs file.
type nsID struct{ dev, ino uint64 }

func statNS(path string) (nsID, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nsID{}, false
	}
	return nsID{dev: uint64(st.Dev), ino: st.Ino}, true
}

// PIDsIn lists the processes whose network namespace is the named one. It
// reads /proc, so it finds processes nobody recorded (a crashed `vigil lab`
// or drill, a daemon that forked).
func PIDsIn(name string) ([]int, error) {
	want, ok := statNS(filepath.Join(netnsDir, name))
	if !ok {
		return nil, nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if id, ok := statNS(filepath.Join("/proc", e.Name(), "ns", "net")); ok && id == want {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// SignalAll sends sig to every process in the named namespace and returns
// how many it signalled.
func SignalAll(name string, sig syscall.Signal) (int, error) {
	pids, err := PIDsIn(name)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err == nil {
			n++
		}
	}
	return n, nil
}
