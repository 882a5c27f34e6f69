package drill

import (
	"strings"
	"testing"
)

func TestParseStateLine(t *testing.T) {
	for line, want := range map[string]string{
		`time=2026-11-23T08:25:46.081Z level=INFO msg="state changed" instance=VI_1 from=backup to=master reason=master-down priority=100`: "master",
		`time=2026-11-23T08:25:46.081Z level=INFO msg="state changed" from=master to=stopping reason=shutdown`:                             "stopping",
		`time=2026-11-23T08:25:46.081Z level=INFO msg="state changed" from=initialize to="backup"`:                                         "backup",
		`time=2026-11-23T08:25:46.081Z level=INFO msg="advert sent" to=224.0.0.18`:                                                         "",
		`Mon Nov 23 08:28:38 2026: (VI_1) Entering MASTER STATE`:                                                                           "master",
		`Mon Nov 23 08:28:38 2026: (VI_1) Entering BACKUP STATE (init)`:                                                                    "backup",
		`Mon Nov 23 08:28:38 2026: (VI_1) Entering FAULT STATE`:                                                                            "fault",
		`Mon Nov 23 08:28:38 2026: (VI_1) Receive advertisement timeout`:                                                                   "",
		``: "",
	} {
		if got := parseStateLine(line); got != want {
			t.Errorf("parseStateLine(%q) = %q, want %q", line, got, want)
		}
	}
}

func FuzzParseStateLine(f *testing.F) {
	f.Add(`level=INFO msg="state changed" from=backup to=master`)
	f.Add(`(VI_1) Entering MASTER STATE`)
	f.Add(`msg="state changed" to=`)
	f.Fuzz(func(t *testing.T, line string) {
		st := parseStateLine(line)
		if st != strings.ToLower(st) || strings.ContainsAny(st, " \t\n\"") {
			t.Fatalf("state %q from %q is not a lower-case word", st, line)
		}
		if st != "" && !strings.Contains(strings.ToLower(line), st) {
			t.Fatalf("state %q not in the line %q", st, line)
		}
	})
}
