package ipvs

import (
	"net/netip"
	"testing"
)

// benchTable is 1,000 services with 10 real servers each.
func benchTable() Table {
	var t Table
	for i := range 1000 {
		vip := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		s := Service{Key: AddrKey(TCP, netip.AddrPortFrom(vip, 80)), Scheduler: "wlc"}
		for j := range 10 {
			s.Dests = append(s.Dests, Dest{Addr: netip.AddrFrom4([4]byte{10, 2, 0, byte(j + 1)}), Weight: 1})
		}
		t.Services = append(t.Services, s)
	}
	return t
}

func BenchmarkReconcileFromEmpty(b *testing.B) {
	desired := benchTable()
	writes := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := NewFake()
		b.StartTimer()
		res, err := Reconcile(f, desired, nil)
		if err != nil {
			b.Fatal(err)
		}
		writes += res.Writes
	}
	b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
}

func BenchmarkReconcileOneWeightChange(b *testing.B) {
	desired := benchTable()
	f := NewFake()
	res, err := Reconcile(f, desired, nil)
	if err != nil {
		b.Fatal(err)
	}
	managed := res.Managed
	writes := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		desired.Services[500].Dests[5].Weight = 2 + i%2 // differs from the kernel's every time
		res, err := Reconcile(f, desired, managed)
		if err != nil {
			b.Fatal(err)
		}
		writes += res.Writes
	}
	b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
}

func BenchmarkReconcileNoOp(b *testing.B) {
	desired := benchTable()
	f := NewFake()
	res, err := Reconcile(f, desired, nil)
	if err != nil {
		b.Fatal(err)
	}
	managed := res.Managed
	writes := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Reconcile(f, desired, managed)
		if err != nil {
			b.Fatal(err)
		}
		writes += res.Writes
	}
	b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
}
