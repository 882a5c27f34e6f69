package drill

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// arpPacket is the part of an Ethernet ARP frame the drill looks at.
type arpPacket struct {
	Op        uint16 // 1 request, 2 reply
	SenderMAC net.HardwareAddr
	SenderIP  netip.Addr
	TargetIP  netip.Addr
}

// Sizes of an Ethernet frame carrying IPv4 ARP.
const (
	etherHeaderLen = 14
	arpIPv4Len     = 28
	etherTypeARP   = 0x0806
)

// parseARPFrame decodes an Ethernet frame (with its header) carrying an
// IPv4-over-Ethernet ARP packet; ok is false for anything else.
func parseARPFrame(frame []byte) (p arpPacket, ok bool) {
	if len(frame) < etherHeaderLen+arpIPv4Len {
		return p, false
	}
	if binary.BigEndian.Uint16(frame[12:14]) != etherTypeARP {
		return p, false
	}
	a := frame[etherHeaderLen:]
	htype, ptype := binary.BigEndian.Uint16(a[0:2]), binary.BigEndian.Uint16(a[2:4])
	if htype != 1 || ptype != 0x0800 || a[4] != 6 || a[5] != 4 {
		return p, false
	}
	p.Op = binary.BigEndian.Uint16(a[6:8])
	p.SenderMAC = net.HardwareAddr(append([]byte(nil), a[8:14]...))
	p.SenderIP = netip.AddrFrom4([4]byte(a[14:18]))
	p.TargetIP = netip.AddrFrom4([4]byte(a[24:28]))
	return p, true
}

// gratuitousFor reports whether p announces vip: sender and target
// address are both the VIP (a request, as keepalived and vigil send, or a
// reply). An ordinary reply to a client's who-has has the client as target.
func (p arpPacket) gratuitousFor(vip netip.Addr) bool {
	return (p.Op == 1 || p.Op == 2) && p.SenderIP == vip && p.TargetIP == vip
}
