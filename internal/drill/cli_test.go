package drill

import (
	"context"
	"strings"
	"testing"
)

func runMain(args ...string) (code int, stdout, stderr string) {
	var o, e strings.Builder
	code = Main(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestMainHelpListsEveryScenario(t *testing.T) {
	code, out, _ := runMain("-help")
	if code != exitOK {
		t.Fatalf("-help exited %d", code)
	}
	for _, s := range Scenarios {
		if !strings.Contains(out, s.Name) || !strings.Contains(out, s.Summary) {
			t.Errorf("help does not explain %s", s.Name)
		}
	}
	for _, flag := range []string{"-scenario", "-n", "-interval", "-impl", "-json", "-timeline", "-hosts", "advert_interval", "director", "client"} {
		if !strings.Contains(out, flag) {
			t.Errorf("help does not mention %s", flag)
		}
	}
}

func TestMainRejectsBadCommandLines(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "-scenario is required"},
		{[]string{"-scenario", "nope"}, `unknown scenario "nope"`},
		{[]string{"-scenario", "flap", "-impl", "bird"}, `implementation "bird"`},
		{[]string{"-scenario", "flap", "extra"}, "unexpected arguments"},
		{[]string{"-bogus"}, "vigil drill -help"},
		{[]string{"-hosts", "h.hcl", "-scenario", "flap", "-keep", "-prefix", "x"}, "-keep, -prefix: for the lab only"},
		{[]string{"agent", "-vip", "2001:db8::1"}, "usage: vigil drill agent"},
	} {
		code, _, errOut := runMain(c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, exitUsage, c.want)
		}
	}
}

func TestLookupScenario(t *testing.T) {
	s, err := LookupScenario("advert-loss")
	if err != nil || s.Name != "advert-loss" || !s.Heals || s.FinalMaster != "d1" {
		t.Fatalf("LookupScenario(advert-loss) = %+v, %v", s, err)
	}
	if _, err := LookupScenario("x"); err == nil || !strings.Contains(err.Error(), "master-sigkill") {
		t.Fatalf("unknown scenario error %v should list the scenarios", err)
	}
	for _, s := range Scenarios {
		if s.inject == nil || (s.Heals && s.heal == nil) || s.FinalMaster == "" {
			t.Errorf("scenario %s is incomplete", s.Name)
		}
	}
}

func TestOptionsRejectZeroRuns(t *testing.T) {
	if _, err := (Options{N: -1}).withDefaults(); err == nil {
		t.Fatal("N = -1 accepted")
	}
	o, err := Options{Vigil: "/bin/true"}.withDefaults()
	if err != nil || o.N != 1 || o.Impl != "vigil" || o.LabSelf[0] != "/bin/true" || o.LabSelf[1] != "lab" {
		t.Fatalf("defaults %+v, %v", o, err)
	}
}
