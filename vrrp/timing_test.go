package vrrp

import (
	"testing"
	"time"
)

// TestTimingFormulas checks Skew_Time and Master_Down_Interval against
// values worked out by hand from RFC 5798 6.1 (v3, whole centiseconds) and
// RFC 3768 6.1 (v2, fractions of a second).
func TestTimingFormulas(t *testing.T) {
	cases := []struct {
		name     string
		version  int
		priority uint8
		interval time.Duration
		skew     time.Duration
		down     time.Duration
	}{
		{"v3 156*100cs/256 = 60.9cs truncates to 60cs", 3, 100, time.Second, 600 * time.Millisecond, 3600 * time.Millisecond},
		{"v3 owner 1*100cs/256 rounds to 0", 3, 255, time.Second, 0, 3 * time.Second},
		{"v3 lowest priority 255*100cs/256 = 99cs", 3, 1, time.Second, 990 * time.Millisecond, 3990 * time.Millisecond},
		{"v3 longest interval 56*4095cs/256 = 895cs", 3, 200, 40950 * time.Millisecond, 8950 * time.Millisecond, 131800 * time.Millisecond},
		{"v3 shortest interval 156*1cs/256 rounds to 0", 3, 100, 10 * time.Millisecond, 0, 30 * time.Millisecond},
		{"v2 (256-100)/256 s", 2, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{"v2 skew does not scale with the interval", 2, 100, 5 * time.Second, 609375 * time.Microsecond, 15609375 * time.Microsecond},
		{"v2 owner 1/256 s", 2, 255, time.Second, 3906250 * time.Nanosecond, 3003906250 * time.Nanosecond},
		{"v2 lowest priority 255/256 s", 2, 1, time.Second, 996093750 * time.Nanosecond, 3996093750 * time.Nanosecond},
	}
	for _, c := range cases {
		if got := SkewTimeFor(c.version, c.priority, c.interval); got != c.skew {
			t.Errorf("%s: Skew_Time = %s, want %s", c.name, got, c.skew)
		}
		if got := MasterDownIntervalFor(c.version, c.priority, c.interval); got != c.down {
			t.Errorf("%s: Master_Down_Interval = %s, want %s", c.name, got, c.down)
		}
	}
}
