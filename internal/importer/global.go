package importer

import (
	"fmt"
	"time"
)

// globalDefs are the settings of global_defs that other blocks inherit.
type globalDefs struct {
	vrrpVersion int // keepalived's default VRRP version, 2 unless vrrp_version says otherwise
	garp        garpSettings
	minGarp     bool
	syncd       *syncDaemon
	realtime    *node // the realtime block of the vigil global block, once created
}

// garpSettings are gratuitous ARP settings; a nil field is not set.
type garpSettings struct {
	delay   *time.Duration
	repeat  *int64
	refresh *time.Duration
}

// syncDaemon is a global lvs_sync_daemon, attached to its instance later.
type syncDaemon struct {
	st       *stmt
	ifname   string
	instance string
	syncID   int64 // -1: the default (the VRID)
}

// globalDefs converts one global_defs block into the vigil global block g.
func (c *converter) globalDefs(st *stmt, g *node) {
	gd := &c.global
	for _, ch := range st.block {
		switch ch.key() {
		case "router_id":
			if c.wantArgs(ch, 1, g) {
				g.attr(origin(ch), "router_id", hclString(ch.arg(1)))
			}
		case "vrrp_version":
			if n, ok := parseInt(ch.arg(1), 2, 3); ok {
				gd.vrrpVersion = int(n)
				note(g, fmt.Sprintf("vrrp_version %d (%s) is written into every vrrp_instance", n, c.where(ch.pos)))
			} else {
				c.skip(ch, g, "the version is not 2 or 3")
			}
		case "vrrp_garp_master_delay":
			if d, ok := parseTimer(ch.arg(1)); ok {
				gd.garp.delay = &d
			} else {
				c.skip(ch, g, "not a number of seconds")
			}
		case "vrrp_garp_master_repeat":
			if n, ok := parseInt(ch.arg(1), 0, 100); ok {
				gd.garp.repeat = &n
			} else {
				c.skip(ch, g, "not a number in 0..100 (vigil's limit)")
			}
		case "vrrp_garp_master_refresh":
			if d, ok := parseTimer(ch.arg(1)); ok {
				gd.garp.refresh = &d
			} else {
				c.skip(ch, g, "not a number of seconds")
			}
		case "vrrp_min_garp":
			if on, ok := parseBool(ch); ok {
				gd.minGarp = on
			} else {
				c.skip(ch, g, "not on/off/true/false/yes/no")
			}
		case "vrrp_rt_priority":
			if n, ok := parseInt(ch.arg(1), 1, 99); ok {
				c.realtime(ch, g).attr(origin(ch), "sched_priority", hclInt(n))
			} else {
				c.skip(ch, g, "not a priority in 1..99")
			}
		case "vrrp_no_swap", "checker_no_swap":
			c.realtime(ch, g).attr(origin(ch), "lock_memory", "true")
		case "lvs_sync_daemon":
			c.globalSyncDaemon(ch, g)
		case "notification_email", "notification_email_from", "smtp_server", "smtp_helo_name",
			"smtp_connect_timeout", "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker", "no_email_faults":
			c.skip(ch, g, "vigil sends no e-mail; use notify commands instead")
		case "enable_snmp_vrrp", "enable_snmp_checker", "enable_snmp_rfc", "enable_snmp_rfcv2",
			"enable_snmp_rfcv3", "enable_traps", "snmp_socket", "enable_snmp_keepalived":
			c.skip(ch, g, "vigil has no SNMP; it exports Prometheus metrics (metrics_listen)")
		case "script_user", "enable_script_security":
			c.skip(ch, g, "vigil runs commands as the daemon's user and has no script user")
		case "checker_rt_priority", "bfd_rt_priority":
			c.skip(ch, g, "vigil is one process; its real-time priority comes from vrrp_rt_priority")
		default:
			c.skip(ch, g, noEquivalent(ch))
		}
	}
}

// realtime returns the realtime block of the global block, creating it.
func (c *converter) realtime(st *stmt, g *node) *node {
	if c.global.realtime == nil {
		c.global.realtime = g.add(newBlock(origin(st), "realtime"))
	}
	return c.global.realtime
}

// globalSyncDaemon reads `lvs_sync_daemon IF [[inst] VI] [id N] ...`.
func (c *converter) globalSyncDaemon(st *stmt, g *node) {
	if !c.wantArgs(st, 1, g) {
		return
	}
	sd := &syncDaemon{st: st, ifname: st.arg(1), syncID: -1}
	for i := 2; i < len(st.words); i++ {
		switch w := st.words[i]; w {
		case "inst":
			if i+1 < len(st.words) {
				sd.instance = st.words[i+1]
				i++
			}
		case "id":
			n, ok := parseInt(st.arg(i+1), 0, 255)
			if !ok {
				c.skip(st, g, "the sync id is not in 0..255")
				return
			}
			sd.syncID = n
			i++
		case "maxlen", "port", "ttl", "group":
			c.skipAt(st.pos, "lvs_sync_daemon "+w, g, "vigil uses the kernel's default for "+w)
			i++
		default:
			if sd.instance == "" && i == 2 {
				sd.instance = w
			} else {
				c.skipAt(st.pos, "lvs_sync_daemon "+w, g, "unknown option")
			}
		}
	}
	if sd.instance == "" {
		c.skip(st, g, "vigil runs the sync daemon for one vrrp_instance (master while it is master); name the instance with `inst`")
		return
	}
	note(g, fmt.Sprintf("lvs_sync_daemon (%s) becomes the sync_daemon block of vrrp_instance %q", c.where(st.pos), sd.instance))
	c.global.syncd = sd
}

// finishGlobal applies the settings that take effect only once the whole
// global_defs is known: vrrp_min_garp changes only what is not set.
func (c *converter) finishGlobal() {
	gd := &c.global
	if gd.minGarp {
		zero, one := time.Duration(0), int64(1)
		if gd.garp.repeat == nil {
			gd.garp.repeat = &one
		}
		if gd.garp.delay == nil {
			gd.garp.delay = &zero
		}
		if gd.garp.refresh == nil {
			gd.garp.refresh = &zero
		}
	}
}
