package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// DefaultTimeout bounds one call; a reload that stops instances
// gracefully takes a few seconds.
const DefaultTimeout = 30 * time.Second

// ErrNotRunning is wrapped by the error of a call when no daemon listens.
var ErrNotRunning = errors.New("no daemon is listening")

// Client calls the daemon over its control socket.
type Client struct {
	// Path is the control socket.
	Path string
	// Timeout bounds each call (DefaultTimeout when zero).
	Timeout time.Duration
}

// Dial returns a client for the socket at path. Nothing is opened until a
// call: each call is one connection.
func Dial(path string) *Client { return &Client{Path: path} }

// DaemonError is a command the daemon received and refused or failed.
type DaemonError struct {
	Cmd string
	Msg string
}

func (e *DaemonError) Error() string { return "vigil " + e.Cmd + ": " + e.Msg }

// Call sends one command and returns its data. Every error is one line
// that starts with "vigil", fit to print as is: ErrNotRunning when no
// daemon listens, *DaemonError when the daemon refused the command (the
// data of a partly failed command is returned with it).
func (c *Client) Call(cmd string, args Args) (json.RawMessage, error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	conn, err := net.DialTimeout("unix", c.Path, timeout)
	if err != nil {
		return nil, c.dialError(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if err := json.NewEncoder(conn).Encode(Request{V: Version, Cmd: cmd, Args: args}); err != nil {
		return nil, fmt.Errorf("vigil: sending to the daemon on %s: %v", c.Path, err)
	}
	_ = conn.(*net.UnixConn).CloseWrite()
	resp, err := parseResponse(conn)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("vigil: the daemon on %s did not answer within %v", c.Path, timeout)
		}
		return nil, fmt.Errorf("vigil: reading the daemon's answer on %s: %v", c.Path, err)
	}
	if !resp.OK {
		return resp.Data, &DaemonError{Cmd: cmd, Msg: resp.Error}
	}
	return resp.Data, nil
}

// dialError turns a failed connect into the message an operator needs.
func (c *Client) dialError(err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("vigil: %w on %s (is `vigil run` running?)", ErrNotRunning, c.Path)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("vigil: permission denied on %s: the control socket is for root only (try sudo)", c.Path)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("vigil: the daemon on %s does not accept connections (stuck?)", c.Path)
	}
	return fmt.Errorf("vigil: cannot reach the daemon on %s: %v", c.Path, err)
}

// Status fetches the status document.
func (c *Client) Status() (StatusDoc, error) {
	data, err := c.Call(CmdStatus, Args{})
	if err != nil {
		return StatusDoc{}, err
	}
	var doc StatusDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return StatusDoc{}, fmt.Errorf("vigil status: malformed answer: %v", err)
	}
	return doc, nil
}

// Reload asks the daemon to re-read its configuration and returns its
// summary (also when the reload partly failed).
func (c *Client) Reload() (string, error) {
	data, err := c.Call(CmdReload, Args{})
	var r ReloadResult
	if len(data) > 0 {
		if uerr := json.Unmarshal(data, &r); uerr != nil && err == nil {
			err = fmt.Errorf("vigil reload: malformed answer: %v", uerr)
		}
	}
	return r.Summary, err
}

// Maintenance turns maintenance of an instance on or off.
func (c *Client) Maintenance(instance string, on bool) error {
	_, err := c.Call(CmdMaintenance, Args{Instance: instance, On: on})
	return err
}

// GARP makes the daemon re-announce the VIPs of an instance.
func (c *Client) GARP(instance string) error {
	_, err := c.Call(CmdGARP, Args{Instance: instance})
	return err
}
