package healthcheck

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/sys/unix"
)

// writeScript writes an executable /bin/sh script and returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	testenv.NeedCommand(t, "sh")
	path := filepath.Join(t.TempDir(), "check.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestScriptChecker(t *testing.T) {
	target := Target{VirtualServer: "vs1", RealServer: "rs1", Addr: netip.MustParseAddrPort("192.0.2.5:8080"),
		Dialer: Dialer{Addr: netip.MustParseAddrPort("198.51.100.1:80"), Mark: 7}}
	envCheck := writeScript(t, `[ "$VIGIL_RS_ADDR:$VIGIL_RS_PORT" = "192.0.2.5:8080" ] || exit 3
[ "$VIGIL_PROBE_ADDR:$VIGIL_PROBE_PORT" = "198.51.100.1:80" ] || exit 4
[ "$VIGIL_VIRTUAL_SERVER/$VIGIL_REAL_SERVER/$VIGIL_MARK" = "vs1/rs1/7" ] || exit 5
[ "$EXTRA" = "yes" ] || exit 6
[ "$1 $2" = "first second" ] || exit 7
exit 0`)
	tests := []struct {
		name    string
		c       *ScriptChecker
		healthy bool
		reason  string
		weight  int // -1: none
	}{
		{"environment and arguments", &ScriptChecker{Path: envCheck, Args: []string{"first", "second"}, Env: []string{"EXTRA=yes"}},
			true, "script: exit status 0", -1},
		{"exit 1 fails", &ScriptChecker{Path: writeScript(t, "exit 1")}, false, "script: exit status 1", -1},
		{"exit 12 fails without dynamic weight", &ScriptChecker{Path: writeScript(t, "exit 12")}, false, "script: exit status 12", -1},
		{"misc_dynamic exit 12 is weight 10", &ScriptChecker{Path: writeScript(t, "exit 12"), DynamicWeight: true},
			true, "script: exit status 12, weight 10", 10},
		{"misc_dynamic exit 1 still fails", &ScriptChecker{Path: writeScript(t, "exit 1"), DynamicWeight: true},
			false, "script: exit status 1", -1},
		{"misc_dynamic exit 0 keeps weight", &ScriptChecker{Path: writeScript(t, "exit 0"), DynamicWeight: true},
			true, "script: exit status 0", -1},
		{"missing program", &ScriptChecker{Path: filepath.Join(t.TempDir(), "absent")}, false, "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := checkOnce(t, tt.c, target, 5*time.Second)
			if r.Healthy != tt.healthy || (tt.reason != "" && r.Reason != tt.reason) {
				t.Fatalf("got healthy=%t %q, want %t %q", r.Healthy, r.Reason, tt.healthy, tt.reason)
			}
			if (tt.weight >= 0) != r.WeightSet || (r.WeightSet && r.Weight != tt.weight) {
				t.Fatalf("weight %d set=%t, want %d", r.Weight, r.WeightSet, tt.weight)
			}
		})
	}
}

func TestScriptCheckerTimeoutKillsProcessGroup(t *testing.T) {
	testenv.NeedCommand(t, "sleep")
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// The script starts a child and waits: both must die on timeout.
	script := writeScript(t, "sleep 30 &\necho $! > "+pidFile+"\nwait")
	start := time.Now()
	r := checkOnce(t, &ScriptChecker{Path: script}, Target{}, 300*time.Millisecond)
	if r.Healthy || r.Reason != "script: timeout" {
		t.Fatalf("got %+v, want script: timeout", r)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("timed-out script held the check for %v", took)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscan(strings.TrimSpace(string(raw)), &pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitLimit)
	for unix.Kill(pid, 0) == nil && !isZombie(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the timed-out script still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// isZombie reports a process that died but was not reaped (its parent, the
// killed shell, is gone too, so init reaps it eventually).
func isZombie(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

func TestScriptCheckerValidate(t *testing.T) {
	if err := (&ScriptChecker{}).Validate(); err == nil {
		t.Fatal("empty path accepted")
	}
}

// udpServer answers each datagram with reply(payload); nil reply stays silent.
func udpServer(t *testing.T, reply func([]byte) []byte) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := reply(buf[:n]); out != nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	return addrOf(t, pc.LocalAddr())
}

// closedUDPPort returns a loopback UDP port where nothing listens.
func closedUDPPort(t *testing.T) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := addrOf(t, pc.LocalAddr())
	pc.Close()
	return ap
}

func TestUDPChecker(t *testing.T) {
	echo := udpServer(t, func(p []byte) []byte { return append([]byte(nil), p...) })
	silent := udpServer(t, func([]byte) []byte { return nil })
	closed := closedUDPPort(t)
	tests := []struct {
		name    string
		c       *UDPChecker
		addr    netip.AddrPort
		healthy bool
		reason  string
	}{
		{"echo replies", &UDPChecker{Payload: []byte("ping"), RequireReply: true}, echo, true, "udp: reply of 4 bytes"},
		{"echo matches expect", &UDPChecker{Payload: []byte("ping-1"), Expect: []byte("ping")}, echo, true, "udp: reply of 6 bytes"},
		{"echo does not match expect", &UDPChecker{Payload: []byte("ping"), Expect: []byte("pong")}, echo, false, `udp: unexpected reply "ping"`},
		{"silence is healthy without require-reply", &UDPChecker{Payload: []byte("x")}, silent, true, "udp: no ICMP error"},
		{"silence fails with require-reply", &UDPChecker{Payload: []byte("x"), RequireReply: true}, silent, false, "udp: no reply: timeout"},
		{"port unreachable fails", &UDPChecker{Payload: []byte("x")}, closed, false, "udp: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := checkOnce(t, tt.c, Target{Addr: tt.addr}, 300*time.Millisecond)
			if r.Healthy != tt.healthy || r.Reason != tt.reason {
				t.Fatalf("got healthy=%t %q, want %t %q", r.Healthy, r.Reason, tt.healthy, tt.reason)
			}
		})
	}
}

// dnsResponder answers A queries for svc.example. with 192.0.2.7, AAAA with
// no records, and everything else with NXDOMAIN.
func dnsResponder(t *testing.T) netip.AddrPort {
	t.Helper()
	return udpServer(t, func(query []byte) []byte {
		var q dnsmessage.Message
		if err := q.Unpack(query); err != nil || len(q.Questions) != 1 {
			return nil
		}
		resp := dnsmessage.Message{
			Header:    dnsmessage.Header{ID: q.ID, Response: true, Authoritative: true},
			Questions: q.Questions,
		}
		question := q.Questions[0]
		switch {
		case !strings.EqualFold(question.Name.String(), "svc.example."):
			resp.RCode = dnsmessage.RCodeNameError
		case question.Type == dnsmessage.TypeA:
			resp.Answers = []dnsmessage.Resource{{
				Header: dnsmessage.ResourceHeader{Name: question.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body:   &dnsmessage.AResource{A: [4]byte{192, 0, 2, 7}},
			}}
		}
		out, err := resp.Pack()
		if err != nil {
			return nil
		}
		return out
	})
}

func TestDNSChecker(t *testing.T) {
	server := dnsResponder(t)
	tests := []struct {
		name    string
		c       *DNSChecker
		healthy bool
		reason  string
	}{
		{"A answer", &DNSChecker{Name: "svc.example"}, true, "dns: 1 A answers"},
		{"expected address present", &DNSChecker{Name: "SVC.example.", ExpectAddrs: []netip.Addr{netip.MustParseAddr("192.0.2.7")}}, true, "dns: 1 A answers"},
		{"expected address absent", &DNSChecker{Name: "svc.example", ExpectAddrs: []netip.Addr{netip.MustParseAddr("192.0.2.8")}}, false, "dns: answer lacks the expected address"},
		{"no AAAA answer", &DNSChecker{Name: "svc.example", Type: dnsmessage.TypeAAAA}, false, "dns: no AAAA answer"},
		{"nxdomain", &DNSChecker{Name: "other.example"}, false, "dns: rcode NameError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.Validate(); err != nil {
				t.Fatal(err)
			}
			r := checkOnce(t, tt.c, Target{Addr: server}, time.Second)
			if r.Healthy != tt.healthy || r.Reason != tt.reason {
				t.Fatalf("got healthy=%t %q, want %t %q", r.Healthy, r.Reason, tt.healthy, tt.reason)
			}
		})
	}
	r := checkOnce(t, &DNSChecker{Name: "svc.example"}, Target{Addr: closedUDPPort(t)}, time.Second)
	if r.Healthy || r.Reason != "dns: connection refused" {
		t.Fatalf("closed port: %+v", r)
	}
}

func TestDNSCheckerOverTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	answer := dnsResponder(t) // reuse the UDP responder's logic through a relay
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var size [2]byte
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		query := make([]byte, int(size[0])<<8|int(size[1]))
		if _, err := io.ReadFull(c, query); err != nil {
			return
		}
		u, err := net.Dial("udp", answer.String())
		if err != nil {
			return
		}
		defer u.Close()
		u.Write(query)
		buf := make([]byte, 4096)
		n, err := u.Read(buf)
		if err != nil {
			return
		}
		c.Write(append([]byte{byte(n >> 8), byte(n)}, buf[:n]...))
	}()
	r := checkOnce(t, &DNSChecker{Name: "svc.example", TCP: true}, Target{Addr: addrOf(t, ln.Addr())}, 2*time.Second)
	if !r.Healthy || r.Reason != "dns: 1 A answers" {
		t.Fatalf("got %+v", r)
	}
}

func TestDNSCheckerValidate(t *testing.T) {
	for _, name := range []string{"", strings.Repeat("a", 300) + ".example"} {
		if err := (&DNSChecker{Name: name}).Validate(); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}

func TestDialerSetsSocketMark(t *testing.T) {
	testenv.NeedRoot(t)
	ln := listenTCP(t, "127.0.0.1:0")
	conn, err := Dialer{Mark: 0x42}.DialContext(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var mark int
	var serr error
	if err := raw.Control(func(fd uintptr) { mark, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK) }); err != nil {
		t.Fatal(err)
	}
	if serr != nil || mark != 0x42 {
		t.Fatalf("SO_MARK = %#x, %v; want 0x42", mark, serr)
	}
}
