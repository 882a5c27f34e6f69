package realserver

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// listener is a socket that accepts traffic: a listening TCP socket or an
// unconnected UDP socket.
type listener struct {
	Proto string // "tcp" or "udp"
	Addr  netip.AddrPort
}

func (l listener) String() string { return l.Proto + " " + l.Addr.String() }

// Socket states in /proc/net/{tcp,udp}: TCP_LISTEN, and TCP_CLOSE, which is
// what an unconnected UDP socket shows.
const (
	stateListen = 0x0A
	stateClose  = 0x07
)

// readListeners reads the socket tables of the namespace in dir.
func readListeners(dir string) ([]listener, error) {
	var out []listener
	for _, f := range []struct{ name, proto string }{{"tcp", "tcp"}, {"tcp6", "tcp"}, {"udp", "udp"}, {"udp6", "udp"}} {
		file, err := os.Open(filepath.Join(dir, f.name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // no IPv6 in this kernel
		}
		if err != nil {
			return nil, err
		}
		ls, err := parseSocketTable(file, f.proto)
		file.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file.Name(), err)
		}
		out = append(out, ls...)
	}
	return out, nil
}

// parseSocketTable reads one /proc/net/{tcp,tcp6,udp,udp6} file and returns
// the sockets that accept new traffic.
func parseSocketTable(r io.Reader, proto string) ([]listener, error) {
	want := stateListen
	if proto == "udp" {
		want = stateClose
	}
	var out []listener
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // the header line
			first = false
			continue
		}
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		st, err := strconv.ParseUint(fields[3], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("state %q: %w", fields[3], err)
		}
		if int(st) != want {
			continue
		}
		ap, err := parseHexAddrPort(fields[1])
		if err != nil {
			return nil, err
		}
		out = append(out, listener{Proto: proto, Addr: ap})
	}
	return out, sc.Err()
}

// parseHexAddrPort reads "0100007F:0050" or the 32-digit IPv6 form. The kernel
// prints the address as 32-bit words in host byte order and the port in hex.
func parseHexAddrPort(s string) (netip.AddrPort, error) {
	host, port, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("address %q: no port", s)
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", port, err)
	}
	raw, err := hex.DecodeString(host)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("address %q: not 8 or 32 hex digits", host)
	}
	b := make([]byte, len(raw))
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// findListener finds a socket that receives proto traffic for target:port:
// one bound to target itself, or to a wildcard address. An invalid or
// unspecified target matches any address.
func findListener(socks []listener, proto string, target netip.Addr, port uint16) (listener, bool) {
	for _, l := range socks {
		if l.Proto != proto || l.Addr.Port() != port {
			continue
		}
		a := l.Addr.Addr()
		if a.IsUnspecified() || !target.IsValid() || target.IsUnspecified() || a.Unmap() == target {
			return l, true
		}
	}
	return listener{}, false
}
