package drill

import (
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/vigil-ha/vigil/internal/config"
)

// Hosts describes a director pair that already exists, for `vigil drill
// -hosts FILE`: the VIP, its two directors and a client. The file format
// is in HostsFileHelp; examples/drill/hosts.hcl is a commented example.
type Hosts struct {
	// File is the file the description came from (for messages).
	File string
	VIP  netip.Addr
	// AdvertInterval is the pair's VRRP advert interval: the drill does
	// not change it, but derives its waits from it.
	AdvertInterval time.Duration
	// Directors are the master at start (the higher priority) and the backup.
	Directors [2]HostDirector
	Client    HostClient
}

// Remote is how the drill runs a command on a host: Command followed by
// one argument, a shell command line.
type Remote struct {
	Name string
	// Command is the argv prefix, e.g. ["ssh", "root@lb1"] or, for a
	// namespace of this machine, ["ip", "netns", "exec", "lb1", "sh", "-c"].
	Command []string
	// Netns is the namespace when the file gave `netns` (Command is then
	// derived from it); "" otherwise.
	Netns string
}

// HostDirector is one director of a described pair.
type HostDirector struct {
	Remote
	Interface string
	// Start, Stop, Kill, Status and Log are shell command lines run on the
	// director. Kill "" means the default for the implementation; Status
	// and Log are optional.
	Start, Stop, Kill, Status, Log string
	// Vigil is the vigil binary on the director (for `vigil fault`).
	Vigil string
}

// HostClient is the host that sends the traffic to the VIP.
type HostClient struct {
	Remote
	// URL is fetched every 5 ms when set; pings go to the VIP either way.
	URL string
	// Interface is where the client listens for gratuitous ARP ("" means
	// the interface of its route to the VIP).
	Interface string
	// Vigil is the vigil binary on the client (it runs `vigil drill agent`).
	Vigil string
}

// Defaults of a hosts file.
const (
	defaultAdvertInterval = time.Second
	defaultVigilCommand   = "vigil"
)

// DefaultKill is the kill command of a director whose block has none.
func DefaultKill(impl string) string { return "pkill -KILL -x " + impl }

// HostsFileHelp describes the file format, for the help text.
const HostsFileHelp = `The hosts file (HCL) describes a pair that runs already:

  vip             = "192.0.2.100"    # required, IPv4
  advert_interval = "1s"             # the pair's VRRP interval (default 1s)

  director "lb1" {                   # first block: the master at start
    command   = ["ssh", "-o", "BatchMode=yes", "root@192.0.2.1"]
    # or: netns = "NAME" (this machine), for ["ip","netns","exec","NAME","sh","-c"]
    interface = "eth0"               # the VRRP interface, carrying the VIP
    start     = "systemctl start vigil"
    stop      = "systemctl stop vigil"
    kill      = "pkill -KILL -x vigil"               # the default (-impl)
    status    = "systemctl is-active --quiet vigil"  # optional: exit 0 while it runs
    log       = "journalctl -f -n 0 -o cat -u vigil" # optional: VRRP states
    vigil     = "vigil"              # vigil on the director, for vigil fault
  }
  director "lb2" { ... }

  client {                           # sends ping (and HTTP) to the VIP
    command   = ["ssh", "root@192.0.2.50"]
    url       = "http://192.0.2.100/" # optional: HTTP GET every 5ms
    interface = "eth0"               # optional: where to see gratuitous ARP
    vigil     = "vigil"              # runs the hidden 'vigil drill agent'
  }

command is an argv prefix that runs one shell command line, given to it as
its last argument, on the host (ssh does that), and passes standard input
through (no ssh -n). start, stop and kill return when done (systemctl does);
stop may wait for the daemon to exit.
`

// LoadHosts reads and checks a hosts file.
func LoadHosts(path string) (*Hosts, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseHosts(src, path)
}

// hostsError lists the problems of a hosts file, one per line, each
// starting with FILE:LINE:COLUMN.
type hostsError struct{ diags hcl.Diagnostics }

func (e *hostsError) Error() string {
	var lines []string
	for _, d := range e.diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		// One line per problem: HCL's details may span lines.
		msg := strings.Join(strings.Fields(d.Summary), " ")
		if d.Detail != "" {
			msg += ": " + strings.Join(strings.Fields(d.Detail), " ")
		}
		if d.Subject != nil {
			msg = fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, msg)
		}
		lines = append(lines, msg)
	}
	return strings.Join(lines, "\n")
}

// hostsDecoder collects the diagnostics of one file.
type hostsDecoder struct{ diags hcl.Diagnostics }

// fail records an error at rng; what names the block and field.
func (d *hostsDecoder) fail(rng hcl.Range, what, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  what + ": " + fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

// hostsBody is the content of one block, with the block's name for messages.
type hostsBody struct {
	d    *hostsDecoder
	what string // `director "lb1"`, `client` or "" at the top
	def  hcl.Range
	c    *hcl.BodyContent
}

func (d *hostsDecoder) open(body hcl.Body, what string, def hcl.Range, attrs []string, blocks ...hcl.BlockHeaderSchema) *hostsBody {
	c, diags := config.Content(body, what, attrs, blocks...)
	d.diags = append(d.diags, diags...)
	return &hostsBody{d: d, what: what, def: def, c: c}
}

// field names an attribute in messages: `director "lb1" interface`.
func (b *hostsBody) field(name string) string {
	if b.what == "" {
		return name
	}
	return b.what + " " + name
}

// value evaluates an attribute (no variables, no functions) as ty; ok is
// false when it is absent or wrong, the error being recorded.
func (b *hostsBody) value(name string, ty cty.Type, tyName string) (cty.Value, *hcl.Attribute, bool) {
	a := b.c.Attributes[name]
	if a == nil {
		return cty.NilVal, nil, false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		for _, diag := range diags {
			diag.Summary = b.field(name) + ": " + diag.Summary
		}
		b.d.diags = append(b.d.diags, diags...)
		return cty.NilVal, a, false
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		b.d.fail(a.Expr.Range(), b.field(name), "must be %s, not null", tyName)
		return cty.NilVal, a, false
	}
	v, err := convert.Convert(v, ty)
	if err != nil {
		b.d.fail(a.Expr.Range(), b.field(name), "must be %s", tyName)
		return cty.NilVal, a, false
	}
	if ty.IsListType() {
		for it := v.ElementIterator(); it.Next(); {
			if _, e := it.Element(); e.IsNull() {
				b.d.fail(a.Expr.Range(), b.field(name), "must be %s, without null", tyName)
				return cty.NilVal, a, false
			}
		}
	}
	return v, a, true
}

// str reads an optional string attribute; "" when absent. An attribute
// that is there must not be empty.
func (b *hostsBody) str(name string) (string, *hcl.Attribute) {
	v, a, ok := b.value(name, cty.String, "a string")
	if !ok {
		return "", a
	}
	s := v.AsString()
	if strings.TrimSpace(s) == "" {
		b.d.fail(a.Expr.Range(), b.field(name), "must not be empty")
		return "", a
	}
	return s, a
}

// required reads a string attribute that must be there.
func (b *hostsBody) required(name string) (string, *hcl.Attribute) {
	if b.c.Attributes[name] == nil {
		b.d.fail(b.def, b.field(name), "is required")
		return "", nil
	}
	return b.str(name)
}

// list reads an optional list of strings; ok is false when it is absent
// or not a list of strings (an error then recorded).
func (b *hostsBody) list(name string) (out []string, a *hcl.Attribute, ok bool) {
	v, a, ok := b.value(name, cty.List(cty.String), "a list of strings")
	if !ok {
		return nil, a, false
	}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e.AsString())
	}
	return out, a, true
}

// Names of hosts and interfaces: what a namespace or interface name may
// hold, and nothing a message or file name would trip over.
var (
	hostNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	ifaceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@:-]{0,14}$`)
)

// ParseHosts reads a hosts file's contents; filename is used in messages.
// Every problem is reported, each as FILE:LINE:COLUMN: BLOCK FIELD: what.
func ParseHosts(src []byte, filename string) (*Hosts, error) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, &hostsError{diags}
	}
	d := &hostsDecoder{}
	top := d.open(f.Body, "", hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos},
		[]string{"vip", "advert_interval"},
		hcl.BlockHeaderSchema{Type: "director", LabelNames: []string{"name"}},
		hcl.BlockHeaderSchema{Type: "client"})
	h := &Hosts{File: filename, AdvertInterval: defaultAdvertInterval}
	if s, a := top.required("vip"); s != "" {
		ip, err := netip.ParseAddr(s)
		switch {
		case err != nil:
			d.fail(a.Expr.Range(), "vip", "%q is not an IP address", s)
		case !ip.Is4():
			d.fail(a.Expr.Range(), "vip", "%s: the drill's client pings IPv4 only", s)
		default:
			h.VIP = ip
		}
	}
	if s, a := top.str("advert_interval"); s != "" {
		iv, err := time.ParseDuration(s)
		switch {
		case err != nil:
			d.fail(a.Expr.Range(), "advert_interval", "%q is not a duration (e.g. 1s, 100ms)", s)
		case iv < 10*time.Millisecond || iv > 255*time.Second:
			d.fail(a.Expr.Range(), "advert_interval", "%s is outside 10ms..255s", iv)
		default:
			h.AdvertInterval = iv
		}
	}
	dirs := top.c.Blocks.OfType("director")
	if len(dirs) != 2 {
		rng := top.def
		if len(dirs) > 2 {
			rng = dirs[2].DefRange
		}
		d.fail(rng, "director", "the file describes %d director blocks, want 2 (the master at start first)", len(dirs))
	}
	for i, b := range dirs[:min(2, len(dirs))] {
		h.Directors[i] = d.director(b)
		if i == 1 && h.Directors[0].Name == h.Directors[1].Name && h.Directors[1].Name != "" {
			d.fail(b.LabelRanges[0], fmt.Sprintf("director %q", b.Labels[0]), "a second director of that name")
		}
	}
	clients := top.c.Blocks.OfType("client")
	switch len(clients) {
	case 0:
		d.fail(top.def, "client", "a client block is required")
	case 1:
		h.Client = d.client(clients[0])
	default:
		d.fail(clients[1].DefRange, "client", "only one client block is allowed")
	}
	if d.diags.HasErrors() {
		return nil, &hostsError{d.diags}
	}
	return h, nil
}

// remote reads command or netns.
func (d *hostsDecoder) remote(b *hostsBody, name string) Remote {
	r := Remote{Name: name}
	cmd, ca, cmdOK := b.list("command")
	ns, na := b.str("netns")
	switch {
	case ca != nil && na != nil:
		d.fail(na.NameRange, b.field("netns"), "give command or netns, not both")
	case ca == nil && na == nil:
		d.fail(b.def, b.what, "give command (an argv prefix, e.g. [\"ssh\", \"root@host\"]) or netns")
	case ca != nil:
		if len(cmd) > 0 && strings.TrimSpace(cmd[0]) != "" {
			r.Command = cmd
		} else if cmdOK {
			d.fail(ca.Expr.Range(), b.field("command"), "must start with a program")
		}
	case ns != "":
		if !hostNameRE.MatchString(ns) {
			d.fail(na.Expr.Range(), b.field("netns"), "%q is not a namespace name", ns)
		} else {
			r.Netns = ns
			r.Command = []string{"ip", "netns", "exec", ns, "sh", "-c"}
		}
	}
	return r
}

func (d *hostsDecoder) director(blk *hcl.Block) HostDirector {
	name := blk.Labels[0]
	what := fmt.Sprintf("director %q", name)
	if !hostNameRE.MatchString(name) {
		d.fail(blk.LabelRanges[0], what, "the name may hold letters, digits, '.', '_' and '-'")
	}
	b := d.open(blk.Body, what, blk.DefRange,
		[]string{"command", "netns", "interface", "start", "stop", "kill", "status", "log", "vigil"})
	h := HostDirector{Remote: d.remote(b, name)}
	var a *hcl.Attribute
	if h.Interface, a = b.required("interface"); h.Interface != "" && !ifaceNameRE.MatchString(h.Interface) {
		d.fail(a.Expr.Range(), b.field("interface"), "%q is not an interface name", h.Interface)
	}
	h.Start, _ = b.required("start")
	h.Stop, _ = b.required("stop")
	h.Kill, _ = b.str("kill")
	h.Status, _ = b.str("status")
	h.Log, _ = b.str("log")
	h.Vigil, _ = b.str("vigil")
	if h.Vigil == "" {
		h.Vigil = defaultVigilCommand
	}
	return h
}

func (d *hostsDecoder) client(blk *hcl.Block) HostClient {
	b := d.open(blk.Body, "client", blk.DefRange, []string{"command", "netns", "url", "interface", "vigil"})
	c := HostClient{Remote: d.remote(b, "client")}
	var a *hcl.Attribute
	if c.URL, a = b.str("url"); c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.fail(a.Expr.Range(), "client url", "%q is not an http:// or https:// URL", c.URL)
			c.URL = ""
		}
	}
	if c.Interface, a = b.str("interface"); c.Interface != "" && !ifaceNameRE.MatchString(c.Interface) {
		d.fail(a.Expr.Range(), "client interface", "%q is not an interface name", c.Interface)
	}
	c.Vigil, _ = b.str("vigil")
	if c.Vigil == "" {
		c.Vigil = defaultVigilCommand
	}
	return c
}
