package integration

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFailover measures how long the backup takes to hold the VIP
// after the master is SIGKILLed, loses its link, or stops gracefully, at
// 10 ms, 100 ms and 1 s adverts (priorities 150/100). Each iteration is
// one failover in a fresh pair of daemons; the metrics are the median, the
// 95th percentile and the maximum over the iterations, in milliseconds.
// Run with a fixed count, e.g.:
//
//	go test -run '^$' -bench Failover -benchtime 10x ./integration/
func BenchmarkFailover(b *testing.B) {
	scenarios := []string{"sigkill", "linkdown", "graceful"}
	intervals := []string{"10ms", "100ms", "1s"}
	octet := 230
	for _, sc := range scenarios {
		for _, iv := range intervals {
			octet++
			b.Run(sc+"/"+iv, func(b *testing.B) { benchFailover(b, sc, iv, octet) })
		}
	}
}

func benchFailover(b *testing.B, scenario, interval string, octet int) {
	var took []time.Duration
	for i := 0; i < b.N; i++ {
		ok := runAsTest(b, fmt.Sprintf("vgb%d", octet%100), octet, func(l *lab) {
			a := l.startVigil(l.d1, l.instance(150, interval))
			l.waitFor("VIP on d1", 10*time.Second, func() bool { return l.hasVIP(l.d1) })
			l.startVigil(l.d2, l.instance(100, interval))
			l.waitHearsMaster(l.d2, l.d1)
			if l.hasVIP(l.d2) {
				l.t.Fatal("d2 holds the VIP while d1 is master")
			}
			start := time.Now()
			switch scenario {
			case "sigkill":
				a.signal(syscall.SIGKILL)
			case "linkdown":
				if err := l.d1.Run("ip", "link", "set", "eth0", "down"); err != nil {
					l.t.Fatal(err)
				}
			case "graceful":
				a.signal(syscall.SIGTERM)
			}
			l.waitFor("VIP on d2", 10*time.Second, func() bool { return l.hasVIP(l.d2) })
			took = append(took, time.Since(start))
		})
		if !ok {
			b.Fatalf("iteration %d failed", i)
		}
	}
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(took[len(took)/2]), "median-ms")
	b.ReportMetric(ms(took[(len(took)*95)/100]), "p95-ms")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms")
}

// runAsTest runs fn with a lab inside a throw-away *testing.T so the lab's
// Fatal and Cleanup semantics apply; it reports whether fn succeeded.
func runAsTest(b *testing.B, prefix string, octet int, fn func(*lab)) bool {
	return runInTest(func(t *testing.T) { fn(newLab(t, prefix, octet)) })
}

// runInTest runs fn with a throw-away *testing.T, for a benchmark that
// needs more than one lab; it reports whether fn succeeded.
func runInTest(fn func(*testing.T)) bool {
	return testing.RunTests(func(string, string) (bool, error) { return true, nil },
		[]testing.InternalTest{{Name: "failover", F: fn}})
}
