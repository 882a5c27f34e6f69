package healthcheck

import (
	"fmt"
	"strconv"
	"strings"
)

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// StatusCodes is a set of accepted HTTP status codes. The zero value accepts
// 200-299.
type StatusCodes []StatusRange

// Lowest and highest status code accepted by ParseStatusCodes.
const (
	minStatus = 100
	maxStatus = 599
)

// ParseStatusCodes parses a comma-separated list of codes and inclusive
// ranges, such as "200-299,301". Blanks around items are allowed; codes must
// lie in 100-599 and a range must not be reversed.
func ParseStatusCodes(s string) (StatusCodes, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("status codes: empty list")
	}
	var codes StatusCodes
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		from, err := parseStatus(lo)
		if err != nil {
			return nil, err
		}
		to := from
		if isRange {
			if to, err = parseStatus(hi); err != nil {
				return nil, err
			}
			if to < from {
				return nil, fmt.Errorf("status codes: range %q is reversed", item)
			}
		}
		codes = append(codes, StatusRange{from, to})
	}
	return codes, nil
}

func parseStatus(s string) (int, error) {
	s = strings.TrimSpace(s)
	if len(s) != 3 {
		return 0, fmt.Errorf("status codes: %q is not a three-digit code", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < minStatus || n > maxStatus {
		return 0, fmt.Errorf("status codes: %q is not a code in %d-%d", s, minStatus, maxStatus)
	}
	return n, nil
}

// Contains reports whether code is accepted.
func (c StatusCodes) Contains(code int) bool {
	if len(c) == 0 {
		return code >= 200 && code <= 299
	}
	for _, r := range c {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}

// String formats the set in the syntax ParseStatusCodes reads.
func (c StatusCodes) String() string {
	if len(c) == 0 {
		return "200-299"
	}
	parts := make([]string, len(c))
	for i, r := range c {
		if r.Lo == r.Hi {
			parts[i] = strconv.Itoa(r.Lo)
		} else {
			parts[i] = strconv.Itoa(r.Lo) + "-" + strconv.Itoa(r.Hi)
		}
	}
	return strings.Join(parts, ",")
}
