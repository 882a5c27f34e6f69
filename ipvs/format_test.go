package ipvs

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/format")

// formatSnapshot covers every column and flag ipvsadm prints: all three
// protocols, both families, firewall marks, persistence with and without a
// netmask, one-packet scheduling, sh and mh flags, the three forwarding
// methods and counters large enough for every K/M/G/T abbreviation. It is
// deliberately out of order: Format sorts.
func formatSnapshot() Snapshot {
	big := Stats{
		Conns: 123_456_789, InPkts: 99_999_999, OutPkts: 1_000_000_000,
		InBytes: 123_456_789_012_345, OutBytes: 50_000_000_000_000,
		CPS: 5, InPPS: 1000, OutPPS: 900, InBPS: 150_000_000, OutBPS: 200_000_000_000,
	}
	return Snapshot{
		Info: Info{Version: 0x010201, ConnTableSize: 4096},
		Services: []ServiceStatus{
			{Service: Service{Key: FWMarkKey(IPv6, 7), Scheduler: "rr", Netmask: 128},
				Dests: []DestStatus{{Dest: Dest{Addr: addr("2001:db8::20"), Weight: 1, Fwd: ForwardNAT}}}},
			{Service: Service{Key: FWMarkKey(IPv4, 7), Scheduler: "mh", Flags: FlagMHPort, Netmask: 32},
				Dests: []DestStatus{{Dest: Dest{Addr: addr("10.0.0.4")}, ActiveConns: 1}}},
			{Service: Service{Key: AddrKey(TCP, ap("[2001:db8::1]:443")), Scheduler: "wlc", Flags: FlagPersistent, Timeout: 60, Netmask: 64},
				Dests: []DestStatus{{Dest: Dest{Addr: addr("2001:db8::10"), Port: 443, Weight: 100}}}},
			{Service: Service{Key: AddrKey(SCTP, ap("192.0.2.11:3868")), Scheduler: "sh", Flags: FlagSHFallback | FlagSHPort, Netmask: 32},
				Dests: []DestStatus{{Dest: Dest{Addr: addr("10.0.0.3"), Port: 3868, Weight: 65535, Fwd: ForwardTunnel}}}},
			{Service: Service{Key: AddrKey(TCP, ap("192.0.2.12:0")), Scheduler: "lc", Flags: FlagPersistent, Timeout: 3600, Netmask: 32}},
			{Service: Service{Key: AddrKey(UDP, ap("192.0.2.10:53")), Scheduler: "rr", Flags: FlagOnePacket, Netmask: 32},
				Dests: []DestStatus{{Dest: Dest{Addr: addr("10.0.0.1"), Port: 5353, Weight: 1, Fwd: ForwardNAT}, InactiveConns: 7}}},
			{Service: Service{Key: AddrKey(TCP, ap("192.0.2.10:80")), Scheduler: "wrr", Flags: FlagPersistent, Timeout: 300, Netmask: 24},
				Stats: big,
				Dests: []DestStatus{
					{Dest: Dest{Addr: addr("10.0.0.2"), Port: 80, Weight: 2, Upper: 100, Lower: 10}, Stats: Stats{Conns: 42, InBytes: 999_999_999, OutBPS: 12_345}},
					{Dest: Dest{Addr: addr("10.0.0.1"), Port: 80, Weight: 1}, ActiveConns: 12, InactiveConns: 345, PersistentConns: 3, Stats: big},
				}},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "format", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestFormatGolden(t *testing.T) {
	cases := map[string]FormatOptions{
		"list.golden":        {Mode: FormatList},
		"stats.golden":       {Mode: FormatStats},
		"rate.golden":        {Mode: FormatRate},
		"stats-exact.golden": {Mode: FormatStats, Exact: true},
		"json.golden":        {Mode: FormatJSON},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Format(&b, formatSnapshot(), opts); err != nil {
				t.Fatal(err)
			}
			golden(t, name, b.Bytes())
		})
	}
}

// TestFormatListColumns checks the ipvsadm -Ln layout rule by rule, so the
// golden file is not the only witness: header, fixed titles, service line
// "%-4s addr:port sched", real server line "  -> %-28s %-7s %-6d %-10u %-10u".
func TestFormatListColumns(t *testing.T) {
	var b bytes.Buffer
	if err := Format(&b, formatSnapshot(), FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := map[int]string{
		0: "IP Virtual Server version 1.2.1 (size=4096)",
		1: "Prot LocalAddress:Port Scheduler Flags",
		2: "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
		3: "TCP  192.0.2.10:80 wrr persistent 300 mask 255.255.255.0",
		4: "  -> 10.0.0.1:80                  Route   1      12         345       ",
		5: "  -> 10.0.0.2:80                  Route   2      0          0         ",
		6: "TCP  192.0.2.12:0 lc persistent 3600",
		7: "UDP  192.0.2.10:53 rr ops",
		8: "  -> 10.0.0.1:5353                Masq    1      0          7         ",
		9: "SCTP 192.0.2.11:3868 sh (sh-fallback,sh-port)",
	}
	for i, w := range want {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
	if l := lines[4]; len(l) != len("  -> ")+28+1+7+1+6+1+10+1+10 {
		t.Errorf("real server line is %d characters wide", len(l))
	}
}

func TestLargeNumbers(t *testing.T) {
	cases := []struct {
		n            uint64
		short, exact string
	}{
		{0, "        0", "        0"},
		{99_999_999, " 99999999", " 99999999"},
		{100_000_000, "  100000K", " 100000000"},
		{999_999_999, "  999999K", " 999999999"},
		{1_000_000_000, "    1000M", " 1000000000"},
		{99_999_999_999, "   99999M", " 99999999999"},
		{100_000_000_000, "     100G", " 100000000000"},
		{100_000_000_000_000, "     100T", " 100000000000000"},
		{^uint64(0), "18446744T", " 18446744073709551615"}, // %8lluT with all eight digits
	}
	for _, c := range cases {
		var short, exact strings.Builder
		writeLargeNums(&short, false, c.n)
		writeLargeNums(&exact, true, c.n)
		if short.String() != c.short || exact.String() != c.exact {
			t.Errorf("%d: %q / %q, want %q / %q", c.n, short.String(), exact.String(), c.short, c.exact)
		}
	}
}

func TestServiceNameTruncation(t *testing.T) {
	// ipvsadm cuts IPv4 service names at 33 and real server names at 28
	// characters; the longest possible IPv4 names fit, so nothing is cut.
	long := AddrKey(SCTP, ap("255.255.255.254:65535"))
	if n := serviceName(long); n != "SCTP 255.255.255.254:65535" {
		t.Errorf("service name %q", n)
	}
	k := AddrKey(UDP, ap("[2001:db8:1234:5678:9abc:def0:1234:5678]:65535"))
	if n := serviceName(k); n != "UDP  [2001:db8:1234:5678:9abc:def0:1234:5678]:65535" {
		t.Errorf("IPv6 service names are not cut: %q", n)
	}
	if n := serviceName(ServiceKey{Family: IPv4, Protocol: 50, Addr: addr("192.0.2.1"), Port: 1}); n != "?    192.0.2.1:1" {
		t.Errorf("unknown protocol name %q", n)
	}
}

func TestFormatJSONIsParseable(t *testing.T) {
	var b bytes.Buffer
	if err := Format(&b, formatSnapshot(), FormatOptions{Mode: FormatJSON}); err != nil {
		t.Fatal(err)
	}
	var doc jsonSnapshot
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	first := doc.Services[0]
	if first.Key != "tcp/192.0.2.10:80" || first.PersistenceNetmask == nil || *first.PersistenceNetmask != 24 ||
		len(first.RealServers) != 2 || first.RealServers[0].Address != "10.0.0.1" || first.Stats.Conns != 123_456_789 {
		t.Fatalf("first service = %+v", first)
	}
	var empty bytes.Buffer
	if err := Format(&empty, Snapshot{}, FormatOptions{Mode: FormatJSON}); err != nil || !strings.Contains(empty.String(), `"services": []`) {
		t.Fatalf("empty table JSON = %s, %v", empty.String(), err)
	}
}

func TestFormatDoesNotReorderItsInput(t *testing.T) {
	snap := formatSnapshot()
	first := snap.Services[0].Service.Key
	if err := Format(&bytes.Buffer{}, snap, FormatOptions{}); err != nil {
		t.Fatal(err)
	}
	if snap.Services[0].Service.Key != first {
		t.Error("Format sorted the caller's snapshot")
	}
}
