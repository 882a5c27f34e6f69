package realserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
)

// Answer kinds.
const (
	// AnswerReply: the host answered our who-has for the VIP.
	AnswerReply = "reply"
	// AnswerAnnounce: the host sent ARP with the VIP as its sender address (a
	// gratuitous ARP, or a request under arp_announce=0), which poisons the
	// caches of every host that sees it.
	AnswerAnnounce = "announce"
)

// Answer is a host that claimed a VIP during a Probe.
type Answer struct {
	VIP  netip.Addr
	MAC  net.HardwareAddr
	Kind string
	// HostIPs are the other addresses known for MAC (from the neighbour table
	// and the ARP seen during the probe): they name the real server.
	HostIPs []netip.Addr
}

// MarshalJSON writes the MAC address as text (a net.HardwareAddr alone would
// become base64), for status output and metrics labels.
func (a Answer) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		VIP     netip.Addr   `json:"vip"`
		MAC     string       `json:"mac"`
		Kind    string       `json:"kind"`
		HostIPs []netip.Addr `json:"host_ips,omitempty"`
	}{a.VIP, a.MAC.String(), a.Kind, a.HostIPs})
}

// String names the VIP, the MAC that claimed it and the host behind the MAC.
func (a Answer) String() string {
	host := "unknown host"
	if len(a.HostIPs) > 0 {
		s := make([]string, len(a.HostIPs))
		for i, ip := range a.HostIPs {
			s[i] = ip.String()
		}
		host = strings.Join(s, ", ")
	}
	return fmt.Sprintf("VIP %s claimed by %s (%s) [%s]", a.VIP, a.MAC, host, a.Kind)
}

// etherTypeARP is the EtherType of ARP.
const etherTypeARP = 0x0806

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// probeRounds is how many times each who-has is sent within the timeout, so
// a single lost frame does not hide a misconfigured host.
const probeRounds = 3

// Probe sends ARP who-has for each VIP out of iface (as a director does) and
// returns every host that claims one within timeout, by MAC address, with the
// addresses that name it. The probing host's own frames are ignored, so on the
// master every answer is a misconfigured real server; elsewhere use Suspects
// to leave out the master. It needs CAP_NET_RAW.
func Probe(ctx context.Context, iface string, vips []netip.Addr, timeout time.Duration) ([]Answer, error) {
	if len(vips) == 0 {
		return nil, fmt.Errorf("%w: no VIP to probe", ErrInvalid)
	}
	for _, v := range vips {
		if !v.Is4() {
			return nil, fmt.Errorf("%w: VIP %s: ARP probes need IPv4 addresses", ErrInvalid, v)
		}
	}
	if timeout <= 0 {
		timeout = time.Second
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("%w: interface %s: no such interface", ErrInvalid, iface)
	}
	if len(ifi.HardwareAddr) != 6 {
		return nil, fmt.Errorf("%w: interface %s has no Ethernet address to send ARP from", ErrInvalid, iface)
	}
	conn, err := packet.Listen(ifi, packet.Datagram, etherTypeARP, nil)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("%w: sending ARP needs root (CAP_NET_RAW): %v", ErrPermission, err)
		}
		return nil, fmt.Errorf("ARP socket on %s: %w", iface, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()

	sender := senderIPv4(ifi)
	p := &prober{own: ifi.HardwareAddr, vips: vips, seen: map[string][]netip.Addr{}}
	start := time.Now()
	for round := 1; round <= probeRounds && ctx.Err() == nil; round++ {
		for _, v := range vips {
			if err := sendWhoHas(conn, ifi.HardwareAddr, sender, v); err != nil {
				return nil, fmt.Errorf("sending ARP who-has %s on %s: %w", v, iface, err)
			}
		}
		end := start.Add(timeout * time.Duration(round) / probeRounds)
		if err := p.readUntil(ctx, conn, end); err != nil {
			return nil, err
		}
	}
	p.nameHosts(ifi.Index)
	return p.answers, ctx.Err()
}

// senderIPv4 is the first IPv4 address of the interface, or 0.0.0.0 (an
// RFC 5227 probe, which hosts answer too) when it has none.
func senderIPv4(ifi *net.Interface) netip.Addr {
	addrs, _ := ifi.Addrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
				return ip.Unmap()
			}
		}
	}
	return netip.IPv4Unspecified()
}

func sendWhoHas(conn *packet.Conn, mac net.HardwareAddr, sender, target netip.Addr) error {
	req, err := arp.NewPacket(arp.OperationRequest, mac, sender, make(net.HardwareAddr, 6), target)
	if err != nil {
		return err
	}
	b, err := req.MarshalBinary()
	if err != nil {
		return err
	}
	_, err = conn.WriteTo(b, &packet.Addr{HardwareAddr: broadcastMAC})
	return err
}

// prober collects what a Probe sees.
type prober struct {
	own     net.HardwareAddr
	vips    []netip.Addr
	answers []Answer
	seen    map[string][]netip.Addr // MAC -> its own addresses seen as ARP senders
}

func (p *prober) readUntil(ctx context.Context, conn *packet.Conn, end time.Time) error {
	if err := conn.SetReadDeadline(end); err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for ctx.Err() == nil {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return fmt.Errorf("reading ARP: %w", err)
		}
		if pkt, ok := parseARP(buf[:n]); ok {
			p.observe(pkt)
		}
	}
	return nil
}

// parseARP accepts only Ethernet/IPv4 ARP requests and replies.
func parseARP(b []byte) (*arp.Packet, bool) {
	var pkt arp.Packet
	if err := pkt.UnmarshalBinary(b); err != nil {
		return nil, false
	}
	if pkt.HardwareType != 1 || pkt.ProtocolType != 0x0800 || pkt.HardwareAddrLength != 6 || pkt.IPLength != 4 {
		return nil, false
	}
	if pkt.Operation != arp.OperationRequest && pkt.Operation != arp.OperationReply {
		return nil, false
	}
	return &pkt, true
}

// observe records a host claiming a VIP, or an address a host uses as its own.
func (p *prober) observe(pkt *arp.Packet) {
	if bytes.Equal(pkt.SenderHardwareAddr, p.own) {
		return // our own request, looped back to the socket
	}
	mac := slices.Clone(pkt.SenderHardwareAddr)
	if !isVIP(p.vips, pkt.SenderIP) {
		if !pkt.SenderIP.IsUnspecified() && !slices.Contains(p.seen[mac.String()], pkt.SenderIP) {
			p.seen[mac.String()] = append(p.seen[mac.String()], pkt.SenderIP)
		}
		return
	}
	kind := AnswerReply
	if pkt.Operation == arp.OperationRequest {
		kind = AnswerAnnounce
	}
	for _, a := range p.answers {
		if a.VIP == pkt.SenderIP && bytes.Equal(a.MAC, mac) && a.Kind == kind {
			return
		}
	}
	p.answers = append(p.answers, Answer{VIP: pkt.SenderIP, MAC: mac, Kind: kind})
}

// nameHosts adds the addresses known for each answering MAC, from the ARP
// seen and from the director's neighbour table (it talks to its real servers,
// so it knows their MACs).
func (p *prober) nameHosts(ifindex int) {
	neigh, _ := netlink.NeighList(ifindex, netlink.FAMILY_V4)
	for i := range p.answers {
		a := &p.answers[i]
		ips := slices.Clone(p.seen[a.MAC.String()])
		for _, n := range neigh {
			ip, ok := netip.AddrFromSlice(n.IP)
			if ok && bytes.Equal(n.HardwareAddr, a.MAC) && !isVIP(p.vips, ip.Unmap()) && !slices.Contains(ips, ip.Unmap()) {
				ips = append(ips, ip.Unmap())
			}
		}
		slices.SortFunc(ips, func(x, y netip.Addr) int { return x.Compare(y) })
		a.HostIPs = ips
	}
	slices.SortFunc(p.answers, func(x, y Answer) int {
		if c := x.VIP.Compare(y.VIP); c != 0 {
			return c
		}
		if c := bytes.Compare(x.MAC, y.MAC); c != 0 {
			return c
		}
		return strings.Compare(x.Kind, y.Kind)
	})
}

// Suspects returns the answers from hosts other than the allowed ones (the
// master's MAC, or the VRRP virtual MAC): each is a misconfigured real server.
func Suspects(answers []Answer, allowed ...net.HardwareAddr) []Answer {
	var out []Answer
	for _, a := range answers {
		if !slices.ContainsFunc(allowed, func(m net.HardwareAddr) bool { return bytes.Equal(m, a.MAC) }) {
			out = append(out, a)
		}
	}
	return out
}

// WriteAnswers prints a probe result for people.
func WriteAnswers(w io.Writer, vips []netip.Addr, answers []Answer, allowed ...net.HardwareAddr) {
	for _, v := range vips {
		n := 0
		for _, a := range answers {
			if a.VIP != v {
				continue
			}
			n++
			if slices.ContainsFunc(allowed, func(m net.HardwareAddr) bool { return bytes.Equal(m, a.MAC) }) {
				fmt.Fprintf(w, "expected: %s\n", a)
			} else {
				fmt.Fprintf(w, "MISCONFIGURED real server: %s\n", a)
			}
		}
		if n == 0 {
			fmt.Fprintf(w, "VIP %s: no host answered\n", v)
		}
	}
}
