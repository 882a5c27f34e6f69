package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// On loopback a packet's receive processing (the listener's SYN handling,
// the SYN-ACK, the ACK, the reset) runs in softirq inside the sending
// system call, so both ends of every handshake are charged to the checker.
// Against a real server the director only sends, and the receive work runs
// in the NIC's softirq, which the checker process does not pay for when it
// lands on another CPU. Steering reproduces that on loopback: Receive Packet
// Steering on lo queues every received packet to the rx CPUs, and the
// checker is pinned to the other ones.

// rpsPath is lo's receive queue steering mask in the initial network
// namespace (other namespaces have their own lo).
const rpsPath = "/sys/class/net/lo/queues/rx-0/rps_cpus"

// cpuSplit divides the CPUs this process may use into the checker's (the
// first) and the receive processing's (the rest).
func cpuSplit() (checker, rx unix.CPUSet, err error) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		return checker, rx, err
	}
	first := -1
	for cpu := 0; cpu < runtime.NumCPU()*8 && cpu < 1024; cpu++ {
		if !all.IsSet(cpu) {
			continue
		}
		if first < 0 {
			first = cpu
			checker.Set(cpu)
		} else {
			rx.Set(cpu)
		}
	}
	if rx.Count() == 0 {
		return checker, rx, fmt.Errorf("steering needs at least 2 CPUs, this process may use %d", all.Count())
	}
	return checker, rx, nil
}

// steerLoopback sets lo's RPS mask to rx and returns a function restoring
// the previous mask. Needs root.
func steerLoopback(rx unix.CPUSet) (restore func() error, err error) {
	old, err := os.ReadFile(rpsPath)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(rpsPath, []byte(cpuMask(rx)), 0); err != nil {
		return nil, fmt.Errorf("set %s: %w", rpsPath, err)
	}
	return func() error { return os.WriteFile(rpsPath, []byte(strings.TrimSpace(string(old))), 0) }, nil
}

// cpuMask formats a CPU set as the hexadecimal mask sysfs reads, in
// comma-separated 32-bit words.
func cpuMask(set unix.CPUSet) string {
	var words []string
	top := 0
	for cpu := range 1024 {
		if set.IsSet(cpu) {
			top = cpu
		}
	}
	for w := top / 32; w >= 0; w-- {
		var v uint32
		for b := range 32 {
			if set.IsSet(w*32 + b) {
				v |= 1 << b
			}
		}
		words = append(words, fmt.Sprintf("%08x", v))
	}
	return strings.Join(words, ",")
}

// pinProcess pins every thread of this process to set. Threads started
// later inherit the mask of the thread that creates them; the pass repeats
// until no thread created meanwhile is left out.
func pinProcess(set unix.CPUSet) error {
	for range 10 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		changed := false
		for _, task := range tasks {
			tid, err := strconv.Atoi(filepath.Base(task.Name()))
			if err != nil {
				continue
			}
			var cur unix.CPUSet
			if err := unix.SchedGetaffinity(tid, &cur); err == nil && cur == set {
				continue
			}
			if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
				return fmt.Errorf("pin thread %d: %w", tid, err)
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("threads kept appearing while pinning")
}

// pinToMask pins this process to a mask as cpuMask formats it.
func pinToMask(mask string) error {
	set, err := parseCPUMask(mask)
	if err != nil {
		return err
	}
	return pinProcess(set)
}

// parseCPUMask reads cpuMask's format.
func parseCPUMask(mask string) (unix.CPUSet, error) {
	var set unix.CPUSet
	words := strings.Split(mask, ",")
	for i, w := range words {
		v, err := strconv.ParseUint(w, 16, 32)
		if err != nil {
			return set, fmt.Errorf("CPU mask %q: %w", mask, err)
		}
		base := (len(words) - 1 - i) * 32
		for b := range 32 {
			if v&(1<<b) != 0 {
				set.Set(base + b)
			}
		}
	}
	if set.Count() == 0 {
		return set, fmt.Errorf("CPU mask %q is empty", mask)
	}
	return set, nil
}

// cpuList formats a CPU set for people: "0", "1,2,3".
func cpuList(set unix.CPUSet) string {
	var cpus []string
	for cpu := range 1024 {
		if set.IsSet(cpu) {
			cpus = append(cpus, strconv.Itoa(cpu))
		}
	}
	return strings.Join(cpus, ",")
}
