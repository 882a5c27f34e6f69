package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The listeners and the 1 ms sleeper run in child processes of their own
// so that the checker process's figures are those of the checking alone.

// raiseFileLimit lifts the soft open-file limit to want, raising the hard
// limit too when that is needed and allowed (CAP_SYS_RESOURCE).
func raiseFileLimit(want int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= uint64(want) {
		return nil
	}
	if lim.Max < uint64(want) {
		raised := syscall.Rlimit{Cur: uint64(want), Max: uint64(want)}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			return nil
		}
		if lim.Max < uint64(want) {
			return fmt.Errorf("need %d open files, hard limit is %d and cannot be raised", want, lim.Max)
		}
	}
	lim.Cur = uint64(want)
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// listenAddr is the i-th loopback address: 127.1.0.1, 127.1.0.2, ...
// Linux delivers all of 127.0.0.0/8 to lo, so no address needs adding.
func listenAddr(i, port int) netip.AddrPort {
	v := uint32(127)<<24 | uint32(1)<<16 + uint32(i) + 1
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), uint16(port))
}

// serveListeners is the listener child: listen, accept and close, until
// the parent closes our stdin.
func serveListeners(cfg config) error {
	for i := range cfg.n {
		ln, err := net.Listen("tcp", listenAddr(i, cfg.port).String())
		if err != nil {
			return fmt.Errorf("listener %d: %w", i, err)
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
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // EOF when the parent exits
	return nil
}

// runSleeper is the sleeper child: it sleeps 1 ms at a time and, once
// settle has passed, records how much later than asked it woke up. That
// measures how late a process gets the CPU at all: on a shared machine
// that, not the scheduler, bounds how evenly checks can start. When stdin
// closes it prints the p50, p99 and maximum overshoot in nanoseconds.
func runSleeper(settle time.Duration) {
	var stop atomic.Bool
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop.Store(true)
	}()
	fmt.Println("ready")
	start := time.Now()
	var lags []int64
	for !stop.Load() {
		t0 := time.Now()
		time.Sleep(time.Millisecond)
		if time.Since(start) >= settle {
			lags = append(lags, int64(time.Since(t0)-time.Millisecond))
		}
	}
	slices.Sort(lags)
	fmt.Println(int64(percentile(lags, 0.5)), int64(percentile(lags, 0.99)), int64(percentile(lags, 1)))
}

// child is a running child process of this program.
type child struct {
	once   sync.Once
	last   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
}

// startChild runs this program with args and waits for its "ready" line.
func startChild(args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c := &child{cmd: exec.Command(self, args...)}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c.stdout = bufio.NewReader(out)
	c.cmd.Stderr = os.Stderr
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	if line, err := c.stdout.ReadString('\n'); err != nil || line != "ready\n" {
		c.stop()
		return nil, fmt.Errorf("%s child did not start: %q %v", args[0], line, err)
	}
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop closes the child's stdin, which ends it, and returns what it printed
// last.
func (c *child) stop() string {
	c.once.Do(func() {
		c.stdin.Close()
		rest, _ := io.ReadAll(c.stdout)
		_ = c.cmd.Wait()
		c.last = strings.TrimSpace(string(rest))
	})
	return c.last
}

// sleeperResult parses the sleeper child's last line.
func sleeperResult(line string) (p50, p99, worst time.Duration) {
	_, _ = fmt.Sscan(line, &p50, &p99, &worst)
	return
}
