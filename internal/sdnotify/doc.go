// Package sdnotify speaks the systemd notification protocol (sd_notify(3))
// without a library: newline-separated VAR=value assignments sent as one
// datagram to the unix socket named by $NOTIFY_SOCKET.
//
// The daemon tells systemd when it is ready (READY=1), when it reloads its
// configuration (RELOADING=1 with MONOTONIC_USEC, then READY=1 again, as
// Type=notify-reload units require since systemd 253), when it stops
// (STOPPING=1), a one-line STATUS= shown by `systemctl status`, and the
// WATCHDOG=1 keep-alive when the unit sets WatchdogSec=.
//
// Every call is a no-op that returns nil when $NOTIFY_SOCKET is unset, so
// the daemon calls them unconditionally, in or outside systemd.
package sdnotify
