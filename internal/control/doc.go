// Package control is the daemon's local control interface and the CLI
// commands that use it: `vigil status`, `vigil maintenance`, `vigil reload`
// and `vigil garp`.
//
// The daemon listens on a unix stream socket (global.control_socket,
// default /run/vigil/vigil.sock) that only root can open: the file is mode
// 0600 and the server also checks the peer's credentials. Each connection
// carries one JSON request and one JSON response:
//
//	{"v":1,"cmd":"status"}                                   -> {"v":1,"ok":true,"data":{...StatusDoc...}}
//	{"v":1,"cmd":"maintenance","args":{"instance":"VI_1","on":true}} -> {"v":1,"ok":true}
//	{"v":1,"cmd":"garp","args":{"instance":"VI_1"}}         -> {"v":1,"ok":false,"error":"..."}
//
// "v" is the protocol version; a daemon refuses versions it does not speak,
// so an old CLI against a new daemon fails with a clear message instead of
// misreading the answer.
//
// The daemon implements Handler and runs Listen + Server.Serve (or Serve);
// the CLI side uses Dial(path).Call, or RunCLI for the whole subcommands.
package control
