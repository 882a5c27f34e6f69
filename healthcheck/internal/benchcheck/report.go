package main

import (
	"fmt"
	"runtime"
	"slices"
	"time"
)

type reportInput struct {
	before, steadyStart, end snapshot
	epoch                    time.Time // when the checks started
	elapsed                  time.Duration
	starts                   []int64
	lags                     []int64
	failures                 int64
	reasons                  map[string]int
	samples                  samples
	perSecond                float64
	plan                     cpuPlan
	// The sleeper child's overshoot of its 1 ms sleeps.
	sleeperP50, sleeperP99, sleeperMax time.Duration
}

func report(cfg config, in reportInput) {
	starts := slices.Clone(in.starts)
	slices.Sort(starts)
	steady := starts
	if i, _ := slices.BinarySearch(starts, int64(cfg.settle)); i < len(starts) {
		steady = starts[i:]
	}
	burst := maxInWindow(steady, int64(10*time.Millisecond))
	lags := slices.Clone(in.lags)
	slices.Sort(lags)
	burstAll := maxInWindow(starts, int64(10*time.Millisecond))
	minSec, maxSec := perSecondRange(steady, int64(cfg.settle), int64(in.elapsed))

	s0, s1 := in.steadyStart, in.end
	steadySecs := s1.self.at.Sub(s0.self.at).Seconds()
	totalSecs := s1.self.at.Sub(in.before.self.at).Seconds()
	perSec := func(d time.Duration) float64 { return d.Seconds() / steadySecs }
	steadyCPU := perSec(s1.self.cpu - s0.self.cpu)
	steadyUser := perSec(s1.self.user - s0.self.user)
	totalCPU := (s1.self.cpu - in.before.self.cpu).Seconds() / totalSecs
	// Checks started between the two snapshots, for the cost per check.
	from, _ := slices.BinarySearch(starts, int64(s0.self.at.Sub(in.epoch)))
	to, _ := slices.BinarySearch(starts, int64(s1.self.at.Sub(in.epoch)))
	steadyChecks := float64(to - from)
	machine := s1.machine.sub(s0.machine)

	mode := "plain loopback: the listeners' half of each handshake runs in the checker's system calls"
	if in.plan.steered {
		mode = fmt.Sprintf("steered: checker on CPU %s, lo's receive processing (RPS) and the listeners on CPU %s",
			cpuList(in.plan.checker), cpuList(in.plan.rx))
	}
	fmt.Printf("health-check benchmark: %d real servers, %s every %v (timeout %v), %v (steady state after %v)\n%s\n\n",
		cfg.n, cfg.check, cfg.interval, cfg.timeout, cfg.duration, cfg.settle, mode)
	row := func(name, value, goal string) { fmt.Printf("  %-44s %-24s %s\n", name, value, goal) }
	row("metric", "value", "goal")
	row("checks run / failed", fmt.Sprintf("%d / %d", len(starts), in.failures), "0 failed")
	for reason, n := range in.reasons {
		row("  failed: "+reason, fmt.Sprint(n), "")
	}
	row("checks per second (steady, min-max)", fmt.Sprintf("%d-%d", minSec, maxSec), fmt.Sprintf("%.0f", in.perSecond))
	row("CPU seconds per second (steady)", fmt.Sprintf("%.3f (%.1f%% core)", steadyCPU, 100*steadyCPU), "<= 0.100")
	row("  of which user / system", fmt.Sprintf("%.3f / %.3f", steadyUser, steadyCPU-steadyUser), "")
	if steadyChecks > 0 {
		us := func(v float64) float64 { return v * steadySecs / steadyChecks * 1e6 }
		row("  per check, user / system", fmt.Sprintf("%.1f / %.1f µs", us(steadyUser), us(steadyCPU-steadyUser)), "")
	}
	row("CPU seconds per second (whole run)", fmt.Sprintf("%.3f", totalCPU), "")
	row("listener process CPU seconds per second", fmt.Sprintf("%.3f", perSec(s1.listener-s0.listener)), "")
	row("whole machine busy CPU s/s, of which irq", fmt.Sprintf("%.3f, %.3f (of %d CPUs)",
		perSec(machine.busy), perSec(machine.softirq), runtime.NumCPU()), "(all processes)")
	row("  steal (hypervisor)", fmt.Sprintf("%.3f", perSec(machine.steal)), "")
	row("RSS peak (steady, statm)", fmt.Sprintf("%.1f MB", float64(in.samples.maxRSS)/1e6), "<= 100 MB")
	row("RSS peak (getrusage maxrss)", fmt.Sprintf("%.1f MB", float64(s1.self.maxRSS)/1e6), "<= 100 MB")
	recording := 8 * (cap(in.starts) + cap(in.lags))
	row("  of which this program's recordings", fmt.Sprintf("%.1f MB", float64(recording)/1e6), "")
	row("goroutines peak (steady)", fmt.Sprint(in.samples.maxGoroutines), "")
	row("max starts in any 10 ms (steady)", fmt.Sprintf("%d (%.2f%% of checks/s)", burst, 100*float64(burst)/in.perSecond), "<= 2%")
	row("scheduling lag p50 / p99 / max", fmt.Sprintf("%v / %v / %v", percentile(lags, 0.5), percentile(lags, 0.99), percentile(lags, 1)), "")
	row("1 ms sleeper overshoot p50 / p99 / max", fmt.Sprintf("%v / %v / %v", in.sleeperP50.Round(10*time.Microsecond),
		in.sleeperP99.Round(10*time.Microsecond), in.sleeperMax.Round(10*time.Microsecond)), "(CPU availability)")
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
