package config

import (
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// defaultGlobal is the global block of a file that has none.
func defaultGlobal() Global {
	return Global{
		ControlSocket: DefaultControlSocket,
		MetricsListen: DefaultMetricsListen,
		LogFormat:     "text",
		LogLevel:      "info",
		StateFile:     DefaultStateFile,
		Notify:        Notify{Timeout: DefaultNotifyTimeout},
		CheckDefaults: CheckTiming{
			Interval:   2 * time.Second,
			Timeout:    time.Second,
			Rise:       2,
			Fall:       2,
			RetryDelay: time.Second,
		},
	}
}

// decodeGlobal decodes the `global` block.
func (d *decoder) decodeGlobal(b *hcl.Block) Global {
	g := defaultGlobal()
	s := d.open(b.Body, "global", b.DefRange,
		[]string{"router_id", "control_socket", "metrics_listen", "log_format", "log_level", "state_file"},
		block("realtime"), block("notify"), block("check_defaults"))
	s.str("router_id", &g.RouterID)
	if s.str("control_socket", &g.ControlSocket) && !filepath.IsAbs(g.ControlSocket) {
		s.fail(s.rng("control_socket"), "", "control_socket %q is not an absolute path", g.ControlSocket)
	}
	if s.str("metrics_listen", &g.MetricsListen) && g.MetricsListen != "" {
		if msg := checkListen(g.MetricsListen); msg != "" {
			s.fail(s.rng("metrics_listen"), `Write "host:port", such as "127.0.0.1:9650" or "[::1]:9650"; "" disables the endpoint.`,
				"metrics_listen %q %s", g.MetricsListen, msg)
		}
	}
	s.oneOf("log_format", &g.LogFormat, "text", "json")
	s.oneOf("log_level", &g.LogLevel, "debug", "info", "warn", "error")
	if s.str("state_file", &g.StateFile) && g.StateFile != "" && !filepath.IsAbs(g.StateFile) {
		s.fail(s.rng("state_file"), `"" disables the state file.`, "state_file %q is not an absolute path", g.StateFile)
	}
	if rb := s.single("realtime"); rb != nil {
		rs := d.open(rb.Body, "global realtime", rb.DefRange, []string{"sched_priority", "lock_memory"})
		rs.integer("sched_priority", &g.Realtime.SchedPriority, 0, 99)
		rs.boolean("lock_memory", &g.Realtime.LockMemory)
	}
	if nb := s.single("notify"); nb != nil {
		g.Notify = d.decodeNotify(nb, "global notify", g.Notify)
	}
	if cb := s.single("check_defaults"); cb != nil {
		g.CheckDefaults = d.decodeTiming(cb, "global check_defaults", g.CheckDefaults, nil)
	}
	return g
}

// checkListen reports what is wrong with a host:port listen address, or "".
func checkListen(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "is not host:port"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "has an invalid port"
	}
	return ""
}

// notifyAttrs are the attributes of a notify block.
var notifyAttrs = []string{"command", "master", "backup", "fault", "stop", "timeout"}

// decodeNotify overlays a notify block on base (the inherited one).
func (d *decoder) decodeNotify(b *hcl.Block, what string, base Notify) Notify {
	n := base
	s := d.open(b.Body, what, b.DefRange, notifyAttrs)
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{"command", &n.Command}, {"master", &n.Master}, {"backup", &n.Backup}, {"fault", &n.Fault}, {"stop", &n.Stop}} {
		argv, _, ok := s.strings(f.name)
		if !ok {
			continue
		}
		if msg := checkCommand(argv); msg != "" {
			s.fail(s.rng(f.name), "Commands are executed without a shell: [\"/path/to/program\", \"arg\", ...].", "%s: %s", f.name, msg)
			continue
		}
		*f.dst = argv
	}
	s.duration("timeout", &n.Timeout, time.Millisecond, time.Hour)
	return n
}

// timingAttrs are the attributes of check_defaults and common to all checks.
var timingAttrs = []string{"interval", "timeout", "rise", "fall", "retry_delay", "warmup"}

// decodeTiming overlays the timing attributes of a block on base. When s
// is nil the block is opened with only the timing attributes.
func (d *decoder) decodeTiming(b *hcl.Block, what string, base CheckTiming, s *section) CheckTiming {
	if s == nil {
		s = d.open(b.Body, what, b.DefRange, timingAttrs)
	}
	t := base
	s.duration("interval", &t.Interval, 10*time.Millisecond, 24*time.Hour)
	s.duration("timeout", &t.Timeout, time.Millisecond, 24*time.Hour)
	s.integer("rise", &t.Rise, 1, 1000)
	s.integer("fall", &t.Fall, 1, 1000)
	s.duration("retry_delay", &t.RetryDelay, 10*time.Millisecond, 24*time.Hour)
	s.duration("warmup", &t.Warmup, 0, 24*time.Hour)
	// Only a block that sets one of the two can be wrong: inherited values
	// were checked where they were written, and reporting them again for
	// every check would bury the one real error.
	if t.Timeout > t.Interval && (s.has("timeout") || s.has("interval")) {
		rng := s.rng("interval")
		if s.has("timeout") {
			rng = s.rng("timeout")
		}
		s.fail(rng, "A check must finish before the next one starts; lower the timeout or raise the interval.",
			"timeout %s is longer than the interval %s", t.Timeout, t.Interval)
	}
	return t
}
