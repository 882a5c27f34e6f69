package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// decodeScript decodes a `vrrp_script "name"` block.
func (d *decoder) decodeScript(b *hcl.Block) VRRPScript {
	sc := VRRPScript{Name: b.Labels[0], Interval: time.Second, Rise: 1, Fall: 1}
	s := d.open(b.Body, fmt.Sprintf("vrrp_script %q", sc.Name), b.DefRange,
		[]string{"command", "interval", "timeout", "rise", "fall", "weight"})
	if s.require("command") {
		if argv, _, ok := s.strings("command"); ok {
			if msg := checkCommand(argv); msg != "" {
				s.fail(s.rng("command"), "Commands are executed without a shell: [\"/path/to/program\", \"arg\", ...].", "command: %s", msg)
			}
			sc.Command = argv
		}
	}
	s.duration("interval", &sc.Interval, 10*time.Millisecond, 24*time.Hour)
	sc.Timeout = sc.Interval
	if s.duration("timeout", &sc.Timeout, time.Millisecond, 24*time.Hour) && sc.Timeout > sc.Interval {
		s.fail(s.rng("timeout"), "A run must finish before the next one starts.", "timeout %s is longer than the interval %s", sc.Timeout, sc.Interval)
	}
	s.integer("rise", &sc.Rise, 1, 1000)
	s.integer("fall", &sc.Fall, 1, 1000)
	s.integer("weight", &sc.Weight, -253, 253)
	return sc
}

// instanceSource keeps the ranges of an instance for the checks across blocks.
type instanceSource struct {
	inst      VRRPInstance
	sec       *section
	vipRanges []hcl.Range // parallel to inst.VIPs
	syncRange hcl.Range   // the sync_daemon block, if any
}

// instanceAttrs are the attributes of a vrrp_instance block.
var instanceAttrs = []string{
	"interface", "vrid", "priority", "version", "advert_interval", "preempt", "preempt_delay",
	"source_address", "unicast_peers", "virtual_ipaddresses", "use_vmac", "ipvs_follow", "arp_probe_interval",
}

// decodeInstance decodes a `vrrp_instance "name"` block. Checks that involve
// other instances are in checkInstances.
func (d *decoder) decodeInstance(b *hcl.Block, g Global, scripts map[string]*VRRPScript) *instanceSource {
	in := VRRPInstance{
		Name:           b.Labels[0],
		Priority:       100,
		Version:        3,
		AdvertInterval: time.Second,
		Preempt:        true,
		GARP:           GARP{MasterRepeat: 5, MasterDelay: time.Second},
		Notify:         g.Notify,
		IPVSFollow:     IPVSFollowMaster,
	}
	s := d.open(b.Body, fmt.Sprintf("vrrp_instance %q", in.Name), b.DefRange, instanceAttrs,
		block("virtual_ipaddress"), block("garp"), block("track_interface"), block("track_script"),
		block("notify"), block("sync_daemon"))
	src := &instanceSource{sec: s}

	if s.require("interface") && s.str("interface", &in.Interface) {
		if msg := checkIfName(in.Interface); msg != "" {
			s.fail(s.rng("interface"), "", "interface %q %s", in.Interface, msg)
		}
	}
	var n int
	if s.require("vrid") && s.integer("vrid", &n, 1, 255) {
		in.VRID = uint8(n)
	}
	if s.integer("priority", &n, 1, 255) {
		in.Priority = uint8(n)
	}
	if s.has("version") && s.integer("version", &n, 0, 1<<31) {
		if n != 2 && n != 3 {
			s.fail(s.rng("version"), "Version 3 (RFC 5798) is the default; version 2 (RFC 3768) is for old peers.", "version %d is not a VRRP version; use 2 or 3", n)
		} else {
			in.Version = n
		}
	}
	if s.duration("advert_interval", &in.AdvertInterval, 0, time.Hour) {
		if msg := checkAdvertInterval(in.AdvertInterval, in.Version); msg != "" {
			s.fail(s.rng("advert_interval"), "", "advert_interval %s %s", in.AdvertInterval, msg)
		}
	}
	s.boolean("preempt", &in.Preempt)
	s.duration("preempt_delay", &in.PreemptDelay, 0, 1000*time.Second)
	s.boolean("use_vmac", &in.UseVMAC)
	if s.duration("arp_probe_interval", &in.ARPProbeInterval, 0, time.Hour) {
		switch {
		case in.ARPProbeInterval > 0 && in.ARPProbeInterval < time.Second:
			s.fail(s.rng("arp_probe_interval"), "Use 0s to turn the probe off.", "arp_probe_interval %s is below 1s", in.ARPProbeInterval)
		}
	}
	s.oneOf("ipvs_follow", &in.IPVSFollow, IPVSFollowMaster, IPVSFollowAlways)

	d.decodeVIPs(s, &in, src)
	if in.ARPProbeInterval > 0 && in.Family == FamilyIPv6 {
		s.fail(s.rng("arp_probe_interval"), "", "arp_probe_interval needs IPv4 VIPs: IPv6 has no ARP problem")
	}
	d.decodePeers(s, &in)

	if gb := s.single("garp"); gb != nil {
		gs := d.open(gb.Body, s.what+" garp", gb.DefRange, []string{"master_repeat", "master_delay", "master_refresh"})
		gs.integer("master_repeat", &in.GARP.MasterRepeat, 0, 100)
		gs.duration("master_delay", &in.GARP.MasterDelay, 0, time.Hour)
		gs.duration("master_refresh", &in.GARP.MasterRefresh, 0, 24*time.Hour)
		if in.GARP.MasterRefresh > 0 && in.GARP.MasterRefresh < time.Second {
			gs.fail(gs.rng("master_refresh"), "0 turns the refresh off.", "master_refresh %s is shorter than 1s", in.GARP.MasterRefresh)
		}
	}
	d.decodeTracks(s, &in, scripts)
	if nb := s.single("notify"); nb != nil {
		in.Notify = d.decodeNotify(nb, s.what+" notify", g.Notify)
	}
	if sb := s.single("sync_daemon"); sb != nil {
		src.syncRange = sb.DefRange
		sd := &SyncDaemon{Interface: in.Interface, SyncID: int(in.VRID)}
		ss := d.open(sb.Body, s.what+" sync_daemon", sb.DefRange, []string{"interface", "sync_id"})
		if ss.str("interface", &sd.Interface) {
			if msg := checkIfName(sd.Interface); msg != "" {
				ss.fail(ss.rng("interface"), "", "interface %q %s", sd.Interface, msg)
			}
		}
		ss.integer("sync_id", &sd.SyncID, 0, 255)
		in.SyncDaemon = sd
	}
	src.inst = in
	return src
}

// checkAdvertInterval reports what is wrong with an interval for a VRRP
// version, or "". The wire format is 12 bits of centiseconds in version 3
// and 8 bits of seconds in version 2.
func checkAdvertInterval(iv time.Duration, version int) string {
	if version == 2 {
		if iv < time.Second || iv > 255*time.Second || iv%time.Second != 0 {
			return "is not valid for version 2: use whole seconds from 1s to 255s"
		}
		return ""
	}
	if iv < 10*time.Millisecond || iv > 4095*10*time.Millisecond || iv%(10*time.Millisecond) != 0 {
		return "is not valid for version 3: use a multiple of 10ms from 10ms to 40.95s"
	}
	return ""
}

// decodeVIPs reads virtual_ipaddresses and the virtual_ipaddress blocks and
// checks each address against the version, the family of the first VIP and
// the label rules.
func (d *decoder) decodeVIPs(s *section, in *VRRPInstance, src *instanceSource) {
	type raw struct {
		text, label string
		rng, lrng   hcl.Range
	}
	var raws []raw
	if texts, ranges, ok := s.strings("virtual_ipaddresses"); ok {
		for i, t := range texts {
			raws = append(raws, raw{text: t, rng: ranges[i]})
		}
	}
	for _, vb := range s.blocks("virtual_ipaddress") {
		vs := d.open(vb.Body, s.what+" virtual_ipaddress", vb.DefRange, []string{"address", "label"})
		var r raw
		if !vs.require("address") || !vs.str("address", &r.text) {
			continue
		}
		r.rng = vs.rng("address")
		if vs.str("label", &r.label) {
			r.lrng = vs.rng("label")
		}
		raws = append(raws, r)
	}
	if len(raws) == 0 {
		if !s.has("virtual_ipaddresses") {
			s.fail(s.def, `Add virtual_ipaddresses = ["192.0.2.10/24"] or a virtual_ipaddress block.`, "no virtual IP address")
		} else {
			s.fail(s.rng("virtual_ipaddresses"), "", "virtual_ipaddresses must not be empty")
		}
		in.Family = FamilyIPv4
		return
	}
	seen := map[netip.Addr]bool{}
	for _, r := range raws {
		p, msg := parseVIP(r.text)
		if msg != "" {
			s.fail(r.rng, "", "virtual IP %q %s", r.text, msg)
			continue
		}
		fam := familyOf(p.Addr())
		switch {
		case in.Family == "":
			in.Family = fam
		case fam != in.Family:
			s.fail(r.rng, "A VRRP instance speaks for one address family (RFC 5798); put the other family's VIPs in a second instance, which may use the same vrid.",
				"virtual IP %s is %s but the instance is %s", p, fam, in.Family)
			continue
		}
		if fam == FamilyIPv6 && in.Version == 2 {
			s.fail(r.rng, "VRRP version 2 carries IPv4 only; use version = 3.", "virtual IP %s is IPv6, which needs version 3", p)
			continue
		}
		if seen[p.Addr()] {
			s.fail(r.rng, "", "virtual IP %s is listed twice", p.Addr())
			continue
		}
		seen[p.Addr()] = true
		if r.label != "" {
			if msg := checkLabel(r.label, in, fam); msg != "" {
				s.fail(r.lrng, "", "label %q %s", r.label, msg)
				continue
			}
		}
		in.VIPs = append(in.VIPs, VIP{Prefix: p, Label: r.label})
		src.vipRanges = append(src.vipRanges, r.rng)
	}
	if in.Family == "" {
		in.Family = FamilyIPv4
	}
}

// checkLabel reports what is wrong with an address label, or "". The kernel
// requires an IPv4 label to start with the device name and fit IFNAMSIZ.
func checkLabel(label string, in *VRRPInstance, fam string) string {
	switch {
	case fam == FamilyIPv6:
		return "is not allowed on an IPv6 address (Linux labels IPv4 addresses only)"
	case in.UseVMAC:
		return "cannot be combined with use_vmac (the VIPs live on the vmac link)"
	case len(label) > 15:
		return "is longer than 15 characters (the kernel limit)"
	case label != in.Interface && !strings.HasPrefix(label, in.Interface+":"):
		return fmt.Sprintf("must be %q or start with %q", in.Interface, in.Interface+":")
	}
	return ""
}

// decodePeers reads source_address and unicast_peers; both must be of the
// instance's family.
func (d *decoder) decodePeers(s *section, in *VRRPInstance) {
	var text string
	if s.str("source_address", &text) {
		a, msg := parseHostAddr(text, true)
		switch {
		case msg != "":
			s.fail(s.rng("source_address"), "", "source_address %q %s", text, msg)
		case familyOf(a) != in.Family:
			s.fail(s.rng("source_address"), "", "source_address %s is not %s like the virtual IPs", a, in.Family)
		default:
			in.SourceAddress = a
		}
	}
	texts, ranges, _ := s.strings("unicast_peers")
	seen := map[netip.Addr]bool{}
	for i, t := range texts {
		a, msg := parseHostAddr(t, true)
		switch {
		case msg != "":
			s.fail(ranges[i], "", "unicast peer %q %s", t, msg)
		case familyOf(a) != in.Family:
			s.fail(ranges[i], "Adverts of an instance use one address family.", "unicast peer %s is not %s like the virtual IPs", a, in.Family)
		case seen[a]:
			s.fail(ranges[i], "", "unicast peer %s is listed twice", a)
		case a == in.SourceAddress:
			s.fail(ranges[i], "List the other directors only.", "unicast peer %s is the source_address", a)
		default:
			seen[a] = true
			in.UnicastPeers = append(in.UnicastPeers, a)
		}
	}
}

// decodeTracks reads the track_interface and track_script blocks.
func (d *decoder) decodeTracks(s *section, in *VRRPInstance, scripts map[string]*VRRPScript) {
	seenIf := map[string]bool{}
	for _, tb := range s.blocks("track_interface") {
		ts := d.open(tb.Body, s.what+" track_interface", tb.DefRange, []string{"name", "weight"})
		var t TrackInterface
		if !ts.require("name") || !ts.str("name", &t.Name) {
			continue
		}
		if msg := checkIfName(t.Name); msg != "" {
			ts.fail(ts.rng("name"), "", "name %q %s", t.Name, msg)
			continue
		}
		if seenIf[t.Name] {
			ts.fail(ts.rng("name"), "", "interface %q is tracked twice", t.Name)
			continue
		}
		seenIf[t.Name] = true
		ts.integer("weight", &t.Weight, -253, 253)
		in.TrackInterfaces = append(in.TrackInterfaces, t)
	}
	seenSc := map[string]bool{}
	for _, tb := range s.blocks("track_script") {
		ts := d.open(tb.Body, s.what+" track_script", tb.DefRange, []string{"script", "weight"})
		var t TrackScript
		if !ts.require("script") || !ts.str("script", &t.Name) {
			continue
		}
		sc := scripts[t.Name]
		if sc == nil {
			ts.fail(ts.rng("script"), "Define it with a vrrp_script block at the top level.", "no vrrp_script named %q", t.Name)
			continue
		}
		if seenSc[t.Name] {
			ts.fail(ts.rng("script"), "", "script %q is tracked twice", t.Name)
			continue
		}
		seenSc[t.Name] = true
		t.Script = *sc
		t.Weight = sc.Weight
		ts.integer("weight", &t.Weight, -253, 253)
		in.TrackScripts = append(in.TrackScripts, t)
	}
}

// checkInstances runs the checks that span instances: a VRID is unique per
// interface and family, a VIP belongs to one instance, one sync daemon,
// and (with Options.IsLocalAddress) the owner rule for priority 255.
func (d *decoder) checkInstances(insts []*instanceSource) {
	type vridKey struct {
		ifname, family string
		vrid           uint8
	}
	vrids := map[vridKey]*instanceSource{}
	vips := map[netip.Addr]*instanceSource{}
	var syncer *instanceSource
	for _, is := range insts {
		in, s := &is.inst, is.sec
		if in.VRID != 0 {
			k := vridKey{in.Interface, in.Family, in.VRID}
			if first := vrids[k]; first != nil {
				s.fail(s.rng("vrid"), fmt.Sprintf("vrrp_instance %q uses it at %s.", first.inst.Name, first.sec.rng("vrid")),
					"vrid %d is already used on interface %q (%s)", in.VRID, in.Interface, in.Family)
			} else {
				vrids[k] = is
			}
		}
		for i, v := range in.VIPs {
			if first := vips[v.Prefix.Addr()]; first != nil {
				s.fail(is.vipRanges[i], fmt.Sprintf("vrrp_instance %q has it too.", first.inst.Name),
					"virtual IP %s belongs to two instances", v.Prefix.Addr())
			} else {
				vips[v.Prefix.Addr()] = is
			}
		}
		if in.SyncDaemon != nil {
			if syncer != nil {
				s.fail(is.syncRange, fmt.Sprintf("vrrp_instance %q already has one; the kernel runs one IPVS sync daemon.", syncer.inst.Name),
					"only one instance may have a sync_daemon")
			} else {
				syncer = is
			}
		}
		if in.Priority == 255 && d.opts.IsLocalAddress != nil {
			for _, v := range in.VIPs {
				if !d.opts.IsLocalAddress(v.Prefix.Addr()) {
					s.fail(s.rng("priority"), "Priority 255 means this host owns every virtual IP as an ordinary address; use 1..254 otherwise.",
						"priority 255 but virtual IP %s is not an address of this host", v.Prefix.Addr())
					break
				}
			}
		}
	}
}
