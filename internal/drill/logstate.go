package drill

import (
	"regexp"
	"strings"
)

// keepalivedStateRE matches keepalived's "(VI_1) Entering MASTER STATE".
var keepalivedStateRE = regexp.MustCompile(`Entering ([A-Z]+) STATE`)

// vigilStateRE matches the to= attribute of vigil's "state changed" line.
var vigilStateRE = regexp.MustCompile(`(?:^|\s)to=("?)([a-z-]+)`)

// parseStateLine returns the VRRP state a daemon's log line reports
// entering, in lower case ("master", "backup", "fault", ...), or "" if the
// line is not a state change.
func parseStateLine(line string) string {
	if strings.Contains(line, `msg="state changed"`) {
		if m := vigilStateRE.FindStringSubmatch(line); m != nil {
			return m[2]
		}
		return ""
	}
	if m := keepalivedStateRE.FindStringSubmatch(line); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}
