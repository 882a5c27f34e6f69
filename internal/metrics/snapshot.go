package metrics

import (
	"net/netip"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/ipvs"
	"github.com/vigil-ha/vigil/vrrp"
)

// instanceStates are the values of the state label; every instance has a
// series for each, 1 for the current one, so alerts can compare states.
var instanceStates = []vrrp.State{vrrp.StateInitialize, vrrp.StateBackup, vrrp.StateMaster,
	vrrp.StateFault, vrrp.StateStopping, vrrp.StateStopped}

// snapshotCollector turns the daemon's snapshots into constant metrics at
// every scrape.
type snapshotCollector struct {
	src Sources

	instanceInfo, instanceState, priority, configuredPriority, stateSince *prometheus.Desc
	adverts, sendErrors, splitBrains                                      *prometheus.Desc
	arpOffenders                                                          *prometheus.Desc
	linkReceived, linkRejected                                            *prometheus.Desc
	rsWeight, rsHealthy, quorumUp                                         *prometheus.Desc
	ipvsUp                                                                *prometheus.Desc
	svcConns, svcPackets, svcBytes                                        *prometheus.Desc
	dstConns, dstPackets, dstBytes, dstActive, dstInactive, dstWeight     *prometheus.Desc
}

func newSnapshotCollector(src Sources) *snapshotCollector {
	d := prometheus.NewDesc
	inst := []string{"instance"}
	link := []string{"interface", "family", "source"}
	rs := []string{"virtual_server", "real_server"}
	svc := []string{"service"}
	dst := []string{"service", "destination"}
	return &snapshotCollector{
		src:                src,
		instanceInfo:       d("vigil_vrrp_instance_info", "VRRP instance with its interface and virtual router ID (always 1).", []string{"instance", "interface", "vrid"}, nil),
		instanceState:      d("vigil_vrrp_instance_state", "1 for the current state of the VRRP instance, 0 for the others.", []string{"instance", "state"}, nil),
		priority:           d("vigil_vrrp_priority", "Effective VRRP priority: the configured one changed by failed trackers.", inst, nil),
		configuredPriority: d("vigil_vrrp_configured_priority", "VRRP priority from the configuration.", inst, nil),
		stateSince:         d("vigil_vrrp_state_since_timestamp_seconds", "Unix time of the instance's last state change.", inst, nil),
		adverts: d("vigil_vrrp_adverts_total",
			"VRRP adverts by direction (sent, received) and outcome. Sent: advert, priority_zero. Received: accepted, priority_zero, discarded (preempting backup), ignored (initialize/fault), own (looped back), interval_mismatch (VRRPv2).",
			[]string{"instance", "direction", "outcome"}, nil),
		sendErrors:   d("vigil_vrrp_advert_send_errors_total", "Adverts the socket failed to send.", inst, nil),
		splitBrains:  d("vigil_vrrp_split_brain_total", "Times a master heard another master with a lower priority and re-asserted itself.", inst, nil),
		arpOffenders: d("vigil_arp_probe_offenders", "Other hosts that answered ARP for one of the instance's VIPs in the last probe (misconfigured real servers).", inst, nil),
		linkReceived: d("vigil_vrrp_link_received_total", "VRRP packets decoded on a socket, before routing to an instance.", link, nil),
		linkRejected: d("vigil_vrrp_adverts_rejected_total", "VRRP packets dropped before reaching an instance, by reason.", append(link, "reason"), nil),
		rsWeight:     d("vigil_real_server_weight", "Weight the health checks ask for (0 while unhealthy).", rs, nil),
		rsHealthy:    d("vigil_real_server_healthy", "1 when the real server passes its checks.", rs, nil),
		quorumUp:     d("vigil_virtual_server_quorum_up", "1 when the healthy weight of the virtual server reaches its quorum.", []string{"virtual_server"}, nil),
		ipvsUp:       d("vigil_ipvs_up", "1 when the IPVS table could be read at this scrape.", nil, nil),
		svcConns:     d("vigil_ipvs_service_connections_total", "Connections scheduled by the IPVS service.", svc, nil),
		svcPackets:   d("vigil_ipvs_service_packets_total", "Packets through the IPVS service by direction (in, out).", append(svc, "direction"), nil),
		svcBytes:     d("vigil_ipvs_service_bytes_total", "Bytes through the IPVS service by direction (in, out).", append(svc, "direction"), nil),
		dstConns:     d("vigil_ipvs_destination_connections_total", "Connections scheduled to the real server.", dst, nil),
		dstPackets:   d("vigil_ipvs_destination_packets_total", "Packets to and from the real server by direction (in, out).", append(dst, "direction"), nil),
		dstBytes:     d("vigil_ipvs_destination_bytes_total", "Bytes to and from the real server by direction (in, out).", append(dst, "direction"), nil),
		dstActive:    d("vigil_ipvs_destination_active_connections", "Active (established) connections to the real server.", dst, nil),
		dstInactive:  d("vigil_ipvs_destination_inactive_connections", "Inactive connections to the real server.", dst, nil),
		dstWeight:    d("vigil_ipvs_destination_weight", "Weight of the real server in the kernel's table.", dst, nil),
	}
}

// Describe sends every descriptor.
func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.instanceInfo, c.instanceState, c.priority, c.configuredPriority, c.stateSince,
		c.adverts, c.sendErrors, c.splitBrains, c.arpOffenders, c.linkReceived, c.linkRejected, c.rsWeight, c.rsHealthy, c.quorumUp,
		c.ipvsUp, c.svcConns, c.svcPackets, c.svcBytes, c.dstConns, c.dstPackets, c.dstBytes, c.dstActive, c.dstInactive, c.dstWeight} {
		ch <- d
	}
}

// Collect reads each snapshot once.
func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Instances != nil {
		for _, s := range c.src.Instances() {
			c.collectInstance(ch, s)
		}
	}
	if c.src.Links != nil {
		c.collectLinks(ch, c.src.Links())
	}
	if c.src.Health != nil {
		c.collectHealth(ch)
	}
	if c.src.IPVS != nil {
		c.collectIPVS(ch)
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *snapshotCollector) collectInstance(ch chan<- prometheus.Metric, s director.Status) {
	n := s.Name
	gauge(ch, c.instanceInfo, 1, n, s.Interface, strconv.Itoa(int(s.VRID)))
	for _, st := range instanceStates {
		gauge(ch, c.instanceState, boolValue(s.State == st.String()), n, st.String())
	}
	gauge(ch, c.priority, float64(s.Priority), n)
	gauge(ch, c.configuredPriority, float64(s.ConfiguredPriority), n)
	if !s.Since.IsZero() {
		gauge(ch, c.stateSince, float64(s.Since.UnixNano())/1e9, n)
	}
	k := s.Counters
	// The outcomes partition the adverts, so sum() by direction is right:
	// priority-0 and discarded adverts are part of AdvertsReceived.
	counter(ch, c.adverts, sub(k.AdvertsSent, k.PriorityZeroSent), n, "sent", "advert")
	counter(ch, c.adverts, k.PriorityZeroSent, n, "sent", "priority_zero")
	counter(ch, c.adverts, sub(k.AdvertsReceived, k.PriorityZeroReceived+k.AdvertsDiscarded), n, "received", "accepted")
	counter(ch, c.adverts, k.PriorityZeroReceived, n, "received", "priority_zero")
	counter(ch, c.adverts, k.AdvertsDiscarded, n, "received", "discarded")
	counter(ch, c.adverts, k.AdvertsIgnored, n, "received", "ignored")
	counter(ch, c.adverts, k.OwnAdverts, n, "received", "own")
	counter(ch, c.adverts, k.IntervalMismatch, n, "received", "interval_mismatch")
	counter(ch, c.sendErrors, s.SendErrors, n)
	counter(ch, c.splitBrains, s.SplitBrains, n)
	gauge(ch, c.arpOffenders, float64(len(s.ARPOffenders)), n)
}

// linkLabels identify a socket in the metrics. Sockets to different
// unicast peers can share them, so their counters are summed.
type linkLabels struct {
	iface, family, source string
}

func (c *snapshotCollector) collectLinks(ch chan<- prometheus.Metric, links []director.LinkStatus) {
	received := map[linkLabels]uint64{}
	rejected := map[linkLabels]map[string]uint64{}
	var order []linkLabels
	for _, l := range links {
		key := linkLabels{l.Interface, "ipv" + strconv.Itoa(l.Family), l.Source.String()}
		if _, seen := received[key]; !seen {
			order = append(order, key)
			rejected[key] = map[string]uint64{}
		}
		received[key] += l.Received
		for reason, n := range l.Rejected {
			rejected[key][reason] += n
		}
	}
	for _, key := range order {
		counter(ch, c.linkReceived, received[key], key.iface, key.family, key.source)
		for reason, n := range rejected[key] {
			counter(ch, c.linkRejected, n, key.iface, key.family, key.source, reason)
		}
	}
}

func (c *snapshotCollector) collectHealth(ch chan<- prometheus.Metric) {
	snap := c.src.Health()
	seen := map[[2]string]bool{}
	for _, t := range snap.RealServers {
		k := [2]string{t.VirtualServer, t.RealServer}
		if seen[k] {
			continue // a duplicate series would fail the whole scrape
		}
		seen[k] = true
		gauge(ch, c.rsWeight, float64(t.Weight), t.VirtualServer, t.RealServer)
		gauge(ch, c.rsHealthy, boolValue(t.Healthy), t.VirtualServer, t.RealServer)
	}
	seenVS := map[string]bool{}
	for _, q := range snap.VirtualServers {
		if !seenVS[q.VirtualServer] {
			seenVS[q.VirtualServer] = true
			gauge(ch, c.quorumUp, boolValue(q.QuorumUp), q.VirtualServer)
		}
	}
}

func (c *snapshotCollector) collectIPVS(ch chan<- prometheus.Metric) {
	snap, err := c.src.IPVS()
	gauge(ch, c.ipvsUp, boolValue(err == nil))
	if err != nil {
		return
	}
	for _, s := range snap.Services {
		name := serviceName(s.Service.Key)
		counter(ch, c.svcConns, s.Stats.Conns, name)
		counter(ch, c.svcPackets, s.Stats.InPkts, name, "in")
		counter(ch, c.svcPackets, s.Stats.OutPkts, name, "out")
		counter(ch, c.svcBytes, s.Stats.InBytes, name, "in")
		counter(ch, c.svcBytes, s.Stats.OutBytes, name, "out")
		for _, d := range s.Dests {
			dn := d.Dest.Key().String()
			counter(ch, c.dstConns, d.Stats.Conns, name, dn)
			counter(ch, c.dstPackets, d.Stats.InPkts, name, dn, "in")
			counter(ch, c.dstPackets, d.Stats.OutPkts, name, dn, "out")
			counter(ch, c.dstBytes, d.Stats.InBytes, name, dn, "in")
			counter(ch, c.dstBytes, d.Stats.OutBytes, name, dn, "out")
			gauge(ch, c.dstActive, float64(d.ActiveConns), name, dn)
			gauge(ch, c.dstInactive, float64(d.InactiveConns), name, dn)
			gauge(ch, c.dstWeight, float64(d.Dest.Weight), name, dn)
		}
	}
}

// serviceName is the service label, the same form `vigil status` shows:
// "tcp/10.0.0.100:80", "fwmark/7/inet".
func serviceName(k ipvs.ServiceKey) string {
	if k.IsFWMark() {
		return "fwmark/" + strconv.FormatUint(uint64(k.FWMark), 10) + "/" + k.Family.String()
	}
	return k.Protocol.String() + "/" + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// sub is a - b, or 0 if the machine's counters ever disagree: a counter
// near 2^64 would look like a huge rate.
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}
