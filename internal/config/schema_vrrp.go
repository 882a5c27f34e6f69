package config

var schemaVRRPScript = &schemaBlock{
	name: "vrrp_script", label: "name", labelExample: "chk_haproxy", multiple: true,
	doc: "A command whose exit status tells whether something a VRRP instance depends on is healthy " +
		"(exit 0) or failed. Instances refer to it by name in `track_script`. The name may hold letters, " +
		"digits, `_`, `.` and `-` (at most 64 characters) and is unique among `vrrp_script` blocks.",
	minimal: []string{`command = ["/usr/bin/true"]`},
	attrs: []schemaAttr{
		{name: "command", typ: typeCommand, required: true, example: `["/usr/bin/pgrep", "-x", "haproxy"]`,
			doc: "The program and its arguments, run without a shell; the program is an absolute path."},
		{name: "interval", typ: typeDuration, def: `"1s"`, rng: "10ms..24h", example: `"2s"`,
			doc: "Time between two runs."},
		{name: "timeout", typ: typeDuration, def: `"1s"`, defDoc: "the interval", rng: "1ms..24h",
			limits: "at most the interval", example: `"500ms"`, doc: "Longest run; a run that takes longer failed."},
		{name: "rise", typ: typeNumber, def: "1", rng: "1..1000", example: "2",
			doc: "Consecutive successes that make a failed script healthy."},
		{name: "fall", typ: typeNumber, def: "1", rng: "1..1000", example: "3",
			doc: "Consecutive failures that make a healthy script failed."},
		{name: "weight", typ: typeNumber, def: "0", rng: "-253..253", example: "-20",
			doc: "Added to the priority of a tracking instance while the script is failed; 0 puts the instance " +
				"into FAULT instead. A `track_script` may override it."},
	},
	example: `vrrp_script "chk_haproxy" {
  command  = ["/usr/bin/pgrep", "-x", "haproxy"]
  interval = "2s"
  timeout  = "500ms"
  fall     = 3
  weight   = -20
}
`,
}

var schemaVRRPInstance = &schemaBlock{
	name: "vrrp_instance", label: "name", labelExample: "VI_1", multiple: true,
	doc: "One VRRP virtual router: the directors that share its `vrid` on `interface` elect a master, " +
		"and the master holds the virtual IP addresses. An instance is IPv4 or IPv6, never both " +
		"(RFC 5798 runs one virtual router per family): put IPv6 VIPs in a second instance, which may use " +
		"the same `vrid`. A `vrid` is unique per interface and family, and a VIP belongs to one instance. " +
		"At least one VIP is required, from `virtual_ipaddresses` or `virtual_ipaddress` blocks. " +
		"The name follows the rules of `vrrp_script` names.",
	minimal: []string{`interface = "eth0"`, `vrid = 51`, `virtual_ipaddresses = ["192.0.2.10/24"]`},
	attrs: []schemaAttr{
		{name: "interface", typ: typeString, required: true, limits: "a Linux interface name (at most 15 characters)",
			example: `"eth1"`, doc: "Interface that carries the adverts and gets the VIPs."},
		{name: "vrid", typ: typeNumber, required: true, rng: "1..255", example: "51",
			doc: "Virtual router id, the same on every director of the pair."},
		{name: "priority", typ: typeNumber, def: "100", rng: "1..255", example: "150",
			doc: "Election priority; the highest wins. 255 means the address owner: every VIP is an ordinary " +
				"address of this host (`vigil run` and `vigil validate` check that)."},
		{name: "version", typ: typeNumber, def: "3", allowed: []string{"2", "3"}, example: "2",
			doc: "VRRP version: 3 (RFC 5798, IPv4 and IPv6, centisecond intervals) or 2 (RFC 3768, IPv4 only, " +
				"whole seconds) for old peers."},
		{name: "advert_interval", typ: typeDuration, def: `"1s"`, example: `"100ms"`,
			limits: "version 3: a multiple of 10ms from 10ms to 40.95s; version 2: whole seconds from 1s to 255s",
			doc:    "Time between two adverts of the master. A backup takes over after about three intervals of silence."},
		{name: "preempt", typ: typeBool, def: "true", example: "false",
			doc: "A backup with a higher priority than the master takes over; false leaves a working master alone."},
		{name: "preempt_delay", typ: typeDuration, def: `"0s"`, rng: "0s..1000s", example: `"30s"`,
			doc: "After start-up, wait this long before preempting a lower-priority master."},
		{name: "source_address", typ: typeString, defDoc: "the interface's primary address", example: `"192.0.2.1"`,
			limits: "an address of the instance's family (IPv6 may carry a zone)",
			doc:    "Source address of the adverts."},
		{name: "unicast_peers", typ: typeList, defDoc: "none: adverts go to the VRRP multicast group",
			limits: "addresses of the instance's family, not the source address", example: `["192.0.2.2"]`,
			doc: "Send the adverts by unicast to these peers instead of multicast, for networks without multicast."},
		{name: "virtual_ipaddresses", typ: typeList, example: `["192.0.2.10/24", "192.0.2.11"]`,
			limits: "addresses of one family; a plain address becomes /32 or /128; with the `virtual_ipaddress` blocks, at least one VIP",
			doc:    "The virtual IP addresses, `address` or `address/prefix-length`. `virtual_ipaddress` blocks add more."},
		{name: "use_vmac", typ: typeBool, def: "false", example: "true",
			doc: "Put the VIPs on a macvlan link with the VRRP virtual MAC 00:00:5e:00:01:VRID (00:00:5e:00:02:VRID for " +
				"IPv6), so that a takeover needs no ARP cache update."},
		{name: "arp_probe_interval", typ: typeDuration, def: `"0s"`, rng: "0s..1h0m0s", example: `"30s"`,
			limits: "`0s` (off) or 1s..1h; IPv4 VIPs only",
			doc: "While master, send ARP who-has for the VIPs this often and report (log, `vigil status`, metric " +
				"`vigil_arp_probe_offenders`) every other MAC that answers: a real server that answers ARP for a VIP " +
				"takes traffic away from the director."},
		{name: "ipvs_follow", typ: typeString, def: `"master"`, allowed: []string{IPVSFollowMaster, IPVSFollowAlways},
			example: `"always"`,
			doc: "When the virtual servers that follow this instance are installed: `master` only while it is " +
				"master, `always` whatever its state."},
	},
	children: []*schemaBlock{
		schemaVIP, schemaGARP, schemaTrackInterface, schemaTrackScript, schemaNotify(true), schemaSyncDaemon,
	},
	example: `vrrp_instance "VI_1" {
  interface           = "eth1"
  vrid                = 51
  priority            = 150
  advert_interval     = "100ms"
  virtual_ipaddresses = ["192.0.2.10/24"]
  unicast_peers       = ["192.0.2.2"]
  track_script {
    script = "chk_haproxy"
  }
  notify {
    master = ["/usr/local/bin/became", "master"]
  }
}
`,
}

var schemaVIP = &schemaBlock{
	name: "virtual_ipaddress", multiple: true,
	doc: "One more virtual IP address, with an optional label. The VIPs of the list come first, " +
		"then these blocks in file order.",
	minimal: []string{`address = "192.0.2.11"`},
	attrs: []schemaAttr{
		{name: "address", typ: typeString, required: true, example: `"192.0.2.12/24"`,
			doc: "The address, `address` or `address/prefix-length`, of the instance's family."},
		{name: "label", typ: typeString, example: `"eth0:web"`,
			limits: "IPv4 only; the interface name or `interface:` followed by more; at most 15 characters; not with `use_vmac`",
			doc:    "Linux address label, as shown by `ip address` and used by `ifconfig`-era tools."},
	},
	example: `virtual_ipaddress {
  address = "192.0.2.12/24"
  label   = "eth0:web"
}
`,
}

var schemaGARP = &schemaBlock{
	name: "garp",
	doc: "Gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) a new master sends so that " +
		"switches and routers learn where the VIPs are. `vigil garp INSTANCE` sends them again by hand.",
	attrs: []schemaAttr{
		{name: "master_repeat", typ: typeNumber, def: "5", rng: "0..100", example: "3",
			doc: "Messages per VIP sent at once on becoming master."},
		{name: "master_delay", typ: typeDuration, def: `"1s"`, rng: "0s..1h", example: `"2s"`,
			doc: "Pause before a second burst of `master_repeat` messages; 0s: no second burst."},
		{name: "master_refresh", typ: typeDuration, def: `"0s"`, rng: "0s..24h", limits: "0s (off) or at least 1s",
			example: `"60s"`, doc: "While master, send one message per VIP this often."},
	},
	example: `garp {
  master_repeat  = 3
  master_refresh = "60s"
}
`,
}

var schemaTrackInterface = &schemaBlock{
	name: "track_interface", multiple: true,
	doc:     "A link whose state the instance depends on; each link is tracked at most once.",
	minimal: []string{`name = "eth2"`},
	attrs: []schemaAttr{
		{name: "name", typ: typeString, required: true, limits: "a Linux interface name", example: `"bond0"`,
			doc: "The link to watch."},
		{name: "weight", typ: typeNumber, def: "0", rng: "-253..253", example: "-50",
			doc: "Added to the priority while the link is down; 0 puts the instance into FAULT instead."},
	},
	example: `track_interface {
  name   = "bond0"
  weight = -50
}
`,
}

var schemaTrackScript = &schemaBlock{
	name: "track_script", multiple: true,
	doc:     "A `vrrp_script` the instance depends on; each script is tracked at most once.",
	minimal: []string{`script = "chk_haproxy"`},
	attrs: []schemaAttr{
		{name: "script", typ: typeString, required: true, limits: "the name of a `vrrp_script` block",
			example: `"chk_haproxy"`, doc: "The script to follow."},
		{name: "weight", typ: typeNumber, def: "0", defDoc: "the script's `weight`", rng: "-253..253", example: "-30",
			doc: "Added to the priority while the script is failed; 0 puts the instance into FAULT instead."},
	},
	example: `track_script {
  script = "chk_haproxy"
  weight = -30
}
`,
}

var schemaSyncDaemon = &schemaBlock{
	name: "sync_daemon",
	doc: "Runs the IPVS connection synchronisation daemon of the kernel: as master while this instance is " +
		"master, as backup otherwise, so that established connections survive a takeover. At most one " +
		"instance of the file may have it.",
	attrs: []schemaAttr{
		{name: "interface", typ: typeString, def: `"eth0"`, defDoc: "the instance's `interface`",
			limits: "a Linux interface name", example: `"eth3"`, doc: "Interface that carries the sync messages."},
		{name: "sync_id", typ: typeNumber, def: "51", defDoc: "the instance's `vrid`", rng: "0..255", example: "7",
			doc: "Tag of the sync messages; both directors use the same."},
	},
	example: `sync_daemon {
  interface = "eth3"
}
`,
}
