package config

var schemaVirtualServer = &schemaBlock{
	name: "virtual_server", label: "name", labelExample: "web", multiple: true,
	doc: "One IPVS service and its real servers. The service is `address` (VIP:port and `protocol`) or " +
		"`fwmark` (a firewall mark, with `family`), exactly one of the two. With `vrrp_instance` it is " +
		"installed while that instance is master; without, on every director. With forwarding `dr` or " +
		"`tun` a real server's port equals the service port (only `nat` rewrites ports), and `dr` and `nat` " +
		"need real servers of the service's family. The name follows the rules of `vrrp_script` names.",
	minimal: []string{`address = "192.0.2.10:80"`, `vrrp_instance = "VI_1"`},
	attrs: []schemaAttr{
		{name: "address", typ: typeString, example: `"192.0.2.10:80"`,
			limits: "`address:port` or `[IPv6]:port`; port 0 (every port) needs a `persistence` block",
			doc:    "The service address; required unless `fwmark` is set."},
		{name: "fwmark", typ: typeNumber, rng: "1..4294967295", excludes: []string{"address"}, example: "7",
			doc: "Firewall mark of a fwmark service (set by nftables or iptables rules); not with `address`. " +
				"Marks 0x76670000 to 0x7667ffff are reserved for `via_vip` checks."},
		{name: "family", typ: typeString, def: `"ipv4"`, defDoc: "`\"ipv4\"`; with `address`: the address's family",
			allowed: []string{FamilyIPv4, FamilyIPv6}, needs: []string{"fwmark = 7"}, excludes: []string{"address"},
			example: `"ipv4"`, limits: "only with `fwmark`", doc: "Address family of a fwmark service."},
		{name: "protocol", typ: typeString, def: `"tcp"`, allowed: []string{"tcp", "udp", "sctp"}, example: `"udp"`,
			limits: "not with `fwmark`, which matches on the mark alone", doc: "Transport protocol of the service."},
		{name: "scheduler", typ: typeString, def: `"wlc"`, allowed: Schedulers, example: `"rr"`,
			doc: "IPVS scheduler (see ipvsadm(8)); the kernel needs its `ip_vs_NAME` module."},
		{name: "scheduler_flags", typ: typeList, allowed: []string{"sh-fallback", "sh-port", "mh-fallback", "mh-port"},
			needs: []string{`scheduler = "sh"`}, example: `["sh-port", "sh-fallback"]`,
			limits: "`sh-*` with scheduler `sh`, `mh-*` with scheduler `mh`",
			doc:    "Flags of the `sh` and `mh` schedulers: `*-port` hashes the source port too, `*-fallback` skips unavailable servers."},
		{name: "forwarding", typ: typeString, def: `"dr"`, allowed: []string{"dr", "nat", "tun"}, example: `"nat"`,
			doc: "How packets reach the real servers: direct routing, NAT (masquerading) or IP-in-IP tunnel."},
		{name: "vrrp_instance", typ: typeString, example: `"VI_1"`,
			limits: "a `vrrp_instance` of the file; `address` must be one of its VIPs (fwmark: of its family)",
			doc:    "The instance this service follows. Unset: installed whenever the daemon runs (a warning when `address` is a VIP)."},
		{name: "quorum", typ: typeNumber, def: "1", defDoc: "1, or 0 without real servers", limits: "0..the number of real servers",
			needs: []string{`real_server "192.0.2.11:80" {}`}, example: "1",
			doc: "Healthy real servers the service needs; below it the `sorry_server` gets the traffic."},
		{name: "sorry_server", typ: typeString, example: `"192.0.2.250:80"`, limits: "the same rules as a real server address",
			doc: "Server that receives the traffic while the quorum is lost."},
		{name: "on_failure", typ: typeString, def: `"inhibit"`, allowed: []string{OnFailureInhibit, OnFailureRemove},
			example: `"remove"`,
			doc: "What a failed real server gets: `inhibit` keeps it with weight 0 (its open connections drain), " +
				"`remove` deletes it from the table."},
	},
	children: []*schemaBlock{schemaPersistence, schemaCheckDefaults(true), schemaRealServer},
	example: `virtual_server "web" {
  address       = "192.0.2.10:80"
  vrrp_instance = "VI_1"
  scheduler     = "wrr"
  sorry_server  = "192.0.2.250:80"
  real_server "192.0.2.11:80" {
    weight = 2
    check "http" {
      path = "/health"
    }
  }
  real_server "192.0.2.12:80" {
    check "tcp" {}
  }
}
`,
}

var schemaPersistence = &schemaBlock{
	name: "persistence",
	doc:  "Sends a client to the same real server for a while (IPVS persistent service). An empty block turns it on with the defaults.",
	attrs: []schemaAttr{
		{name: "timeout", typ: typeDuration, def: `"300s"`, rng: "1s..2147483647s", limits: "whole seconds",
			example: `"10m"`, doc: "How long a client stays with its real server after its last connection."},
		{name: "netmask", typ: typeNumber, def: "32", defDoc: "32 for IPv4, 128 for IPv6 services",
			limits: "0..32 for IPv4, 0..128 for IPv6 services", example: "24",
			doc: "Prefix length that groups clients: all clients of one prefix go to the same real server."},
	},
	example: `persistence {
  timeout = "10m"
  netmask = 24
}
`,
}

var schemaRealServer = &schemaBlock{
	name: "real_server", label: "address:port", labelExample: "192.0.2.11:80", multiple: true,
	doc: "One real server of the service, labelled with its address and port (`\"[2001:db8::11]:80\"` for IPv6); " +
		"each address is listed once. Without `check` blocks it is always healthy; with several, it is healthy " +
		"while all of them pass.",
	attrs: []schemaAttr{
		{name: "weight", typ: typeNumber, def: "1", rng: "0..65535", example: "2",
			doc: "Scheduler weight while healthy; 0 takes no new connections."},
		{name: "upper_threshold", typ: typeNumber, def: "0", rng: "0..2147483647", example: "1000",
			doc: "Connection limit; 0 means none."},
		{name: "lower_threshold", typ: typeNumber, def: "0", rng: "0..2147483647", needs: []string{"upper_threshold = 1000"},
			limits: "needs `upper_threshold`, not above it", example: "800",
			doc: "A server that reached the upper threshold takes connections again below this many; 0 means none."},
	},
	children: []*schemaBlock{schemaCheck},
	example: `real_server "192.0.2.11:80" {
  weight          = 2
  upper_threshold = 1000
  lower_threshold = 800
  check "tcp" {}
}
`,
}

var schemaCheck = &schemaBlock{
	name: "check", label: "type", labelExample: CheckTCP, multiple: true,
	doc: "A health check of the real server; the label is its type: `tcp`, `http`, `script`, `udp` or `dns`. " +
		"Every type takes the attributes below; the types add their own. The timing attributes default to " +
		"the virtual server's `check_defaults`.",
	attrs: append([]schemaAttr{
		{name: "port", typ: typeNumber, def: "0", defDoc: "the real server's port", rng: "0..65535", example: "8080",
			doc: "Port to check, when not the real server's."},
		{name: "via_vip", typ: typeBool, def: "false", limits: "not with forwarding `nat`, a `fwmark` service, a `script` check or IPv6", example: "true",
			doc: "Send the check to the VIP through the real server's MAC address (DR) or tunnel (TUN), the way " +
				"client traffic arrives, which also proves the server accepts the VIP. `vigil run` gives each such " +
				"real server an IPVS firewall-mark service of its own (marks 0x76670000 and up, on master and backup) " +
				"and sets `accept_local=1` on the interface toward it, because the replies come from the VIP the " +
				"master holds."},
	}, timingSchema("the virtual server's `check_defaults`")...),
	variants: []*schemaBlock{schemaCheckTCP, schemaCheckHTTP, schemaCheckScript, schemaCheckUDP, schemaCheckDNS},
	example: `check "tcp" {
  port     = 8080
  interval = "1s"
  timeout  = "500ms"
}
`,
}

var schemaCheckTCP = &schemaBlock{
	name: "check", labelExample: CheckTCP,
	doc: "Passes when a TCP connection to the port is established (or, with `half_open`, when the port " +
		"answers a SYN with a SYN-ACK).",
	attrs: []schemaAttr{
		{name: "half_open", typ: typeBool, def: "false", limits: "IPv4, not with `via_vip`", example: "true",
			doc: "Send a SYN and count a SYN-ACK as healthy, a reset as refused (F5's tcp_half_open). The director's " +
				"kernel resets the half-open connection, so the server never accepts one. It proves a listening " +
				"socket, not an application that accepts; in exchange a check costs about half the CPU of a connect " +
				"on the director and no accept on the server. Needs CAP_NET_RAW; reserves 8 source ports."},
	},
	example: `check "tcp" {
  port = 443
}
`,
}

var schemaCheckHTTP = &schemaBlock{
	name: "check", labelExample: CheckHTTP,
	doc: "Passes when an HTTP(S) request is answered with an accepted status and, when asked for, a body " +
		"that matches. The answer may also set the server's weight (`weight_header` or `weight_field`).",
	attrs: []schemaAttr{
		{name: "method", typ: typeString, def: `"GET"`, allowed: []string{"GET", "HEAD"}, example: `"HEAD"`,
			doc: "Request method."},
		{name: "path", typ: typeString, def: `"/"`, limits: "starts with `/`", example: `"/health?full=1"`,
			doc: "Request path and query."},
		{name: "host", typ: typeString, defDoc: "the address checked", example: `"www.example.com"`,
			doc: "`Host` header of the request."},
		{name: "status", typ: typeList, def: `["200-299"]`, limits: "codes or ranges within 100..599",
			example: `["200", "301-302"]`, doc: "Accepted status codes: `\"200\"` or ranges such as `\"200-299\"`."},
		{name: "body_regex", typ: typeString, example: `"^OK"`, limits: "RE2 syntax",
			doc: "Regular expression the body must match; unset: the body is not checked."},
		{name: "body_sha256", typ: typeString, limits: "64 hexadecimal digits",
			example: `"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`,
			doc:     "SHA-256 the body must have; unset: not checked."},
		{name: "headers", typ: typeMap, example: `{ "X-Check" = "vigil" }`, doc: "Headers added to the request."},
		{name: "tls", typ: typeBool, def: "false", example: "true", doc: "Use HTTPS."},
		{name: "server_name", typ: typeString, defDoc: "the `host`; none without `host`", needs: []string{"tls = true"},
			limits: "needs `tls = true`", example: `"www.example.com"`, doc: "TLS server name (SNI), also the name verified."},
		{name: "verify", typ: typeBool, def: "false", needs: []string{"tls = true"}, limits: "needs `tls = true`", example: "true",
			doc: "Verify the server certificate. Off by default: a health check asks whether the server answers, not who it is."},
		{name: "weight_header", typ: typeString, limits: "not with `weight_field`", example: `"X-Weight"`,
			doc: "Response header that carries the server's weight (dynamic weight)."},
		{name: "weight_field", typ: typeString, limits: "not with `weight_header`", example: `"weight"`,
			doc: "Top-level field of a JSON body that carries the server's weight (dynamic weight)."},
		{name: "max_weight", typ: typeNumber, def: "65535", rng: "1..65535", needs: []string{`weight_header = "X-Weight"`},
			limits: "needs `weight_header` or `weight_field`", example: "100", doc: "Cap on a weight the server reports."},
	},
	example: `check "http" {
  path        = "/health"
  status      = ["200", "204"]
  body_regex  = "^OK"
  tls         = true
  server_name = "www.example.com"
}
`,
}

var schemaCheckScript = &schemaBlock{
	name: "check", labelExample: CheckScript,
	doc:     "Runs a command: exit status 0 passes, anything else fails.",
	minimal: []string{`command = ["/usr/local/bin/check-app"]`},
	attrs: []schemaAttr{
		{name: "command", typ: typeCommand, required: true, example: `["/usr/local/bin/check-app", "192.0.2.11"]`,
			doc: "The program and its arguments, run without a shell; the program is an absolute path."},
		{name: "env", typ: typeMap, example: `{ MODE = "strict" }`, doc: "Added to the command's environment."},
		{name: "dynamic_weight", typ: typeBool, def: "false", example: "true",
			doc: "Exit status 2..255 also passes and sets the weight to the status minus 2."},
	},
	example: `check "script" {
  command = ["/usr/local/bin/check-app", "192.0.2.11"]
  env     = { MODE = "strict" }
}
`,
}

var schemaCheckUDP = &schemaBlock{
	name: "check", labelExample: CheckUDP,
	doc: "Sends a datagram and passes when a reply arrives that starts with the expected bytes (any reply " +
		"when none are expected). The `_hex` forms take hexadecimal for binary protocols.",
	attrs: []schemaAttr{
		{name: "payload", typ: typeString, limits: "not with `payload_hex`", example: `"ping"`,
			doc: "Datagram to send, as text."},
		{name: "payload_hex", typ: typeString, limits: "pairs of hex digits, spaces allowed; not with `payload`",
			example: `"00 01 ff"`, doc: "Datagram to send, in hexadecimal."},
		{name: "expect", typ: typeString, limits: "not with `expect_hex`", example: `"pong"`,
			doc: "Bytes the reply must start with, as text."},
		{name: "expect_hex", typ: typeString, limits: "pairs of hex digits, spaces allowed; not with `expect`",
			example: `"00 02"`, doc: "Bytes the reply must start with, in hexadecimal."},
	},
	example: `check "udp" {
  payload = "ping"
  expect  = "pong"
}
`,
}

var schemaCheckDNS = &schemaBlock{
	name: "check", labelExample: CheckDNS,
	doc:     "Sends a DNS query and passes on an answer with NOERROR and at least one record.",
	minimal: []string{`name = "example.com."`},
	attrs: []schemaAttr{
		{name: "name", typ: typeString, required: true, example: `"www.example.com."`, doc: "Name to query."},
		{name: "type", typ: typeString, def: `"A"`, allowed: DNSTypes, limits: "case does not matter", example: `"AAAA"`,
			doc: "Record type to query."},
	},
	example: `check "dns" {
  name = "www.example.com."
  type = "AAAA"
}
`,
}
