package director

import (
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/vigil-ha/vigil/vrrp"
	"github.com/vigil-ha/vigil/vrrp/transport"
)

// linkKey identifies a socket that instances can share: same interface,
// family, source and unicast peers.
type linkKey struct {
	iface  string
	family int
	source netip.Addr
	peers  string
}

func keyFor(iface string, family int, source netip.Addr, peers []netip.Addr) linkKey {
	ps := make([]string, len(peers))
	for i, p := range peers {
		ps[i] = p.String()
	}
	slices.Sort(ps)
	return linkKey{iface: iface, family: family, source: source, peers: strings.Join(ps, ",")}
}

// sharedLink is one socket and the instances (by VRID) it feeds.
type sharedLink struct {
	key    linkKey
	link   Link
	source netip.Addr
	log    *slog.Logger

	mu        sync.Mutex
	instances map[uint8]*instance
	rejected  map[string]uint64
	received  uint64
	done      chan struct{}
}

func newSharedLink(key linkKey, l Link, log *slog.Logger) *sharedLink {
	return &sharedLink{key: key, link: l, source: l.Source(), log: log,
		instances: map[uint8]*instance{}, rejected: map[string]uint64{}, done: make(chan struct{})}
}

func (s *sharedLink) attach(in *instance) {
	s.mu.Lock()
	s.instances[in.vrid] = in
	s.mu.Unlock()
}

// detach removes the instance and reports whether the link is now unused.
func (s *sharedLink) detach(in *instance) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.instances[in.vrid] == in {
		delete(s.instances, in.vrid)
	}
	return len(s.instances) == 0
}

func (s *sharedLink) reject(reason string) {
	s.mu.Lock()
	s.rejected[reason]++
	s.mu.Unlock()
}

// read decodes adverts until the link is closed and routes them by VRID.
func (s *sharedLink) read() {
	defer close(s.done)
	buf := make([]byte, transport.MaxPayload)
	var adv vrrp.Advert
	for {
		pkt, err := s.link.Receive(buf)
		if err != nil {
			var rej *transport.RejectError
			if errors.As(err, &rej) {
				s.reject(string(rej.Reason))
				s.log.Debug("advert rejected by the transport", "src", rej.Packet.Src, "reason", rej.Reason)
				continue
			}
			return // closed
		}
		if err := adv.Unmarshal(pkt.Payload, pkt.Src, pkt.Dst); err != nil {
			s.reject(vrrp.ErrorReason(err))
			s.log.Debug("advert rejected", "src", pkt.Src, "err", err)
			continue
		}
		s.route(pkt.Src, &adv)
	}
}

func (s *sharedLink) route(src netip.Addr, adv *vrrp.Advert) {
	s.mu.Lock()
	in := s.instances[adv.VRID]
	s.received++
	s.mu.Unlock()
	switch {
	case in == nil:
		s.reject("unknown-vrid")
		return
	case adv.Version != in.version:
		s.reject("version-mismatch")
		s.log.Debug("advert of another VRRP version", "src", src, "vrid", adv.VRID, "version", adv.Version)
		return
	}
	if err := adv.CheckAuth(vrrp.AuthTypeNone, [8]byte{}); err != nil {
		s.reject(vrrp.ErrorReason(err))
		return
	}
	if !sameAddrs(adv.Addrs, in.vips) {
		// RFC 5798 6.4.2/6.4.3 allow accepting it; log it, as keepalived
		// does, because it means the two directors disagree on the VIPs.
		s.reject("vip-mismatch-accepted")
		s.log.Warn("advert lists other virtual addresses than ours", "src", src, "vrid", adv.VRID,
			"theirs", adv.Addrs, "ours", in.vips)
	}
	if !in.deliver(vrrp.AdvertReceived{From: src, Priority: adv.Priority, Interval: adv.Interval}) {
		s.reject("queue-full")
	}
}

func sameAddrs(a, b []netip.Addr) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// LinkStatus is a snapshot of one socket's counters.
type LinkStatus struct {
	Interface string            `json:"interface"`
	Family    int               `json:"family"`
	Source    netip.Addr        `json:"source"`
	Received  uint64            `json:"received"`
	Rejected  map[string]uint64 `json:"rejected"`
}

func (s *sharedLink) snapshot() LinkStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	rej := make(map[string]uint64, len(s.rejected))
	for k, v := range s.rejected {
		rej[k] = v
	}
	return LinkStatus{Interface: s.key.iface, Family: s.key.family, Source: s.source, Received: s.received, Rejected: rej}
}
