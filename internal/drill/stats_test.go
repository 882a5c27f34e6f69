package drill

import (
	"strings"
	"testing"
)

func TestSummarizeOddCount(t *testing.T) {
	s := Summarize([]float64{30, 10, 20})
	want := Summary{N: 3, Min: 10, Median: 20, P95: 30, Max: 30}
	if s != want {
		t.Fatalf("Summarize = %+v, want %+v", s, want)
	}
}

func TestSummarizeEvenCountAveragesTheMiddle(t *testing.T) {
	s := Summarize([]float64{4, 1, 3, 2})
	if s.Median != 2.5 || s.Min != 1 || s.Max != 4 || s.N != 4 {
		t.Fatalf("Summarize = %+v, want median 2.5, min 1, max 4", s)
	}
}

func TestSummarizeP95IsTheNearestRank(t *testing.T) {
	var v []float64
	for i := 100; i >= 1; i-- { // 1..100, unsorted
		v = append(v, float64(i))
	}
	if s := Summarize(v); s.P95 != 95 {
		t.Fatalf("p95 of 1..100 = %v, want 95", s.P95)
	}
	// 20 values: rank ceil(0.95*20) = 19.
	if s := Summarize(v[80:]); s.P95 != 19 {
		t.Fatalf("p95 of 1..20 = %v, want 19", s.P95)
	}
}

func TestSummarizeEmpty(t *testing.T) {
	if s := Summarize(nil); s != (Summary{}) {
		t.Fatalf("Summarize(nil) = %+v, want zero", s)
	}
}

func TestSummarizeDoesNotReorderItsInput(t *testing.T) {
	v := []float64{3, 1, 2}
	Summarize(v)
	if v[0] != 3 || v[1] != 1 || v[2] != 2 {
		t.Fatalf("input changed to %v", v)
	}
}

func TestSummarizeRunsSkipsMissingMeasures(t *testing.T) {
	runs := []Measures{
		{MTakeover: 30, MPingLost: 2},
		{MTakeover: 40},
		{MPingLost: 4},
	}
	sums := SummarizeRuns(runs)
	if got := sums[MTakeover]; got.N != 2 || got.Min != 30 || got.Max != 40 || got.Median != 35 {
		t.Errorf("takeover summary %+v", got)
	}
	if got := sums[MPingLost]; got.N != 2 || got.Median != 3 {
		t.Errorf("ping_lost summary %+v", got)
	}
	if _, ok := sums[MGARP]; ok {
		t.Error("a measure no run has was summarized")
	}
}

func TestWriteTableShowsObservedRunsAndOrder(t *testing.T) {
	sums := SummarizeRuns([]Measures{{MTakeover: 30.25, MPingLost: 2}, {MTakeover: 40, MPingLost: 3}, {MPingLost: 1}})
	var b strings.Builder
	if err := WriteTable(&b, sums, 3); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and 2 rows, got:\n%s", out)
	}
	if !strings.Contains(lines[0], "median") || !strings.Contains(lines[0], "p95") {
		t.Errorf("header %q", lines[0])
	}
	take := strings.Fields(lines[1])
	if !strings.HasPrefix(lines[1], "  new master holds the VIP (ms)") || take[len(take)-5] != "2/3" || take[len(take)-4] != "30.2" && take[len(take)-4] != "30.3" {
		t.Errorf("takeover row %q: want 2/3 runs, min 30.2", lines[1])
	}
	if !strings.HasPrefix(lines[2], "  pings lost") || !strings.HasSuffix(lines[2], "1        2        3        3") {
		t.Errorf("pings row %q", lines[2])
	}
}
