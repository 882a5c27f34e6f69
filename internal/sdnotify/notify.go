package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// SocketEnv is the environment variable systemd sets to the notification
// socket: an absolute path, or "@name" for the abstract namespace.
const SocketEnv = "NOTIFY_SOCKET"

// Notifier sends notifications to one socket. The zero value (and a nil
// *Notifier) sends nothing.
type Notifier struct {
	addr *net.UnixAddr
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET; it does nothing when the
// variable is unset or empty. An unsupported address (such as systemd's
// "vsock:" form) is an error.
func FromEnv() (*Notifier, error) {
	return New(os.Getenv(SocketEnv))
}

// New returns a Notifier for a socket address in $NOTIFY_SOCKET syntax.
// "" gives a Notifier that does nothing.
func New(socket string) (*Notifier, error) {
	switch {
	case socket == "":
		return &Notifier{}, nil
	case socket[0] == '/':
	case socket[0] == '@' && len(socket) > 1:
		// Go maps a leading '@' to the abstract namespace (a leading NUL
		// byte in sun_path), which is what systemd means by it.
	default:
		return nil, fmt.Errorf("sdnotify: %s=%q is neither an absolute path nor an abstract \"@name\"", SocketEnv, socket)
	}
	return &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}, nil
}

// Enabled reports whether notifications go anywhere.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Send sends the assignments (such as "READY=1") as one datagram. systemd
// reads the datagram as lines, so an assignment must not contain a newline.
func (n *Notifier) Send(assignments ...string) error {
	if !n.Enabled() {
		return nil
	}
	for _, a := range assignments {
		if strings.ContainsRune(a, '\n') || !strings.Contains(a, "=") {
			return fmt.Errorf("sdnotify: %q is not a single VAR=value line", a)
		}
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(strings.Join(assignments, "\n"))); err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	return nil
}

// Ready tells systemd that start-up (or a reload) has finished.
func (n *Notifier) Ready() error { return n.Send("READY=1") }

// Reloading tells systemd that a configuration reload has begun; send
// Ready when it is done. MONOTONIC_USEC lets systemd >= 253 match the
// READY=1 to this reload (Type=notify-reload requires it).
func (n *Notifier) Reloading() error {
	return n.Send("RELOADING=1", "MONOTONIC_USEC="+fmt.Sprint(monotonicUsec()))
}

// Stopping tells systemd that the daemon is shutting down.
func (n *Notifier) Stopping() error { return n.Send("STOPPING=1") }

// Status sets the one-line status `systemctl status` shows. Newlines in
// text are replaced by spaces.
func (n *Notifier) Status(text string) error {
	return n.Send("STATUS=" + strings.ReplaceAll(text, "\n", " "))
}

// Watchdog sends the keep-alive that resets the WatchdogSec= timer.
func (n *Notifier) Watchdog() error { return n.Send("WATCHDOG=1") }

// monotonicUsec is CLOCK_MONOTONIC in microseconds, the clock systemd
// compares MONOTONIC_USEC with.
func monotonicUsec() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		// Cannot happen on Linux; systemd ignores a reload it cannot
		// match rather than failing the unit.
		return 0
	}
	return uint64(ts.Sec)*1e6 + uint64(ts.Nsec)/1e3
}

// errWatchdog wraps malformed watchdog variables.
var errWatchdog = errors.New("sdnotify: malformed watchdog environment")
