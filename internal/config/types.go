package config

import (
	"net/netip"
	"time"
)

// Config is one parsed, defaulted and validated vigil configuration file.
//
// Slices of named blocks are sorted by name, real servers by address, so two
// files that differ only in block order yield identical values.
type Config struct {
	// Global holds the daemon-wide settings (the `global` block).
	Global Global
	// Scripts are the `vrrp_script` blocks, sorted by name.
	Scripts []VRRPScript
	// Instances are the `vrrp_instance` blocks, sorted by name.
	Instances []VRRPInstance
	// VirtualServers are the `virtual_server` blocks, sorted by name.
	VirtualServers []VirtualServer
}

// Global is the `global` block: settings of the daemon itself.
type Global struct {
	// RouterID names this director in logs, metrics and the state file
	// (`router_id`). Empty means the host name, resolved by the daemon.
	RouterID string
	// ControlSocket is the path of the unix control socket
	// (`control_socket`, default DefaultControlSocket).
	ControlSocket string
	// MetricsListen is the host:port of the Prometheus endpoint
	// (`metrics_listen`, default DefaultMetricsListen); "" disables it.
	MetricsListen string
	// LogFormat is "text" or "json" (`log_format`, default "text").
	LogFormat string
	// LogLevel is "debug", "info", "warn" or "error" (`log_level`, default "info").
	LogLevel string
	// StateFile is where the daemon writes the current instance states for
	// other tools (`state_file`, default DefaultStateFile); "" disables it.
	StateFile string
	// Realtime holds the scheduling options (`realtime` block).
	Realtime Realtime
	// Notify is the default notify block that every instance inherits field
	// by field (`notify` block).
	Notify Notify
	// CheckDefaults is the health-check timing every virtual server inherits
	// field by field (`check_defaults` block).
	CheckDefaults CheckTiming
}

// Realtime is the `realtime` block. VRRP adverts every 10 ms only survive a
// loaded host when the daemon is not paged out or starved.
type Realtime struct {
	// SchedPriority is the SCHED_FIFO priority 1..99 (`sched_priority`);
	// 0, the default, keeps the normal scheduler.
	SchedPriority int
	// LockMemory asks for mlockall(MCL_CURRENT|MCL_FUTURE) (`lock_memory`,
	// default false).
	LockMemory bool
}

// Notify is a `notify` block: commands run on state transitions. Commands are
// executed directly (argv, no shell); the first element is an absolute path.
type Notify struct {
	// Command runs on every transition (`command`); the daemon appends the
	// instance name and the new state as arguments.
	Command []string
	// Master, Backup, Fault and Stop run on entering that state (`master`,
	// `backup`, `fault`, `stop`).
	Master, Backup, Fault, Stop []string
	// Timeout bounds each run (`timeout`, default DefaultNotifyTimeout).
	Timeout time.Duration
}

// VRRPScript is a `vrrp_script "name"` block: a command whose exit status
// tracks the health of something the VRRP instance depends on.
type VRRPScript struct {
	// Name is the block label.
	Name string
	// Command is the argv to execute (`command`, required, absolute path).
	Command []string
	// Interval between runs (`interval`, default 1s).
	Interval time.Duration
	// Timeout of one run; a run that exceeds it fails (`timeout`, default
	// the interval; at most the interval).
	Timeout time.Duration
	// Rise is the number of consecutive successes that make the script
	// healthy again (`rise`, default 1).
	Rise int
	// Fall is the number of consecutive failures that make it failed
	// (`fall`, default 1).
	Fall int
	// Weight is the default priority change while failed, -253..253
	// (`weight`, default 0: failure puts the instance into FAULT).
	Weight int
}

// Address families of a VRRP instance. RFC 5798 runs one virtual router per
// family, so an instance is either IPv4 or IPv6.
const (
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// VRRPInstance is a `vrrp_instance "name"` block: one virtual router.
type VRRPInstance struct {
	// Name is the block label.
	Name string
	// Interface carries the adverts (`interface`, required).
	Interface string
	// VRID is the virtual router id 1..255 (`vrid`, required). It must be
	// unique per interface and address family.
	VRID uint8
	// Priority 1..255 (`priority`, default 100). 255 means the address
	// owner: every VIP is a real address of this host.
	Priority uint8
	// Version is the VRRP version, 2 (RFC 3768, IPv4 only, whole-second
	// intervals) or 3 (RFC 5798, default).
	Version int
	// AdvertInterval between adverts (`advert_interval`, default 1s).
	// Version 3: a multiple of 10ms in 10ms..40.95s. Version 2: whole
	// seconds in 1s..255s.
	AdvertInterval time.Duration
	// Preempt lets a higher-priority backup take over (`preempt`, default true).
	Preempt bool
	// PreemptDelay postpones preemption after start-up (`preempt_delay`,
	// default 0, at most 1000s).
	PreemptDelay time.Duration
	// Family is FamilyIPv4 or FamilyIPv6, derived from the VIPs.
	Family string
	// SourceAddress of adverts (`source_address`); invalid (zero) means the
	// interface's primary address.
	SourceAddress netip.Addr
	// UnicastPeers, when not empty, replace multicast adverts by unicast to
	// each peer (`unicast_peers`).
	UnicastPeers []netip.Addr
	// VIPs are the virtual addresses in file order: first the
	// `virtual_ipaddresses` list, then the `virtual_ipaddress` blocks.
	VIPs []VIP
	// GARP controls gratuitous ARP / unsolicited NA after becoming master.
	GARP GARP
	// UseVMAC puts the VIPs on a macvlan with the VRRP virtual MAC
	// 00-00-5E-00-01-{VRID} (`use_vmac`, default false).
	UseVMAC bool
	// ARPProbeInterval, when above 0, makes the master send ARP who-has
	// for its VIPs this often and report every other MAC that answers: a
	// real server that answers ARP for a VIP steals its traffic
	// (`arp_probe_interval`, default 0s: off; 1s..1h; IPv4 only).
	ARPProbeInterval time.Duration
	// TrackInterfaces lower the priority (or force FAULT) while a link is down.
	TrackInterfaces []TrackInterface
	// TrackScripts lower the priority (or force FAULT) while a script fails.
	TrackScripts []TrackScript
	// Notify is the instance's notify block merged over Global.Notify.
	Notify Notify
	// IPVSFollow is IPVSFollowMaster (install the IPVS tables only while
	// master, default) or IPVSFollowAlways.
	IPVSFollow string
	// SyncDaemon, when not nil, runs the IPVS connection sync daemon: master
	// while this instance is master, backup otherwise.
	SyncDaemon *SyncDaemon
}

// Values of VRRPInstance.IPVSFollow.
const (
	IPVSFollowMaster = "master"
	IPVSFollowAlways = "always"
)

// VIP is one virtual address.
type VIP struct {
	// Prefix is the address with its prefix length; a plain address in the
	// file becomes /32 or /128.
	Prefix netip.Prefix
	// Label is the IPv4 address label ("eth0:vip"); it must start with the
	// instance interface name. Empty: no label.
	Label string
}

// GARP is the `garp` block. It applies to gratuitous ARP for IPv4 and to
// unsolicited neighbour advertisements for IPv6.
type GARP struct {
	// MasterRepeat is the number of messages per VIP sent at once when
	// becoming master (`master_repeat`, default 5, 0..100).
	MasterRepeat int
	// MasterDelay is the pause before a second burst (`master_delay`,
	// default 1s; 0 disables the second burst).
	MasterDelay time.Duration
	// MasterRefresh repeats one message per VIP periodically while master
	// (`master_refresh`, default 0: off; at least 1s when set).
	MasterRefresh time.Duration
}

// TrackInterface is a `track_interface` block.
type TrackInterface struct {
	// Name of the link (`name`, required).
	Name string
	// Weight is added to the priority while the link is down, -253..253
	// (`weight`, default 0: the instance goes to FAULT instead).
	Weight int
}

// TrackScript is a `track_script` block, resolved against its vrrp_script.
type TrackScript struct {
	// Name of the vrrp_script block (`script`, required).
	Name string
	// Weight while failed (`weight`, default the script's weight).
	Weight int
	// Script is a copy of the referenced vrrp_script, so that comparing two
	// instances also notices a changed script.
	Script VRRPScript
}

// SyncDaemon is the `sync_daemon` block (IPVS connection synchronisation).
type SyncDaemon struct {
	// Interface carries the sync traffic (`interface`, default the
	// instance's interface).
	Interface string
	// SyncID tags the sync messages, 0..255 (`sync_id`, default the VRID).
	SyncID int
}

// VirtualServer is a `virtual_server "name"` block: one IPVS service.
type VirtualServer struct {
	// Name is the block label.
	Name string
	// Address is the VIP and port (`address = "10.0.0.1:80"` or
	// "[2001:db8::1]:80"); invalid when FWMark is used.
	Address netip.AddrPort
	// FWMark is the firewall mark of a fwmark service (`fwmark`, 1..2^32-1);
	// 0 when Address is used. Exactly one of the two is set.
	FWMark uint32
	// Family is FamilyIPv4 or FamilyIPv6: the address's family, or for a
	// fwmark service the `family` attribute (default "ipv4").
	Family string
	// Protocol is "tcp", "udp" or "sctp" (`protocol`, default "tcp"); empty
	// for fwmark services, which match on the mark alone.
	Protocol string
	// Scheduler is the IPVS scheduler name (`scheduler`, default "wlc").
	Scheduler string
	// SchedulerFlags are "sh-fallback", "sh-port" (scheduler sh) or
	// "mh-fallback", "mh-port" (scheduler mh) (`scheduler_flags`).
	SchedulerFlags []string
	// Forwarding is "dr", "nat" or "tun" (`forwarding`, default "dr").
	Forwarding string
	// Persistence makes a client stick to one real server; nil: off.
	Persistence *Persistence
	// VRRPInstance names the instance this service follows (`vrrp_instance`);
	// empty: installed whenever the daemon runs.
	VRRPInstance string
	// Quorum is the number of healthy real servers the service needs to be
	// up; below it the sorry server is used (`quorum`, default 1, or 0
	// without real servers).
	Quorum int
	// SorryServer receives the traffic while the quorum is lost
	// (`sorry_server = "addr:port"`); invalid (zero) when unset.
	SorryServer netip.AddrPort
	// CheckDefaults is the check timing inherited by this service's checks:
	// Global.CheckDefaults overridden by the `check_defaults` block.
	CheckDefaults CheckTiming
	// OnFailure is OnFailureInhibit (weight 0, default) or OnFailureRemove.
	OnFailure string
	// RealServers sorted by address.
	RealServers []RealServer
}

// Values of VirtualServer.OnFailure.
const (
	OnFailureInhibit = "inhibit"
	OnFailureRemove  = "remove"
)

// Persistence is the `persistence` block.
type Persistence struct {
	// Timeout of the persistent template, whole seconds (`timeout`,
	// default 300s).
	Timeout time.Duration
	// Netmask is the prefix length that groups clients (`netmask`, default
	// 32 for IPv4 and 128 for IPv6 services).
	Netmask int
}

// RealServer is a `real_server "addr:port"` block.
type RealServer struct {
	// Address is the block label. With forwarding dr or tun the port must
	// equal the service port: only NAT rewrites ports.
	Address netip.AddrPort
	// Weight 0..65535 (`weight`, default 1).
	Weight int
	// UpperThreshold is the connection limit, 0 = none (`upper_threshold`).
	UpperThreshold int
	// LowerThreshold re-enables the server below this many connections,
	// 0 = none (`lower_threshold`); not above the upper threshold.
	LowerThreshold int
	// Checks in file order; no checks means always healthy.
	Checks []Check
}

// Check types.
const (
	CheckTCP    = "tcp"
	CheckHTTP   = "http"
	CheckScript = "script"
	CheckUDP    = "udp"
	CheckDNS    = "dns"
)

// CheckTiming is the timing shared by all check types. A `check_defaults`
// block and every `check` block may set any subset of these attributes.
type CheckTiming struct {
	// Interval between checks (`interval`, default 2s).
	Interval time.Duration
	// Timeout of one check, at most the interval (`timeout`, default 1s).
	Timeout time.Duration
	// Rise is the consecutive successes to become healthy (`rise`, default 2).
	Rise int
	// Fall is the consecutive failures to become failed (`fall`, default 2).
	Fall int
	// RetryDelay is the interval used after a failure while Fall is not yet
	// reached (`retry_delay`, default 1s).
	RetryDelay time.Duration
	// Warmup is the maximum random delay before the first check, spreading
	// the load at start (`warmup`, default 0).
	Warmup time.Duration
}

// Check is a `check "type"` block inside a real_server.
type Check struct {
	// Type is CheckTCP, CheckHTTP, CheckScript, CheckUDP or CheckDNS.
	Type string
	// Timing is the virtual server's CheckDefaults overridden by this block.
	Timing CheckTiming
	// Port to connect to (`port`); 0, the default, means the real server's port.
	Port int
	// ViaVIP sends the check to the VIP through the real server's MAC, the
	// way DR traffic arrives (`via_vip`, default false; not with nat or fwmark).
	ViaVIP bool
	// HalfOpen makes a tcp check send a SYN and take a SYN-ACK as healthy
	// (`half_open`, default false; IPv4, not with via_vip).
	HalfOpen bool
	// HTTP is set for Type CheckHTTP.
	HTTP *HTTPCheck
	// Script is set for Type CheckScript.
	Script *ScriptCheck
	// UDP is set for Type CheckUDP.
	UDP *UDPCheck
	// DNS is set for Type CheckDNS.
	DNS *DNSCheck
}

// HTTPCheck holds the attributes of `check "http"`.
type HTTPCheck struct {
	// Method is "GET" (default) or "HEAD" (`method`).
	Method string
	// Path of the request, starting with "/" (`path`, default "/").
	Path string
	// Host header (`host`); empty: the address checked.
	Host string
	// Status lists the accepted status codes (`status = ["200-299"]`, the default).
	Status []StatusRange
	// BodyRegex must match the body (`body_regex`, RE2 syntax); empty: not checked.
	BodyRegex string
	// BodySHA256 is the lower-case hex SHA-256 the body must have
	// (`body_sha256`); empty: not checked.
	BodySHA256 string
	// Headers are added to the request (`headers = { ... }`).
	Headers map[string]string
	// TLS uses HTTPS (`tls`, default false).
	TLS bool
	// ServerName is the TLS SNI and verification name (`server_name`).
	ServerName string
	// Verify checks the server certificate (`verify`, default false: a health
	// check asks whether the server answers, not who it is).
	Verify bool
	// WeightHeader names a response header carrying the server's weight
	// (`weight_header`); exclusive with WeightField.
	WeightHeader string
	// WeightField names a top-level field of a JSON body carrying the weight
	// (`weight_field`).
	WeightField string
	// MaxWeight caps a reported weight (`max_weight`, 1..65535, default
	// 65535); 0 when the weight is not dynamic.
	MaxWeight int
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Min, Max int }

// ScriptCheck holds the attributes of `check "script"`.
type ScriptCheck struct {
	// Command is the argv (`command`, required, absolute path). Exit status
	// 0 is healthy, anything else failed.
	Command []string
	// Env is added to the environment (`env = { ... }`).
	Env map[string]string
	// DynamicWeight makes exit status 2..255 mean healthy with weight
	// status-2 (`dynamic_weight`, default false).
	DynamicWeight bool
}

// UDPCheck holds the attributes of `check "udp"`. The payload is sent and
// the check passes when a reply arrives that starts with Expect (any reply
// when Expect is empty). `payload`/`expect` take text, `payload_hex`/
// `expect_hex` take hex for binary protocols.
type UDPCheck struct {
	Payload []byte
	Expect  []byte
}

// DNSCheck holds the attributes of `check "dns"`: a query that must be
// answered with NOERROR and at least one record.
type DNSCheck struct {
	// Name to query (`name`, required).
	Name string
	// Type of record: A (default), AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT (`type`).
	Type string
}

// Defaults that the reference documentation and the daemon refer to.
const (
	DefaultControlSocket = "/run/vigil/vigil.sock"
	DefaultMetricsListen = "127.0.0.1:9650"
	DefaultStateFile     = "/run/vigil/state.json"
	DefaultNotifyTimeout = 10 * time.Second
)
