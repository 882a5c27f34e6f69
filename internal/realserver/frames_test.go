package realserver

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// Hand-built frames for the namespace tests: a director forwards a client's
// packet to a real server by rewriting only the destination MAC, so the tests
// send exactly that, an Ethernet frame to the real server's MAC carrying an IP
// packet for the VIP, from a packet socket.

const (
	etherTypeIPv4 = 0x0800
	protoICMP     = 1
	protoIPIP     = 4
	protoTCP      = 6
)

// checksum is the Internet checksum (RFC 1071) of b, seeded with sum.
func checksum(b []byte, sum uint32) uint16 {
	for ; len(b) >= 2; b = b[2:] {
		sum += uint32(b[0])<<8 | uint32(b[1])
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// ethernet prepends an Ethernet II header.
func ethernet(dst, src net.HardwareAddr, etherType uint16, payload []byte) []byte {
	b := make([]byte, 14, 14+len(payload))
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:14], etherType)
	return append(b, payload...)
}

// ipv4 prepends a 20-byte IPv4 header with a correct checksum.
func ipv4(src, dst netip.Addr, proto byte, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45 // version 4, 5 words
	binary.BigEndian.PutUint16(h[2:4], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[4:6], 0x1234) // identification
	h[6] = 0x40                                // don't fragment
	h[8] = 64                                  // TTL
	h[9] = proto
	s, d := src.As4(), dst.As4()
	copy(h[12:16], s[:])
	copy(h[16:20], d[:])
	binary.BigEndian.PutUint16(h[10:12], checksum(h, 0))
	return append(h, payload...)
}

// icmpEcho is an ICMP echo request with a correct checksum.
func icmpEcho(id, seq uint16, data []byte) []byte {
	b := make([]byte, 8, 8+len(data))
	b[0] = 8 // echo request
	binary.BigEndian.PutUint16(b[4:6], id)
	binary.BigEndian.PutUint16(b[6:8], seq)
	b = append(b, data...)
	binary.BigEndian.PutUint16(b[2:4], checksum(b, 0))
	return b
}

// tcpSYN is a TCP SYN segment with the checksum over the IPv4 pseudo-header.
func tcpSYN(src, dst netip.Addr, sport, dport uint16, seq uint32) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:2], sport)
	binary.BigEndian.PutUint16(b[2:4], dport)
	binary.BigEndian.PutUint32(b[4:8], seq)
	b[12] = 5 << 4 // data offset: 5 words
	b[13] = 0x02   // SYN
	binary.BigEndian.PutUint16(b[14:16], 64240)
	s, d := src.As4(), dst.As4()
	var sum uint32
	for _, a := range [][4]byte{s, d} {
		sum += uint32(a[0])<<8 | uint32(a[1])
		sum += uint32(a[2])<<8 | uint32(a[3])
	}
	sum += protoTCP + uint32(len(b))
	binary.BigEndian.PutUint16(b[16:18], checksum(b, sum))
	return b
}

// ipPacket is a parsed IPv4 packet from a captured Ethernet frame.
type ipPacket struct {
	srcMAC, dstMAC net.HardwareAddr
	src, dst       netip.Addr
	proto          byte
	payload        []byte
}

// parseIPv4Frame returns the IPv4 packet in an Ethernet frame, after checking
// the header checksum the sender computed.
func parseIPv4Frame(f []byte) (ipPacket, bool) {
	if len(f) < 14+20 || binary.BigEndian.Uint16(f[12:14]) != etherTypeIPv4 {
		return ipPacket{}, false
	}
	ip := f[14:]
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:4]))
	if ip[0]>>4 != 4 || ihl < 20 || total < ihl || len(ip) < total || checksum(ip[:ihl], 0) != 0 {
		return ipPacket{}, false
	}
	return ipPacket{
		dstMAC: net.HardwareAddr(f[0:6]), srcMAC: net.HardwareAddr(f[6:12]),
		src: netip.AddrFrom4([4]byte(ip[12:16])), dst: netip.AddrFrom4([4]byte(ip[16:20])),
		proto: ip[9], payload: ip[ihl:total],
	}, true
}

// isEchoReply reports an ICMP echo reply with the given id and sequence and a
// valid checksum.
func (p ipPacket) isEchoReply(id, seq uint16) bool {
	b := p.payload
	return p.proto == protoICMP && len(b) >= 8 && b[0] == 0 && checksum(b, 0) == 0 &&
		binary.BigEndian.Uint16(b[4:6]) == id && binary.BigEndian.Uint16(b[6:8]) == seq
}

// isSYNACK reports a SYN-ACK from sport to dport acknowledging seq.
func (p ipPacket) isSYNACK(sport, dport uint16, seq uint32) bool {
	b := p.payload
	return p.proto == protoTCP && len(b) >= 20 &&
		binary.BigEndian.Uint16(b[0:2]) == sport && binary.BigEndian.Uint16(b[2:4]) == dport &&
		b[13]&0x12 == 0x12 && binary.BigEndian.Uint32(b[8:12]) == seq+1
}
