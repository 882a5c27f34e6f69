package director

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/ipvs"
)

// A via_vip check must reach one particular real server at the VIP. The
// director cannot simply connect to the VIP: on the master the VIP is a
// local address, and IPVS would balance the probe over every real server
// anyway. So each such real server gets an IPVS firewall-mark service of
// its own with that server as the only destination (the way Seesaw does
// it); the probe socket carries the mark and IPVS forwards the probe to
// that server's MAC (DR) or through its tunnel (TUN). The services are
// installed on every director, master or backup, because checks run
// everywhere.

// ProbeTarget is a real server that via_vip checks reach through the VIP.
type ProbeTarget struct {
	Addr netip.Addr
	Fwd  ipvs.Forward // ForwardDR or ForwardTunnel
}

// probeMarks keeps the mark of every probe target. A target keeps its
// mark across reloads, so a check never sends its probes through a mark
// that has just been given to another server.
type probeMarks struct {
	marks map[ProbeTarget]uint32
}

// probeTargets lists the real servers of cfg that via_vip checks probe.
func probeTargets(vss []config.VirtualServer) ([]ProbeTarget, error) {
	seen := map[ProbeTarget]bool{}
	var out []ProbeTarget
	for _, vs := range vss {
		fwd, err := ipvs.ParseForward(vs.Forwarding)
		if err != nil {
			return nil, err
		}
		for _, rs := range vs.RealServers {
			if !slices.ContainsFunc(rs.Checks, func(c config.Check) bool { return c.ViaVIP }) {
				continue
			}
			pt := ProbeTarget{Addr: rs.Address.Addr(), Fwd: fwd}
			if !seen[pt] {
				seen[pt] = true
				out = append(out, pt)
			}
		}
	}
	slices.SortFunc(out, func(a, b ProbeTarget) int {
		return cmp.Or(a.Addr.Compare(b.Addr), cmp.Compare(a.Fwd, b.Fwd))
	})
	return out, nil
}

// assign gives every target a mark: the one it had, or the lowest free one.
// Targets that are gone give theirs back.
func (p *probeMarks) assign(targets []ProbeTarget) (map[ProbeTarget]uint32, error) {
	if uint32(len(targets)) > config.ProbeMarkCount {
		return nil, fmt.Errorf("%d real servers with via_vip checks; at most %d", len(targets), config.ProbeMarkCount)
	}
	next := make(map[ProbeTarget]uint32, len(targets))
	used := map[uint32]bool{}
	for _, t := range targets {
		if m, ok := p.marks[t]; ok {
			next[t] = m
			used[m] = true
		}
	}
	mark := config.ProbeMarkBase
	for _, t := range targets {
		if _, ok := next[t]; ok {
			continue
		}
		for used[mark] {
			mark++
		}
		next[t] = mark
		used[mark] = true
	}
	return next, nil
}

// probeServices are the IPVS services that carry the probes, one per
// target, in mark order.
func probeServices(marks map[ProbeTarget]uint32) []ipvs.Service {
	var out []ipvs.Service
	for t, m := range marks {
		fam := ipvs.IPv4
		if t.Addr.Is6() {
			fam = ipvs.IPv6
		}
		out = append(out, ipvs.Service{Key: ipvs.FWMarkKey(fam, m), Scheduler: "rr",
			Dests: []ipvs.Dest{{Addr: t.Addr, Weight: 1, Fwd: t.Fwd}}})
	}
	slices.SortFunc(out, func(a, b ipvs.Service) int { return cmp.Compare(a.Key.FWMark, b.Key.FWMark) })
	return out
}
