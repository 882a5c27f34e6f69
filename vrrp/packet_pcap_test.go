package vrrp

import (
	"encoding/binary"
	"net/netip"
	"os"
	"testing"
)

// A minimal reader for the golden captures: classic pcap (not pcapng), either
// byte order, micro- or nanosecond timestamps, Ethernet link type, IPv4 or
// IPv6 without extension headers. Anything else fails the test, so a vector
// file that is not what it claims to be cannot pass silently.

// codecPacket is one IP packet carrying VRRP, taken from a capture.
type codecPacket struct {
	frame    int // index of the frame in the file, from 0
	src, dst netip.Addr
	hopLimit uint8  // IPv4 TTL or IPv6 hop limit
	payload  []byte // the VRRP message, bounded by the IP length
}

const (
	pcapMagicMicro = 0xa1b2c3d4
	pcapMagicNano  = 0xa1b23c4d
	pcapLinkEther  = 1
	pcapGlobalLen  = 24
	pcapRecordLen  = 16
	pcapEtherLen   = 14
	pcapEtherIPv4  = 0x0800
	pcapEtherIPv6  = 0x86dd
	pcapIPv6Len    = 40
	pcapIPv4MinLen = 20
	pcapIPv4Proto  = 9
)

// codecReadPcap returns the frames of a classic pcap file.
func codecReadPcap(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < pcapGlobalLen {
		t.Fatalf("%s: %d bytes, shorter than the pcap header", path, len(data))
	}
	var order binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(data) == pcapMagicMicro, binary.LittleEndian.Uint32(data) == pcapMagicNano:
		order = binary.LittleEndian
	case binary.BigEndian.Uint32(data) == pcapMagicMicro, binary.BigEndian.Uint32(data) == pcapMagicNano:
		order = binary.BigEndian
	default:
		t.Fatalf("%s: not a classic pcap file (magic %x)", path, data[:4])
	}
	if major := order.Uint16(data[4:]); major != 2 {
		t.Fatalf("%s: pcap version %d, want 2", path, major)
	}
	snaplen := order.Uint32(data[16:])
	if link := order.Uint32(data[20:]) & 0x0fffffff; link != pcapLinkEther {
		t.Fatalf("%s: link type %d, want Ethernet (1)", path, link)
	}
	var frames [][]byte
	for rest := data[pcapGlobalLen:]; len(rest) > 0; {
		if len(rest) < pcapRecordLen {
			t.Fatalf("%s: frame %d: truncated record header", path, len(frames))
		}
		incl, orig := order.Uint32(rest[8:]), order.Uint32(rest[12:])
		rest = rest[pcapRecordLen:]
		if incl > snaplen || uint64(incl) > uint64(len(rest)) {
			t.Fatalf("%s: frame %d: %d captured bytes, %d left, snaplen %d", path, len(frames), incl, len(rest), snaplen)
		}
		if incl != orig {
			t.Fatalf("%s: frame %d: captured %d of %d bytes", path, len(frames), incl, orig)
		}
		frames = append(frames, rest[:incl])
		rest = rest[incl:]
	}
	return frames
}

// codecReadVRRP returns the VRRP packets of a capture and how many frames it
// holds in all; frames of other protocols (the GARPs) are skipped.
func codecReadVRRP(t testing.TB, path string) (pkts []codecPacket, frames int) {
	t.Helper()
	all := codecReadPcap(t, path)
	for i, f := range all {
		if p, ok := codecParseFrame(t, path, i, f); ok {
			pkts = append(pkts, p)
		}
	}
	return pkts, len(all)
}

// codecParseFrame extracts the VRRP packet from an Ethernet frame, or reports
// false for a frame that is not IP protocol 112.
func codecParseFrame(t testing.TB, path string, i int, f []byte) (codecPacket, bool) {
	t.Helper()
	if len(f) < pcapEtherLen {
		t.Fatalf("%s: frame %d: %d bytes, shorter than Ethernet", path, i, len(f))
	}
	p := codecPacket{frame: i}
	ip := f[pcapEtherLen:]
	switch binary.BigEndian.Uint16(f[12:]) {
	case pcapEtherIPv4:
		if len(ip) < pcapIPv4MinLen || ip[0]>>4 != 4 {
			t.Fatalf("%s: frame %d: bad IPv4 header", path, i)
		}
		ihl, total := int(ip[0]&0x0f)*4, int(binary.BigEndian.Uint16(ip[2:]))
		if ihl < pcapIPv4MinLen || total < ihl || total > len(ip) {
			t.Fatalf("%s: frame %d: IPv4 header length %d, total %d, %d bytes", path, i, ihl, total, len(ip))
		}
		if sum := fold(sumWords(0, ip[:ihl])); sum != 0 {
			t.Fatalf("%s: frame %d: IPv4 header checksum does not verify", path, i)
		}
		if ip[pcapIPv4Proto] != ProtocolNumber {
			return p, false
		}
		p.hopLimit = ip[8]
		p.src = netip.AddrFrom4([4]byte(ip[12:16]))
		p.dst = netip.AddrFrom4([4]byte(ip[16:20]))
		p.payload = ip[ihl:total]
	case pcapEtherIPv6:
		if len(ip) < pcapIPv6Len || ip[0]>>4 != 6 {
			t.Fatalf("%s: frame %d: bad IPv6 header", path, i)
		}
		plen := int(binary.BigEndian.Uint16(ip[4:]))
		if pcapIPv6Len+plen > len(ip) {
			t.Fatalf("%s: frame %d: IPv6 payload length %d, %d bytes", path, i, plen, len(ip))
		}
		if ip[6] != ProtocolNumber {
			return p, false
		}
		p.hopLimit = ip[7]
		p.src = netip.AddrFrom16([16]byte(ip[8:24]))
		p.dst = netip.AddrFrom16([16]byte(ip[24:40]))
		p.payload = ip[pcapIPv6Len : pcapIPv6Len+plen]
	default:
		return p, false
	}
	return p, true
}
