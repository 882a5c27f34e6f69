package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// rusage is the checker process's own CPU and memory at one moment.
type rusage struct {
	cpu    time.Duration
	user   time.Duration
	maxRSS int64 // bytes
	at     time.Time
}

func usage() rusage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return rusage{
		cpu:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		user:   time.Duration(ru.Utime.Nano()),
		maxRSS: ru.Maxrss * 1024,
		at:     time.Now(),
	}
}

// samples tracks the steady-state peaks of goroutines and resident memory.
type samples struct {
	maxGoroutines int
	maxRSS        int64
}

func (s *samples) add() {
	s.maxGoroutines = max(s.maxGoroutines, runtime.NumGoroutine())
	s.maxRSS = max(s.maxRSS, currentRSS())
}

// currentRSS reads the resident set size from /proc/self/statm.
func currentRSS() int64 {
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(raw), &size, &resident); err != nil {
		return 0
	}
	return resident * int64(os.Getpagesize())
}

// userHZ is the unit of /proc's CPU times (USER_HZ, 100 on every Linux
// architecture Go supports).
const userHZ = 100

// processCPU is the user+system CPU time of process pid, all threads, at
// clock-tick resolution.
func processCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: utime and stime are the 14th and 15th fields.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	var utime, stime int64
	if _, err := fmt.Sscan(f[11]+" "+f[12], &utime, &stime); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}

// machineCPU is the whole machine's CPU time by kind, from /proc/stat's
// "cpu" line, so that CPU charged to no process (softirq run from the idle
// loop) or to other processes is visible too.
type machineCPU struct {
	busy    time.Duration // everything but idle and iowait
	softirq time.Duration // softirq and hardirq
	steal   time.Duration // taken by the hypervisor
}

func readMachineCPU() (machineCPU, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return machineCPU{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 9 || fields[0] != "cpu" {
			continue
		}
		var v [8]int64 // user nice system idle iowait irq softirq steal
		for i := range v {
			if _, err := fmt.Sscan(fields[i+1], &v[i]); err != nil {
				return machineCPU{}, err
			}
		}
		tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / userHZ }
		return machineCPU{
			busy:    tick(v[0] + v[1] + v[2] + v[5] + v[6]),
			softirq: tick(v[5] + v[6]),
			steal:   tick(v[7]),
		}, nil
	}
	return machineCPU{}, fmt.Errorf("/proc/stat: no cpu line")
}

func (m machineCPU) sub(o machineCPU) machineCPU {
	return machineCPU{busy: m.busy - o.busy, softirq: m.softirq - o.softirq, steal: m.steal - o.steal}
}

// snapshot is every CPU counter the report compares, taken together.
type snapshot struct {
	self     rusage
	listener time.Duration
	machine  machineCPU
}

func takeSnapshot(listenerPID int) snapshot {
	s := snapshot{self: usage()}
	s.listener, _ = processCPU(listenerPID)
	s.machine, _ = readMachineCPU()
	return s
}
