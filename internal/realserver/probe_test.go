package realserver

import (
	"bytes"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/mdlayher/arp"
)

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0b}
	own  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
)

func arpBytes(t *testing.T, op arp.Operation, mac net.HardwareAddr, sender, target netip.Addr) []byte {
	t.Helper()
	p, err := arp.NewPacket(op, mac, sender, make(net.HardwareAddr, 6), target)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProberObserve(t *testing.T) {
	vip := testVIPs[0]
	p := &prober{own: own, vips: testVIPs, seen: map[string][]netip.Addr{}}
	feed := func(b []byte) {
		if pkt, ok := parseARP(b); ok {
			p.observe(pkt)
		}
	}
	feed(arpBytes(t, arp.OperationRequest, own, netip.MustParseAddr("10.0.0.1"), vip)) // our own who-has
	feed(arpBytes(t, arp.OperationReply, macA, vip, netip.MustParseAddr("10.0.0.1")))
	feed(arpBytes(t, arp.OperationReply, macA, vip, netip.MustParseAddr("10.0.0.1"))) // duplicate
	feed(arpBytes(t, arp.OperationRequest, macB, vip, netip.MustParseAddr("10.0.0.1")))
	feed(arpBytes(t, arp.OperationRequest, macB, netip.MustParseAddr("10.0.0.7"), netip.MustParseAddr("10.0.0.1")))
	feed([]byte{0, 1, 8, 0, 6, 4}) // truncated
	p.nameHosts(-1)                // no such interface: names come from the ARP seen

	if len(p.answers) != 2 {
		t.Fatalf("answers %v, want one reply and one announcement", p.answers)
	}
	if a := p.answers[0]; !bytes.Equal(a.MAC, macA) || a.Kind != AnswerReply || len(a.HostIPs) != 0 {
		t.Errorf("first answer %v", a)
	}
	if b := p.answers[1]; !bytes.Equal(b.MAC, macB) || b.Kind != AnswerAnnounce || len(b.HostIPs) != 1 || b.HostIPs[0] != netip.MustParseAddr("10.0.0.7") {
		t.Errorf("second answer %v", b)
	}
	if s := Suspects(p.answers, macA); len(s) != 1 || !bytes.Equal(s[0].MAC, macB) {
		t.Errorf("Suspects allowing A: %v", s)
	}
	var out strings.Builder
	WriteAnswers(&out, testVIPs, p.answers, macA)
	for _, want := range []string{"expected: VIP 192.0.2.10 claimed by 02:00:00:00:00:0a", "MISCONFIGURED real server: VIP 192.0.2.10 claimed by 02:00:00:00:00:0b (10.0.0.7) [announce]",
		"VIP 192.0.2.11: no host answered"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	b, err := json.Marshal(p.answers[1])
	if err != nil || string(b) != `{"vip":"192.0.2.10","mac":"02:00:00:00:00:0b","kind":"announce","host_ips":["10.0.0.7"]}` {
		t.Errorf("JSON %s %v", b, err)
	}
}

func TestParseARPRejectsOtherProtocols(t *testing.T) {
	good := arpBytes(t, arp.OperationReply, macA, testVIPs[0], testRealIP)
	if _, ok := parseARP(good); !ok {
		t.Fatal("a plain Ethernet/IPv4 reply rejected")
	}
	for name, mod := range map[string]func([]byte){
		"hardware type": func(b []byte) { b[1] = 6 },
		"protocol type": func(b []byte) { b[2] = 0x86; b[3] = 0xdd },
		"operation":     func(b []byte) { b[7] = 3 },
	} {
		b := append([]byte(nil), good...)
		mod(b)
		if _, ok := parseARP(b); ok {
			t.Errorf("accepted a packet with another %s", name)
		}
	}
}
