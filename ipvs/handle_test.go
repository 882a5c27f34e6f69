package ipvs

import (
	"net"
	"testing"

	mobyipvs "github.com/moby/ipvs"
)

func TestKernelNetmaskEncoding(t *testing.T) {
	needLittleEndian(t)
	// IPv4: the mask's bytes in network order, read as a host-order u32.
	if got := kernelNetmask(IPv4, 24); got != 0x00ffffff {
		t.Errorf("IPv4 /24 = %#x, want 0x00ffffff (bytes ff ff ff 00)", got)
	}
	if got := kernelNetmask(IPv4, 32); got != 0xffffffff {
		t.Errorf("IPv4 /32 = %#x", got)
	}
	// IPv6: the prefix length itself (ip_vs_add_service checks 1..128).
	if got := kernelNetmask(IPv6, 64); got != 64 {
		t.Errorf("IPv6 /64 = %d", got)
	}
	for bits := range uint8(33) {
		if back := netmaskFromKernel(IPv4, kernelNetmask(IPv4, bits)); back != bits {
			t.Errorf("IPv4 /%d reads back as /%d", bits, back)
		}
	}
	for bits := range uint8(129) {
		if back := netmaskFromKernel(IPv6, kernelNetmask(IPv6, bits)); back != bits {
			t.Errorf("IPv6 /%d reads back as /%d", bits, back)
		}
	}
	if netmaskFromKernel(IPv4, 0x00ff00ff) != netmaskInvalid || netmaskFromKernel(IPv6, 129) != netmaskInvalid {
		t.Error("a mask that is no prefix was not marked invalid")
	}
}

func TestMobyServiceConversion(t *testing.T) {
	s := webService().normalized()
	m := mobyService(s)
	if m.AddressFamily != 2 || m.Protocol != 6 || !m.Address.Equal(net.ParseIP("192.0.2.10")) || m.Port != 80 ||
		m.FWMark != 0 || m.SchedName != "wrr" || m.Flags != 1 || m.Timeout != 300 || m.Netmask != kernelNetmask(IPv4, 24) {
		t.Fatalf("moby service = %+v", m)
	}
	fw := mobyService(Service{Key: FWMarkKey(IPv6, 5), Scheduler: "rr", Netmask: 128})
	if fw.FWMark != 5 || fw.AddressFamily != 10 || fw.Address != nil || fw.Protocol != 0 || fw.Netmask != 128 {
		t.Fatalf("moby fwmark service = %+v", fw)
	}

	// What moby/ipvs hands back: a 4-byte IPv4 address, the hashed flag set.
	back, err := serviceFromMoby(&mobyipvs.Service{
		AddressFamily: 2, Protocol: 6, Address: net.IP{192, 0, 2, 10}, Port: 80, SchedName: "wrr",
		Flags: 1 | 2, Timeout: 300, Netmask: kernelNetmask(IPv4, 24),
		Stats: mobyipvs.SvcStats{Connections: 5, BytesIn: 1 << 40, BPSOut: 7},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Dests = nil
	if back.Service.Key != s.Key || !sameServiceAttrs(s, back.Service) || back.Service.Flags != FlagPersistent {
		t.Fatalf("service back = %+v, want %+v", back.Service, s)
	}
	if back.Stats.Conns != 5 || back.Stats.InBytes != 1<<40 || back.Stats.OutBPS != 7 {
		t.Fatalf("stats = %+v", back.Stats)
	}
	fwBack, err := serviceFromMoby(&mobyipvs.Service{AddressFamily: 10, FWMark: 5, SchedName: "rr", Netmask: 128})
	if err != nil || fwBack.Service.Key != FWMarkKey(IPv6, 5) || fwBack.Service.Netmask != 128 {
		t.Fatalf("fwmark back = %+v, %v", fwBack, err)
	}
	if _, err := serviceFromMoby(&mobyipvs.Service{AddressFamily: 2, Protocol: 6, Address: net.IP{1, 2, 3}}); err == nil {
		t.Error("a 3-byte address was accepted")
	}
}

func TestMobyDestConversion(t *testing.T) {
	d := Dest{Addr: addr("10.0.0.1"), Port: 8080, Weight: 3, Fwd: ForwardNAT, Upper: 10, Lower: 5}
	m := mobyDest(d)
	if !m.Address.Equal(net.ParseIP("10.0.0.1")) || m.Port != 8080 || m.Weight != 3 || m.ConnectionFlags != 0 ||
		m.UpperThreshold != 10 || m.LowerThreshold != 5 || m.AddressFamily != 2 {
		t.Fatalf("moby dest = %+v", m)
	}
	m.ActiveConnections, m.InactiveConnections = 4, 9
	back, err := destFromMoby(m)
	if err != nil || back.Dest != d || back.ActiveConns != 4 || back.InactiveConns != 9 {
		t.Fatalf("dest back = %+v, %v", back, err)
	}
	// moby/ipvs parses an IPv4 destination as the first 4 of 16 bytes.
	v4 := &mobyipvs.Destination{Address: net.IP{10, 0, 0, 2}, AddressFamily: 2, ConnectionFlags: 3, Weight: 1}
	if back, err := destFromMoby(v4); err != nil || back.Dest.Addr != addr("10.0.0.2") || back.Dest.Fwd != ForwardDR {
		t.Fatalf("IPv4 dest = %+v, %v", back, err)
	}
	v6 := &mobyipvs.Destination{Address: net.ParseIP("2001:db8::1"), AddressFamily: 10, ConnectionFlags: 2}
	if back, err := destFromMoby(v6); err != nil || back.Dest.Addr != addr("2001:db8::1") || back.Dest.Fwd != ForwardTunnel {
		t.Fatalf("IPv6 dest = %+v, %v", back, err)
	}
}
