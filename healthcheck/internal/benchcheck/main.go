// Command benchcheck measures the health-check scheduler at scale: it
// starts N TCP listeners on distinct loopback addresses (127.1.0.1, ...) in a
// child process, checks each of them over TCP every interval for a
// duration, and prints the checker process's CPU use, memory, goroutines
// and how evenly the check start times are spread.
//
// Usage (as run by `make bench-checks`):
//
//	go run ./healthcheck/internal/benchcheck -n 10000 -duration 60s
//
// The listeners live in a child process so that the figures are those of
// the checking side only.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/healthcheck"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.n, "n", 10000, "number of real servers (loopback listeners)")
	flag.DurationVar(&cfg.duration, "duration", 60*time.Second, "how long to run the checks")
	flag.DurationVar(&cfg.interval, "interval", time.Second, "check interval")
	flag.DurationVar(&cfg.timeout, "timeout", time.Second, "check timeout")
	flag.DurationVar(&cfg.settle, "settle", 5*time.Second, "time excluded from the steady-state figures (warm-up)")
	flag.IntVar(&cfg.port, "port", 8080, "port of every listener")
	flag.IntVar(&cfg.maxConcurrent, "max-concurrent", 0, "scheduler MaxConcurrent (0: default)")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the checking process to this file")
	serve := flag.Bool("serve", false, "internal: run the listeners (child process)")
	flag.Parse()
	log.SetFlags(0)
	if err := raiseFileLimit(cfg.n + 1024); err != nil {
		log.Fatalf("raise RLIMIT_NOFILE: %v", err)
	}
	if *serve {
		if err := serveListeners(cfg); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(cfg); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	n             int
	duration      time.Duration
	interval      time.Duration
	timeout       time.Duration
	settle        time.Duration
	port          int
	maxConcurrent int
	cpuProfile    string
}

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

// serveListeners is the child: listen, accept and close, until the parent
// closes our stdin.
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

// startListeners runs the child and waits until its listeners are up.
func startListeners(cfg config) (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve", "-n", fmt.Sprint(cfg.n), "-port", fmt.Sprint(cfg.port))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop = func() {
		stdin.Close()
		_ = cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		stop()
		return nil, fmt.Errorf("listener process did not start: %q %v", line, err)
	}
	return stop, nil
}

// recorder wraps a checker and records when each probe starts.
type recorder struct {
	inner    healthcheck.Checker
	epoch    time.Time
	starts   []int64 // nanoseconds since epoch
	next     atomic.Int64
	failures atomic.Int64
	mu       sync.Mutex
	reasons  map[string]int // failure reasons

	// Per result, as the scheduler reports it: when it handed the check to
	// a worker, and how late that was.
	dispatched []int64
	lags       []int64
	nextResult atomic.Int64
}

// result records the scheduler's view of a finished check.
func (r *recorder) result(res healthcheck.CheckResult) {
	if i := r.nextResult.Add(1) - 1; i < int64(len(r.dispatched)) {
		r.dispatched[i] = int64(res.Started.Sub(r.epoch))
		r.lags[i] = int64(res.Started.Sub(res.Due))
	}
}

func (r *recorder) Check(ctx context.Context, t healthcheck.Target) healthcheck.Result {
	if i := r.next.Add(1) - 1; i < int64(len(r.starts)) {
		r.starts[i] = int64(time.Since(r.epoch))
	}
	res := r.inner.Check(ctx, t)
	if !res.Healthy && ctx.Err() != context.Canceled { // not cut short by the end of the run
		r.failures.Add(1)
		r.mu.Lock()
		r.reasons[res.Reason]++
		r.mu.Unlock()
	}
	return res
}

func (r *recorder) String() string { return r.inner.String() }

func run(cfg config) error {
	stop, err := startListeners(cfg)
	if err != nil {
		return err
	}
	defer stop()

	perSecond := float64(cfg.n) / cfg.interval.Seconds()
	rec := &recorder{inner: healthcheck.TCPChecker{}, reasons: map[string]int{},
		starts: make([]int64, int(perSecond*(cfg.duration.Seconds()+2)*1.1))}
	rec.dispatched = make([]int64, len(rec.starts))
	rec.lags = make([]int64, len(rec.starts))
	vss := buildServers(cfg, rec)

	sched := healthcheck.New(healthcheck.Options{MaxConcurrent: cfg.maxConcurrent, OnResult: rec.result})
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	runtime.GC()
	before := usage()
	rec.epoch = time.Now()
	if err := sched.Update(vss); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sched.Run(ctx)
	}()

	// A 1 ms sleeper measures how late this process gets the CPU at all:
	// on a shared machine that, not the scheduler, bounds the spread.
	var sleeperLags []int64
	sleeperDone := make(chan struct{})
	go func() {
		defer close(sleeperDone)
		for ctx.Err() == nil {
			t0 := time.Now()
			time.Sleep(time.Millisecond)
			if time.Since(rec.epoch) >= cfg.settle {
				sleeperLags = append(sleeperLags, int64(time.Since(t0)-time.Millisecond))
			}
		}
	}()
	var sampled samples
	var steadyStart rusage
	ticker := time.NewTicker(100 * time.Millisecond)
	settled := false
	for elapsed := time.Duration(0); elapsed < cfg.duration; elapsed = time.Since(rec.epoch) {
		<-ticker.C
		if !settled && time.Since(rec.epoch) >= cfg.settle {
			steadyStart, settled = usage(), true
		}
		if settled {
			sampled.add()
		}
	}
	ticker.Stop()
	end := usage()
	endTime := time.Since(rec.epoch)
	cancel()
	<-done
	<-sleeperDone
	slices.Sort(sleeperLags)

	count := min(int(rec.next.Load()), len(rec.starts))
	results := min(int(rec.nextResult.Load()), len(rec.dispatched))
	report(cfg, reportInput{
		before: before, steadyStart: steadyStart, end: end,
		elapsed: endTime, starts: rec.starts[:count],
		dispatched: rec.dispatched[:results], lags: rec.lags[:results], failures: rec.failures.Load(), reasons: rec.reasons,
		samples: sampled, perSecond: perSecond, sleeperLags: sleeperLags,
	})
	return nil
}

// buildServers spreads the real servers over virtual servers of 100.
func buildServers(cfg config, c healthcheck.Checker) []healthcheck.VirtualServer {
	settings := healthcheck.Settings{Interval: cfg.interval, Timeout: cfg.timeout, Rise: 1, Fall: 3,
		Start: healthcheck.StartUp}
	var vss []healthcheck.VirtualServer
	for i := range cfg.n {
		if i%100 == 0 {
			vss = append(vss, healthcheck.VirtualServer{Key: fmt.Sprintf("vs%d", i/100), Settings: settings})
		}
		vs := &vss[len(vss)-1]
		vs.RealServers = append(vs.RealServers, healthcheck.RealServer{
			Key: fmt.Sprint(i), Addr: listenAddr(i, cfg.port), Weight: 1,
			Checks: []healthcheck.Check{{Checker: c}},
		})
	}
	return vss
}

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

type reportInput struct {
	before, steadyStart, end rusage
	elapsed                  time.Duration
	starts                   []int64
	dispatched, lags         []int64
	sleeperLags              []int64 // sorted
	failures                 int64
	reasons                  map[string]int
	samples                  samples
	perSecond                float64
}

func report(cfg config, in reportInput) {
	starts := slices.Clone(in.starts)
	slices.Sort(starts)
	steady := starts
	if i, _ := slices.BinarySearch(starts, int64(cfg.settle)); i < len(starts) {
		steady = starts[i:]
	}
	burst := maxInWindow(steady, int64(10*time.Millisecond))
	dispatched := slices.Clone(in.dispatched)
	slices.Sort(dispatched)
	if i, _ := slices.BinarySearch(dispatched, int64(cfg.settle)); i < len(dispatched) {
		dispatched = dispatched[i:]
	}
	dispatchBurst := maxInWindow(dispatched, int64(10*time.Millisecond))
	lags := slices.Clone(in.lags)
	slices.Sort(lags)
	burstAll := maxInWindow(starts, int64(10*time.Millisecond))
	minSec, maxSec := perSecondRange(steady, int64(cfg.settle), int64(in.elapsed))

	steadySecs := in.end.at.Sub(in.steadyStart.at).Seconds()
	totalSecs := in.end.at.Sub(in.before.at).Seconds()
	steadyCPU := (in.end.cpu - in.steadyStart.cpu).Seconds() / steadySecs
	totalCPU := (in.end.cpu - in.before.cpu).Seconds() / totalSecs

	fmt.Printf("health-check benchmark: %d real servers, TCP every %v (timeout %v), %v (steady state after %v)\n\n",
		cfg.n, cfg.interval, cfg.timeout, cfg.duration, cfg.settle)
	row := func(name, value, goal string) { fmt.Printf("  %-40s %-22s %s\n", name, value, goal) }
	row("metric", "value", "goal")
	row("checks run / failed", fmt.Sprintf("%d / %d", len(starts), in.failures), "0 failed")
	for reason, n := range in.reasons {
		row("  failed: "+reason, fmt.Sprint(n), "")
	}
	row("checks per second (steady, min-max)", fmt.Sprintf("%d-%d", minSec, maxSec), fmt.Sprintf("%.0f", in.perSecond))
	row("CPU seconds per second (steady)", fmt.Sprintf("%.3f (%.1f%% core)", steadyCPU, 100*steadyCPU), "<= 0.100")
	steadyUser := (in.end.user - in.steadyStart.user).Seconds() / steadySecs
	row("  of which user / system", fmt.Sprintf("%.3f / %.3f", steadyUser, steadyCPU-steadyUser), "")
	row("CPU seconds per second (whole run)", fmt.Sprintf("%.3f", totalCPU), "")
	row("RSS peak (steady, statm)", fmt.Sprintf("%.1f MB", float64(in.samples.maxRSS)/1e6), "<= 100 MB")
	row("RSS peak (getrusage maxrss)", fmt.Sprintf("%.1f MB", float64(in.end.maxRSS)/1e6), "<= 100 MB")
	recording := 8 * (len(in.starts) + len(in.dispatched) + len(in.lags))
	row("  of which this program's recordings", fmt.Sprintf("%.1f MB", float64(recording)/1e6), "")
	row("goroutines peak (steady)", fmt.Sprint(in.samples.maxGoroutines), "")
	row("max starts in any 10 ms (steady)", fmt.Sprintf("%d (%.2f%% of checks/s)", burst, 100*float64(burst)/in.perSecond), "<= 2%")
	row("max hand-offs to workers in any 10 ms", fmt.Sprintf("%d (%.2f%% of checks/s)", dispatchBurst, 100*float64(dispatchBurst)/in.perSecond), "")
	row("scheduling lag p50 / p99 / max", fmt.Sprintf("%v / %v / %v", percentile(lags, 0.5), percentile(lags, 0.99), percentile(lags, 1)), "")
	row("1 ms sleeper overshoot p50 / p99 / max", fmt.Sprintf("%v / %v / %v", percentile(in.sleeperLags, 0.5),
		percentile(in.sleeperLags, 0.99), percentile(in.sleeperLags, 1)), "(CPU availability)")
	row("max starts in any 10 ms (incl. warm-up)", fmt.Sprintf("%d (%.2f%% of checks/s)", burstAll, 100*float64(burstAll)/in.perSecond), "<= 2%")
}

// maxInWindow returns the most sorted timestamps within any window of the
// given width (a sliding window, not aligned buckets).
func maxInWindow(sorted []int64, width int64) int {
	best, lo := 0, 0
	for hi, t := range sorted {
		for t-sorted[lo] >= width {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// perSecondRange counts starts in each whole second of [from, to).
func perSecondRange(sorted []int64, from, to int64) (lo, hi int) {
	sec := int64(time.Second)
	n := int((to - from) / sec)
	if n == 0 {
		return 0, 0
	}
	counts := make([]int, n)
	for _, t := range sorted {
		if i := int((t - from) / sec); i >= 0 && i < n {
			counts[i]++
		}
	}
	return slices.Min(counts), slices.Max(counts)
}

// percentile of sorted nanoseconds, rounded for display.
func percentile(sorted []int64, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := min(int(p*float64(len(sorted))), len(sorted)-1)
	return time.Duration(sorted[i]).Round(10 * time.Microsecond)
}
