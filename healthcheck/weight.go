package healthcheck

import (
	"fmt"
	"strconv"
	"strings"
)

// maxWeightValue bounds any weight read from a server; IPVS weights are
// 32-bit signed and a sane configuration never comes near this.
const maxWeightValue = 1 << 20

// ParseWeight reads a dynamic weight sent by a real server (an HTTP header
// value or a captured body field): a non-negative decimal integer, optionally
// surrounded by blanks. Values above 2^20 are rejected as nonsense rather
// than clamped, so a garbled reply does not pass as "maximum weight".
func ParseWeight(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 8 {
		return 0, fmt.Errorf("weight %q: want a decimal integer", truncate(s, 32))
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("weight %q: want a decimal integer", truncate(s, 32))
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxWeightValue {
		return 0, fmt.Errorf("weight %q: out of range 0-%d", s, maxWeightValue)
	}
	return n, nil
}

// clampWeight bounds a dynamic weight to [0, max].
func clampWeight(w, max int) int {
	if w < 0 {
		return 0
	}
	if w > max {
		return max
	}
	return w
}
