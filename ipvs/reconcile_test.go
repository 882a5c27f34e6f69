package ipvs

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// testTable has three services with five real servers in all.
func testTable() Table {
	return Table{Services: []Service{
		webService(),
		{Key: AddrKey(UDP, ap("192.0.2.10:53")), Scheduler: "rr", Flags: FlagOnePacket,
			Dests: []Dest{{Addr: addr("10.0.0.1"), Port: 5353, Fwd: ForwardNAT, Weight: 1}}},
		{Key: FWMarkKey(IPv6, 7), Scheduler: "mh", Flags: FlagMHFallback,
			Dests: []Dest{{Addr: addr("2001:db8::1"), Weight: 1}, {Addr: addr("2001:db8::2"), Weight: 3}}},
	}}
}

// unmanaged puts a service vigil does not own into the fake, as an operator
// with ipvsadm would, and resets the write counts.
func unmanaged(t *testing.T, f *Fake) Service {
	t.Helper()
	s := Service{Key: AddrKey(TCP, ap("198.51.100.1:25")), Scheduler: "lc", Netmask: 32}
	d := Dest{Addr: addr("10.9.9.9"), Port: 25, Weight: 5, Fwd: ForwardNAT}
	if err := f.NewService(s); err != nil {
		t.Fatal(err)
	}
	if err := f.NewDestination(s.Key, d); err != nil {
		t.Fatal(err)
	}
	f.ResetWrites()
	s.Dests = []Dest{d}
	return s
}

// kernelTable reads the fake back as a map of normalized-comparable services.
func kernelTable(t *testing.T, k Kernel) map[ServiceKey]Service {
	t.Helper()
	snap, err := ReadSnapshot(k)
	if err != nil {
		t.Fatal(err)
	}
	out := map[ServiceKey]Service{}
	for _, st := range snap.Services {
		s := st.Service
		s.Flags &= settableFlags
		for _, d := range st.Dests {
			s.Dests = append(s.Dests, d.Dest)
		}
		out[s.Key] = s
	}
	return out
}

// assertHolds fails unless the kernel holds every desired service exactly.
func assertHolds(t *testing.T, k Kernel, desired Table) {
	t.Helper()
	have := kernelTable(t, k)
	for _, want := range desired.normalized() {
		got, ok := have[want.Key]
		if !ok {
			t.Fatalf("service %s missing from the kernel", want.Key)
		}
		if !sameServiceAttrs(want, got) {
			t.Fatalf("service %s: kernel has %+v, want %+v", want.Key, got, want)
		}
		if !slices.Equal(got.Dests, want.Dests) {
			t.Fatalf("service %s: kernel real servers %+v, want %+v", want.Key, got.Dests, want.Dests)
		}
	}
}

func mustReconcile(t *testing.T, k Kernel, desired Table, managed KeySet) Result {
	t.Helper()
	res, err := Reconcile(k, desired, managed)
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	return res
}

func TestReconcileFromEmptyThenNoOp(t *testing.T) {
	f := NewFake()
	desired := testTable()
	res := mustReconcile(t, f, desired, nil)
	if res.Writes != 3+5 || f.Writes().Total() != 8 {
		t.Fatalf("writes = %d (fake counted %d), want 8", res.Writes, f.Writes().Total())
	}
	if len(res.AddedServices) != 3 || len(res.AddedDests) != 5 || len(res.Managed) != 3 {
		t.Fatalf("result = %+v", res)
	}
	assertHolds(t, f, desired)

	f.ResetWrites()
	res = mustReconcile(t, f, desired, res.Managed)
	if res.Writes != 0 || f.Writes().Total() != 0 || res.Changed() {
		t.Fatalf("second reconcile wrote %d times (%v): %+v", res.Writes, f.Writes(), res)
	}
	if res.Summary() != "no change (0 writes)" {
		t.Errorf("summary = %q", res.Summary())
	}
}

// change applies mutate to a converged table and returns the writes needed.
func change(t *testing.T, mutate func(*Table)) (Result, WriteCounts, Table, *Fake) {
	t.Helper()
	f := NewFake()
	desired := testTable()
	res := mustReconcile(t, f, desired, nil)
	f.ResetWrites()
	mutate(&desired)
	res = mustReconcile(t, f, desired, res.Managed)
	assertHolds(t, f, desired)
	return res, f.Writes(), desired, f
}

func TestOneChangeIsOneWrite(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Table)
		kind   WriteKind
	}{
		{"weight", func(d *Table) { d.Services[0].Dests[0].Weight = 7 }, WriteUpdateDest},
		{"weight to zero", func(d *Table) { d.Services[0].Dests[0].Weight = 0 }, WriteUpdateDest},
		{"forwarding method", func(d *Table) { d.Services[0].Dests[0].Fwd = ForwardTunnel }, WriteUpdateDest},
		{"thresholds", func(d *Table) { d.Services[0].Dests[1].Upper, d.Services[0].Dests[1].Lower = 10, 2 }, WriteUpdateDest},
		{"scheduler", func(d *Table) { d.Services[0].Scheduler = "lc" }, WriteUpdateService},
		{"persistence timeout", func(d *Table) { d.Services[0].Timeout = 60 }, WriteUpdateService},
		{"persistence netmask", func(d *Table) { d.Services[0].Netmask = 16 }, WriteUpdateService},
		{"drop persistence", func(d *Table) { d.Services[0].Flags, d.Services[0].Timeout, d.Services[0].Netmask = 0, 0, 0 }, WriteUpdateService},
		{"scheduler flags", func(d *Table) { d.Services[2].Flags = FlagMHPort }, WriteUpdateService},
		{"ops off", func(d *Table) { d.Services[1].Flags = 0 }, WriteUpdateService},
		{"add real server", func(d *Table) {
			d.Services[0].Dests = append(d.Services[0].Dests, Dest{Addr: addr("10.0.0.3"), Weight: 1})
		}, WriteNewDest},
		{"remove real server", func(d *Table) { d.Services[2].Dests = d.Services[2].Dests[:1] }, WriteDelDest},
		{"remove service", func(d *Table) { d.Services = d.Services[1:] }, WriteDelService},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, writes, _, _ := change(t, c.mutate)
			if res.Writes != 1 || writes.Total() != 1 || writes[c.kind] != 1 {
				t.Fatalf("writes = %d %v, want exactly one %s", res.Writes, writes, c.kind)
			}
		})
	}
}

func TestAddedServiceCostsOneWritePerObject(t *testing.T) {
	res, writes, _, _ := change(t, func(d *Table) {
		d.Services = append(d.Services, Service{Key: AddrKey(TCP, ap("192.0.2.11:443")),
			Dests: []Dest{{Addr: addr("10.0.0.1"), Weight: 1}, {Addr: addr("10.0.0.2"), Weight: 1}}})
	})
	if res.Writes != 3 || writes[WriteNewService] != 1 || writes[WriteNewDest] != 2 {
		t.Fatalf("writes = %d %v", res.Writes, writes)
	}
}

func TestReplacingARealServerAddsBeforeDeleting(t *testing.T) {
	f := NewFake()
	desired := testTable()
	res := mustReconcile(t, f, desired, nil)
	var order []WriteKind
	f.FailWrites(func(op FakeOp) error { order = append(order, op.Kind); return nil })
	desired.Services[2].Dests[0].Addr = addr("2001:db8::9")
	mustReconcile(t, f, desired, res.Managed)
	if !slices.Equal(order, []WriteKind{WriteNewDest, WriteDelDest}) {
		t.Fatalf("write order = %v, want add then delete", order)
	}
}

func TestUnmanagedServicesAreLeftAlone(t *testing.T) {
	f := NewFake()
	other := unmanaged(t, f)
	r := NewReconciler(f, nil)
	if _, err := r.Apply(testTable()); err != nil {
		t.Fatal(err)
	}
	if r.Managed().Has(other.Key) {
		t.Fatal("the unmanaged service became managed")
	}
	if _, err := r.Apply(Table{Services: testTable().Services[:1]}); err != nil {
		t.Fatal(err)
	}
	res, err := r.Clear()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.DeletedServices) != 1 || len(r.Managed()) != 0 {
		t.Fatalf("clear = %+v, managed left %v", res, r.Managed())
	}
	have := kernelTable(t, f)
	if len(have) != 1 {
		t.Fatalf("kernel holds %d services after Clear, want only the unmanaged one", len(have))
	}
	if got := have[other.Key]; !sameServiceAttrs(other, got) || !slices.Equal(got.Dests, other.Dests) {
		t.Fatalf("unmanaged service changed: %+v, was %+v", got, other)
	}
}

func TestDesiredServiceFoundInKernelIsAdoptedInPlace(t *testing.T) {
	f := NewFake()
	existing := unmanaged(t, f)
	want := Service{Key: existing.Key, Scheduler: "wlc", Dests: []Dest{{Addr: addr("10.9.9.9"), Port: 25, Weight: 1, Fwd: ForwardNAT}}}
	res := mustReconcile(t, f, Table{Services: []Service{want}}, nil)
	w := f.Writes()
	if w[WriteUpdateService] != 1 || w[WriteUpdateDest] != 1 || w.Total() != 2 {
		t.Fatalf("adoption writes = %v, want one service and one real server update", w)
	}
	if !res.Managed.Has(existing.Key) {
		t.Fatal("adopted service is not managed")
	}
	// Once owned, it goes when it is no longer desired.
	res = mustReconcile(t, f, Table{}, res.Managed)
	if len(res.DeletedServices) != 1 || len(kernelTable(t, f)) != 0 {
		t.Fatalf("adopted service not removed: %+v", res)
	}
}

func TestInvalidTableChangesNothing(t *testing.T) {
	f := NewFake()
	bad := testTable()
	bad.Services[0].Dests[0].Port = 8080 // DR cannot map ports
	res, err := Reconcile(f, bad, NewKeySet(AddrKey(TCP, ap("192.0.2.99:80"))))
	if err == nil || !strings.Contains(err.Error(), "cannot map ports") {
		t.Fatalf("err = %v", err)
	}
	if f.Writes().Total() != 0 || res.Writes != 0 || len(res.Managed) != 1 {
		t.Fatalf("invalid table wrote %v, result %+v", f.Writes(), res)
	}
}

func TestFailedRealServerIsReportedAndRepairedLater(t *testing.T) {
	f := NewFake()
	desired := testTable()
	broken := DestKey{addr("2001:db8::2"), 0}
	f.FailWrites(func(op FakeOp) error {
		if op.Kind == WriteNewDest && op.Dest == broken {
			return unix.ENOMEM
		}
		return nil
	})
	res, err := Reconcile(f, desired, nil)
	var opErr *OpError
	if !errors.As(err, &opErr) || !errors.Is(err, unix.ENOMEM) || opErr.Op != "add real server" || opErr.Dest != broken {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "[2001:db8::2]:0") || !strings.Contains(err.Error(), "fwmark/7/inet6") {
		t.Errorf("error %q does not name the real server and service", err)
	}
	if !slices.Equal(res.Incomplete, []ServiceKey{FWMarkKey(IPv6, 7)}) {
		t.Fatalf("incomplete = %v", res.Incomplete)
	}
	if len(res.AddedServices) != 3 || len(res.AddedDests) != 4 || res.Writes != 8 || len(res.Managed) != 3 {
		t.Fatalf("result = %+v", res)
	}

	f.FailWrites(nil)
	f.ResetWrites()
	res = mustReconcile(t, f, desired, res.Managed)
	if res.Writes != 1 || f.Writes()[WriteNewDest] != 1 {
		t.Fatalf("repair wrote %v", f.Writes())
	}
	assertHolds(t, f, desired)
}

func TestFailedServiceIsNotOwnedAndItsRealServersAreNotTried(t *testing.T) {
	f := NewFake()
	desired := testTable()
	key := desired.Services[0].Key
	f.FailWrites(func(op FakeOp) error {
		if op.Kind == WriteNewService && op.Service == key {
			return unix.ENOENT
		}
		return nil
	})
	res, err := Reconcile(f, desired, nil)
	if !errors.Is(err, unix.ENOENT) || !strings.Contains(err.Error(), "add service tcp/192.0.2.10:80") {
		t.Fatalf("err = %v", err)
	}
	if res.Managed.Has(key) || len(res.Managed) != 2 || res.Writes != 6 {
		t.Fatalf("result = %+v", res)
	}
	if w := f.Writes(); w[WriteNewDest] != 3 {
		t.Fatalf("real servers of the failed service were tried: %v", w)
	}
}

func TestFailedDeleteKeepsOwnership(t *testing.T) {
	f := NewFake()
	res := mustReconcile(t, f, testTable(), nil)
	f.FailWrites(func(op FakeOp) error { return unix.EBUSY })
	res, err := Reconcile(f, Table{}, res.Managed)
	if !errors.Is(err, unix.EBUSY) || len(res.Managed) != 3 || len(res.DeletedServices) != 0 {
		t.Fatalf("err = %v, result = %+v", err, res)
	}
	f.FailWrites(nil)
	res = mustReconcile(t, f, Table{}, res.Managed)
	if len(res.DeletedServices) != 3 || len(res.Managed) != 0 || len(kernelTable(t, f)) != 0 {
		t.Fatalf("retry = %+v", res)
	}
}

func TestServiceRemovedBehindOurBackIsForgotten(t *testing.T) {
	f := NewFake()
	res := mustReconcile(t, f, testTable(), nil)
	key := testTable().Services[1].Key
	if err := f.DelService(key); err != nil {
		t.Fatal(err)
	}
	f.ResetWrites()
	res = mustReconcile(t, f, Table{Services: []Service{testTable().Services[0], testTable().Services[2]}}, res.Managed)
	if res.Writes != 0 || res.Managed.Has(key) {
		t.Fatalf("result = %+v", res)
	}
}

func TestServiceRemovedBehindOurBackIsRecreated(t *testing.T) {
	f := NewFake()
	desired := testTable()
	res := mustReconcile(t, f, desired, nil)
	if err := f.DelService(desired.Services[1].Key); err != nil {
		t.Fatal(err)
	}
	f.ResetWrites()
	res = mustReconcile(t, f, desired, res.Managed)
	if res.Writes != 2 || len(res.AddedServices) != 1 {
		t.Fatalf("result = %+v", res)
	}
	assertHolds(t, f, desired)

	// If recreating it fails, it is no longer owned: it does not exist.
	if err := f.DelService(desired.Services[1].Key); err != nil {
		t.Fatal(err)
	}
	f.FailWrites(func(FakeOp) error { return unix.ENOMEM })
	res, err := Reconcile(f, desired, res.Managed)
	if !errors.Is(err, unix.ENOMEM) || res.Managed.Has(desired.Services[1].Key) || len(res.Managed) != 2 {
		t.Fatalf("failed recreation: %v, managed %v", err, res.Managed.Sorted())
	}
}

// listFails is a kernel whose reads fail.
type listFails struct {
	*Fake
	services, dests bool
}

func (l listFails) GetServices() ([]ServiceStatus, error) {
	if l.services {
		return nil, unix.EIO
	}
	return l.Fake.GetServices()
}

func (l listFails) GetDestinations(k ServiceKey) ([]DestStatus, error) {
	if l.dests {
		return nil, unix.EIO
	}
	return l.Fake.GetDestinations(k)
}

func TestReadFailures(t *testing.T) {
	f := NewFake()
	res := mustReconcile(t, f, testTable(), nil)
	managed := res.Managed

	res, err := Reconcile(listFails{Fake: f, services: true}, testTable(), managed)
	if !errors.Is(err, unix.EIO) || err.Error() != "ipvs: list services: input/output error" || res.Writes != 0 {
		t.Fatalf("list services failure: %v, %+v", err, res)
	}

	desired := testTable()
	desired.Services[0].Scheduler = "rr"
	res, err = Reconcile(listFails{Fake: f, dests: true}, desired, managed)
	if !errors.Is(err, unix.EIO) || len(res.Incomplete) != 3 || len(res.UpdatedServices) != 1 || len(res.Managed) != 3 {
		t.Fatalf("list real servers failure: %v, %+v", err, res)
	}
}

func TestResultSummary(t *testing.T) {
	res := Result{AddedServices: make([]ServiceKey, 2), DeletedDests: make([]DestRef, 1), Writes: 3}
	if got, want := res.Summary(), "services added 2, real servers deleted 1 (3 writes)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestReconcilerIsSafeForConcurrentUse(t *testing.T) {
	f := NewFake()
	other := unmanaged(t, f)
	r := NewReconciler(f, nil)
	done := make(chan error)
	for i := range 4 {
		go func() {
			var err error
			for range 20 {
				if i%2 == 0 {
					_, err = r.Apply(testTable())
				} else {
					_, err = r.Clear()
				}
				if err != nil {
					break
				}
				_ = r.Managed()
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Clear(); err != nil {
		t.Fatal(err)
	}
	if have := kernelTable(t, f); len(have) != 1 || len(r.Managed()) != 0 {
		t.Fatalf("after concurrent use and Clear: kernel %d services, managed %v", len(have), r.Managed())
	}
	if _, ok := kernelTable(t, f)[other.Key]; !ok {
		t.Fatal("the unmanaged service is gone")
	}
}
