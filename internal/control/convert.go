package control

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/vigil-ha/vigil/healthcheck"
	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/ipvs"
)

// NewStatus starts a status document from the director's snapshots; add
// the other parts with SetIPVS, SetHealth and SetTrackers.
func NewStatus(router string, now time.Time, instances []director.Status, links []director.LinkStatus) StatusDoc {
	doc := StatusDoc{Router: router, Time: now, Instances: make([]InstanceStatus, 0, len(instances)),
		Links: make([]LinkStatus, 0, len(links)), IPVS: []ServiceSummary{}, RealServers: []RealServerStatus{}}
	for _, s := range instances {
		doc.Instances = append(doc.Instances, instanceFrom(s))
	}
	for _, l := range links {
		doc.Links = append(doc.Links, LinkStatus{Interface: l.Interface, Family: l.Family, Source: l.Source,
			Received: l.Received, Rejected: l.Rejected})
	}
	return doc
}

func instanceFrom(s director.Status) InstanceStatus {
	c := s.Counters
	return InstanceStatus{
		Name: s.Name, Interface: s.Interface, VRID: s.VRID, State: s.State,
		Priority: s.Priority, ConfiguredPriority: s.ConfiguredPriority,
		Master: s.Master, Since: s.Since, LastReason: s.LastReason,
		Transitions: s.Transitions, BecameMaster: c.BecameMaster, SplitBrains: s.SplitBrains, SendErrors: s.SendErrors,
		VIPs:         append([]netip.Addr{}, s.VIPs...),
		ARPOffenders: append([]string(nil), s.ARPOffenders...),
		Adverts: AdvertCounters{
			Sent: c.AdvertsSent, PriorityZeroSent: c.PriorityZeroSent,
			Received: c.AdvertsReceived, PriorityZeroReceived: c.PriorityZeroReceived,
			Discarded: c.AdvertsDiscarded, Ignored: c.AdvertsIgnored, Own: c.OwnAdverts,
			IntervalMismatch: c.IntervalMismatch,
		},
	}
}

// SetTrackers attaches the trackers of each instance, by instance name.
func (doc *StatusDoc) SetTrackers(byInstance map[string][]TrackerStatus) {
	for i := range doc.Instances {
		doc.Instances[i].Trackers = byInstance[doc.Instances[i].Name]
	}
}

// SetIPVS sets the IPVS part from a kernel snapshot, or records why it
// could not be read.
func (doc *StatusDoc) SetIPVS(snap ipvs.Snapshot, err error) {
	doc.IPVS = []ServiceSummary{}
	doc.IPVSError = ""
	if err != nil {
		doc.IPVSError = err.Error()
		return
	}
	for _, s := range snap.Services {
		sum := ServiceSummary{Service: ServiceName(s.Service.Key), Scheduler: s.Service.Scheduler,
			Destinations: make([]DestSummary, 0, len(s.Dests)), Counters: countersFrom(s.Stats)}
		if sum.Scheduler == "" {
			sum.Scheduler = ipvs.DefaultScheduler
		}
		if s.Service.Persistent() {
			sum.PersistenceTimeout = s.Service.Timeout
		}
		for _, d := range s.Dests {
			sum.Destinations = append(sum.Destinations, DestSummary{Address: d.Dest.Key().String(),
				Forward: d.Dest.Fwd.String(), Weight: d.Dest.Weight, ActiveConns: d.ActiveConns,
				InactiveConns: d.InactiveConns, Counters: countersFrom(d.Stats)})
		}
		doc.IPVS = append(doc.IPVS, sum)
	}
}

func countersFrom(s ipvs.Stats) Counters {
	return Counters{Connections: s.Conns, InPackets: s.InPkts, OutPackets: s.OutPkts, InBytes: s.InBytes, OutBytes: s.OutBytes}
}

// ServiceName names a virtual service the way status and metrics show it:
// "tcp/10.0.0.100:80", "udp/[2001:db8::1]:53", "fwmark/7/inet".
func ServiceName(k ipvs.ServiceKey) string {
	if k.IsFWMark() {
		return fmt.Sprintf("fwmark/%d/%s", k.FWMark, k.Family)
	}
	return k.Protocol.String() + "/" + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// SetHealth sets the real-server and quorum parts from the health-check
// scheduler's snapshot, sorted by name.
func (doc *StatusDoc) SetHealth(snap healthcheck.Snapshot) {
	doc.RealServers = make([]RealServerStatus, 0, len(snap.RealServers))
	for _, t := range snap.RealServers {
		doc.RealServers = append(doc.RealServers, RealServerStatus{VirtualServer: t.VirtualServer, RealServer: t.RealServer,
			Healthy: t.Healthy, Weight: t.Weight, Removed: t.Remove && !t.Healthy, Reason: t.Reason})
	}
	sort.SliceStable(doc.RealServers, func(i, j int) bool {
		a, b := doc.RealServers[i], doc.RealServers[j]
		if a.VirtualServer != b.VirtualServer {
			return a.VirtualServer < b.VirtualServer
		}
		return a.RealServer < b.RealServer
	})
	doc.VirtualServers = nil
	for _, q := range snap.VirtualServers {
		doc.VirtualServers = append(doc.VirtualServers, VirtualServerStatus{Name: q.VirtualServer, QuorumUp: q.QuorumUp,
			HealthyWeight: q.HealthyWeight, Quorum: q.Quorum})
	}
	sort.SliceStable(doc.VirtualServers, func(i, j int) bool { return doc.VirtualServers[i].Name < doc.VirtualServers[j].Name })
}
