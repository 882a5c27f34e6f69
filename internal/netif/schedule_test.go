package netif

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestScheduleSendsCountRounds(t *testing.T) {
	for _, c := range []struct{ count, want int }{{3, 3}, {1, 1}, {0, 1}, {-2, 1}} {
		rounds := 0
		err := runSchedule(context.Background(), Schedule{Count: c.count, Delay: time.Millisecond},
			func() error { rounds++; return nil })
		if err != nil || rounds != c.want {
			t.Errorf("Count %d: %d rounds, %v; want %d", c.count, rounds, err, c.want)
		}
	}
}

func TestScheduleStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rounds := 0
	err := runSchedule(ctx, Schedule{Count: 10, Delay: time.Hour}, func() error {
		rounds++
		cancel() // the next round would be an hour later
		return nil
	})
	if !errors.Is(err, context.Canceled) || rounds != 1 {
		t.Errorf("%d rounds, %v; want 1 round and context.Canceled", rounds, err)
	}

	rounds = 0
	err = runSchedule(ctx, Schedule{Count: 3}, func() error { rounds++; return nil })
	if !errors.Is(err, context.Canceled) || rounds != 0 {
		t.Errorf("already cancelled: %d rounds, %v", rounds, err)
	}
}

func TestScheduleKeepsGoingAfterAnError(t *testing.T) {
	boom := errors.New("boom")
	rounds := 0
	err := runSchedule(context.Background(), Schedule{Count: 3}, func() error {
		rounds++
		if rounds == 1 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || rounds != 3 {
		t.Errorf("%d rounds, %v; want 3 rounds and the first error", rounds, err)
	}
}
