package vrrp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// codecVectorDir holds the captures; see its README.md for their origin.
var codecVectorDir = filepath.Join("testdata", "vectors")

// codecAddrs parses a list of addresses.
func codecAddrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// codecPassword is a keepalived auth_pass as sent: zero-padded to 8 bytes.
func codecPassword(s string) (key [8]byte) {
	copy(key[:], s)
	return key
}

// codecSameAdvert compares every field of two adverts.
func codecSameAdvert(a, b *Advert) bool {
	return a.Version == b.Version && a.VRID == b.VRID && a.Priority == b.Priority &&
		a.Interval == b.Interval && a.AuthType == b.AuthType && a.AuthData == b.AuthData &&
		slices.Equal(a.Addrs, b.Addrs)
}

// codecSingleVectors are the one-frame captures, with every field as read
// from the capture by tcpdump (and, for the shared ones, vectors.txt).
var codecSingleVectors = []struct {
	file     string
	src, dst string
	checksum uint16 // the checksum field as captured
	want     Advert
}{
	{"vrrpv2_advert.pcap", "10.99.0.1", "224.0.0.18", 0x3e03,
		Advert{Version: 2, VRID: 51, Priority: 150, Interval: time.Second, Addrs: codecAddrs("10.99.0.100")}},
	{"vrrpv2_advert_prio0.pcap", "10.99.0.1", "224.0.0.18", 0xd403,
		Advert{Version: 2, VRID: 51, Priority: 0, Interval: time.Second, Addrs: codecAddrs("10.99.0.100")}},
	{"vrrpv3_advert.pcap", "10.99.0.1", "224.0.0.18", 0x4307,
		Advert{Version: 3, VRID: 51, Priority: 150, Interval: 100 * time.Millisecond, Addrs: codecAddrs("10.99.0.100")}},
	{"vrrpv3_advert_prio0.pcap", "10.99.0.1", "224.0.0.18", 0xd907,
		Advert{Version: 3, VRID: 51, Priority: 0, Interval: 100 * time.Millisecond, Addrs: codecAddrs("10.99.0.100")}},
	{"local_v3_ipv6_advert.pcap", "fe80::88b9:4fff:fe38:70ff", "ff02::12", 0xc421,
		Advert{Version: 3, VRID: 52, Priority: 150, Interval: time.Second, Addrs: codecAddrs("fe80::52", "2001:db8:98::100")}},
	{"local_v3_ipv6_advert_prio0.pcap", "fe80::88b9:4fff:fe38:70ff", "ff02::12", 0x5a22,
		Advert{Version: 3, VRID: 52, Priority: 0, Interval: time.Second, Addrs: codecAddrs("fe80::52", "2001:db8:98::100")}},
	{"local_v2_auth_advert.pcap", "10.98.0.1", "224.0.0.18", 0xc41e,
		Advert{Version: 2, VRID: 53, Priority: 200, Interval: 2 * time.Second, AuthType: AuthTypeSimple,
			AuthData: codecPassword("s3cret"), Addrs: codecAddrs("10.98.0.100", "10.98.0.101")}},
	{"local_v2_auth_advert_prio0.pcap", "10.98.0.1", "224.0.0.18", 0x8c1f,
		Advert{Version: 2, VRID: 53, Priority: 0, Interval: 2 * time.Second, AuthType: AuthTypeSimple,
			AuthData: codecPassword("s3cret"), Addrs: codecAddrs("10.98.0.100", "10.98.0.101")}},
	{"local_v3_unicast_advert.pcap", "10.98.0.1", "10.98.0.2", 0x365b,
		Advert{Version: 3, VRID: 54, Priority: 120, Interval: 500 * time.Millisecond, Addrs: codecAddrs("10.98.0.150")}},
	{"local_v3_unicast_advert_prio0.pcap", "10.98.0.1", "10.98.0.2", 0xae5b,
		Advert{Version: 3, VRID: 54, Priority: 0, Interval: 500 * time.Millisecond, Addrs: codecAddrs("10.98.0.150")}},
}

// codecReadSingle returns the one VRRP packet of a one-frame capture.
func codecReadSingle(t testing.TB, file string) codecPacket {
	t.Helper()
	pkts, frames := codecReadVRRP(t, filepath.Join(codecVectorDir, file))
	if frames != 1 || len(pkts) != 1 {
		t.Fatalf("%s: %d frames, %d VRRP packets; want one of each", file, frames, len(pkts))
	}
	return pkts[0]
}

func TestGoldenVectorsDecodeAndReencode(t *testing.T) {
	for _, v := range codecSingleVectors {
		t.Run(v.file, func(t *testing.T) {
			p := codecReadSingle(t, v.file)
			if p.src != netip.MustParseAddr(v.src) || p.dst != netip.MustParseAddr(v.dst) || p.hopLimit != TTL {
				t.Fatalf("IP header: %v > %v hop limit %d; want %s > %s hop limit %d", p.src, p.dst, p.hopLimit, v.src, v.dst, TTL)
			}
			if got := binary.BigEndian.Uint16(p.payload[6:]); got != v.checksum {
				t.Fatalf("captured checksum %#04x, want %#04x (wrong file?)", got, v.checksum)
			}

			var got Advert
			if err := got.Unmarshal(p.payload, p.src, p.dst); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !codecSameAdvert(&got, &v.want) {
				t.Fatalf("decoded %+v\nwant    %+v", got, v.want)
			}

			out, err := got.AppendBinary(nil, p.src, p.dst)
			if err != nil {
				t.Fatalf("AppendBinary: %v", err)
			}
			if !bytes.Equal(out, p.payload) {
				t.Fatalf("re-encoded % x\ncaptured    % x", out, p.payload)
			}
			// Encoding the expected value, not the decoded one, gives the
			// same bytes: the encoder is checked on its own too.
			out, err = v.want.AppendBinary([]byte("prefix"), p.src, p.dst)
			if err != nil || string(out[:6]) != "prefix" || !bytes.Equal(out[6:], p.payload) {
				t.Fatalf("AppendBinary after a prefix: % x, %v", out, err)
			}
		})
	}
}

func TestGoldenVectorsAuth(t *testing.T) {
	for _, v := range codecSingleVectors {
		t.Run(v.file, func(t *testing.T) {
			p := codecReadSingle(t, v.file)
			var a Advert
			if err := a.Unmarshal(p.payload, p.src, p.dst); err != nil {
				t.Fatal(err)
			}
			configured, wrong := AuthTypeNone, AuthTypeSimple
			if v.want.AuthType == AuthTypeSimple {
				configured, wrong = AuthTypeSimple, AuthTypeNone
			}
			if err := a.CheckAuth(configured, codecPassword("s3cret")); err != nil {
				t.Errorf("CheckAuth(%d, right password) = %v", configured, err)
			}
			if err := a.CheckAuth(wrong, codecPassword("s3cret")); !errors.Is(err, ErrAuthMismatch) {
				t.Errorf("CheckAuth(%d) = %v, want ErrAuthMismatch", wrong, err)
			}
			if configured == AuthTypeSimple {
				for _, pw := range []string{"s3cre", "s3cret!", "S3cret", ""} {
					if err := a.CheckAuth(AuthTypeSimple, codecPassword(pw)); !errors.Is(err, ErrAuthMismatch) || ErrorReason(err) != "auth" {
						t.Errorf("CheckAuth(password %q) = %v, want ErrAuthMismatch", pw, err)
					}
				}
			}
		})
	}
}

// TestGoldenV3ChecksumCoversDestination: the VRRPv3 checksum includes the
// pseudo-header, so the captured unicast advert only verifies with its real
// destination (an implementation that sums as if it went to 224.0.0.18 does
// not interoperate), and a VRRPv2-style checksum over a VRRPv3 message is
// rejected. The VRRPv2 checksum covers the message alone.
func TestGoldenV3ChecksumCoversDestination(t *testing.T) {
	var a Advert
	uni := codecReadSingle(t, "local_v3_unicast_advert.pcap")
	err := a.Unmarshal(uni.payload, uni.src, IPv4Group)
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("unicast advert decoded with the multicast destination: %v, want ErrChecksum", err)
	}

	v3 := codecReadSingle(t, "vrrpv3_advert.pcap")
	v2style := bytes.Clone(v3.payload)
	binary.BigEndian.PutUint16(v2style[6:], messageChecksum(0, v2style))
	err = a.Unmarshal(v2style, v3.src, v3.dst)
	var de *DecodeError
	if !errors.As(err, &de) || de.Err != ErrChecksum || de.Want != 0x4307 {
		t.Fatalf("v3 advert with a v2-style checksum: %v, want ErrChecksum computing 0x4307", err)
	}

	v2 := codecReadSingle(t, "vrrpv2_advert.pcap")
	if err := a.Unmarshal(v2.payload, netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("192.0.2.8")); err != nil {
		t.Fatalf("v2 advert with other IP addresses: %v; the v2 checksum has no pseudo-header", err)
	}
}

// codecRunVectors are the captures of whole runs: every VRRP frame must
// decode to its instance's advert, with the priorities counted per sender.
var codecRunVectors = []struct {
	file      string
	frames    int              // all frames, GARPs included
	instances map[uint8]Advert // by VRID; Priority is checked by counts
	counts    map[string]int   // "src vrid/priority" -> adverts
	dst       map[uint8]string // by VRID
}{
	{
		file: "v2.pcap", frames: 9,
		instances: map[uint8]Advert{51: {Version: 2, VRID: 51, Interval: time.Second, Addrs: codecAddrs("10.99.0.100")}},
		counts:    map[string]int{"10.99.0.1 51/150": 2, "10.99.0.1 51/0": 1, "10.99.0.2 51/100": 1},
		dst:       map[uint8]string{51: "224.0.0.18"},
	},
	{
		file: "v3.pcap", frames: 17,
		instances: map[uint8]Advert{51: {Version: 3, VRID: 51, Interval: 100 * time.Millisecond, Addrs: codecAddrs("10.99.0.100")}},
		counts:    map[string]int{"10.99.0.1 51/150": 5, "10.99.0.1 51/0": 1, "10.99.0.2 51/100": 6},
		dst:       map[uint8]string{51: "224.0.0.18"},
	},
	{
		file: "local_mixed.pcap", frames: 35,
		instances: map[uint8]Advert{
			52: {Version: 3, VRID: 52, Interval: time.Second, Addrs: codecAddrs("fe80::52", "2001:db8:98::100")},
			53: {Version: 2, VRID: 53, Interval: 2 * time.Second, AuthType: AuthTypeSimple, AuthData: codecPassword("s3cret"),
				Addrs: codecAddrs("10.98.0.100", "10.98.0.101")},
			54: {Version: 3, VRID: 54, Interval: 500 * time.Millisecond, Addrs: codecAddrs("10.98.0.150")},
		},
		counts: map[string]int{
			"fe80::88b9:4fff:fe38:70ff 52/150": 9, "fe80::88b9:4fff:fe38:70ff 52/0": 1,
			"10.98.0.1 53/200": 3, "10.98.0.1 53/0": 1,
			"10.98.0.1 54/120": 20, "10.98.0.1 54/0": 1,
		},
		dst: map[uint8]string{52: "ff02::12", 53: "224.0.0.18", 54: "10.98.0.2"},
	},
}

func TestGoldenRunsDecodeAndReencode(t *testing.T) {
	for _, v := range codecRunVectors {
		t.Run(v.file, func(t *testing.T) {
			pkts, frames := codecReadVRRP(t, filepath.Join(codecVectorDir, v.file))
			if frames != v.frames {
				t.Fatalf("%d frames, want %d", frames, v.frames)
			}
			counts := map[string]int{}
			var a Advert
			var buf []byte
			for _, p := range pkts {
				if err := a.Unmarshal(p.payload, p.src, p.dst); err != nil {
					t.Fatalf("frame %d: %v", p.frame, err)
				}
				want, ok := v.instances[a.VRID]
				if !ok {
					t.Fatalf("frame %d: unexpected VRID %d", p.frame, a.VRID)
				}
				want.Priority = a.Priority
				if !codecSameAdvert(&a, &want) || p.dst.String() != v.dst[a.VRID] || p.hopLimit != TTL {
					t.Fatalf("frame %d: %v > %v hop limit %d: %+v\nwant %+v to %s", p.frame, p.src, p.dst, p.hopLimit, a, want, v.dst[a.VRID])
				}
				counts[fmt.Sprintf("%v %d/%d", p.src, a.VRID, a.Priority)]++
				var err error
				if buf, err = a.AppendBinary(buf[:0], p.src, p.dst); err != nil || !bytes.Equal(buf, p.payload) {
					t.Fatalf("frame %d: re-encoded % x (%v)\ncaptured    % x", p.frame, buf, err, p.payload)
				}
			}
			if fmt.Sprint(counts) != fmt.Sprint(v.counts) {
				t.Fatalf("adverts by sender: %v\nwant %v", counts, v.counts)
			}
		})
	}
}
