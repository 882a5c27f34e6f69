package integration

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

// BenchmarkSoakUnderLoad runs a pair at 10 ms adverts while every CPU is
// kept busy by spinning processes, and counts state changes after the
// election: each one is a spurious failover. The goal is zero in 10
// minutes (VIGIL_SOAK sets the duration, e.g. VIGIL_SOAK=10m):
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
	for i := 0; i < b.N; i++ {
		var spurious, transitions int
		ok := runAsTest(b, "vgs1", 228, func(l *lab) {
			a := l.startVigil(l.d1, l.instance(150, "10ms"))
			l.waitFor("VIP on d1", 5*time.Second, func() bool { return l.hasVIP(l.d1) })
			bb := l.startVigil(l.d2, l.instance(100, "10ms"))
			l.waitHearsMaster(l.d2, l.d1)
			before := len(a.logLines(`msg="state changed"`)) + len(bb.logLines(`msg="state changed"`))
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			for c := 0; c < runtime.NumCPU(); c++ {
				hog := exec.CommandContext(ctx, "sh", "-c", "while :; do :; done")
				if err := hog.Start(); err != nil {
					l.t.Fatal(err)
				}
				defer func() { _ = hog.Wait() }()
			}
			<-ctx.Done()
			transitions = len(a.logLines(`msg="state changed"`)) + len(bb.logLines(`msg="state changed"`))
			spurious = transitions - before
			if !l.hasVIP(l.d1) || l.hasVIP(l.d2) {
				spurious++ // the VIP moved and did not come back
			}
		})
		if !ok {
			b.Fatal("soak run failed")
		}
		b.ReportMetric(float64(spurious), "spurious-transitions")
		b.ReportMetric(d.Minutes(), "minutes")
		b.ReportMetric(0, "ns/op")
	}
}
