package transport

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/ipv4"
)

// socket4 is a raw IPv4 socket for protocol 112.
type socket4 struct {
	pc      *ipv4.PacketConn
	ifindex int
}

func openSocket4(ifi *net.Interface, multicast bool) (*socket4, error) {
	c, err := listenBound(fmt.Sprintf("ip4:%d", Protocol), "0.0.0.0", ifi.Name)
	if err != nil {
		return nil, err
	}
	pc := ipv4.NewPacketConn(c)
	s := &socket4{pc: pc, ifindex: ifi.Index}
	steps := []sockStep{
		{"control messages", func() error {
			return pc.SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst|ipv4.FlagInterface, true)
		}},
		{"TTL", func() error { return pc.SetTTL(TTL) }},
		{"multicast TTL", func() error { return pc.SetMulticastTTL(TTL) }},
		{"TOS", func() error { return pc.SetTOS(tosInternetControl) }},
		{"multicast loopback", func() error { return pc.SetMulticastLoopback(false) }},
		{"multicast interface", func() error { return pc.SetMulticastInterface(ifi) }},
	}
	if multicast {
		steps = append(steps, sockStep{"join " + Group4.String(), func() error {
			return pc.JoinGroup(ifi, &net.IPAddr{IP: Group4.AsSlice()})
		}})
	}
	if err := applySteps(ifi.Name, steps); err != nil {
		_ = pc.Close()
		return nil, err
	}
	return s, nil
}

func (s *socket4) readFrom(b []byte) (int, rxMeta, error) {
	n, cm, src, err := s.pc.ReadFrom(b)
	if err != nil {
		return 0, rxMeta{}, err
	}
	m := rxMeta{src: addrFromNet(src)}
	if cm != nil {
		m.ttl = cm.TTL
		m.dst = ipFromSlice(cm.Dst)
		m.ifindex = cm.IfIndex
	}
	return n, m, nil
}

func (s *socket4) writeTo(b []byte, src, dst netip.Addr) error {
	cm := &ipv4.ControlMessage{Src: src.AsSlice(), IfIndex: s.ifindex}
	_, err := s.pc.WriteTo(b, cm, &net.IPAddr{IP: dst.AsSlice()})
	return err
}

func (s *socket4) setReadDeadline(t time.Time) error { return s.pc.SetReadDeadline(t) }

func (s *socket4) close() error { return s.pc.Close() }
