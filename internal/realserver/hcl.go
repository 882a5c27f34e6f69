package realserver

import (
	"fmt"
	"net/netip"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// hclRealServer is the realserver { } block as written in a file.
type hclRealServer struct {
	VIPs            []string `hcl:"vips"`
	Interface       *string  `hcl:"interface,optional"`
	Method          *string  `hcl:"method,optional"`
	Ports           []string `hcl:"ports,optional"`
	Label           *string  `hcl:"label,optional"`
	RealIP          *string  `hcl:"real_ip,optional"`
	TunnelDevice    *string  `hcl:"tunnel_device,optional"`
	RedirectBackend *string  `hcl:"redirect_backend,optional"`
	Persist         *bool    `hcl:"persist,optional"`
	SysctlFile      *string  `hcl:"sysctl_file,optional"`
	NftFile         *string  `hcl:"nft_file,optional"`
	StateFile       *string  `hcl:"state_file,optional"`
}

// FileConfig is what a realserver { } block says: the configuration and
// where to keep the record.
type FileConfig struct {
	Config
	// StateFile is the record path ("" means the default).
	StateFile string
}

// ParseHCL reads the realserver { } block of an HCL file. Other top-level
// blocks and attributes (the rest of a vigil configuration) are ignored.
func ParseHCL(src []byte, filename string) (FileConfig, error) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return FileConfig{}, fmt.Errorf("%w: %s", ErrInvalid, diags.Error())
	}
	content, _, diags := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "realserver"}}})
	if diags.HasErrors() {
		return FileConfig{}, fmt.Errorf("%w: %s", ErrInvalid, diags.Error())
	}
	switch len(content.Blocks) {
	case 0:
		return FileConfig{}, fmt.Errorf("%w: %s: no realserver { } block", ErrInvalid, filename)
	case 1:
	default:
		return FileConfig{}, fmt.Errorf("%w: %s: more than one realserver { } block", ErrInvalid, content.Blocks[1].DefRange)
	}
	return DecodeHCLBlock(content.Blocks[0].Body)
}

// DecodeHCLBlock decodes the body of a realserver { } block, for a caller
// that parses the enclosing file itself.
func DecodeHCLBlock(body hcl.Body) (FileConfig, error) {
	var b hclRealServer
	if diags := gohcl.DecodeBody(body, nil, &b); diags.HasErrors() {
		return FileConfig{}, fmt.Errorf("%w: %s", ErrInvalid, diags.Error())
	}
	var fc FileConfig
	for _, s := range b.VIPs {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return FileConfig{}, fmt.Errorf("%w: vips: %q is not an IP address", ErrInvalid, s)
		}
		fc.VIPs = append(fc.VIPs, a)
	}
	for _, s := range b.Ports {
		p, err := ParsePort(s)
		if err != nil {
			return FileConfig{}, fmt.Errorf("%w: ports: %v", ErrInvalid, err)
		}
		fc.Ports = append(fc.Ports, p)
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&fc.Interface, b.Interface)
	var method string
	set(&method, b.Method)
	fc.Method = Method(method)
	set(&fc.Label, b.Label)
	set(&fc.TunnelDevice, b.TunnelDevice)
	set(&fc.RedirectBackend, b.RedirectBackend)
	set(&fc.StateFile, b.StateFile)
	if b.RealIP != nil {
		a, err := netip.ParseAddr(*b.RealIP)
		if err != nil {
			return FileConfig{}, fmt.Errorf("%w: real_ip: %q is not an IP address", ErrInvalid, *b.RealIP)
		}
		fc.RealIP = a
	}
	set(&fc.SysctlFile, b.SysctlFile)
	set(&fc.NftFile, b.NftFile)
	if b.Persist != nil && *b.Persist {
		fc.Config = withPersistDefaults(fc.Config)
	}
	return fc, nil
}

// withPersistDefaults asks for the persistent files the method has, at their
// default paths unless paths are already given.
func withPersistDefaults(c Config) Config {
	d := c.WithDefaults()
	if c.SysctlFile == "" && len(sysctlSettings(d)) > 0 {
		c.SysctlFile = DefaultSysctlFile
	}
	if c.NftFile == "" && (d.Method == MethodNftables || (d.Method == MethodRedirect && d.RedirectBackend == BackendNft)) {
		c.NftFile = DefaultNftFile
	}
	return c
}
