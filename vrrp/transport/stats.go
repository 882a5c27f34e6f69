package transport

import (
	"fmt"
	"net/netip"
	"sync/atomic"
)

// Reason says why a received packet was rejected.
type Reason string

// Rejection reasons, as counted in Stats.Rejected.
const (
	// ReasonTTL: the TTL / hop limit was not 255, so the packet may have
	// been forwarded by a router.
	ReasonTTL Reason = "ttl"
	// ReasonOwn: the source is one of the interface's own addresses.
	ReasonOwn Reason = "own"
	// ReasonNotAPeer: unicast mode and the source is not a configured peer.
	ReasonNotAPeer Reason = "not-a-peer"
	// ReasonDestination: sent to a multicast group other than the VRRP one.
	ReasonDestination Reason = "dst"
)

// reasons lists every Reason, in the order of the counters in Conn.
var reasons = [...]Reason{ReasonTTL, ReasonOwn, ReasonNotAPeer, ReasonDestination}

// RejectError is returned by Receive for a packet that arrived but must not
// be processed. The packet is already counted; the caller may log it (at
// debug level) and should call Receive again.
type RejectError struct {
	Reason Reason
	// Packet holds what is known of the rejected packet; Payload aliases
	// the caller's buffer.
	Packet Packet
}

func (e *RejectError) Error() string {
	return fmt.Sprintf("transport: rejected VRRP packet from %s to %s (ttl %d): %s",
		e.Packet.Src, e.Packet.Dst, e.Packet.TTL, e.Reason)
}

// Stats is a snapshot of a Conn's counters.
type Stats struct {
	// Received counts packets delivered by Receive (not rejected).
	Received uint64
	// Sent counts packets written, one per destination.
	Sent uint64
	// SendErrors counts failed writes, one per destination.
	SendErrors uint64
	// Rejected counts rejected packets by reason; every Reason is present.
	Rejected map[Reason]uint64
}

// counters are the live counters behind Stats.
type counters struct {
	received, sent, sendErrors atomic.Uint64
	rejected                   [len(reasons)]atomic.Uint64
}

func (c *counters) reject(r Reason, p Packet) *RejectError {
	for i, known := range reasons {
		if known == r {
			c.rejected[i].Add(1)
		}
	}
	return &RejectError{Reason: r, Packet: p}
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Received:   c.received.Load(),
		Sent:       c.sent.Load(),
		SendErrors: c.sendErrors.Load(),
		Rejected:   make(map[Reason]uint64, len(reasons)),
	}
	for i, r := range reasons {
		s.Rejected[r] = c.rejected[i].Load()
	}
	return s
}

// Packet is one received VRRP packet.
type Packet struct {
	// Payload is the VRRP message (IP header stripped); it aliases the
	// buffer passed to Receive.
	Payload []byte
	// Src and Dst are the IP source and destination, without zone.
	Src, Dst netip.Addr
	// TTL is the received IPv4 TTL or IPv6 hop limit.
	TTL int
	// IfIndex is the index of the interface the packet arrived on.
	IfIndex int
}
