// Command benchcheck measures the health-check scheduler at scale: it
// starts N TCP listeners on distinct loopback addresses (127.1.0.1, ...) in a
// child process, checks each of them over TCP every interval for a
// duration, and prints the checker process's CPU use, memory, goroutines
// and how evenly the check start times are spread.
//
// Usage (as run by `make bench-checks`):
//
//	go run ./healthcheck/internal/benchcheck -n 10000 -duration 60s
//	go run ./healthcheck/internal/benchcheck -n 10000 -duration 60s -steer
//
// The listeners, and a 1 ms sleeper that measures CPU availability, live in
// child processes so that the figures are those of the checking side only.
// On plain loopback the kernel still runs the listener's half of every
// handshake inside the checker's system calls; -steer moves that receive
// processing to other CPUs, as a NIC's would be (see steer.go). The report
// also gives the listener process's and the whole machine's CPU, so that
// no part of the cost is out of sight.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/healthcheck"
	"golang.org/x/sys/unix"
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
	flag.StringVar(&cfg.check, "check", "tcp", "tcp (connect), half-open (SYN, SYN-ACK, reset; root), or noop: a checker that does nothing (the scheduler's own cost)")
	flag.BoolVar(&cfg.steer, "steer", false, "pin the checker to the first CPU and steer lo's receive processing (RPS) to the others, "+
		"as a NIC's would be (root, 2+ CPUs; lo's RPS mask is restored at exit)")
	role := flag.String("role", "", "internal: run as the listener or sleeper child")
	cpus := flag.String("cpus", "", "internal: pin the child to these CPUs (mask)")
	flag.Parse()
	log.SetFlags(0)
	if *cpus != "" {
		if err := pinToMask(*cpus); err != nil {
			log.Fatal(err)
		}
	}
	switch *role {
	case "listener":
		if err := raiseFileLimit(cfg.n + 1024); err != nil {
			log.Fatalf("raise RLIMIT_NOFILE: %v", err)
		}
		if err := serveListeners(cfg); err != nil {
			log.Fatal(err)
		}
	case "sleeper":
		runSleeper(cfg.settle)
	case "":
		if err := raiseFileLimit(cfg.n + 1024); err != nil {
			log.Fatalf("raise RLIMIT_NOFILE: %v", err)
		}
		if err := run(cfg); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown -role %q", *role)
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
	check         string
	steer         bool
}

// recorder records every result as the scheduler reports it: when the
// check started, how late that was, and why it failed. It does not wrap
// the checker: the scheduler runs TCP checks (healthcheck.TCPChecker)
// without calling Check, through its connect poller.
type recorder struct {
	epoch    time.Time
	starts   []int64 // nanoseconds since epoch
	lags     []int64 // start minus due time
	next     atomic.Int64
	failures atomic.Int64
	mu       sync.Mutex
	reasons  map[string]int // failure reasons
}

func (r *recorder) result(res healthcheck.CheckResult) {
	if i := r.next.Add(1) - 1; i < int64(len(r.starts)) {
		r.starts[i] = int64(res.Started.Sub(r.epoch))
		r.lags[i] = int64(res.Started.Sub(res.Due))
	}
	if !res.Result.Healthy {
		r.failures.Add(1)
		r.mu.Lock()
		r.reasons[res.Result.Reason]++
		r.mu.Unlock()
	}
}

// noopChecker is healthy at once: with it the figures are the scheduler's.
type noopChecker struct{}

func (noopChecker) Check(context.Context, healthcheck.Target) healthcheck.Result {
	return healthcheck.Result{Healthy: true, Reason: "noop"}
}

func (noopChecker) String() string { return "noop" }

// cpuPlan is where the processes run: empty masks leave them unpinned.
type cpuPlan struct {
	checker, rx unix.CPUSet
	steered     bool
}

// prepareCPUs pins this process and steers lo for -steer; restore undoes
// the steering.
func prepareCPUs(cfg config) (plan cpuPlan, restore func() error, err error) {
	restore = func() error { return nil }
	if !cfg.steer {
		return plan, restore, nil
	}
	if os.Geteuid() != 0 {
		return plan, nil, fmt.Errorf("-steer needs root (it writes %s)", rpsPath)
	}
	if plan.checker, plan.rx, err = cpuSplit(); err != nil {
		return plan, nil, err
	}
	if err := pinProcess(plan.checker); err != nil {
		return plan, nil, err
	}
	if restore, err = steerLoopback(plan.rx); err != nil {
		return plan, nil, err
	}
	plan.steered = true
	return plan, restore, nil
}

func run(cfg config) (err error) {
	var checker healthcheck.Checker = healthcheck.TCPChecker{}
	switch cfg.check {
	case "tcp":
	case "half-open":
		checker = healthcheck.TCPChecker{HalfOpen: true}
	case "noop":
		checker = noopChecker{}
	default:
		return fmt.Errorf("unknown -check %q", cfg.check)
	}
	plan, restore, err := prepareCPUs(cfg)
	if err != nil {
		return err
	}
	defer func() {
		if rerr := restore(); rerr != nil && err == nil {
			err = fmt.Errorf("restore %s: %w", rpsPath, rerr)
		}
	}()
	// Interrupted, the run still ends normally: lo's mask is restored.
	ctx, cancelSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancelSignals()

	childArgs := func(role string, set unix.CPUSet) []string {
		args := []string{"-role", role, "-n", fmt.Sprint(cfg.n), "-port", fmt.Sprint(cfg.port), "-settle", cfg.settle.String()}
		if plan.steered {
			args = append(args, "-cpus", cpuMask(set))
		}
		return args
	}
	// The listeners stand for the real servers: with -steer they run on
	// the receive CPUs, away from the checker's.
	listeners, err := startChild(childArgs("listener", plan.rx)...)
	if err != nil {
		return err
	}
	defer listeners.stop()

	perSecond := float64(cfg.n) / cfg.interval.Seconds()
	rec := &recorder{reasons: map[string]int{},
		starts: make([]int64, int(perSecond*(cfg.duration.Seconds()+2)*1.1))}
	rec.lags = make([]int64, len(rec.starts))
	vss := buildServers(cfg, checker)

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
	// The sleeper measures CPU availability where the checker runs.
	sleeper, err := startChild(childArgs("sleeper", plan.checker)...)
	if err != nil {
		return err
	}
	defer sleeper.stop()
	runtime.GC()
	before := takeSnapshot(listeners.pid())
	rec.epoch = time.Now()
	if err := sched.Update(vss); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sched.Run(ctx)
	}()

	var sampled samples
	var steadyStart snapshot
	ticker := time.NewTicker(100 * time.Millisecond)
	settled := false
	for elapsed := time.Duration(0); elapsed < cfg.duration && ctx.Err() == nil; elapsed = time.Since(rec.epoch) {
		select {
		case <-ticker.C:
		case <-ctx.Done():
		}
		if !settled && time.Since(rec.epoch) >= cfg.settle {
			steadyStart, settled = takeSnapshot(listeners.pid()), true
		}
		if settled {
			sampled.add()
		}
	}
	ticker.Stop()
	end := takeSnapshot(listeners.pid())
	endTime := time.Since(rec.epoch)
	interrupted := ctx.Err() != nil
	cancel()
	<-done
	if interrupted || !settled {
		return fmt.Errorf("interrupted or shorter than -settle: no figures")
	}
	var in reportInput
	in.sleeperP50, in.sleeperP99, in.sleeperMax = sleeperResult(sleeper.stop())

	count := min(int(rec.next.Load()), len(rec.starts))
	in.before, in.steadyStart, in.end, in.epoch = before, steadyStart, end, rec.epoch
	in.elapsed, in.starts = endTime, rec.starts[:count]
	in.lags = rec.lags[:count]
	in.failures, in.reasons = rec.failures.Load(), rec.reasons
	in.samples, in.perSecond, in.plan = sampled, perSecond, plan
	report(cfg, in)
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
