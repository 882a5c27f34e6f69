package main

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// setRealtime applies the realtime block: SCHED_FIFO at prio for every
// thread of the process, and mlockall. A Go program has several threads
// and a thread inherits its creator's policy, so setting the policy on all
// threads that exist now covers the ones the runtime starts later. This is
// what lets 10 ms adverts survive a host whose CPUs are busy.
func setRealtime(prio int, lock bool) error {
	if prio > 0 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		attr := &unix.SchedAttr{Policy: unix.SCHED_FIFO, Priority: uint32(prio)}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := unix.SchedSetAttr(tid, attr, 0); err != nil {
				return fmt.Errorf("SCHED_FIFO priority %d on thread %d: %w", prio, tid, err)
			}
		}
	}
	if lock {
		if err := unix.Mlockall(unix.MCL_CURRENT | unix.MCL_FUTURE); err != nil {
			return fmt.Errorf("mlockall: %w", err)
		}
	}
	return nil
}
