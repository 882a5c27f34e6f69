package realserver

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// FuzzParsePort: a port spec from a flag or file parses to a port that prints
// back to itself, or fails cleanly.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"80", "tcp/443", "udp/53", "tcp/80:8080", "sctp/1", ":", "/", "tcp/65535:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePort(s)
		if err != nil {
			return
		}
		if p.Port == 0 || (p.Proto != "tcp" && p.Proto != "udp") || p.ToPort == p.Port {
			t.Fatalf("ParsePort(%q) = %+v", s, p)
		}
		again, err := ParsePort(p.String())
		if err != nil || again != p {
			t.Fatalf("ParsePort(%q) -> %s -> %+v, %v", s, p, again, err)
		}
	})
}

// FuzzParseSocketTable: whatever the kernel (or a corrupt file) shows, the
// parser returns listeners with valid addresses or an error, never a panic.
func FuzzParseSocketTable(f *testing.F) {
	f.Add(procTCP, "tcp")
	f.Add(procTCP6, "tcp")
	f.Add("hdr\n 0: 00000000:0035 00000000:0000 07 x\n", "udp")
	f.Fuzz(func(t *testing.T, table, proto string) {
		ls, err := parseSocketTable(strings.NewReader(table), proto)
		if err != nil {
			return
		}
		for _, l := range ls {
			if !l.Addr.Addr().IsValid() || l.Proto != proto {
				t.Fatalf("listener %+v from %q", l, table)
			}
		}
	})
}

// FuzzDecodeState: a damaged record is refused, and an accepted one survives
// a save and reload unchanged.
func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"version":1,"status":"applied","updated":"2025-01-01T00:00:00Z","config":{"vips":["192.0.2.10"],"interface":"eth0","method":"sysctl"},"changes":[{"kind":"sysctl","key":"net/ipv4/conf/all/arp_ignore","previous":"0","value":"1"}]}`))
	f.Add([]byte(`{"version":1,"status":"applying","config":{"vips":[],"method":""},"changes":[{"kind":"file","path":"/x","existed":true,"previous":"a"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeState(b)
		if err != nil {
			return
		}
		path := t.TempDir() + "/s.json"
		if err := saveState(path, s); err != nil {
			t.Fatal(err)
		}
		again, err := LoadState(path)
		if err != nil {
			t.Fatalf("reloading an accepted record: %v", err)
		}
		if len(again.Changes) != len(s.Changes) || !again.Config.Equal(s.Config) {
			t.Fatalf("record changed on the way through: %+v vs %+v", s, again)
		}
	})
}

// FuzzParseHCL: any file either yields a configuration or an ErrInvalid error.
func FuzzParseHCL(f *testing.F) {
	f.Add([]byte("realserver {\n vips = [\"192.0.2.10\"]\n interface = \"eth0\"\n}\n"))
	f.Add([]byte("realserver {\n vips = [\"192.0.2.10\"]\n method = \"redirect\"\n ports = [\"tcp/80:8080\"]\n persist = true\n}\n"))
	f.Add([]byte("x {}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		fc, err := ParseHCL(src, "fuzz.hcl")
		if err != nil {
			return
		}
		for _, p := range fc.Ports {
			if p.Port == 0 {
				t.Fatalf("port 0 accepted from %q", src)
			}
		}
		fc.Config.Validate() // must not panic on anything the parser accepts
	})
}

// FuzzParseARP: frames off the wire are accepted only as Ethernet/IPv4 ARP
// requests or replies, and the addresses read are the bytes at their offsets.
func FuzzParseARP(f *testing.F) {
	f.Add([]byte{0, 1, 8, 0, 6, 4, 0, 2, 2, 0, 0, 0, 0, 0x0a, 192, 0, 2, 10, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1})
	f.Add([]byte{0, 1, 8, 0, 6, 4, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		pkt, ok := parseARP(b)
		if !ok {
			return
		}
		if len(b) < 28 || binary.BigEndian.Uint16(b[0:2]) != 1 || !bytes.Equal(pkt.SenderHardwareAddr, b[8:14]) ||
			pkt.SenderIP.As4() != [4]byte(b[14:18]) || pkt.TargetIP.As4() != [4]byte(b[24:28]) {
			t.Fatalf("parsed %+v from %x", pkt, b)
		}
	})
}
