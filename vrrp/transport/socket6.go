package transport

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/ipv6"
)

// socket6 is a raw IPv6 socket for protocol 112. The kernel never includes
// the IPv6 header on such a socket: hop limit, destination and interface
// come from ancillary data.
type socket6 struct {
	pc      *ipv6.PacketConn
	ifindex int
}

func openSocket6(ifi *net.Interface, multicast bool) (*socket6, error) {
	c, err := listenBound(fmt.Sprintf("ip6:%d", Protocol), "::", ifi.Name)
	if err != nil {
		return nil, err
	}
	pc := ipv6.NewPacketConn(c)
	s := &socket6{pc: pc, ifindex: ifi.Index}
	steps := []sockStep{
		{"control messages", func() error {
			return pc.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true)
		}},
		{"hop limit", func() error { return pc.SetHopLimit(TTL) }},
		{"multicast hop limit", func() error { return pc.SetMulticastHopLimit(TTL) }},
		{"traffic class", func() error { return pc.SetTrafficClass(tosInternetControl) }},
		{"multicast loopback", func() error { return pc.SetMulticastLoopback(false) }},
		{"multicast interface", func() error { return pc.SetMulticastInterface(ifi) }},
	}
	if multicast {
		steps = append(steps, sockStep{"join " + Group6.String(), func() error {
			return pc.JoinGroup(ifi, &net.IPAddr{IP: Group6.AsSlice()})
		}})
	}
	if err := applySteps(ifi.Name, steps); err != nil {
		_ = pc.Close()
		return nil, err
	}
	return s, nil
}

func (s *socket6) readFrom(b []byte) (int, rxMeta, error) {
	n, cm, src, err := s.pc.ReadFrom(b)
	if err != nil {
		return 0, rxMeta{}, err
	}
	m := rxMeta{src: addrFromNet(src)}
	if cm != nil {
		m.ttl = cm.HopLimit
		m.dst = ipFromSlice(cm.Dst)
		m.ifindex = cm.IfIndex
	}
	return n, m, nil
}

// writeTo sends with the source and interface pinned by IPV6_PKTINFO, so a
// link-local destination needs no zone: the interface gives its scope.
func (s *socket6) writeTo(b []byte, src, dst netip.Addr) error {
	cm := &ipv6.ControlMessage{HopLimit: TTL, Src: src.AsSlice(), IfIndex: s.ifindex}
	_, err := s.pc.WriteTo(b, cm, &net.IPAddr{IP: dst.AsSlice()})
	return err
}

func (s *socket6) setReadDeadline(t time.Time) error { return s.pc.SetReadDeadline(t) }

func (s *socket6) close() error { return s.pc.Close() }
