package config

import (
	"encoding/hex"
	"io"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// HCL renders the effective configuration: every block with every default
// filled in, in a fixed order. Parsing the result yields an equal Config,
// which is what `vigil validate` shows and what fingerprints are made of.
func (c *Config) HCL() []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	writeGlobal(body.AppendNewBlock("global", nil).Body(), &c.Global)
	for i := range c.Scripts {
		body.AppendNewline()
		writeScript(body, &c.Scripts[i])
	}
	for i := range c.Instances {
		body.AppendNewline()
		writeInstance(body, &c.Instances[i])
	}
	for i := range c.VirtualServers {
		body.AppendNewline()
		writeVirtualServer(body, &c.VirtualServers[i])
	}
	return f.Bytes()
}

// WriteHCL writes c.HCL() to w.
func (c *Config) WriteHCL(w io.Writer) error {
	_, err := w.Write(c.HCL())
	return err
}

func str(s string) cty.Value        { return cty.StringVal(s) }
func num(n int) cty.Value           { return cty.NumberIntVal(int64(n)) }
func dur(d time.Duration) cty.Value { return cty.StringVal(d.String()) }
func setStr(b *hclwrite.Body, name, s string) {
	if s != "" {
		b.SetAttributeValue(name, str(s))
	}
}

// list renders a list of strings; callers skip empty lists.
func list(items []string) cty.Value {
	vals := make([]cty.Value, len(items))
	for i, s := range items {
		vals[i] = str(s)
	}
	return cty.ListVal(vals)
}

func setList(b *hclwrite.Body, name string, items []string) {
	if len(items) > 0 {
		b.SetAttributeValue(name, list(items))
	}
}

func setMap(b *hclwrite.Body, name string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	vals := map[string]cty.Value{}
	for k, v := range m {
		vals[k] = str(v)
	}
	b.SetAttributeValue(name, cty.MapVal(vals))
}

// stringsOf renders addresses and status ranges for a list attribute.
func stringsOf[T interface{ String() string }](items []T) []string {
	out := make([]string, len(items))
	for i, a := range items {
		out[i] = a.String()
	}
	return out
}

func writeGlobal(b *hclwrite.Body, g *Global) {
	setStr(b, "router_id", g.RouterID)
	b.SetAttributeValue("control_socket", str(g.ControlSocket))
	b.SetAttributeValue("metrics_listen", str(g.MetricsListen))
	b.SetAttributeValue("log_format", str(g.LogFormat))
	b.SetAttributeValue("log_level", str(g.LogLevel))
	b.SetAttributeValue("state_file", str(g.StateFile))
	rt := b.AppendNewBlock("realtime", nil).Body()
	rt.SetAttributeValue("sched_priority", num(g.Realtime.SchedPriority))
	rt.SetAttributeValue("lock_memory", cty.BoolVal(g.Realtime.LockMemory))
	writeNotify(b, &g.Notify)
	writeTiming(b.AppendNewBlock("check_defaults", nil).Body(), &g.CheckDefaults)
}

func writeNotify(parent *hclwrite.Body, n *Notify) {
	b := parent.AppendNewBlock("notify", nil).Body()
	setList(b, "command", n.Command)
	setList(b, "master", n.Master)
	setList(b, "backup", n.Backup)
	setList(b, "fault", n.Fault)
	setList(b, "stop", n.Stop)
	b.SetAttributeValue("timeout", dur(n.Timeout))
}

func writeTiming(b *hclwrite.Body, t *CheckTiming) {
	b.SetAttributeValue("interval", dur(t.Interval))
	b.SetAttributeValue("timeout", dur(t.Timeout))
	b.SetAttributeValue("rise", num(t.Rise))
	b.SetAttributeValue("fall", num(t.Fall))
	b.SetAttributeValue("retry_delay", dur(t.RetryDelay))
	b.SetAttributeValue("warmup", dur(t.Warmup))
}

func writeScript(parent *hclwrite.Body, s *VRRPScript) {
	b := parent.AppendNewBlock("vrrp_script", []string{s.Name}).Body()
	b.SetAttributeValue("command", list(s.Command))
	b.SetAttributeValue("interval", dur(s.Interval))
	b.SetAttributeValue("timeout", dur(s.Timeout))
	b.SetAttributeValue("rise", num(s.Rise))
	b.SetAttributeValue("fall", num(s.Fall))
	b.SetAttributeValue("weight", num(s.Weight))
}

func writeInstance(parent *hclwrite.Body, in *VRRPInstance) {
	b := parent.AppendNewBlock("vrrp_instance", []string{in.Name}).Body()
	b.SetAttributeValue("interface", str(in.Interface))
	b.SetAttributeValue("vrid", num(int(in.VRID)))
	b.SetAttributeValue("priority", num(int(in.Priority)))
	b.SetAttributeValue("version", num(in.Version))
	b.SetAttributeValue("advert_interval", dur(in.AdvertInterval))
	b.SetAttributeValue("preempt", cty.BoolVal(in.Preempt))
	b.SetAttributeValue("preempt_delay", dur(in.PreemptDelay))
	if in.SourceAddress.IsValid() {
		b.SetAttributeValue("source_address", str(in.SourceAddress.String()))
	}
	setList(b, "unicast_peers", stringsOf(in.UnicastPeers))
	b.SetAttributeValue("use_vmac", cty.BoolVal(in.UseVMAC))
	b.SetAttributeValue("arp_probe_interval", dur(in.ARPProbeInterval))
	b.SetAttributeValue("ipvs_follow", str(in.IPVSFollow))
	writeVIPs(b, in.VIPs)
	garp := b.AppendNewBlock("garp", nil).Body()
	garp.SetAttributeValue("master_repeat", num(in.GARP.MasterRepeat))
	garp.SetAttributeValue("master_delay", dur(in.GARP.MasterDelay))
	garp.SetAttributeValue("master_refresh", dur(in.GARP.MasterRefresh))
	for _, t := range in.TrackInterfaces {
		tb := b.AppendNewBlock("track_interface", nil).Body()
		tb.SetAttributeValue("name", str(t.Name))
		tb.SetAttributeValue("weight", num(t.Weight))
	}
	for _, t := range in.TrackScripts {
		tb := b.AppendNewBlock("track_script", nil).Body()
		tb.SetAttributeValue("script", str(t.Name))
		tb.SetAttributeValue("weight", num(t.Weight))
	}
	writeNotify(b, &in.Notify)
	if sd := in.SyncDaemon; sd != nil {
		sb := b.AppendNewBlock("sync_daemon", nil).Body()
		sb.SetAttributeValue("interface", str(sd.Interface))
		sb.SetAttributeValue("sync_id", num(sd.SyncID))
	}
}

// writeVIPs uses the list form unless a VIP has a label; then every VIP is a
// block, which keeps the order the VIPs had.
func writeVIPs(b *hclwrite.Body, vips []VIP) {
	labelled := false
	for _, v := range vips {
		labelled = labelled || v.Label != ""
	}
	if !labelled {
		texts := make([]string, len(vips))
		for i, v := range vips {
			texts[i] = v.Prefix.String()
		}
		setList(b, "virtual_ipaddresses", texts)
		return
	}
	for _, v := range vips {
		vb := b.AppendNewBlock("virtual_ipaddress", nil).Body()
		vb.SetAttributeValue("address", str(v.Prefix.String()))
		setStr(vb, "label", v.Label)
	}
}

func writeVirtualServer(parent *hclwrite.Body, vs *VirtualServer) {
	b := parent.AppendNewBlock("virtual_server", []string{vs.Name}).Body()
	if vs.FWMark != 0 {
		b.SetAttributeValue("fwmark", cty.NumberUIntVal(uint64(vs.FWMark)))
		b.SetAttributeValue("family", str(vs.Family))
	} else {
		b.SetAttributeValue("address", str(vs.Address.String()))
		b.SetAttributeValue("protocol", str(vs.Protocol))
	}
	b.SetAttributeValue("scheduler", str(vs.Scheduler))
	setList(b, "scheduler_flags", vs.SchedulerFlags)
	b.SetAttributeValue("forwarding", str(vs.Forwarding))
	setStr(b, "vrrp_instance", vs.VRRPInstance)
	b.SetAttributeValue("quorum", num(vs.Quorum))
	if vs.SorryServer.IsValid() {
		b.SetAttributeValue("sorry_server", str(vs.SorryServer.String()))
	}
	b.SetAttributeValue("on_failure", str(vs.OnFailure))
	if p := vs.Persistence; p != nil {
		pb := b.AppendNewBlock("persistence", nil).Body()
		pb.SetAttributeValue("timeout", dur(p.Timeout))
		pb.SetAttributeValue("netmask", num(p.Netmask))
	}
	writeTiming(b.AppendNewBlock("check_defaults", nil).Body(), &vs.CheckDefaults)
	for i := range vs.RealServers {
		writeRealServer(b, &vs.RealServers[i])
	}
}

func writeRealServer(parent *hclwrite.Body, rs *RealServer) {
	b := parent.AppendNewBlock("real_server", []string{rs.Address.String()}).Body()
	b.SetAttributeValue("weight", num(rs.Weight))
	b.SetAttributeValue("upper_threshold", num(rs.UpperThreshold))
	b.SetAttributeValue("lower_threshold", num(rs.LowerThreshold))
	for i := range rs.Checks {
		writeCheck(b, &rs.Checks[i])
	}
}

func writeCheck(parent *hclwrite.Body, c *Check) {
	b := parent.AppendNewBlock("check", []string{c.Type}).Body()
	writeTiming(b, &c.Timing)
	b.SetAttributeValue("port", num(c.Port))
	b.SetAttributeValue("via_vip", cty.BoolVal(c.ViaVIP))
	if c.Type == CheckTCP {
		b.SetAttributeValue("half_open", cty.BoolVal(c.HalfOpen))
	}
	switch {
	case c.HTTP != nil:
		writeHTTPCheck(b, c.HTTP)
	case c.Script != nil:
		b.SetAttributeValue("command", list(c.Script.Command))
		setMap(b, "env", c.Script.Env)
		b.SetAttributeValue("dynamic_weight", cty.BoolVal(c.Script.DynamicWeight))
	case c.UDP != nil:
		setBytes(b, "payload", c.UDP.Payload)
		setBytes(b, "expect", c.UDP.Expect)
	case c.DNS != nil:
		b.SetAttributeValue("name", str(c.DNS.Name))
		b.SetAttributeValue("type", str(c.DNS.Type))
	}
}

func writeHTTPCheck(b *hclwrite.Body, h *HTTPCheck) {
	b.SetAttributeValue("method", str(h.Method))
	b.SetAttributeValue("path", str(h.Path))
	setStr(b, "host", h.Host)
	b.SetAttributeValue("status", list(stringsOf(h.Status)))
	setStr(b, "body_regex", h.BodyRegex)
	setStr(b, "body_sha256", h.BodySHA256)
	setMap(b, "headers", h.Headers)
	b.SetAttributeValue("tls", cty.BoolVal(h.TLS))
	if h.TLS {
		setStr(b, "server_name", h.ServerName)
		b.SetAttributeValue("verify", cty.BoolVal(h.Verify))
	}
	setStr(b, "weight_header", h.WeightHeader)
	setStr(b, "weight_field", h.WeightField)
	if h.MaxWeight != 0 {
		b.SetAttributeValue("max_weight", num(h.MaxWeight))
	}
}

// setBytes writes text when the bytes are valid UTF-8 and hex otherwise.
func setBytes(b *hclwrite.Body, name string, data []byte) {
	switch {
	case len(data) == 0:
	case utf8.Valid(data):
		b.SetAttributeValue(name, str(string(data)))
	default:
		b.SetAttributeValue(name+"_hex", str(hex.EncodeToString(data)))
	}
}
