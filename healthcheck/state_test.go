package healthcheck

import (
	"slices"
	"testing"
)

func TestCounterRiseAndFall(t *testing.T) {
	tests := []struct {
		name    string
		start   bool
		rise    int
		fall    int
		results string // o = success, x = failure
		// flips lists the result indexes at which health flips.
		flips []int
		final bool
	}{
		{"down needs rise successes", false, 3, 2, "ooo", []int{2}, true},
		{"failure restarts rise count", false, 3, 2, "ooxooo", []int{5}, true},
		{"up needs fall failures", true, 2, 3, "xxx", []int{2}, false},
		{"success restarts fall count", true, 2, 3, "xxoxxx", []int{5}, false},
		{"rise 1 fall 1 follows every result", false, 1, 1, "oxox", []int{0, 1, 2, 3}, false},
		{"stable up stays up", true, 2, 2, "oooo", nil, true},
		{"stable down stays down", false, 2, 2, "xxxx", nil, false},
		{"flap both ways", true, 2, 2, "xxooxx", []int{1, 3, 5}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := counter{Healthy: tt.start}
			var flips []int
			for i, r := range tt.results {
				var flipped bool
				c, flipped = c.observe(r == 'o', tt.rise, tt.fall)
				if flipped {
					flips = append(flips, i)
				}
			}
			if !slices.Equal(flips, tt.flips) || c.Healthy != tt.final {
				t.Fatalf("flips %v final %t, want %v %t", flips, c.Healthy, tt.flips, tt.final)
			}
		})
	}
}

func TestCounterUnsettled(t *testing.T) {
	tests := []struct {
		c    counter
		want bool
	}{
		{counter{Healthy: true}, false},
		{counter{Healthy: true, Failures: 1}, true},
		{counter{Healthy: true, Successes: 4}, false},
		{counter{Healthy: false}, false},
		{counter{Healthy: false, Successes: 1}, true},
		{counter{Healthy: false, Failures: 9}, false},
	}
	for _, tt := range tests {
		if got := tt.c.unsettled(); got != tt.want {
			t.Errorf("%+v unsettled=%t, want %t", tt.c, got, tt.want)
		}
	}
}

func TestRealServerView(t *testing.T) {
	up := checkView{Healthy: true}
	down := checkView{}
	dyn := func(w int) checkView { return checkView{Healthy: true, Weight: w, WeightSet: true} }
	tests := []struct {
		name      string
		checks    []checkView
		weight    int
		max       int
		onFailure OnFailure
		want      rsView
	}{
		{"no checks is healthy", nil, 7, 7, Inhibit, rsView{true, 7, false}},
		{"all up keeps configured weight", []checkView{up, up}, 7, 7, Inhibit, rsView{true, 7, false}},
		{"one down inhibits", []checkView{up, down}, 7, 7, Inhibit, rsView{false, 0, false}},
		{"one down removes", []checkView{down}, 7, 7, Remove, rsView{false, 0, true}},
		{"dynamic weight replaces configured", []checkView{dyn(3)}, 7, 7, Inhibit, rsView{true, 3, false}},
		{"dynamic weight bounded by max", []checkView{dyn(300)}, 7, 50, Inhibit, rsView{true, 50, false}},
		{"dynamic weight may exceed configured up to max", []checkView{dyn(20)}, 7, 50, Inhibit, rsView{true, 20, false}},
		{"smallest dynamic weight wins", []checkView{dyn(9), up, dyn(4)}, 7, 50, Inhibit, rsView{true, 4, false}},
		{"dynamic zero is healthy with weight 0", []checkView{dyn(0)}, 7, 7, Inhibit, rsView{true, 0, false}},
		{"down beats dynamic", []checkView{dyn(5), down}, 7, 7, Remove, rsView{false, 0, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := realServerView(tt.checks, tt.weight, tt.max, tt.onFailure); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMaxWeightDefaultsToWeight(t *testing.T) {
	if got := (&RealServer{Weight: 5}).maxWeight(); got != 5 {
		t.Fatalf("max weight %d, want 5", got)
	}
	if got := (&RealServer{Weight: 5, MaxWeight: 9}).maxWeight(); got != 9 {
		t.Fatalf("max weight %d, want 9", got)
	}
}

func TestQuorumHysteresis(t *testing.T) {
	// quorum 4, hysteresis 1: lost below 3, regained at 5.
	sums := []int{6, 4, 3, 2, 3, 4, 5, 4, 0}
	want := []bool{true, true, true, false, false, false, true, true, false}
	up := initialQuorum(sums[0], 4, 1)
	for i, sum := range sums {
		if i > 0 {
			up = nextQuorum(up, sum, 4, 1)
		}
		if up != want[i] {
			t.Fatalf("step %d sum %d: up=%t, want %t", i, sum, up, want[i])
		}
	}
}

func TestQuorumDefaultsToOne(t *testing.T) {
	if initialQuorum(0, 0, 0) {
		t.Fatal("no healthy weight but quorum up")
	}
	if !initialQuorum(1, 0, 0) {
		t.Fatal("healthy weight 1 with default quorum is not up")
	}
	if nextQuorum(true, 0, 0, 5) {
		t.Fatal("hysteresis kept the quorum with no healthy weight")
	}
	if initialQuorum(4, 0, 4) || !initialQuorum(5, 0, 4) {
		t.Fatal("initial quorum ignores hysteresis")
	}
}
