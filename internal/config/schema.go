package config

// The schema table: every block and attribute of the configuration file with
// its type, default, limits, a description and an example. Reference renders
// it as docs/configuration.md; schema_test.go checks it against the decoder
// (the attributes and blocks it accepts, the defaults Parse fills in, the
// ranges and allowed values in its error messages), so the reference cannot
// drift from what vigil really reads.

// attrType is the type of an attribute as the reference names it.
type attrType string

// Attribute types. A duration is a string in Go syntax; a command is a list
// of strings whose first element is an absolute path.
const (
	typeString   attrType = "string"
	typeDuration attrType = "duration"
	typeNumber   attrType = "number"
	typeBool     attrType = "bool"
	typeList     attrType = "list of strings"
	typeCommand  attrType = "command"
	typeMap      attrType = "map of strings"
	typePorts    attrType = "list of ports"
)

// schemaBlock is one kind of block.
type schemaBlock struct {
	// name is the block type as written in the file.
	name string
	// label names the block's label in the reference ("name"); "" when the
	// block has none.
	label string
	// labelExample is the label used by the tests' minimal files; for a
	// variant it is the variant itself ("http").
	labelExample string
	// multiple is true when a parent may hold several blocks of this kind.
	multiple bool
	// doc describes the block (Markdown).
	doc string
	// minimal are the attribute lines ("name = value") a block of this kind
	// needs to be valid in the tests' minimal files.
	minimal []string
	// attrs are the block's attributes in reference order.
	attrs []schemaAttr
	// variants are the kinds of a block whose label selects more attributes
	// (check "tcp", check "http", ...); each adds its attrs to this block's.
	variants []*schemaBlock
	// children are the nested blocks in reference order.
	children []*schemaBlock
	// example is one complete block of this kind in HCL; the tests parse it.
	example string
}

// schemaAttr is one attribute of a block.
type schemaAttr struct {
	name string
	typ  attrType
	// required: the block is invalid without it.
	required bool
	// def is the value Parse fills in when the attribute is absent, as an
	// HCL expression; "" means the attribute stays unset.
	def string
	// defDoc describes the default when it depends on something else (an
	// inherited block, another attribute); the reference shows it instead
	// of def, and def is then the value in the tests' minimal file.
	defDoc string
	// allowed lists the only values accepted.
	allowed []string
	// rng is the accepted range "lo..hi" of a number or duration.
	rng string
	// limits describes limits that rng and allowed cannot express.
	limits string
	// needs are lines the attribute depends on ("tls = true").
	needs []string
	// excludes are attributes of the minimal block that cannot be combined
	// with this one.
	excludes []string
	// example is a valid value as an HCL expression.
	example string
	// doc describes the attribute (Markdown).
	doc string
}

// schemaRoot is the top level of the file.
var schemaRoot = &schemaBlock{
	doc: "The top level of the file holds only blocks. A real server's `realserver { }` block lives in its own file, read by `vigil realserver -config FILE` (see examples/realserver/realserver.hcl).",
	children: []*schemaBlock{
		schemaGlobal, schemaVRRPScript, schemaVRRPInstance, schemaVirtualServer,
	},
}

var schemaGlobal = &schemaBlock{
	name: "global",
	doc: "Settings of the daemon itself. A file without a `global` block gets every default. " +
		"Its `notify` and `check_defaults` blocks are inherited, attribute by attribute, by every " +
		"`vrrp_instance` and `virtual_server`.",
	attrs: []schemaAttr{
		{name: "router_id", typ: typeString, defDoc: "the host name", example: `"lb1"`,
			doc: "Names this director in logs, metrics and the state file."},
		{name: "control_socket", typ: typeString, def: `"` + DefaultControlSocket + `"`, limits: "an absolute path",
			example: `"/run/vigil/vigil.sock"`,
			doc:     "Unix socket of the control interface used by `vigil status`, `maintenance`, `reload` and `garp`."},
		{name: "metrics_listen", typ: typeString, def: `"` + DefaultMetricsListen + `"`, limits: "`host:port`; `\"\"` disables the endpoint",
			example: `"[::1]:9650"`, doc: "Listen address of the Prometheus metrics endpoint (`/metrics`)."},
		{name: "log_format", typ: typeString, def: `"text"`, allowed: []string{"text", "json"}, example: `"json"`,
			doc: "Format of the log on standard error; `vigil run -log-format` overrides it."},
		{name: "log_level", typ: typeString, def: `"info"`, allowed: []string{"debug", "info", "warn", "error"}, example: `"debug"`,
			doc: "Least severe level logged; `vigil run -log-level` overrides it."},
		{name: "state_file", typ: typeString, def: `"` + DefaultStateFile + `"`, limits: "an absolute path; `\"\"` disables it",
			example: `""`, doc: "JSON file where the daemon keeps the current state of every instance for other tools."},
	},
	children: []*schemaBlock{schemaRealtime, schemaNotify(false), schemaCheckDefaults(false)},
	example: `global {
  router_id      = "lb1"
  metrics_listen = "[::1]:9650"
  log_format     = "json"
  realtime {
    sched_priority = 50
    lock_memory    = true
  }
  notify {
    command = ["/usr/local/bin/vigil-notify"]
  }
  check_defaults {
    interval = "5s"
    fall     = 3
  }
}
`,
}

var schemaRealtime = &schemaBlock{
	name: "realtime",
	doc: "Scheduling of the daemon. Adverts every 10 ms survive a loaded host only when the daemon is " +
		"neither paged out nor starved of CPU.",
	attrs: []schemaAttr{
		{name: "sched_priority", typ: typeNumber, def: "0", rng: "0..99", example: "50",
			doc: "`SCHED_FIFO` priority of the daemon; 0 keeps the normal scheduler."},
		{name: "lock_memory", typ: typeBool, def: "false", example: "true",
			doc: "Lock the daemon's memory with `mlockall(MCL_CURRENT|MCL_FUTURE)`."},
	},
	example: `realtime {
  sched_priority = 50
  lock_memory    = true
}
`,
}

// schemaNotify is the notify block of global (inherited false) or of a
// vrrp_instance (inherited true: the defaults come from global).
func schemaNotify(inherited bool) *schemaBlock {
	cmdDoc := func(what string) string {
		return "Command run " + what + ". Commands run without a shell; the first element is an absolute path."
	}
	b := &schemaBlock{
		name: "notify",
		doc: "Commands run on VRRP state transitions. They run in the background, each bounded by `timeout`; " +
			"a command that fails is logged and does not affect the transition.",
		attrs: []schemaAttr{
			{name: "command", typ: typeCommand, example: `["/usr/local/bin/vigil-notify", "--syslog"]`,
				doc: cmdDoc("on every transition") + " vigil appends two arguments: the instance name and the new state."},
			{name: "master", typ: typeCommand, example: `["/usr/local/bin/became", "master"]`, doc: cmdDoc("on becoming MASTER")},
			{name: "backup", typ: typeCommand, example: `["/usr/local/bin/became", "backup"]`, doc: cmdDoc("on becoming BACKUP")},
			{name: "fault", typ: typeCommand, example: `["/usr/local/bin/became", "fault"]`, doc: cmdDoc("on entering FAULT")},
			{name: "stop", typ: typeCommand, example: `["/usr/local/bin/became", "stop"]`, doc: cmdDoc("when the instance stops")},
			{name: "timeout", typ: typeDuration, def: `"10s"`, rng: "1ms..1h", example: `"3s"`,
				doc: "Longest run of one command; it is killed after that."},
		},
		example: `notify {
  master  = ["/usr/local/bin/became", "master"]
  fault   = ["/usr/local/bin/became", "fault"]
  timeout = "3s"
}
`,
	}
	if inherited {
		b.doc = "The instance's notify commands: the global `notify` block with the attributes set here replaced. " + b.doc
		for i := range b.attrs {
			b.attrs[i].defDoc = "global `notify`"
		}
	}
	return b
}

// timingSchema lists the check timing attributes; inherit names where their
// defaults come from ("" for the global check_defaults).
func timingSchema(inherit string) []schemaAttr {
	attrs := []schemaAttr{
		{name: "interval", typ: typeDuration, def: `"2s"`, rng: "10ms..24h", example: `"5s"`,
			doc: "Time between two checks of a real server."},
		{name: "timeout", typ: typeDuration, def: `"1s"`, rng: "1ms..24h", limits: "at most the interval", example: `"500ms"`,
			doc: "Longest wait for one check; a check that takes longer failed."},
		{name: "rise", typ: typeNumber, def: "2", rng: "1..1000", example: "3",
			doc: "Consecutive successes that make a failed server healthy."},
		{name: "fall", typ: typeNumber, def: "2", rng: "1..1000", example: "3",
			doc: "Consecutive failures that make a healthy server failed."},
		{name: "retry_delay", typ: typeDuration, def: `"1s"`, rng: "10ms..24h", example: `"500ms"`,
			doc: "Time between checks after a failure, while `fall` is not reached yet."},
		{name: "warmup", typ: typeDuration, def: `"0s"`, rng: "0s..24h", example: `"3s"`,
			doc: "Longest random delay before the first check, so that checks do not all start at once."},
	}
	if inherit != "" {
		for i := range attrs {
			attrs[i].defDoc = inherit
		}
	}
	return attrs
}

// schemaCheckDefaults is the check_defaults block of global (inVS false) or
// of a virtual_server.
func schemaCheckDefaults(inVS bool) *schemaBlock {
	b := &schemaBlock{
		name: "check_defaults",
		doc: "Health-check timing inherited, attribute by attribute, by the `virtual_server` `check_defaults` " +
			"blocks and from there by every `check`.",
		attrs: timingSchema(""),
		example: `check_defaults {
  interval = "5s"
  timeout  = "2s"
  fall     = 3
}
`,
	}
	if inVS {
		b.doc = "Health-check timing of this service's checks: the global `check_defaults` with the " +
			"attributes set here replaced. Each `check` may replace them again."
		b.attrs = timingSchema("global `check_defaults`")
	}
	return b
}
