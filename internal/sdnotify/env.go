package sdnotify

// The functions below read $NOTIFY_SOCKET on every call, so a daemon can
// call them without keeping a Notifier; each is a no-op without systemd.

// Ready sends READY=1 to $NOTIFY_SOCKET.
func Ready() error { return withEnv((*Notifier).Ready) }

// Reloading sends RELOADING=1 and MONOTONIC_USEC to $NOTIFY_SOCKET.
func Reloading() error { return withEnv((*Notifier).Reloading) }

// Stopping sends STOPPING=1 to $NOTIFY_SOCKET.
func Stopping() error { return withEnv((*Notifier).Stopping) }

// Watchdog sends WATCHDOG=1 to $NOTIFY_SOCKET.
func Watchdog() error { return withEnv((*Notifier).Watchdog) }

// Status sends STATUS=text to $NOTIFY_SOCKET.
func Status(text string) error {
	return withEnv(func(n *Notifier) error { return n.Status(text) })
}

func withEnv(f func(*Notifier) error) error {
	n, err := FromEnv()
	if err != nil {
		return err
	}
	return f(n)
}
