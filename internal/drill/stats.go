package drill

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Summary is the distribution of one measure over the runs where it was
// observed.
type Summary struct {
	N      int     `json:"n"`
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	P95    float64 `json:"p95"`
	Max    float64 `json:"max"`
}

// Summarize returns the summary of values (N is 0 for none). The median of
// an even count is the mean of the two middle values; the 95th percentile
// is the nearest rank (the smallest value with at least 95% of the values
// at or below it), so with fewer than 20 runs it is the maximum.
func Summarize(values []float64) Summary {
	if len(values) == 0 {
		return Summary{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	n := len(v)
	s := Summary{N: n, Min: v[0], Max: v[n-1]}
	if n%2 == 1 {
		s.Median = v[n/2]
	} else {
		s.Median = (v[n/2-1] + v[n/2]) / 2
	}
	s.P95 = v[int(math.Ceil(0.95*float64(n)))-1]
	return s
}

// SummarizeRuns summarizes every measure over the runs, by key.
func SummarizeRuns(runs []Measures) map[string]Summary {
	out := map[string]Summary{}
	for _, d := range MeasureDefs {
		var vals []float64
		for _, m := range runs {
			if v, ok := m[d.Key]; ok {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 {
			out[d.Key] = Summarize(vals)
		}
	}
	return out
}

// WriteTable prints the summaries as a table, in the order of MeasureDefs,
// with the number of runs in which each measure was observed.
func WriteTable(w io.Writer, sums map[string]Summary, runs int) error {
	type row struct{ label, n, min, med, p95, max string }
	rows := []row{{"measure", "runs", "min", "median", "p95", "max"}}
	for _, d := range MeasureDefs {
		s, ok := sums[d.Key]
		if !ok {
			continue
		}
		label := d.Label
		if d.Unit != "" {
			label += " (" + d.Unit + ")"
		}
		f := func(v float64) string {
			if d.Unit == "" {
				return strconv.FormatFloat(v, 'f', -1, 64)
			}
			return strconv.FormatFloat(v, 'f', 1, 64)
		}
		n := strconv.Itoa(s.N)
		if s.N != runs {
			n = fmt.Sprintf("%d/%d", s.N, runs)
		}
		rows = append(rows, row{label, n, f(s.Min), f(s.Median), f(s.P95), f(s.Max)})
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r.label))
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "  %-*s %5s %8s %8s %8s %8s\n", width, r.label, r.n, r.min, r.med, r.p95, r.max); err != nil {
			return err
		}
	}
	return nil
}
