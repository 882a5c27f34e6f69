package drill

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Commands on described hosts run as Remote.Command followed by one shell
// command line: over ssh that line goes to the remote shell, with `ip netns
// exec NS sh -c` to a local one. The drill's own scripts quote every value
// they put into a line with shellQuote.

// markLine is what the drill's scripts print at the moment an action takes
// effect; its arrival time is the drill's mark. It comes one network
// latency after the moment itself (nothing on a local namespace, about
// half a round trip over ssh).
const markLine = "vigil-drill-mark"

// cleanupTimeout bounds the clean-up at the end of a drill on hosts.
const cleanupTimeout = 2 * time.Minute

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@%+=:,./_-", c))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellWords quotes each word and joins them.
func shellWords(words ...string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}

// command is the process that runs line on the host. It gets a process
// group of its own: a Ctrl-C at the drill's terminal does not reach it
// (the drill cleans up first), and ending the group ends whatever the
// prefix started locally.
func (h Remote) command(ctx context.Context, line string) *exec.Cmd {
	argv := append(slices.Clone(h.Command), line)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// run runs line on the host and returns its standard output. If onMark is
// not nil it is called when the line markLine arrives (that line is not
// in the output). The error quotes the command's standard error. A
// command that exits while something it started in the background still
// holds its output (a daemon started with & and no redirection) counts as
// done WaitDelay later.
func (h Remote) run(ctx context.Context, timeout time.Duration, line string, onMark func(time.Time)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := h.command(ctx, line)
	var stderr bytes.Buffer
	out := &lineWriter{onLine: func(s string, t time.Time) bool {
		if s == markLine {
			if onMark != nil {
				onMark(t)
			}
			return false
		}
		return true
	}}
	cmd.Stdout, cmd.Stderr = out, &stderr
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("no answer within %s", timeout)
		}
		return out.String(), fmt.Errorf("%s: %s: %w%s", h.Name, firstLine(line), err, quoteOutput(stderr.String()))
	}
	return out.String(), nil
}

// lineWriter hands each complete line written to it to onLine, with the
// time it came, and keeps those onLine returns true for.
type lineWriter struct {
	onLine  func(string, time.Time) bool
	partial []byte
	kept    strings.Builder
}

func (w *lineWriter) Write(b []byte) (int, error) {
	now := time.Now()
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		s := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		if w.onLine(s, now) {
			w.kept.WriteString(s)
			w.kept.WriteByte('\n')
		}
	}
}

// String is the output kept, with an unfinished last line.
func (w *lineWriter) String() string { return w.kept.String() + string(w.partial) }

// firstLine shortens a script for messages.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// quoteOutput puts a command's error output after a message.
func quoteOutput(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return ": " + s
}

// stream is a long-running command on a host whose output lines go to a
// callback as they arrive. Its standard input stays open: the drill's
// scripts end when it closes, which also works over ssh, where a signal
// to the local ssh would not reach the remote command.
type stream struct {
	h      Remote
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	done   chan struct{} // closed when the output ended and the process exited
	mu     sync.Mutex
	stderr bytes.Buffer
	err    error
}

// startStream starts line on the host; onLine sees every output line with
// its arrival time, from one goroutine.
func (h Remote) startStream(line string, onLine func(string, time.Time)) (*stream, error) {
	cmd := h.command(context.Background(), line)
	s := &stream{h: h, cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = lockedWriter{&s.mu, &s.stderr}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", h.Name, err)
	}
	s.stdin = in
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			onLine(sc.Text(), time.Now())
		}
		_, _ = io.Copy(io.Discard, out)
		err := cmd.Wait()
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}()
	return s, nil
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// send writes a line to the command's standard input.
func (s *stream) send(line string) error {
	_, err := io.WriteString(s.stdin, line+"\n")
	return err
}

// exitError says how the command ended, with its error output.
func (s *stream) exitError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.err
	if err == nil {
		err = errors.New("ended")
	}
	return fmt.Errorf("%s: %w%s", s.h.Name, err, quoteOutput(s.stderr.String()))
}

// stop closes the command's standard input and waits up to grace for it
// to end, then kills its local process group.
func (s *stream) stop(grace time.Duration) {
	_ = s.stdin.Close()
	s.killAfter(grace)
}

// terminate ends the command now: SIGTERM to its local process group
// (a local vigil fault removes its fault on it), then SIGKILL after grace.
func (s *stream) terminate(grace time.Duration) {
	_ = s.stdin.Close()
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	s.killAfter(grace)
}

// killAfter waits up to grace for the command to end, then kills its
// local process group and waits for it.
func (s *stream) killAfter(grace time.Duration) {
	select {
	case <-s.done:
		return
	case <-time.After(grace):
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}
