package fault

import (
	"errors"
	"flag"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseArgsFaults(t *testing.T) {
	cases := []struct {
		args string
		want Spec
	}{
		{"-interface eth0 loss 30", Spec{Target: Target{Interface: "eth0"}, Kind: KindLoss, Percent: 30, Direction: DirBoth, Duration: DefaultDuration}},
		{"loss 12.5% -i eth0 -dir in -for 10s", Spec{Target: Target{Interface: "eth0"}, Kind: KindLoss, Percent: 12.5, Direction: DirIn, Duration: 10 * time.Second}},
		{"-netns lb1 -interface=eth1 blackhole", Spec{Target: Target{Netns: "lb1", Interface: "eth1"}, Kind: KindBlackhole, Direction: DirBoth, Duration: DefaultDuration}},
		{"-i eth0 drop-vrrp -dir out", Spec{Target: Target{Interface: "eth0"}, Kind: KindDropVRRP, Direction: DirOut, Duration: DefaultDuration}},
		{"-i eth0 partition 2001:db8::7", Spec{Target: Target{Interface: "eth0"}, Kind: KindPartition, Peer: netip.MustParseAddr("2001:db8::7"), Direction: DirBoth, Duration: DefaultDuration}},
		{"-i eth0 -for 1m flap 5s", Spec{Target: Target{Interface: "eth0"}, Kind: KindFlap, Period: 5 * time.Second, Direction: DirBoth, Duration: time.Minute}},
		{"-i eth0 delay 100ms", Spec{Target: Target{Interface: "eth0"}, Kind: KindDelay, Delay: 100 * time.Millisecond, Direction: DirOut, Duration: DefaultDuration}},
		{"-i eth0 delay 100ms reorder 25 jitter 10ms", Spec{Target: Target{Interface: "eth0"}, Kind: KindDelay, Delay: 100 * time.Millisecond, Jitter: 10 * time.Millisecond, Reorder: 25, Direction: DirOut, Duration: DefaultDuration}},
		{"-i eth0 duplicate 1", Spec{Target: Target{Interface: "eth0"}, Kind: KindDuplicate, Percent: 1, Direction: DirOut, Duration: DefaultDuration}},
	}
	for _, c := range cases {
		cmd, err := ParseArgs(strings.Fields(c.args))
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if cmd.Action != ActionApply || cmd.Spec != c.want || cmd.StateDir != DefaultStateDir {
			t.Errorf("%q:\n got %+v\nwant %+v", c.args, cmd, c.want)
		}
	}
}

func TestParseArgsClearAndShow(t *testing.T) {
	for _, c := range []struct {
		args   string
		action string
		target Target
	}{
		{"clear -i eth0", ActionClear, Target{Interface: "eth0"}},
		{"-netns lb1 clear", ActionClear, Target{Netns: "lb1"}},
		{"show", ActionShow, Target{}},
		{"show -state /tmp/x", ActionShow, Target{}},
	} {
		cmd, err := ParseArgs(strings.Fields(c.args))
		if err != nil || cmd.Action != c.action || cmd.Spec.Target != c.target {
			t.Errorf("%q: %+v %v", c.args, cmd, err)
		}
	}
	cmd, _ := ParseArgs([]string{"show", "-state", "/tmp/x"})
	if cmd.StateDir != "/tmp/x" {
		t.Errorf("-state: %q", cmd.StateDir)
	}
}

func TestParseArgsHelp(t *testing.T) {
	for _, args := range [][]string{{"-help"}, {"-h"}, {"help"}, {"-i", "eth0", "--help"}} {
		if _, err := ParseArgs(args); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%q: %v, want flag.ErrHelp", args, err)
		}
	}
	var b strings.Builder
	PrintUsage(&b)
	for _, want := range []string{"drop-vrrp", "partition PEER", "needs netem", "-interface", "-netns", "-for"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}

func TestParseArgsErrorsSayWhatIsWrong(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"", "name a fault"},
		{"-i eth0", "name a fault"},
		{"-i eth0 loss", "usage: loss PCT"},
		{"-i eth0 loss 150", "loss 150%: want more than 0 and at most 100"},
		{"-i eth0 loss -5", "want more than 0"},
		{"-i eth0 loss abc", "not a percentage"},
		{"loss 30", "needs -interface"},
		{"-i eth0 delay 100", "give a unit, e.g. 100ms"},
		{"-i eth0 delay 10ms jitter 20ms", "jitter 20ms: want between 0 and the delay"},
		{"-i eth0 delay 10ms wobble 2", `unknown option "wobble"`},
		{"-i eth0 delay 10ms -dir in", "shapes only outgoing traffic"},
		{"-i eth0 partition host.example", "not an IP address"},
		{"-i eth0 flap 0s", "flap period 0s"},
		{"-i eth0 -for 1s flap 2s", "longer than the fault"},
		{"-i eth0 -for 0s blackhole", "must last more than 0"},
		{"-i eth0 -for 48h blackhole", "at most 24h"},
		{"-i eth0 -dir sideways blackhole", `direction "sideways"`},
		{"-i eth0 blackhole now", "no arguments"},
		{"-i eth0 corrupt 5", `unknown fault "corrupt"`},
		{"-i a/b blackhole", "not an interface name"},
		{"-i eth0 -netns ../x blackhole", "not a network namespace name"},
		{"-i eth0 -bogus 1 blackhole", "flag provided but not defined"},
		{"clear now", "takes no arguments"},
		{"-i eth0 blackhole -for", "flag needs an argument"},
	} {
		_, err := ParseArgs(strings.Fields(c.args))
		if err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want ErrUsage with %q", c.args, err, c.want)
		}
	}
}

func TestSpecStringNamesTheFault(t *testing.T) {
	for _, c := range []struct {
		s    Spec
		want string
	}{
		{Spec{Kind: KindLoss, Percent: 0.5}, "loss 0.5%"},
		{Spec{Kind: KindDelay, Delay: 100 * time.Millisecond, Jitter: time.Millisecond, Reorder: 5}, "delay 100ms jitter 1ms reorder 5%"},
		{Spec{Kind: KindPartition, Peer: netip.MustParseAddr("192.0.2.1")}, "partition 192.0.2.1"},
		{Spec{Kind: KindFlap, Period: time.Second}, "flap 1s"},
		{Spec{Kind: KindDropVRRP}, "drop-vrrp"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.s, got, c.want)
		}
	}
}

func TestStatePathsDoNotCollide(t *testing.T) {
	st := store{dir: "/x"}
	seen := map[string]Target{}
	for _, tg := range []Target{
		{Interface: "a@b"}, {Interface: "a", Netns: "b@"}, {Interface: "a", Netns: "@b"},
		{Interface: "eth0"}, {Interface: "eth0", Netns: "ns"}, {Interface: "eth0.json"},
	} {
		p := st.path(tg)
		if prev, ok := seen[p]; ok {
			t.Errorf("%+v and %+v share %s", prev, tg, p)
		}
		seen[p] = tg
	}
}

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"-i eth0 loss 30", "-netns a -i b delay 10ms jitter 1ms reorder 5", "partition ::1 -i x",
		"-i e flap 1s -for 10s", "show", "clear -i e", "-i e loss -1e309", "-i e -- loss 5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := ParseArgs(strings.Split(line, " "))
		if err != nil {
			if !errors.Is(err, ErrUsage) && !errors.Is(err, flag.ErrHelp) {
				t.Fatalf("%q: error %v wraps neither ErrUsage nor flag.ErrHelp", line, err)
			}
			return
		}
		if cmd.Action == ActionApply {
			// What the parser accepts, Apply must accept too.
			if _, err := cmd.Spec.normalized(); err != nil {
				t.Fatalf("%q parsed to %+v, which does not validate: %v", line, cmd.Spec, err)
			}
			if cmd.Spec.Duration <= 0 || cmd.Spec.Duration > MaxDuration {
				t.Fatalf("%q: duration %v", line, cmd.Spec.Duration)
			}
		}
	})
}
