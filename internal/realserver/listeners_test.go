package realserver

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
)

// A /proc/net/tcp excerpt: 127.0.0.1:631 listening, 0.0.0.0:80 listening, an
// established connection, on a little-endian machine.
const procTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0A02000A:0050 0100000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
`

const procTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0
`

func TestParseSocketTable(t *testing.T) {
	testenv.Need(t, binary.NativeEndian.Uint16([]byte{1, 0}) == 1, "the sample tables come from a little-endian machine")
	ls, err := parseSocketTable(strings.NewReader(procTCP), "tcp")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"tcp 127.0.0.1:631", "tcp 0.0.0.0:80"}
	if len(ls) != len(want) {
		t.Fatalf("listeners %v, want %v", ls, want)
	}
	for i, l := range ls {
		if l.String() != want[i] {
			t.Errorf("listener %d = %s, want %s", i, l, want[i])
		}
	}
	ls6, err := parseSocketTable(strings.NewReader(procTCP6), "tcp")
	if err != nil || len(ls6) != 1 || ls6[0].Addr != netip.MustParseAddrPort("[::]:8080") {
		t.Errorf("tcp6: %v %v", ls6, err)
	}
	if _, ok := findListener(ls, "tcp", netip.MustParseAddr("192.0.2.10"), 80); !ok {
		t.Error("wildcard listener on 80 not found for a VIP")
	}
	if _, ok := findListener(ls, "tcp", netip.MustParseAddr("192.0.2.10"), 631); ok {
		t.Error("127.0.0.1:631 taken for a listener on the VIP")
	}
	if _, ok := findListener(ls6, "tcp", netip.MustParseAddr("192.0.2.10"), 8080); !ok {
		t.Error("[::]:8080 (dual stack) not found for an IPv4 VIP")
	}
	if _, ok := findListener(ls, "udp", netip.MustParseAddr("192.0.2.10"), 80); ok {
		t.Error("a TCP listener satisfied a UDP port")
	}
}

func TestParseSocketTableErrors(t *testing.T) {
	for _, bad := range []string{
		"header\n 0: 0100007F:0277 00000000:0000 ZZ x\n",
		"header\n 0: 0100007F 00000000:0000 0A x\n",
		"header\n 0: 01007F:0050 00000000:0000 0A x\n",
	} {
		if _, err := parseSocketTable(strings.NewReader(bad), "tcp"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestReadListenersSeesOwnSocket reads the real tables of this process's
// namespace and finds a socket the test opens.
func TestReadListenersSeesOwnSocket(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h := &Host{}
	ls, err := readListeners(h.procNet())
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(ln.Addr().String())
	if _, ok := findListener(ls, "tcp", ap.Addr(), ap.Port()); !ok {
		t.Errorf("own listener %s not in %v", ap, ls)
	}
	// A directory without the tables has no listeners rather than an error
	// (a kernel without IPv6 has no tcp6 file).
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "tcp"), []byte("header\n"), 0o644)
	if ls, err := readListeners(empty); err != nil || len(ls) != 0 {
		t.Errorf("empty tables: %v %v", ls, err)
	}
}
