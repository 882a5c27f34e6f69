package lab

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// Pinger sends ICMP echo requests from a machine's namespace and matches
// the replies; many pings may be outstanding at once. It is safe for
// concurrent use.
type Pinger struct {
	conn *icmp.PacketConn
	id   int

	mu      sync.Mutex
	seq     uint16
	waiting map[uint16]chan time.Time
	closed  chan struct{}
}

// NewPinger opens a raw ICMP socket inside a machine's namespace.
func (l *Lab) NewPinger(host string) (*Pinger, error) {
	h := l.Host(host)
	if h == nil {
		return nil, fmt.Errorf("no machine %q in the lab", host)
	}
	var p *Pinger
	err := InNamespace(h.NS, func() error {
		var err error
		p, err = ListenPinger()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ICMP socket in %s: %w", h.NS, err)
	}
	return p, nil
}

// ListenPinger opens a raw ICMP socket in the caller's network namespace
// (the drill's agent on a client host uses it).
func ListenPinger() (*Pinger, error) {
	conn, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return nil, err
	}
	p := &Pinger{conn: conn, id: rand.IntN(0xffff) + 1, waiting: map[uint16]chan time.Time{}, closed: make(chan struct{})}
	go p.receive()
	return p, nil
}

// Close closes the socket; pings in flight fail.
func (p *Pinger) Close() error {
	err := p.conn.Close()
	<-p.closed
	return err
}

// ErrTimeout is a ping without a reply in time.
var ErrTimeout = errors.New("no reply")

// Ping sends one echo request to dst and waits up to timeout for the reply.
func (p *Pinger) Ping(ctx context.Context, dst netip.Addr, timeout time.Duration) (time.Duration, error) {
	p.mu.Lock()
	p.seq++
	seq := p.seq
	ch := make(chan time.Time, 1)
	p.waiting[seq] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waiting, seq)
		p.mu.Unlock()
	}()
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: int(seq), Data: []byte("vigil-lab")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return 0, err
	}
	sent := time.Now()
	if _, err := p.conn.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
		return 0, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case at := <-ch:
		return at.Sub(sent), nil
	case <-t.C:
		return 0, ErrTimeout
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-p.closed:
		return 0, net.ErrClosed
	}
}

// receive hands each echo reply of this pinger to its waiting Ping.
func (p *Pinger) receive() {
	defer close(p.closed)
	buf := make([]byte, 1500)
	for {
		n, _, err := p.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond) // no busy loop on a persistent error
			continue
		}
		at := time.Now()
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		if !ok || echo.ID != p.id {
			continue
		}
		p.mu.Lock()
		ch := p.waiting[uint16(echo.Seq)]
		p.mu.Unlock()
		if ch != nil {
			select {
			case ch <- at:
			default:
			}
		}
	}
}
