package importer

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDecomment(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"  router_id LVS   ", "router_id LVS"},
		{"weight 1 ! trailing comment", "weight 1"},
		{"weight 1 # trailing comment", "weight 1"},
		{"! whole line", ""},
		{"# whole line", ""},
		{`script "echo # not a comment" # comment`, `script "echo # not a comment"`},
		{`script "a ! b"`, `script "a ! b"`},
		{`path /a\#b`, `path /a#b`},
		{`path /a\!b # c`, `path /a!b`},
		{"interface eth0.1\t\t# Vlaned interface", "interface eth0.1"},
	} {
		got, open := decomment(tc.in)
		if got != tc.want || open {
			t.Errorf("decomment(%q) = %q, %v; want %q, false", tc.in, got, open, tc.want)
		}
	}
	if _, open := decomment(`script "unclosed`); !open {
		t.Error("an unclosed quote is not reported")
	}
}

func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"virtual_server 10.0.0.1 80", []string{"virtual_server", "10.0.0.1", "80"}},
		{`helo_name "foo bar.com"`, []string{"helo_name", "foo bar.com"}},
		{`a"b c"d`, []string{"a", "b c", "d"}},
		{"  tabs\tand  spaces ", []string{"tabs", "and", "spaces"}},
		{`single 'quotes stay' words`, []string{"single", "'quotes", "stay'", "words"}},
	} {
		got, ok := splitWords(tc.in)
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	if _, ok := splitWords(`a "b`); ok {
		t.Error("unclosed quote accepted")
	}
}

func TestSplitQuoted(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"/usr/local/bin/vrrp.sh  MASTER  VI_1", []string{"/usr/local/bin/vrrp.sh", "MASTER", "VI_1"}},
		{`/bin/sh -c 'echo a b'`, []string{"/bin/sh", "-c", "echo a b"}},
		{`abcd" efg h jkl "mnop`, []string{"abcd efg h jkl mnop"}},
		{`a\ b c\tx \x41\101 \"q\"`, []string{"a b", "c\tx", "AA", `"q"`}},
		{`"it's" 'say "hi"'`, []string{"it's", `say "hi"`}},
	} {
		got, ok := splitQuoted(tc.in)
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	for _, bad := range []string{`'open`, `"open`, `trailing\`} {
		if _, ok := splitQuoted(bad); ok {
			t.Errorf("splitQuoted(%q) accepted", bad)
		}
	}
}

// mapFS is an in-memory fileSystem for include tests.
type mapFS map[string]string

func (m mapFS) ReadFile(name string) ([]byte, error) {
	if s, ok := m[name]; ok {
		return []byte(s), nil
	}
	return nil, os.ErrNotExist
}

func (m mapFS) Glob(pattern string) ([]string, error) {
	var out []string
	for name := range m {
		if ok, err := filepath.Match(pattern, name); err != nil {
			return nil, err
		} else if ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (m mapFS) IsDir(string) bool { return false }

// words flattens a statement tree to "keyword args{...}" lines for comparison.
func words(sts []*stmt) []string {
	var out []string
	for _, s := range sts {
		line := strings.Join(s.words, " ")
		if s.hasBlock {
			line += "{" + strings.Join(words(s.block), ";") + "}"
		}
		out = append(out, line)
	}
	return out
}

// read lexes and nests src with the in-memory files.
func read(t *testing.T, fs mapFS, src string, opts Options) ([]*stmt, []Skipped) {
	t.Helper()
	r := newReader(fs, opts)
	r.readFile("/etc/keepalived/keepalived.conf", "/etc/keepalived", []byte(src))
	top := r.buildTree()
	return top, r.report
}

func TestBracesAnywhere(t *testing.T) {
	src := `vrrp_instance VI_1 { interface eth0
  virtual_ipaddress { 10.0.0.1
    10.0.0.2 }
}
track { a } track2
{
  b
}
`
	top, report := read(t, nil, src, Options{})
	want := []string{
		"vrrp_instance VI_1{interface eth0;virtual_ipaddress{10.0.0.1;10.0.0.2}}",
		"track{a}",
		"track2{b}",
	}
	if got := words(top); !reflect.DeepEqual(got, want) {
		t.Fatalf("tree = %q\nwant %q", got, want)
	}
	if len(report) != 0 {
		t.Fatalf("unexpected report %v", report)
	}
}

func TestQuotedBracesAndComments(t *testing.T) {
	src := "a \"{x} # y\" { b } ! c { d }\n"
	top, _ := read(t, nil, src, Options{})
	if got, want := words(top), []string{"a {x} # y{b}"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tree = %q, want %q", got, want)
	}
	if top[0].raw != `a "{x} # y"` {
		t.Fatalf("raw = %q", top[0].raw)
	}
}

func TestUnbalancedBracesReported(t *testing.T) {
	src := "}\nglobal_defs {\n  { router_id x\n"
	_, report := read(t, nil, src, Options{})
	want := []Skipped{
		{File: "/etc/keepalived/keepalived.conf", Line: 1, Keyword: "}"},
		{File: "/etc/keepalived/keepalived.conf", Line: 3, Keyword: "{"},
		{File: "/etc/keepalived/keepalived.conf", Line: 2, Keyword: "global_defs"},
	}
	if len(report) != len(want) {
		t.Fatalf("report = %v", report)
	}
	for i, w := range want {
		if report[i].Line != w.Line || report[i].Keyword != w.Keyword || report[i].Why == "" {
			t.Errorf("report[%d] = %+v, want line %d keyword %q", i, report[i], w.Line, w.Keyword)
		}
	}
}

func TestIncludeGlobRelativeToIncludingFile(t *testing.T) {
	fs := mapFS{
		"/etc/keepalived/conf.d/b.conf":     "include ../sub/*.conf\nvrrp_script b {\n}\n",
		"/etc/keepalived/conf.d/a.conf":     "vrrp_script a {\n}\n",
		"/etc/keepalived/conf.d/skip.txt":   "vrrp_script nope {\n}\n",
		"/etc/keepalived/sub/c.conf":        "vrrp_script c {\n}\n",
		"/etc/keepalived/other/d.conf":      "vrrp_script d {\n}\n",
		"/etc/keepalived/other/e.conf":      "vrrp_script e {\n}\n",
		"/etc/keepalived/keepalived.conf.x": "",
	}
	src := "include conf.d/*.conf\ninclude other/{e,d}.conf\nvrrp_script last {\n}\n"
	top, report := read(t, fs, src, Options{})
	want := []string{"vrrp_script a{}", "vrrp_script c{}", "vrrp_script b{}", "vrrp_script e{}", "vrrp_script d{}", "vrrp_script last{}"}
	if got := words(top); !reflect.DeepEqual(got, want) {
		t.Fatalf("tree = %q\nwant %q", got, want)
	}
	if len(report) != 0 {
		t.Fatalf("unexpected report %v", report)
	}
	if top[1].pos.file != "/etc/keepalived/sub/c.conf" || top[1].pos.line != 1 {
		t.Fatalf("included statement at %+v", top[1].pos)
	}
}

func TestIncludeInsideBlock(t *testing.T) {
	fs := mapFS{"/etc/keepalived/vips": "10.0.0.1\n10.0.0.2\n"}
	top, _ := read(t, fs, "virtual_ipaddress {\n include vips\n}\n", Options{})
	if got, want := words(top), []string{"virtual_ipaddress{10.0.0.1;10.0.0.2}"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tree = %q, want %q", got, want)
	}
}

func TestIncludeLoopDetected(t *testing.T) {
	fs := mapFS{
		"/etc/keepalived/a.conf": "include b.conf\nrouter_id a\n",
		"/etc/keepalived/b.conf": "include a.conf\nrouter_id b\n",
	}
	top, report := read(t, fs, "include a.conf\n", Options{})
	if got, want := words(top), []string{"router_id b", "router_id a"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tree = %q, want %q", got, want)
	}
	if len(report) != 1 || report[0].File != "/etc/keepalived/b.conf" || report[0].Line != 1 ||
		report[0].Keyword != "include" || !strings.Contains(report[0].Why, "loop") {
		t.Fatalf("report = %v", report)
	}
}

func TestIncludeSelfAndMissing(t *testing.T) {
	fs := mapFS{"/etc/keepalived/keepalived.conf": "include keepalived.conf\n"}
	_, report := read(t, fs, "include keepalived.conf\ninclude none/*.conf\n", Options{})
	if len(report) != 2 || !strings.Contains(report[0].Why, "loop") || report[1].Line != 2 ||
		!strings.Contains(report[1].Why, "no file matches") {
		t.Fatalf("report = %v", report)
	}
}

func TestConditionalLines(t *testing.T) {
	src := "@main router_id main\n@backup router_id backup\n@^main priority 1\n@^backup priority 2\n@alone\n"
	top, report := read(t, nil, src, Options{ConfigID: "main"})
	if got, want := words(top), []string{"router_id main", "priority 2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("tree = %q, want %q", got, want)
	}
	if len(report) != 2 || report[0].Line != 2 || report[0].Keyword != "router_id" ||
		report[1].Line != 3 || report[1].Keyword != "priority" {
		t.Fatalf("report = %v", report)
	}
	top, report = read(t, nil, src, Options{})
	if got, want := words(top), []string{"priority 1", "priority 2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("without config id: tree = %q, want %q", got, want)
	}
	if len(report) != 2 {
		t.Fatalf("without config id: report = %v", report)
	}
}

func TestParameterDefinitions(t *testing.T) {
	src := `$BASE=10.0.${SUB}
$SUB=7
$IF=eth1
interface $IF
address ${BASE}.1/24 $UNDEF
@main $PRIO=200
priority $PRIO
$MULTI=a \
 b \
 c
after
hash ${_HASH}
`
	top, report := read(t, nil, src, Options{ConfigID: "main"})
	want := []string{"interface eth1", "address 10.0.7.1/24 $UNDEF", "priority 200", "after", "hash #"}
	if got := words(top); !reflect.DeepEqual(got, want) {
		t.Fatalf("tree = %q\nwant %q", got, want)
	}
	if len(report) != 1 || report[0].Line != 8 || report[0].Keyword != "$MULTI" {
		t.Fatalf("report = %v", report)
	}
}

func TestSelfReferentialDefinitionTerminates(t *testing.T) {
	top, _ := read(t, nil, "$A=x$A\nvalue $A\n", Options{})
	if len(top) != 1 || !strings.HasPrefix(top[0].arg(1), "xxxx") {
		t.Fatalf("tree = %q", words(top))
	}
}

func TestExpandBraces(t *testing.T) {
	got := expandBraces("/e/{foo/{,cat,dog},bar}.conf", 100)
	want := []string{"/e/foo/.conf", "/e/foo/cat.conf", "/e/foo/dog.conf", "/e/bar.conf"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("expandBraces = %q, want %q", got, want)
	}
	if got := expandBraces("a{x}b", 100); !reflect.DeepEqual(got, []string{"a{x}b"}) {
		t.Fatalf("single alternative expanded: %q", got)
	}
	if got := expandBraces(strings.Repeat("{a,b}", 20), 10); len(got) != 10 {
		t.Fatalf("limit not applied: %d patterns", len(got))
	}
}

func TestInvalidUTF8LineSkipped(t *testing.T) {
	top, report := read(t, nil, "router_id ok\ninterface e\xff0\n", Options{})
	if got := words(top); !reflect.DeepEqual(got, []string{"router_id ok"}) {
		t.Fatalf("tree = %q", got)
	}
	if len(report) != 1 || report[0].Line != 2 || report[0].Keyword != "interface" {
		t.Fatalf("report = %v", report)
	}
}
