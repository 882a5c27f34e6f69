package netif

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
)

// Schedule says how often a VIP is announced after a take-over.
type Schedule struct {
	// Count is the number of rounds; each round sends one frame per VIP.
	// Values below 1 mean 1. keepalived's garp_master_repeat.
	Count int
	// Delay separates rounds (the first is sent at once). Negative means 0.
	// keepalived spaces the frames of a burst by garp_interval and sends a
	// second burst garp_master_delay later; one Schedule per burst, or
	// Count = repeat with Delay = interval, gives the same traffic.
	Delay time.Duration
}

// DefaultSchedule sends one round at once and five more one second apart.
var DefaultSchedule = Schedule{Count: 6, Delay: time.Second}

// Announcer sends gratuitous ARPs and unsolicited neighbour advertisements
// for VIPs on one interface. Its methods are safe for concurrent use.
type Announcer struct {
	ifname string
	mac    net.HardwareAddr
	router bool // the interface forwards IPv6: NAs carry the router flag
	arp    *packet.Conn
	ipv6   *packet.Conn
}

// NewAnnouncer opens packet sockets on ifname in the calling thread's
// network namespace. Frames go out with the interface's MAC address (on a
// virtual MAC interface, the virtual MAC).
func NewAnnouncer(ifname string) (*Announcer, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("netif: interface %s: %w", ifname, err)
	}
	if err := checkMAC(ifi.HardwareAddr); err != nil {
		return nil, fmt.Errorf("netif: interface %s: %w", ifname, err)
	}
	a := &Announcer{ifname: ifname, mac: ifi.HardwareAddr, router: forwardsIPv6(ifname)}
	if a.arp, err = sendOnlySocket(ifi, etherTypeARP); err != nil {
		return nil, err
	}
	if a.ipv6, err = sendOnlySocket(ifi, etherTypeIPv6); err != nil {
		_ = a.arp.Close()
		return nil, err
	}
	return a, nil
}

// dropAll is a socket filter that accepts no frame: the sockets only send,
// and without it every incoming frame of their EtherType would be queued.
var dropAll = mustAssemble(bpf.RetConstant{Val: 0})

func mustAssemble(insns ...bpf.Instruction) []bpf.RawInstruction {
	raw, err := bpf.Assemble(insns)
	if err != nil {
		panic(err)
	}
	return raw
}

// sendOnlySocket opens a packet socket bound to one EtherType, so the
// kernel tags the frames it sends with the right protocol.
func sendOnlySocket(ifi *net.Interface, etherType int) (*packet.Conn, error) {
	c, err := packet.Listen(ifi, packet.Raw, etherType, &packet.Config{Filter: dropAll})
	if err != nil {
		return nil, fmt.Errorf("netif: packet socket on %s: %w", ifi.Name, err)
	}
	return c, nil
}

// forwardsIPv6 reads the interface's IPv6 forwarding switch; an unreadable
// one (IPv6 disabled) counts as off.
func forwardsIPv6(ifname string) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + ifname + "/forwarding")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// MAC returns the source MAC address of the frames.
func (a *Announcer) MAC() net.HardwareAddr { return a.mac }

// SendOnce sends one announcement per VIP: a gratuitous ARP for an IPv4
// address, an unsolicited neighbour advertisement for an IPv6 one. It tries
// every VIP and returns the errors joined.
func (a *Announcer) SendOnce(vips []netip.Addr) error {
	var errs []error
	for _, vip := range vips {
		errs = append(errs, a.send(vip))
	}
	return errors.Join(errs...)
}

func (a *Announcer) send(vip netip.Addr) error {
	var (
		frame []byte
		err   error
		conn  = a.arp
		dst   = broadcastMAC
	)
	if vip.Unmap().Is4() {
		frame, err = GratuitousARP(a.mac, vip)
	} else {
		frame, err = UnsolicitedNA(a.mac, vip, a.router)
		conn, dst = a.ipv6, allNodesMAC
	}
	if err != nil {
		return err
	}
	if _, err := conn.WriteTo(frame, &packet.Addr{HardwareAddr: dst}); err != nil {
		return fmt.Errorf("netif: announce %s on %s: %w", vip, a.ifname, err)
	}
	return nil
}

// Announce sends s.Count rounds of announcements for vips, s.Delay apart,
// and returns when done or when ctx ends (then with ctx's error). It starts
// no goroutine; run it in one to announce in the background. A failed send
// does not stop the schedule: the first error is returned at the end.
func (a *Announcer) Announce(ctx context.Context, vips []netip.Addr, s Schedule) error {
	return runSchedule(ctx, s, func() error { return a.SendOnce(vips) })
}

func runSchedule(ctx context.Context, s Schedule, round func() error) error {
	count := max(s.Count, 1)
	delay := max(s.Delay, 0)
	var first error
	// Since Go 1.23 Reset leaves no stale tick in the channel, so one timer
	// serves every round.
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for i := range count {
		if i > 0 {
			timer.Reset(delay)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := round(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Close closes the sockets.
func (a *Announcer) Close() error {
	return errors.Join(a.arp.Close(), a.ipv6.Close())
}
