package realserver

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "realserver.json")
	in := &State{Status: StatusApplied, Config: Config{VIPs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, Interface: "eth0",
		Method: MethodArptables, RealIP: netip.MustParseAddr("10.0.0.5"), Ports: []Port{{Proto: "tcp", Port: 80}}},
		Changes: []Change{
			{Kind: KindSysctl, Key: "net/ipv4/conf/all/arp_ignore", Previous: "0", Value: "1"},
			{Kind: KindAddress, Link: "eth0", Address: "192.0.2.10/32", Label: "eth0:vip"},
			{Kind: KindXtChain, Command: "arptables", Table: "filter", Chain: chainARPIn, Parent: "INPUT",
				Jump: []string{"-i", "eth0", "-j", chainARPIn}, CreatedTable: "arp filter"},
			{Kind: KindFile, Path: "/etc/x", Existed: true, Previous: "old\n", Mode: 0o600},
		}}
	if err := saveState(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Config.Equal(in.Config) || len(out.Changes) != len(in.Changes) || out.Status != StatusApplied {
		t.Fatalf("round trip: %+v", out)
	}
	for i := range in.Changes {
		if out.Changes[i].ID() != in.Changes[i].ID() || out.Changes[i].String() != in.Changes[i].String() {
			t.Errorf("change %d: %+v, want %+v", i, out.Changes[i], in.Changes[i])
		}
	}
	// Atomic replacement leaves no temporary files behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the record", len(entries))
	}
	if s, err := LoadState(path + ".none"); s != nil || err != nil {
		t.Errorf("missing record: %v %v", s, err)
	}
}

func TestDecodeStateRejects(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"version":2,"status":"applied","config":{"vips":[],"method":"sysctl"},"changes":[]}`, "version 2"},
		{`{"version":1,"status":"done","config":{"vips":[],"method":"sysctl"},"changes":[]}`, "unknown status"},
		{`{"version":1,"status":"applied","config":{"vips":[],"method":"sysctl"},"changes":[{"kind":"magic"}]}`, "unknown kind"},
		{`{"version":1,"status":"applied","surprise":1}`, "unknown field"},
		{`[`, "unexpected EOF"},
	} {
		if _, err := DecodeState([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
}
