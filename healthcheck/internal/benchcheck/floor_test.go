package main

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
	"golang.org/x/sys/unix"
)

// floorListenerEnv makes the test binary the listener process of the floor
// benchmarks, so that its accept work is not counted with the prober's.
const floorListenerEnv = "BENCHCHECK_FLOOR_LISTENER"

func TestMain(m *testing.M) {
	if addr := os.Getenv(floorListenerEnv); addr != "" {
		if err := serveOne(addr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveOne listens on addr, prints the bound address, then accepts and
// closes until stdin closes.
func serveOne(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	fmt.Println(ln.Addr())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return nil
}

// floorListener starts the listener process and returns its address and pid.
func floorListener(b *testing.B) (netip.AddrPort, int) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), floorListenerEnv+"=127.1.0.1:0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("listener: %v", err)
	}
	addr, err := netip.ParseAddrPort(strings.TrimSpace(line))
	if err != nil {
		b.Fatal(err)
	}
	return addr, cmd.Process.Pid
}

// BenchmarkProbeFloor is the bare system-call sequence of a TCP probe —
// socket, SO_LINGER 0, connect, (wait,) close — against a listener in
// another process, on a thread of its own so that RUSAGE_THREAD is the
// probe's kernel and user cost and nothing else of the Go runtime. It is
// the floor under vigil's TCP check: what is left above it in
// benchcheck's figures is the scheduler and the checker's Go code. The
// custom metrics are per probe.
//
// loopback: as benchcheck runs by default, the whole handshake of both
// ends runs inside connect and close. steered: lo's receive processing
// goes to other CPUs (RPS) than the prober's, as a NIC's would; connect
// returns before the handshake ends and the prober waits in poll, one
// probe at a time. steered-epoll10: ten probes in flight, one epoll_wait
// for them, as a director running 10,000 checks a second would have.
func BenchmarkProbeFloor(b *testing.B) {
	addr, pid := floorListener(b)
	sa := &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	b.Run("loopback", func(b *testing.B) {
		var waited int
		threadCost(b, pid, nil, 1, func() { waited += connectProbe(b, sa) })
		b.ReportMetric(float64(waited)/float64(b.N), "waited/probe")
	})
	b.Run("steered", func(b *testing.B) {
		var waited int
		threadCost(b, pid, steer(b), 1, func() { waited += connectProbe(b, sa) })
		b.ReportMetric(float64(waited)/float64(b.N), "waited/probe")
	})
	b.Run("steered-epoll10", func(b *testing.B) {
		pin := steer(b)
		ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			b.Fatal(err)
		}
		defer unix.Close(ep)
		threadCost(b, pid, pin, 10, func() { connectBatch(b, ep, sa, 10) })
	})
}

// steer sends lo's receive processing to all CPUs but the first, for the
// rest of the benchmark, and returns the CPU the prober is to run on.
func steer(b *testing.B) *unix.CPUSet {
	testenv.NeedRoot(b)
	checker, rx, err := cpuSplit()
	testenv.Need(b, err == nil, fmt.Sprint(err))
	restore, err := steerLoopback(rx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := restore(); err != nil {
			b.Error(err)
		}
	})
	return &checker
}

// threadCost runs body b.N times on a locked thread (pinned to pin when not
// nil) and reports that thread's CPU time and the listener process's, per
// probe; body runs perIter probes.
func threadCost(b *testing.B, listenerPID int, pin *unix.CPUSet, perIter int, body func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if pin != nil {
		var old unix.CPUSet
		if err := unix.SchedGetaffinity(0, &old); err != nil {
			b.Fatal(err)
		}
		if err := unix.SchedSetaffinity(0, pin); err != nil {
			b.Fatal(err)
		}
		defer unix.SchedSetaffinity(0, &old) //nolint:errcheck // best effort
	}
	var ru0, ru1 unix.Rusage
	lis0 := listenerCPU(b, listenerPID)
	_ = unix.Getrusage(unix.RUSAGE_THREAD, &ru0)
	for b.Loop() {
		body()
	}
	_ = unix.Getrusage(unix.RUSAGE_THREAD, &ru1)
	lis1 := listenerCPU(b, listenerPID)
	n := float64(b.N * perIter)
	b.ReportMetric(float64(ru1.Utime.Nano()-ru0.Utime.Nano())/n, "user-ns/probe")
	b.ReportMetric(float64(ru1.Stime.Nano()-ru0.Stime.Nano())/n, "sys-ns/probe")
	b.ReportMetric(float64(lis1-lis0)/n, "listener-ns/probe")
}

// probeSocket is socket plus SO_LINGER 0, as vigil's probe makes it.
func probeSocket(b *testing.B) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1}); err != nil {
		b.Fatal(err)
	}
	return fd
}

// connectProbe is one probe, waiting in poll when the handshake is still
// in flight; it returns 1 if it had to wait.
func connectProbe(b *testing.B, sa unix.Sockaddr) (waited int) {
	fd := probeSocket(b)
	err := unix.Connect(fd, sa)
	if err == unix.EINPROGRESS {
		// On plain loopback the handshake has completed by the time
		// connect returns; asking again says so (vigil's fast path).
		err = unix.Connect(fd, sa)
	}
	if err == unix.EALREADY {
		// Rare on plain loopback (softirq deferred to ksoftirqd under
		// load), the rule when steered.
		waited = 1
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		for {
			if _, err = unix.Poll(fds, -1); err != unix.EINTR {
				break
			}
		}
		if err == nil {
			err = unix.Connect(fd, sa)
		}
	}
	if err == unix.EISCONN {
		err = nil
	}
	if err != nil {
		b.Fatal(err)
	}
	unix.Close(fd)
	return waited
}

// connectBatch starts n probes, waits for all of them with one epoll set
// and closes them.
func connectBatch(b *testing.B, ep int, sa unix.Sockaddr, n int) {
	var fds [16]int
	for i := range n {
		fds[i] = probeSocket(b)
		if err := unix.Connect(fds[i], sa); err != nil && err != unix.EINPROGRESS {
			b.Fatal(err)
		}
		ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLONESHOT, Fd: int32(fds[i])}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fds[i], &ev); err != nil {
			b.Fatal(err)
		}
	}
	var events [16]unix.EpollEvent
	for left := n; left > 0; {
		k, err := unix.EpollWait(ep, events[:], -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range events[:k] {
			soerr, err := unix.GetsockoptInt(int(ev.Fd), unix.SOL_SOCKET, unix.SO_ERROR)
			if err != nil || soerr != 0 {
				b.Fatalf("probe: %v %v", err, unix.Errno(soerr))
			}
			unix.Close(int(ev.Fd)) // leaves the epoll set with its last reference
			left--
		}
	}
}

func listenerCPU(b *testing.B, pid int) time.Duration {
	d, err := processCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	return d
}
