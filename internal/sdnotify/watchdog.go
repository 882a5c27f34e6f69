package sdnotify

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Environment variables systemd sets when the unit has WatchdogSec=.
const (
	WatchdogUsecEnv = "WATCHDOG_USEC"
	WatchdogPIDEnv  = "WATCHDOG_PID"
)

// WatchdogInterval returns the watchdog timeout systemd expects keep-alives
// within, from $WATCHDOG_USEC. It returns 0 when the watchdog is off: the
// variable is unset, or $WATCHDOG_PID names another process (the variables
// were inherited by a child). Send Watchdog at least every half of it.
func WatchdogInterval() (time.Duration, error) {
	usec := os.Getenv(WatchdogUsecEnv)
	if usec == "" {
		return 0, nil
	}
	if pid := os.Getenv(WatchdogPIDEnv); pid != "" {
		p, err := strconv.Atoi(pid)
		if err != nil || p <= 0 {
			return 0, fmt.Errorf("%w: %s=%q", errWatchdog, WatchdogPIDEnv, pid)
		}
		if p != os.Getpid() {
			return 0, nil
		}
	}
	n, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || n == 0 || n > uint64(1<<63-1)/uint64(time.Microsecond) {
		return 0, fmt.Errorf("%w: %s=%q", errWatchdog, WatchdogUsecEnv, usec)
	}
	return time.Duration(n) * time.Microsecond, nil
}

// Heartbeat sends Watchdog every half of interval until ctx ends, but only
// while alive reports true: a daemon whose main loop is stuck must stop
// sending, so that systemd restarts it. A nil alive always sends. It
// returns at once when interval is 0 or the Notifier is disabled.
func (n *Notifier) Heartbeat(ctx context.Context, interval time.Duration, alive func() bool) {
	if interval <= 0 || !n.Enabled() {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		if alive == nil || alive() {
			_ = n.Watchdog() // a lost datagram is retried on the next tick
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
