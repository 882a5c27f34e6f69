package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Version is the protocol version this package speaks.
const Version = 1

// Commands of the protocol.
const (
	CmdStatus      = "status"
	CmdReload      = "reload"
	CmdMaintenance = "maintenance"
	CmdGARP        = "garp"
)

// commands lists the known commands, for the error on an unknown one.
var commands = []string{CmdGARP, CmdMaintenance, CmdReload, CmdStatus}

// maxMessage bounds a request or response; a status document of a large
// director is well below it.
const maxMessage = 4 << 20

// Args are the arguments of a command; each command reads only its own.
type Args struct {
	// Instance names a vrrp_instance (maintenance, garp).
	Instance string `json:"instance,omitempty"`
	// On turns maintenance on (true) or off (maintenance).
	On bool `json:"on,omitempty"`
}

// Request is what the client sends.
type Request struct {
	V    int    `json:"v"`
	Cmd  string `json:"cmd"`
	Args Args   `json:"args,omitzero"`
}

// Response is what the daemon answers. Data is the command's result
// (StatusDoc for status, ReloadResult for reload), present even when a
// command partly failed.
type Response struct {
	V     int             `json:"v"`
	OK    bool            `json:"ok"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error string          `json:"error,omitempty"`
}

// ReloadResult is the data of a reload response.
type ReloadResult struct {
	// Summary says what the reload did, e.g. "VI_1 unchanged, VI_2 updated".
	Summary string `json:"summary"`
}

// parseRequest reads and checks one request. The error text is sent back
// to the client as is.
func parseRequest(r io.Reader) (Request, error) {
	var req Request
	dec := json.NewDecoder(io.LimitReader(r, maxMessage))
	if err := dec.Decode(&req); err != nil {
		return Request{}, fmt.Errorf("malformed request: %v", err)
	}
	switch {
	case req.V == 0:
		return req, errors.New(`malformed request: no protocol version ("v")`)
	case req.V != Version:
		return req, fmt.Errorf("protocol version %d is not supported (the daemon speaks %d); use the vigil binary of the running daemon", req.V, Version)
	case !slices.Contains(commands, req.Cmd):
		return req, fmt.Errorf("unknown command %q (known: %v)", req.Cmd, commands)
	case (req.Cmd == CmdMaintenance || req.Cmd == CmdGARP) && req.Args.Instance == "":
		return req, fmt.Errorf("%s needs an instance name", req.Cmd)
	}
	return req, nil
}

// parseResponse reads one response.
func parseResponse(r io.Reader) (Response, error) {
	var resp Response
	b, err := io.ReadAll(io.LimitReader(r, maxMessage+1))
	if err != nil {
		return Response{}, err
	}
	if len(b) > maxMessage {
		return Response{}, errors.New("response too large")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return Response{}, errors.New("the daemon closed the connection without answering")
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return Response{}, fmt.Errorf("malformed response: %v", err)
	}
	if resp.V != Version {
		return resp, fmt.Errorf("the daemon speaks protocol version %d, this vigil speaks %d; use the vigil binary of the running daemon", resp.V, Version)
	}
	if !resp.OK && resp.Error == "" {
		return resp, errors.New("the daemon failed without saying why")
	}
	return resp, nil
}
