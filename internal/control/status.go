package control

import (
	"net/netip"
	"time"
)

// StatusDoc is the answer to the status command: everything `vigil status`
// shows, and what `vigil status -json` prints.
type StatusDoc struct {
	// Router is the router_id (or host name) of the director.
	Router string `json:"router"`
	// Time is when the daemon took the snapshot; durations are relative to it.
	Time      time.Time        `json:"time"`
	Instances []InstanceStatus `json:"instances"`
	// Links are the VRRP sockets; instances on one interface share one.
	Links []LinkStatus `json:"links"`
	// IPVS is the kernel's table; IPVSError says why it could not be read.
	IPVS      []ServiceSummary `json:"ipvs"`
	IPVSError string           `json:"ipvs_error,omitempty"`
	// RealServers are the health-check states, by virtual and real server.
	RealServers []RealServerStatus `json:"real_servers"`
	// VirtualServers are the quorum states of the virtual servers.
	VirtualServers []VirtualServerStatus `json:"virtual_servers,omitempty"`
}

// InstanceStatus is one vrrp_instance.
type InstanceStatus struct {
	Name      string `json:"name"`
	Interface string `json:"interface"`
	VRID      uint8  `json:"vrid"`
	// State is "initialize", "backup", "master", "fault", "stopping" or "stopped".
	State string `json:"state"`
	// Priority is the effective priority: ConfiguredPriority changed by the
	// failed trackers listed in Trackers.
	Priority           uint8           `json:"priority"`
	ConfiguredPriority uint8           `json:"configured_priority"`
	Trackers           []TrackerStatus `json:"trackers,omitempty"`
	// Master is the current master's address: this router's own in master
	// and stopping, the last advertiser in backup; zero when unknown.
	Master netip.Addr `json:"master,omitzero"`
	// Since is the time of the last state change, LastReason its cause.
	Since        time.Time      `json:"since"`
	LastReason   string         `json:"last_reason"`
	Transitions  uint64         `json:"transitions"`
	BecameMaster uint64         `json:"became_master"`
	SplitBrains  uint64         `json:"split_brains"`
	SendErrors   uint64         `json:"send_errors"`
	VIPs         []netip.Addr   `json:"vips"`
	Adverts      AdvertCounters `json:"adverts"`
	// ARPOffenders are other hosts that answered ARP for a VIP in the last
	// probe: misconfigured real servers (arp_probe_interval).
	ARPOffenders []string `json:"arp_offenders,omitempty"`
}

// HoldsVIPs reports whether the instance has claimed its virtual addresses.
func (s InstanceStatus) HoldsVIPs() bool { return s.State == "master" || s.State == "stopping" }

// TrackerStatus is one track_interface or track_script of an instance.
type TrackerStatus struct {
	Name string `json:"name"`
	// Kind is "interface" or "script".
	Kind string `json:"kind"`
	Up   bool   `json:"up"`
	// Weight is added to the priority while the tracker is down; 0 means
	// the instance goes to fault instead.
	Weight int `json:"weight"`
}

// AdvertCounters count the adverts of an instance since it started.
// Received counts the adverts the state machine processed (priority-0 and
// discarded ones included); adverts rejected before reaching an instance
// are counted per link in LinkStatus.Rejected.
type AdvertCounters struct {
	Sent                 uint64 `json:"sent"`
	PriorityZeroSent     uint64 `json:"priority_zero_sent"`
	Received             uint64 `json:"received"`
	PriorityZeroReceived uint64 `json:"priority_zero_received"`
	// Discarded are lower-priority adverts a preempting backup ignored.
	Discarded uint64 `json:"discarded"`
	// Ignored arrived in initialize, fault or stopped.
	Ignored uint64 `json:"ignored"`
	// Own are our own adverts looped back.
	Own uint64 `json:"own"`
	// IntervalMismatch are VRRPv2 adverts with another interval (dropped).
	IntervalMismatch uint64 `json:"interval_mismatch"`
}

// LinkStatus is one VRRP socket.
type LinkStatus struct {
	Interface string     `json:"interface"`
	Family    int        `json:"family"` // 4 or 6
	Source    netip.Addr `json:"source"`
	Received  uint64     `json:"received"`
	// Rejected counts the packets dropped before reaching an instance, by
	// reason ("checksum", "ttl", "unknown-vrid", ...).
	Rejected map[string]uint64 `json:"rejected"`
}

// ServiceSummary is one IPVS virtual service.
type ServiceSummary struct {
	// Service is "tcp/10.0.0.100:80", "udp/[2001:db8::1]:53" or
	// "fwmark/7/inet".
	Service   string `json:"service"`
	Scheduler string `json:"scheduler"`
	// PersistenceTimeout is in seconds; 0 means not persistent.
	PersistenceTimeout uint32        `json:"persistence_timeout,omitempty"`
	Destinations       []DestSummary `json:"destinations"`
	Counters
}

// DestSummary is one IPVS real server of a service.
type DestSummary struct {
	Address       string `json:"address"`
	Forward       string `json:"forward"` // dr, nat, tun, local
	Weight        int    `json:"weight"`
	ActiveConns   uint32 `json:"active_conns"`
	InactiveConns uint32 `json:"inactive_conns"`
	Counters
}

// Counters are the kernel's cumulative IPVS counters.
type Counters struct {
	Connections uint64 `json:"connections"`
	InPackets   uint64 `json:"in_packets"`
	OutPackets  uint64 `json:"out_packets"`
	InBytes     uint64 `json:"in_bytes"`
	OutBytes    uint64 `json:"out_bytes"`
}

// RealServerStatus is the health-check state of one real server.
type RealServerStatus struct {
	VirtualServer string `json:"virtual_server"`
	RealServer    string `json:"real_server"`
	Healthy       bool   `json:"healthy"`
	// Weight is the weight the checks ask for (0 while unhealthy).
	Weight int `json:"weight"`
	// Removed is set when on_failure = "remove" took it out of the table.
	Removed bool `json:"removed,omitempty"`
	// Reason is the result that set the state, e.g. "http: status 500".
	Reason string `json:"reason"`
}

// VirtualServerStatus is the quorum state of one virtual server.
type VirtualServerStatus struct {
	Name          string `json:"name"`
	QuorumUp      bool   `json:"quorum_up"`
	HealthyWeight int    `json:"healthy_weight"`
	Quorum        int    `json:"quorum"`
}
