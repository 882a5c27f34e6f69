package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Handler is what the daemon does for each command. Methods may run
// concurrently (one goroutine per connection) and their error text is
// shown to the operator as is, so it should say what to do.
type Handler interface {
	// Status returns the current status document.
	Status() StatusDoc
	// Reload re-reads the configuration file, like SIGHUP, and says what
	// changed. A partial reload returns both a summary and an error.
	Reload() (summary string, err error)
	// Maintenance takes an instance out of the election (on) or back (off).
	Maintenance(instance string, on bool) error
	// GARP re-sends the gratuitous ARP / unsolicited NA of an instance's VIPs.
	GARP(instance string) error
}

// ErrInUse means another daemon serves the control socket.
var ErrInUse = errors.New("control socket in use")

// Timeouts of one connection: the request must arrive quickly; the answer
// may take as long as a reload (graceful stops of removed instances).
const (
	requestTimeout = 5 * time.Second
	replyTimeout   = 5 * time.Second
)

// Server is a bound control socket; Serve answers on it.
type Server struct {
	path string
	ln   *net.UnixListener
	lock *os.File
}

// Listen binds the control socket at path. It creates the parent directory
// (0755) if needed, takes a lock next to the socket (path + ".lock") so
// that two daemons cannot both own it, removes a stale socket left by a
// daemon that died, and refuses (ErrInUse) when another daemon answers.
// The socket is mode 0600: only root (the daemon's user) may use it.
func Listen(path string) (*Server, error) {
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("control socket %q is not an absolute path", path)
	}
	if err := makeDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	lock, err := takeLock(path + ".lock")
	if err != nil {
		return nil, err
	}
	ln, err := bind(path)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &Server{path: path, ln: ln, lock: lock}, nil
}

func makeDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("control socket directory: %w", err)
	}
	// MkdirAll honours the umask; the directory must be searchable so that
	// the socket's own mode is what decides access.
	return os.Chmod(dir, 0o755)
}

// takeLock holds an exclusive lock for the life of the server, closing the
// race in which two daemons starting together both find the socket stale.
func takeLock(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("control socket lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another vigil daemon holds %s", ErrInUse, name)
		}
		return nil, fmt.Errorf("control socket lock %s: %w", name, err)
	}
	return f, nil
}

// bind removes a stale socket, binds a new one and restricts it to 0600.
func bind(path string) (*net.UnixListener, error) {
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// Between bind and chmod the umask decides; the peer check in serveConn
	// covers that window.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}

// removeStale deletes a socket file nobody answers on. It never deletes
// anything that is not a socket.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket %s exists and is not a socket; remove it or choose another global.control_socket", path)
	}
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		conn.Close()
		return fmt.Errorf("%w: another vigil daemon answers on %s", ErrInUse, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("control socket %s: cannot tell whether a daemon uses it: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the stale control socket: %w", err)
	}
	return nil
}

// Path returns the socket path.
func (s *Server) Path() string { return s.path }

// Close removes the socket and releases the lock without serving.
func (s *Server) Close() error {
	err := s.ln.Close() // unlinks the socket file
	s.lock.Close()
	return err
}

// Serve answers requests with h until ctx ends, then waits for the
// requests in progress, removes the socket and releases the lock.
func (s *Server) Serve(ctx context.Context, h Handler) error {
	defer s.Close()
	stop := context.AfterFunc(ctx, func() { s.ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				time.Sleep(100 * time.Millisecond) // out of descriptors: let some close
				continue
			}
			return fmt.Errorf("control socket: %w", err)
		}
		wg.Go(func() { serveConn(conn, h) })
	}
}

// Serve is Listen followed by Server.Serve.
func Serve(ctx context.Context, path string, h Handler) error {
	s, err := Listen(path)
	if err != nil {
		return err
	}
	return s.Serve(ctx, h)
}

// serveConn answers the one request of a connection.
func serveConn(conn *net.UnixConn, h Handler) {
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(requestTimeout))
	req, err := parseRequest(conn)
	var resp Response
	switch {
	case err != nil:
		resp = Response{V: Version, Error: err.Error()}
	default:
		// Checked after reading, so the caller gets this answer instead
		// of a reset connection.
		if perr := checkPeer(conn); perr != nil {
			resp = Response{V: Version, Error: perr.Error()}
		} else {
			resp = dispatch(req, h)
		}
	}
	_ = conn.SetWriteDeadline(time.Now().Add(replyTimeout))
	if err := json.NewEncoder(conn).Encode(resp); err != nil {
		return
	}
	lingerClose(conn)
}

// lingerClose half-closes and reads what the client still sends until it
// closes: closing a unix socket with unread data resets the peer, which
// could lose the answer it has not read yet.
func lingerClose(conn *net.UnixConn) {
	if conn.CloseWrite() != nil {
		return
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.Copy(io.Discard, io.LimitReader(conn, maxMessage))
}

// checkPeer admits root and the daemon's own user only.
func checkPeer(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if credErr != nil {
		return fmt.Errorf("cannot identify the caller: %v", credErr)
	}
	if cred.Uid != 0 && int(cred.Uid) != os.Geteuid() {
		return fmt.Errorf("permission denied: uid %d may not use the control socket (root only)", cred.Uid)
	}
	return nil
}

// dispatch runs one command. A panicking handler must not take the daemon
// down with it: the operator gets the error instead.
func dispatch(req Request, h Handler) (resp Response) {
	resp.V = Version
	defer func() {
		if p := recover(); p != nil {
			resp = Response{V: Version, Error: fmt.Sprintf("internal error in %s: %v", req.Cmd, p)}
		}
	}()
	var data any
	var err error
	switch req.Cmd {
	case CmdStatus:
		data = h.Status()
	case CmdReload:
		var summary string
		summary, err = h.Reload()
		data = ReloadResult{Summary: summary}
	case CmdMaintenance:
		err = h.Maintenance(req.Args.Instance, req.Args.On)
	case CmdGARP:
		err = h.GARP(req.Args.Instance)
	}
	if data != nil {
		b, merr := json.Marshal(data)
		if merr != nil {
			return Response{V: Version, Error: fmt.Sprintf("cannot encode the %s answer: %v", req.Cmd, merr)}
		}
		resp.Data = b
	}
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	resp.OK = true
	return resp
}
