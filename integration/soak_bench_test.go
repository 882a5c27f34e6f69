package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

// BenchmarkSoakUnderLoad runs a vigil pair and a keepalived pair side by
// side, each on its own LAN, at 10 ms adverts while every CPU is kept busy
// by spinning processes, and counts each pair's state changes after the
// election: each one is a spurious failover. Running both in one process
// gives them the same load at the same time, so the two figures compare.
// The goal is zero in 10 minutes (VIGIL_SOAK sets the duration;
// VIGIL_SOAK_IMPL=vigil or keepalived soaks one pair alone):
//
//	VIGIL_SOAK=10m go test -run '^$' -bench SoakUnderLoad -benchtime 1x ./integration/
func BenchmarkSoakUnderLoad(b *testing.B) {
	d := time.Minute
	if v := os.Getenv("VIGIL_SOAK"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			b.Fatal(err)
		}
	}
	impls, err := soakImpls(os.Getenv("VIGIL_SOAK_IMPL"))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		spurious := map[string]int{}
		ok := runInTest(func(t *testing.T) {
			var pairs []*soakPair
			for _, impl := range impls {
				pairs = append(pairs, startSoakPair(t, impl))
			}
			// Counting starts once every pair is up and has held its VIP
			// for a second, so no pair's start-up counts against another
			// and no take-over in flight counts as its hand-back.
			pairs[0].l.waitSteady("every pair's VIP on its d1", time.Second, 15*time.Second, func() bool {
				for _, p := range pairs {
					if !p.vipHome() {
						return false
					}
				}
				return true
			})
			for _, p := range pairs {
				p.mark()
			}
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			for c := 0; c < runtime.NumCPU(); c++ {
				hog := exec.CommandContext(ctx, "sh", "-c", "while :; do :; done")
				if err := hog.Start(); err != nil {
					t.Fatal(err)
				}
				defer func() { _ = hog.Wait() }()
			}
			<-ctx.Done()
			for _, p := range pairs {
				n := p.transitions()
				if !p.vipHome() {
					n++ // the VIP moved and did not come back
				}
				spurious[p.impl] = n
				t.Logf("%s: %d state changes before the soak, %d during it, VIP on d1 at the end: %v",
					p.impl, p.before, p.transitions(), p.vipHome())
				for _, line := range p.stateLines() {
					t.Logf("%s: %s", p.impl, line)
				}
			}
		})
		if !ok {
			b.Fatal("soak run failed")
		}
		for _, impl := range impls {
			b.ReportMetric(float64(spurious[impl]), impl+"-spurious")
		}
		b.ReportMetric(d.Minutes(), "minutes")
		b.ReportMetric(0, "ns/op")
	}
}

// soakImpls reads VIGIL_SOAK_IMPL: vigil, keepalived or both (the default).
func soakImpls(v string) ([]string, error) {
	switch v {
	case "", "both":
		return []string{"vigil", "keepalived"}, nil
	case "vigil", "keepalived":
		return []string{v}, nil
	}
	return nil, fmt.Errorf("VIGIL_SOAK_IMPL=%q: want vigil, keepalived or both", v)
}

// soakLab is the namespace prefix and subnet octet of each
// implementation's LAN in the soak.
var soakLab = map[string]struct {
	prefix string
	octet  int
}{
	"vigil":      {"vgs1", 228},
	"keepalived": {"vgs2", 229},
}

// startSoakPair starts a pair of impl at 10 ms adverts on a new lab and
// waits until it has elected d1.
func startSoakPair(t *testing.T, impl string) *soakPair {
	t.Helper()
	sl, ok := soakLab[impl]
	if !ok {
		t.Fatalf("no soak lab for %q", impl)
	}
	return startPair(newLab(t, sl.prefix, sl.octet), impl)
}
