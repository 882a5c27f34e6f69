package config

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Schedulers are the IPVS scheduler names accepted in `scheduler`.
var Schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf", "twos"}

// schedulerFlags maps each scheduler flag to the scheduler it belongs to.
var schedulerFlags = map[string]string{
	"sh-fallback": "sh", "sh-port": "sh",
	"mh-fallback": "mh", "mh-port": "mh",
}

// serverSource keeps the ranges of a virtual server for later checks.
type serverSource struct {
	vs  VirtualServer
	sec *section
}

// virtualServerAttrs are the attributes of a virtual_server block.
var virtualServerAttrs = []string{
	"address", "fwmark", "family", "protocol", "scheduler", "scheduler_flags", "forwarding",
	"vrrp_instance", "quorum", "sorry_server", "on_failure",
}

// decodeVirtualServer decodes a `virtual_server "name"` block.
func (d *decoder) decodeVirtualServer(b *hcl.Block, timing CheckTiming, insts map[string]*instanceSource) *serverSource {
	vs := VirtualServer{
		Name:       b.Labels[0],
		Protocol:   "tcp",
		Scheduler:  "wlc",
		Forwarding: "dr",
		OnFailure:  OnFailureInhibit,
		Family:     FamilyIPv4,
	}
	s := d.open(b.Body, fmt.Sprintf("virtual_server %q", vs.Name), b.DefRange, virtualServerAttrs,
		block("persistence"), block("check_defaults"), block("real_server", "address"))
	src := &serverSource{sec: s}

	d.decodeServiceKey(s, &vs)
	s.oneOf("scheduler", &vs.Scheduler, Schedulers...)
	if flags, ranges, ok := s.strings("scheduler_flags"); ok {
		for i, f := range flags {
			owner, known := schedulerFlags[f]
			switch {
			case !known:
				s.fail(ranges[i], "Valid flags: \"sh-fallback\", \"sh-port\", \"mh-fallback\", \"mh-port\".", "scheduler flag %q is not known", f)
			case owner != vs.Scheduler:
				s.fail(ranges[i], "", "scheduler flag %q needs scheduler %q, not %q", f, owner, vs.Scheduler)
			case slices.Contains(vs.SchedulerFlags, f):
				s.fail(ranges[i], "", "scheduler flag %q is listed twice", f)
			default:
				vs.SchedulerFlags = append(vs.SchedulerFlags, f)
			}
		}
	}
	s.oneOf("forwarding", &vs.Forwarding, "dr", "nat", "tun")
	s.oneOf("on_failure", &vs.OnFailure, OnFailureInhibit, OnFailureRemove)
	if pb := s.single("persistence"); pb != nil {
		vs.Persistence = d.decodePersistence(pb, s.what, vs.Family)
	}
	if vs.FWMark == 0 && vs.Address.IsValid() && vs.Address.Port() == 0 && vs.Persistence == nil {
		s.fail(s.rng("address"), "Port 0 (all ports) needs a persistence block.", "address %s has port 0", vs.Address)
	}
	if s.str("vrrp_instance", &vs.VRRPInstance) {
		d.checkFollowed(s, &vs, insts)
	}
	vs.CheckDefaults = timing
	if cb := s.single("check_defaults"); cb != nil {
		vs.CheckDefaults = d.decodeTiming(cb, s.what+" check_defaults", timing, nil)
	}

	seen := map[netip.AddrPort]bool{}
	for _, rb := range s.blocks("real_server") {
		rs, ok := d.decodeRealServer(rb, s, &vs)
		if !ok {
			continue
		}
		if seen[rs.Address] {
			d.errorAt(rb.LabelRanges[0], fmt.Sprintf("%s: real_server %s is listed twice", s.what, rs.Address), "")
			continue
		}
		seen[rs.Address] = true
		vs.RealServers = append(vs.RealServers, rs)
	}

	vs.Quorum = min(1, len(vs.RealServers))
	s.integer("quorum", &vs.Quorum, 0, int64(len(vs.RealServers)))
	var text string
	if s.str("sorry_server", &text) {
		ap, msg := parseAddrPort(text)
		if msg == "" {
			msg = checkBackend(&vs, ap)
		}
		if msg != "" {
			s.fail(s.rng("sorry_server"), "", "sorry_server %q %s", text, msg)
		} else {
			vs.SorryServer = ap
		}
	}
	src.vs = vs
	return src
}

// decodeServiceKey reads address or fwmark (exactly one), family and protocol.
func (d *decoder) decodeServiceKey(s *section, vs *VirtualServer) {
	if s.has("address") && s.has("fwmark") {
		// Reported once; the address is decoded anyway so that the real
		// servers are checked against it rather than against nothing.
		s.fail(s.rng("fwmark"), "A service is either address:port or a firewall mark.", "address and fwmark are mutually exclusive")
	}
	switch {
	case !s.has("address") && !s.has("fwmark"):
		s.fail(s.def, `Add address = "192.0.2.10:80" or fwmark = 1.`, "address or fwmark is required")
	case s.has("address"):
		var text string
		if s.str("address", &text) {
			ap, msg := parseAddrPort(text)
			if msg != "" {
				s.fail(s.rng("address"), "", "address %q %s", text, msg)
			} else {
				vs.Address = ap
				vs.Family = familyOf(ap.Addr())
			}
		}
		if s.has("family") {
			s.fail(s.rng("family"), "The family follows from the address.", "family is only for fwmark services")
		}
	default:
		var mark int
		if s.integer("fwmark", &mark, 1, 1<<32-1) {
			vs.FWMark = uint32(mark)
			if ProbeMarkReserved(vs.FWMark) {
				s.fail(s.rng("fwmark"), fmt.Sprintf("Marks 0x%08x to 0x%08x are vigil's own: via_vip checks use them.", ProbeMarkBase, ProbeMarkBase+ProbeMarkCount-1),
					"fwmark %d is reserved", mark)
			}
		}
		s.oneOf("family", &vs.Family, FamilyIPv4, FamilyIPv6)
	}
	if vs.FWMark != 0 || s.has("fwmark") && !s.has("address") {
		if s.has("protocol") {
			s.fail(s.rng("protocol"), "A fwmark service matches on the mark alone.", "protocol is not allowed with fwmark")
		}
		vs.Protocol = ""
		return
	}
	s.oneOf("protocol", &vs.Protocol, "tcp", "udp", "sctp")
}

// checkFollowed checks the vrrp_instance reference: it must exist and the
// service address must be one of its VIPs (or, for fwmark, of its family).
func (d *decoder) checkFollowed(s *section, vs *VirtualServer, insts map[string]*instanceSource) {
	is := insts[vs.VRRPInstance]
	if is == nil {
		s.fail(s.rng("vrrp_instance"), "Name a vrrp_instance block of this file.", "no vrrp_instance named %q", vs.VRRPInstance)
		return
	}
	if vs.FWMark != 0 {
		if is.inst.Family != vs.Family {
			s.fail(s.rng("vrrp_instance"), "", "vrrp_instance %q is %s but the service is %s", vs.VRRPInstance, is.inst.Family, vs.Family)
		}
		return
	}
	if !vs.Address.IsValid() {
		return
	}
	for _, v := range is.inst.VIPs {
		if v.Prefix.Addr() == vs.Address.Addr() {
			return
		}
	}
	s.fail(s.rng("address"), fmt.Sprintf("The service follows vrrp_instance %q, so its address must be one of that instance's virtual IPs.", vs.VRRPInstance),
		"address %s is not a virtual IP of vrrp_instance %q", vs.Address.Addr(), vs.VRRPInstance)
}

// checkBackend reports what is wrong with a real or sorry server address for
// this service, or "". DR and TUN forward the packet unchanged, so the port
// must be the service port; only TUN may cross address families.
func checkBackend(vs *VirtualServer, ap netip.AddrPort) string {
	if !vs.Address.IsValid() && vs.FWMark == 0 {
		return "" // the service key is invalid and already reported
	}
	if vs.Forwarding != "tun" && familyOf(ap.Addr()) != vs.Family {
		return fmt.Sprintf("is not %s like the service (only forwarding \"tun\" may mix families)", vs.Family)
	}
	if vs.Forwarding != "nat" && vs.FWMark == 0 && vs.Address.IsValid() && ap.Port() != vs.Address.Port() {
		return fmt.Sprintf("has port %d but the service port is %d; forwarding %q cannot change ports (only \"nat\" can)",
			ap.Port(), vs.Address.Port(), vs.Forwarding)
	}
	return ""
}

// decodePersistence decodes a persistence block of a service of family fam.
func (d *decoder) decodePersistence(b *hcl.Block, what, fam string) *Persistence {
	p := &Persistence{Timeout: 300 * time.Second, Netmask: 32}
	if fam == FamilyIPv6 {
		p.Netmask = 128
	}
	s := d.open(b.Body, what+" persistence", b.DefRange, []string{"timeout", "netmask"})
	if s.duration("timeout", &p.Timeout, time.Second, (1<<31-1)*time.Second) && p.Timeout%time.Second != 0 {
		s.fail(s.rng("timeout"), "IPVS counts the persistence timeout in seconds.", "timeout %s is not a whole number of seconds", p.Timeout)
	}
	s.integer("netmask", &p.Netmask, 0, int64(p.Netmask))
	return p
}

// decodeRealServer decodes a `real_server "addr:port"` block of vs.
func (d *decoder) decodeRealServer(b *hcl.Block, parent *section, vs *VirtualServer) (RealServer, bool) {
	label := b.Labels[0]
	rs := RealServer{Weight: 1}
	ap, msg := parseAddrPort(label)
	if msg == "" {
		msg = checkBackend(vs, ap)
	}
	if msg != "" {
		d.errorAt(b.LabelRanges[0], fmt.Sprintf("%s: real_server %q %s", parent.what, label, msg), "")
		return rs, false
	}
	rs.Address = ap
	s := d.open(b.Body, fmt.Sprintf("%s real_server %q", parent.what, label), b.DefRange,
		[]string{"weight", "upper_threshold", "lower_threshold"}, block("check", "type"))
	s.integer("weight", &rs.Weight, 0, 65535)
	s.integer("upper_threshold", &rs.UpperThreshold, 0, 1<<31-1)
	if s.integer("lower_threshold", &rs.LowerThreshold, 0, 1<<31-1) && rs.LowerThreshold > 0 {
		switch {
		case rs.UpperThreshold == 0:
			s.fail(s.rng("lower_threshold"), "The lower threshold re-enables a server that hit the upper one.", "lower_threshold needs upper_threshold")
		case rs.LowerThreshold > rs.UpperThreshold:
			s.fail(s.rng("lower_threshold"), "", "lower_threshold %d is above upper_threshold %d", rs.LowerThreshold, rs.UpperThreshold)
		}
	}
	for _, cb := range s.blocks("check") {
		if c, ok := d.decodeCheck(cb, s, vs, rs.Address); ok {
			rs.Checks = append(rs.Checks, c)
		}
	}
	return rs, true
}

// checkVirtualServers runs the checks that span services: one service per
// address and protocol, one per firewall mark, and a warning for a service
// on a VIP that does not say which instance it follows.
func (d *decoder) checkVirtualServers(servers []*serverSource, insts []*instanceSource) {
	type key struct {
		addr  netip.AddrPort
		proto string
		mark  uint32
	}
	seen := map[key]*serverSource{}
	for _, ss := range servers {
		vs, s := &ss.vs, ss.sec
		if !vs.Address.IsValid() && vs.FWMark == 0 {
			continue
		}
		k := key{vs.Address, vs.Protocol, vs.FWMark}
		if first := seen[k]; first != nil {
			rng := s.rng("address")
			if vs.FWMark != 0 {
				rng = s.rng("fwmark")
			}
			s.fail(rng, fmt.Sprintf("virtual_server %q defines the same service.", first.vs.Name), "the service is defined twice")
			continue
		}
		seen[k] = ss
		if vs.VRRPInstance != "" || !vs.Address.IsValid() {
			continue
		}
		for _, is := range insts {
			for _, v := range is.inst.VIPs {
				if v.Prefix.Addr() == vs.Address.Addr() {
					d.warnAt(s.rng("address"), fmt.Sprintf("%s: address %s is a virtual IP of vrrp_instance %q but vrrp_instance is not set", s.what, vs.Address.Addr(), is.inst.Name),
						fmt.Sprintf("Without vrrp_instance = %q the service is installed on every director, master or not.", is.inst.Name))
				}
			}
		}
	}
}
