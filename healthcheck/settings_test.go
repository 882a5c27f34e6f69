package healthcheck

import (
	"strings"
	"testing"
	"time"
)

func TestSettingsInheritChain(t *testing.T) {
	global := Settings{Interval: 10 * time.Second, Rise: 4}
	vs := Settings{Interval: 2 * time.Second, Timeout: time.Second, Start: StartUp}
	rs := Settings{Fall: 7, WarmUp: NoWarmUp}
	check := Settings{Timeout: 500 * time.Millisecond, RetryDelay: 300 * time.Millisecond}
	got := ResolveSettings(global, vs, rs, check)
	want := Settings{
		Interval:   2 * time.Second,        // virtual server overrides global
		Timeout:    500 * time.Millisecond, // check overrides virtual server
		Rise:       4,                      // from global
		Fall:       7,                      // from real server
		RetryDelay: 300 * time.Millisecond, // from check
		WarmUp:     NoWarmUp,               // explicit "none" survives defaults
		Start:      StartUp,
	}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsDefaultsDeriveFromInterval(t *testing.T) {
	got := ResolveSettings(Settings{}, Settings{Interval: 7 * time.Second}, Settings{}, Settings{})
	d := DefaultSettings()
	if got.RetryDelay != 7*time.Second || got.WarmUp != 7*time.Second {
		t.Fatalf("retry %v warm-up %v, want both 7s", got.RetryDelay, got.WarmUp)
	}
	if got.Timeout != d.Timeout || got.Rise != d.Rise || got.Fall != d.Fall || got.Start != StartDown {
		t.Fatalf("defaults not applied: %+v", got)
	}
}

func TestSettingsValidateRejects(t *testing.T) {
	base := DefaultSettings().WithDefaults()
	tests := []struct {
		name   string
		mutate func(*Settings)
		want   string
	}{
		{"negative interval", func(s *Settings) { s.Interval = -time.Second }, "interval"},
		{"zero timeout", func(s *Settings) { s.Timeout = 0 }, "timeout"},
		{"negative retry", func(s *Settings) { s.RetryDelay = -1 }, "retry"},
		{"rise zero", func(s *Settings) { s.Rise = 0 }, "rise"},
		{"fall negative", func(s *Settings) { s.Fall = -2 }, "fall"},
		{"unknown start", func(s *Settings) { s.Start = 9 }, "start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			tt.mutate(&s)
			err := s.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error about %s", err, tt.want)
			}
		})
	}
}

func TestStartStateString(t *testing.T) {
	for s, want := range map[StartState]string{StartInherit: "inherit", StartDown: "down", StartUp: "up"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), want)
		}
	}
}
