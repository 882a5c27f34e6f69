package healthcheck

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

func FuzzParseStatusCodes(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		codes, err := ParseStatusCodes(s)
		if err != nil {
			return
		}
		for _, r := range codes {
			if r.Lo < minStatus || r.Hi > maxStatus || r.Lo > r.Hi {
				t.Fatalf("%q parsed to invalid range %v", s, r)
			}
		}
		again, err := ParseStatusCodes(codes.String())
		if err != nil || !slices.Equal(again, codes) {
			t.Fatalf("%q -> %q does not round-trip: %v %v", s, codes.String(), again, err)
		}
	})
}

func FuzzParseWeight(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWeight(s)
		if err != nil {
			return
		}
		if w < 0 || w > maxWeightValue {
			t.Fatalf("%q parsed to out-of-range %d", s, w)
		}
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err != nil || n != w {
			t.Fatalf("%q parsed to %d, Atoi says %d %v", s, w, n, err)
		}
	})
}

func FuzzParseDNSType(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := ParseDNSType(s)
		if err != nil {
			return
		}
		if typ == 0 {
			t.Fatalf("%q parsed to type 0", s)
		}
		again, err := ParseDNSType(dnsTypeName(typ))
		if err != nil || again != typ {
			t.Fatalf("%q -> %v does not round-trip: %v %v", s, typ, again, err)
		}
	})
}

func FuzzParseOnFailure(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOnFailure(s)
		if err != nil {
			return
		}
		if again, err := ParseOnFailure(o.String()); err != nil || again != o {
			t.Fatalf("%q -> %v does not round-trip", s, o)
		}
	})
}

// FuzzJudgeDNSReply feeds arbitrary bytes as a DNS reply: judging must not
// panic, and a healthy verdict needs a well-formed matching reply.
func FuzzJudgeDNSReply(f *testing.F) {
	name := dnsmessage.MustNewName("svc.example.")
	q := dnsmessage.Question{Name: name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}
	expect := []netip.Addr{netip.MustParseAddr("192.0.2.7")}
	f.Fuzz(func(t *testing.T, reply []byte, withExpect bool) {
		var want []netip.Addr
		if withExpect {
			want = expect
		}
		res := judgeDNSReply(reply, 0x1234, q, want)
		if !res.Healthy {
			return
		}
		var m dnsmessage.Message
		if err := m.Unpack(reply); err != nil {
			t.Fatalf("healthy verdict on a reply that does not parse: %v", err)
		}
		if m.ID != 0x1234 || !m.Response || m.RCode != dnsmessage.RCodeSuccess || len(m.Answers) == 0 {
			t.Fatalf("healthy verdict on %+v", m.Header)
		}
	})
}

// FuzzParseAnswer feeds the half-open prober's parser whatever the packet
// filter might let through. An accepted packet must name a probe the way
// the packet says: for TCP, its source is the target and its ack the
// sequence number plus one.
func FuzzParseAnswer(f *testing.F) {
	rs, dir := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.1")
	f.Add(answerPacket(rs, dir, 80, 40001, 42, tcpSYN|tcpACK))
	f.Add(answerPacket(rs, dir, 80, 40001, 42, tcpRST|tcpACK))
	var syn [synLen]byte
	buildSYN(syn[:], dir, 40001, netip.AddrPortFrom(rs, 80), 41)
	icmp := append([]byte{0x45, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 10, 0, 0, 9, 10, 0, 0, 1, 3, 1, 0, 0, 0, 0, 0, 0}, syn[:28]...)
	f.Add(icmp)
	f.Fuzz(func(t *testing.T, p []byte) {
		a, ok := parseAnswer(p)
		if !ok {
			return
		}
		ihl := int(p[0]&0xf) * 4
		if p[9] == 6 {
			if a.key.addr != [4]byte(p[12:16]) || a.seq+1 != binary.BigEndian.Uint32(p[ihl+8:]) {
				t.Fatalf("answer %+v does not match the packet % x", a, p)
			}
			if flags := p[ihl+13]; flags&tcpRST == 0 && flags&(tcpSYN|tcpACK) != tcpSYN|tcpACK {
				t.Fatalf("flags %#x accepted", flags)
			}
		} else if a.err == nil {
			t.Fatalf("an ICMP error parsed as a SYN-ACK: % x", p)
		}
	})
}
