package netif

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/mdlayher/ndp"
)

// The director and VIP of the keepalived capture (vectors.txt, vectors 3
// and 6): kbd2's interface MAC and the VIP it announced.
var (
	captureMAC = net.HardwareAddr{0xfa, 0x29, 0x42, 0x29, 0xc0, 0x28}
	captureVIP = netip.MustParseAddr("10.99.0.100")
)

func TestGratuitousARPMatchesKeepalivedCapture(t *testing.T) {
	got, err := GratuitousARP(captureMAC, captureVIP)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"testdata/garp_v2run.pcap", "testdata/garp_v3run.pcap"} {
		frames := readPcap(t, file)
		if len(frames) != 1 {
			t.Fatalf("%s: %d frames, want 1", file, len(frames))
		}
		if !bytes.Equal(got, frames[0]) {
			t.Errorf("%s:\n got  % x\n want % x", file, got, frames[0])
		}
	}
}

func TestGratuitousARPAcceptsMappedAddress(t *testing.T) {
	mapped := netip.AddrFrom16(captureVIP.As16())
	a, err := GratuitousARP(captureMAC, mapped)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GratuitousARP(captureMAC, captureVIP)
	if !bytes.Equal(a, b) {
		t.Error("IPv4-mapped VIP gives another frame")
	}
}

func TestFrameBuildersRejectBadInput(t *testing.T) {
	v6 := netip.MustParseAddr("fd00::1")
	short := net.HardwareAddr{1, 2, 3}
	if _, err := GratuitousARP(captureMAC, v6); err == nil {
		t.Error("gratuitous ARP for an IPv6 address")
	}
	if _, err := GratuitousARP(short, captureVIP); err == nil {
		t.Error("gratuitous ARP with a 3-byte MAC")
	}
	if _, err := UnsolicitedNA(captureMAC, captureVIP, false); err == nil {
		t.Error("neighbour advertisement for an IPv4 address")
	}
	if _, err := UnsolicitedNA(short, v6, false); err == nil {
		t.Error("neighbour advertisement with a 3-byte MAC")
	}
}

// naFrame is a decoded unsolicited neighbour advertisement frame.
type naFrame struct {
	ethDst, ethSrc net.HardwareAddr
	etherType      uint16
	hopLimit       int
	src, dst       netip.Addr
	na             *ndp.NeighborAdvertisement
	checksumOK     bool
}

// decodeNA parses an Ethernet/IPv6/ICMPv6 frame independently of the
// builder and verifies the ICMPv6 checksum.
func decodeNA(t *testing.T, frame []byte) naFrame {
	t.Helper()
	if len(frame) < 14+40+4 {
		t.Fatalf("frame of %d bytes is too short", len(frame))
	}
	ip := frame[14:54]
	payloadLen := int(binary.BigEndian.Uint16(ip[4:6]))
	if ip[0]>>4 != 6 || ip[6] != 58 || len(frame) != 54+payloadLen {
		t.Fatalf("not IPv6/ICMPv6 of the right length: % x", frame)
	}
	src, _ := netip.AddrFromSlice(ip[8:24])
	dst, _ := netip.AddrFromSlice(ip[24:40])
	icmp := frame[54:]
	msg, err := ndp.ParseMessage(icmp)
	if err != nil {
		t.Fatalf("ndp.ParseMessage: %v", err)
	}
	na, ok := msg.(*ndp.NeighborAdvertisement)
	if !ok {
		t.Fatalf("message is a %T, want a neighbour advertisement", msg)
	}
	return naFrame{
		ethDst:     net.HardwareAddr(frame[0:6]),
		ethSrc:     net.HardwareAddr(frame[6:12]),
		etherType:  binary.BigEndian.Uint16(frame[12:14]),
		hopLimit:   int(ip[7]),
		src:        src,
		dst:        dst,
		na:         na,
		checksumOK: icmpv6ChecksumValid(src, dst, icmp),
	}
}

// icmpv6ChecksumValid sums the pseudo-header and the message (RFC 8200
// section 8.1); a valid message sums to 0xffff.
func icmpv6ChecksumValid(src, dst netip.Addr, msg []byte) bool {
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(b[i])<<8 | uint32(b[i+1])
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	s, d := src.As16(), dst.As16()
	add(s[:])
	add(d[:])
	var tail [8]byte
	binary.BigEndian.PutUint32(tail[0:4], uint32(len(msg)))
	tail[7] = 58
	add(tail[:])
	add(msg)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return sum == 0xffff
}

// checkNA asserts the fields every unsolicited NA for vip from mac has.
func checkNA(t *testing.T, f naFrame, mac net.HardwareAddr, vip netip.Addr, router bool) {
	t.Helper()
	if f.ethDst.String() != "33:33:00:00:00:01" || f.ethSrc.String() != mac.String() || f.etherType != 0x86dd {
		t.Errorf("Ethernet %s > %s type %#04x", f.ethSrc, f.ethDst, f.etherType)
	}
	if f.hopLimit != 255 || f.src != vip || f.dst != netip.MustParseAddr("ff02::1") {
		t.Errorf("IPv6 %s > %s hop limit %d; want %s > ff02::1 hop limit 255", f.src, f.dst, f.hopLimit, vip)
	}
	if !f.checksumOK {
		t.Error("ICMPv6 checksum does not verify")
	}
	na := f.na
	if !na.Override || na.Solicited || na.Router != router || na.TargetAddress != vip {
		t.Errorf("NA override %v solicited %v router %v target %s; want true false %v %s",
			na.Override, na.Solicited, na.Router, na.TargetAddress, router, vip)
	}
	if len(na.Options) != 1 {
		t.Fatalf("options %v, want only the target link-layer address", na.Options)
	}
	lla, ok := na.Options[0].(*ndp.LinkLayerAddress)
	if !ok || lla.Direction != ndp.Target || lla.Addr.String() != mac.String() {
		t.Errorf("option %+v, want target link-layer address %s", na.Options[0], mac)
	}
}

func TestUnsolicitedNAFields(t *testing.T) {
	vip := netip.MustParseAddr("2001:db8:99::100")
	for _, router := range []bool{false, true} {
		frame, err := UnsolicitedNA(captureMAC, vip, router)
		if err != nil {
			t.Fatal(err)
		}
		checkNA(t, decodeNA(t, frame), captureMAC, vip, router)
	}
}

func TestVirtualMAC(t *testing.T) {
	cases := []struct {
		vrid   uint8
		family int
		want   string
	}{
		{51, 4, "00:00:5e:00:01:33"},
		{255, 6, "00:00:5e:00:02:ff"},
		{1, 4, "00:00:5e:00:01:01"},
	}
	for _, c := range cases {
		mac, err := VirtualMAC(c.vrid, c.family)
		if err != nil || mac.String() != c.want {
			t.Errorf("VirtualMAC(%d, %d) = %s, %v; want %s", c.vrid, c.family, mac, err, c.want)
		}
	}
	if _, err := VirtualMAC(1, 5); err == nil {
		t.Error("family 5 accepted")
	}
	if got := VMACName(51); got != "vrrp.51" {
		t.Errorf("VMACName(51) = %q", got)
	}
}
