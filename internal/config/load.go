package config

import (
	"cmp"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Options are checks that need knowledge of the host; the zero value skips them.
type Options struct {
	// IsLocalAddress reports whether addr is configured on this host as an
	// ordinary (non-VIP) address. When set, an instance with priority 255
	// (the address owner) is accepted only if every one of its VIPs is
	// local. When nil that check is skipped.
	IsLocalAddress func(addr netip.Addr) bool
}

// Load reads and parses the configuration file at path. See ParseWithOptions.
func Load(path string) (*Config, hcl.Diagnostics) {
	return LoadWithOptions(path, Options{})
}

// LoadWithOptions reads and parses the file at path with host checks.
func LoadWithOptions(path string, opts Options) (*Config, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "cannot read the configuration file",
			Detail:   err.Error(),
			Subject:  &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos},
		}}
	}
	return ParseWithOptions(src, path, opts)
}

// Parse parses src; filename is used in diagnostics. See ParseWithOptions.
func Parse(src []byte, filename string) (*Config, hcl.Diagnostics) {
	return ParseWithOptions(src, filename, Options{})
}

// ParseWithOptions parses src, fills in the defaults and validates the
// result. On any error it returns a nil Config; warnings come with a
// non-nil Config. Every diagnostic has a Subject range in filename.
func ParseWithOptions(src []byte, filename string, opts Options) (*Config, hcl.Diagnostics) {
	file, diags := hclparse.NewParser().ParseHCL(src, filename)
	if diags.HasErrors() {
		return nil, diags
	}
	d := &decoder{diags: diags, opts: opts}
	cfg := d.decodeFile(file.Body, hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos})
	if d.diags.HasErrors() {
		return nil, d.diags
	}
	return cfg, d.diags
}

// decodeFile decodes the top level: global first (it holds inherited
// defaults), then scripts, instances and virtual servers, each of which may
// refer to the ones before.
func (d *decoder) decodeFile(body hcl.Body, fileStart hcl.Range) *Config {
	top := d.open(body, "", fileStart, nil,
		block("global"),
		block("vrrp_script", "name"),
		block("vrrp_instance", "name"),
		block("virtual_server", "name"),
	)
	explainRealServerBlock(d.diags)
	cfg := &Config{}
	if b := top.single("global"); b != nil {
		cfg.Global = d.decodeGlobal(b)
	} else {
		cfg.Global = defaultGlobal()
	}

	scripts := map[string]*VRRPScript{}
	for _, b := range namedBlocks(d, top.blocks("vrrp_script")) {
		s := d.decodeScript(b)
		scripts[s.Name] = &s
		cfg.Scripts = append(cfg.Scripts, s)
	}

	var insts []*instanceSource
	for _, b := range namedBlocks(d, top.blocks("vrrp_instance")) {
		insts = append(insts, d.decodeInstance(b, cfg.Global, scripts))
	}
	d.checkInstances(insts)
	byName := map[string]*instanceSource{}
	for _, is := range insts {
		byName[is.inst.Name] = is
		cfg.Instances = append(cfg.Instances, is.inst)
	}

	var servers []*serverSource
	for _, b := range namedBlocks(d, top.blocks("virtual_server")) {
		servers = append(servers, d.decodeVirtualServer(b, cfg.Global.CheckDefaults, byName))
	}
	d.checkVirtualServers(servers, insts)
	for _, vs := range servers {
		cfg.VirtualServers = append(cfg.VirtualServers, vs.vs)
	}

	cfg.sort()
	return cfg
}

// explainRealServerBlock turns HCL's "unsupported block" into advice for
// a `realserver` block: it belongs in a real server's own file, read by
// `vigil realserver -config FILE` (internal/realserver owns its schema).
func explainRealServerBlock(diags hcl.Diagnostics) {
	for _, diag := range diags {
		if diag.Summary == "Unsupported block type" && strings.Contains(diag.Detail, `"realserver"`) {
			diag.Detail = "A realserver block configures a real server, not a director: keep it in the " +
				"real server's own file and use `vigil realserver apply|check -config FILE`."
		}
	}
}

// namedBlocks drops blocks whose label is not a valid name or repeats an
// earlier one, reporting each at its label.
func namedBlocks(d *decoder, bs hcl.Blocks) hcl.Blocks {
	seen := map[string]*hcl.Block{}
	var out hcl.Blocks
	for _, b := range bs {
		name := b.Labels[0]
		if msg := checkName(name); msg != "" {
			d.errorAt(b.LabelRanges[0], fmt.Sprintf("%s %q: the name %s", b.Type, name, msg), "")
			continue
		}
		if first, dup := seen[name]; dup {
			d.errorAt(b.LabelRanges[0], fmt.Sprintf("%s %q is defined twice", b.Type, name),
				fmt.Sprintf("The first definition is at %s.", first.DefRange))
			continue
		}
		seen[name] = b
		out = append(out, b)
	}
	return out
}

// sort puts the named blocks in name order so that equal files give equal
// values whatever the block order.
func (c *Config) sort() {
	slices.SortFunc(c.Scripts, func(a, b VRRPScript) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(c.Instances, func(a, b VRRPInstance) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(c.VirtualServers, func(a, b VirtualServer) int { return cmp.Compare(a.Name, b.Name) })
	for i := range c.VirtualServers {
		slices.SortFunc(c.VirtualServers[i].RealServers, func(a, b RealServer) int { return a.Address.Compare(b.Address) })
	}
}
