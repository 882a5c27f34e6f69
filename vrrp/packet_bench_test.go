package vrrp

import "testing"

// codecBenchVectors are one golden advert per wire variant.
var codecBenchVectors = []struct{ name, file string }{
	{"v2-ipv4", "vrrpv2_advert.pcap"},
	{"v3-ipv4", "vrrpv3_advert.pcap"},
	{"v3-ipv6", "local_v3_ipv6_advert.pcap"},
}

func BenchmarkAdvertUnmarshal(b *testing.B) {
	for _, v := range codecBenchVectors {
		b.Run(v.name, func(b *testing.B) {
			p := codecReadSingle(b, v.file)
			var a Advert
			b.ReportAllocs()
			b.SetBytes(int64(len(p.payload)))
			for b.Loop() {
				if err := a.Unmarshal(p.payload, p.src, p.dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAdvertAppendBinary(b *testing.B) {
	for _, v := range codecBenchVectors {
		b.Run(v.name, func(b *testing.B) {
			p := codecReadSingle(b, v.file)
			var a Advert
			if err := a.Unmarshal(p.payload, p.src, p.dst); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 64)
			b.ReportAllocs()
			b.SetBytes(int64(len(p.payload)))
			for b.Loop() {
				var err error
				if buf, err = a.AppendBinary(buf[:0], p.src, p.dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
