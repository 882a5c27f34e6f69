package drill

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
)

// arpFrame builds an Ethernet frame with an IPv4 ARP packet.
func arpFrame(op uint16, sha string, spa, tpa netip.Addr) []byte {
	mac, _ := net.ParseMAC(sha)
	f := make([]byte, 0, 42)
	f = append(f, bytes.Repeat([]byte{0xff}, 6)...) // broadcast
	f = append(f, mac...)
	f = binary.BigEndian.AppendUint16(f, etherTypeARP)
	f = binary.BigEndian.AppendUint16(f, 1)      // Ethernet
	f = binary.BigEndian.AppendUint16(f, 0x0800) // IPv4
	f = append(f, 6, 4)
	f = binary.BigEndian.AppendUint16(f, op)
	f = append(f, mac...)
	f = append(f, spa.AsSlice()...)
	f = append(f, make([]byte, 6)...)
	f = append(f, tpa.AsSlice()...)
	return f
}

var (
	testVIP    = netip.MustParseAddr("10.77.0.100")
	testClient = netip.MustParseAddr("10.77.0.50")
)

func TestParseARPFrameRecognisesGratuitousARP(t *testing.T) {
	for _, c := range []struct {
		name     string
		frame    []byte
		ok, garp bool
	}{
		{"gratuitous request", arpFrame(1, "02:00:00:00:00:02", testVIP, testVIP), true, true},
		{"gratuitous reply", arpFrame(2, "02:00:00:00:00:02", testVIP, testVIP), true, true},
		{"answer to a client", arpFrame(2, "02:00:00:00:00:02", testVIP, testClient), true, false},
		{"client asking", arpFrame(1, "02:00:00:00:00:32", testClient, testVIP), true, false},
		{"other address", arpFrame(1, "02:00:00:00:00:02", testClient, testClient), true, false},
		{"unknown op", arpFrame(9, "02:00:00:00:00:02", testVIP, testVIP), true, false},
		{"short", arpFrame(1, "02:00:00:00:00:02", testVIP, testVIP)[:41], false, false},
		{"not ARP", append(append(make([]byte, 12), 0x08, 0x00), make([]byte, 28)...), false, false},
	} {
		p, ok := parseARPFrame(c.frame)
		if ok != c.ok {
			t.Errorf("%s: ok = %v, want %v", c.name, ok, c.ok)
			continue
		}
		if got := ok && p.gratuitousFor(testVIP); got != c.garp {
			t.Errorf("%s: gratuitous = %v, want %v (%+v)", c.name, got, c.garp, p)
		}
	}
	p, _ := parseARPFrame(arpFrame(1, "02:00:00:00:00:02", testVIP, testVIP))
	if p.SenderMAC.String() != "02:00:00:00:00:02" || p.SenderIP != testVIP || p.Op != 1 {
		t.Errorf("decoded %+v", p)
	}
}

func TestParseARPFrameRejectsOtherHardware(t *testing.T) {
	f := arpFrame(1, "02:00:00:00:00:02", testVIP, testVIP)
	f[15] = 6 // htype IEEE 802
	if _, ok := parseARPFrame(f); ok {
		t.Error("accepted a non-Ethernet ARP packet")
	}
}

func FuzzParseARPFrame(f *testing.F) {
	f.Add(arpFrame(1, "02:00:00:00:00:02", testVIP, testVIP))
	f.Add(arpFrame(2, "02:00:00:00:00:02", testVIP, testClient))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := parseARPFrame(b)
		if !ok {
			return
		}
		if len(b) < etherHeaderLen+arpIPv4Len || len(p.SenderMAC) != 6 || !p.SenderIP.Is4() || !p.TargetIP.Is4() {
			t.Fatalf("accepted %x as %+v", b, p)
		}
		// The decoded MAC is a copy: changing the frame must not change it.
		before := p.SenderMAC.String()
		for i := range b {
			b[i] ^= 0xff
		}
		if p.SenderMAC.String() != before {
			t.Fatal("SenderMAC aliases the frame buffer")
		}
	})
}
