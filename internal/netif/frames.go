package netif

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
)

// EtherTypes of the frames this package sends.
const (
	etherTypeARP  = 0x0806
	etherTypeIPv6 = 0x86dd
)

const (
	ethHeaderLen  = 14
	ipv6HeaderLen = 40
	protoICMPv6   = 58
	ndpHopLimit   = 255
)

var (
	broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	// allNodes is ff02::1, where unsolicited advertisements go (RFC 4861
	// section 7.2.6), and allNodesMAC its Ethernet multicast address.
	allNodes    = netip.MustParseAddr("ff02::1")
	allNodesMAC = net.HardwareAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}
)

// ethernetHeader is built by hand: a 14-byte header without the padding to
// 60 bytes some encoders add, so the frame is byte-for-byte keepalived's.
func ethernetHeader(dst, src net.HardwareAddr, etherType uint16, payloadLen int) []byte {
	b := make([]byte, ethHeaderLen, ethHeaderLen+payloadLen)
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:14], etherType)
	return b
}

func checkMAC(mac net.HardwareAddr) error {
	if len(mac) != 6 {
		return fmt.Errorf("netif: %q is not an Ethernet MAC address", mac)
	}
	return nil
}

// GratuitousARP returns the Ethernet frame announcing that vip is at mac,
// as keepalived sends it: an ARP request to the broadcast address with
// sender and target IP set to vip and target MAC ff:ff:ff:ff:ff:ff.
func GratuitousARP(mac net.HardwareAddr, vip netip.Addr) ([]byte, error) {
	if err := checkMAC(mac); err != nil {
		return nil, err
	}
	if !vip.Unmap().Is4() {
		return nil, fmt.Errorf("netif: gratuitous ARP needs an IPv4 address, not %s", vip)
	}
	vip = vip.Unmap()
	p, err := arp.NewPacket(arp.OperationRequest, mac, vip, broadcastMAC, vip)
	if err != nil {
		return nil, fmt.Errorf("netif: ARP packet: %w", err)
	}
	body, err := p.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(ethernetHeader(broadcastMAC, mac, etherTypeARP, len(body)), body...), nil
}

// UnsolicitedNA returns the Ethernet frame announcing that vip is at mac: a
// neighbour advertisement from vip to ff02::1 with hop limit 255, the
// override flag set, the solicited flag clear, the router flag as given,
// and a target link-layer address option.
func UnsolicitedNA(mac net.HardwareAddr, vip netip.Addr, router bool) ([]byte, error) {
	if err := checkMAC(mac); err != nil {
		return nil, err
	}
	if !vip.Is6() || vip.Is4In6() {
		return nil, fmt.Errorf("netif: neighbour advertisement needs an IPv6 address, not %s", vip)
	}
	vip = vip.WithZone("")
	na := &ndp.NeighborAdvertisement{
		Router:        router,
		Solicited:     false,
		Override:      true,
		TargetAddress: vip,
		Options: []ndp.Option{&ndp.LinkLayerAddress{
			Direction: ndp.Target,
			Addr:      mac,
		}},
	}
	icmp, err := ndp.MarshalMessageChecksum(na, vip, allNodes)
	if err != nil {
		return nil, fmt.Errorf("netif: neighbour advertisement: %w", err)
	}
	if len(icmp) > 0xffff-ipv6HeaderLen {
		return nil, errors.New("netif: neighbour advertisement too long")
	}
	frame := ethernetHeader(allNodesMAC, mac, etherTypeIPv6, ipv6HeaderLen+len(icmp))
	frame = append(frame, ipv6Header(vip, allNodes, len(icmp))...)
	return append(frame, icmp...), nil
}

// ipv6Header is a fixed IPv6 header carrying ICMPv6 with hop limit 255.
func ipv6Header(src, dst netip.Addr, payloadLen int) []byte {
	h := make([]byte, ipv6HeaderLen)
	h[0] = 6 << 4 // version 6, traffic class 0, flow label 0
	binary.BigEndian.PutUint16(h[4:6], uint16(payloadLen))
	h[6] = protoICMPv6
	h[7] = ndpHopLimit
	s, d := src.As16(), dst.As16()
	copy(h[8:24], s[:])
	copy(h[24:40], d[:])
	return h
}
