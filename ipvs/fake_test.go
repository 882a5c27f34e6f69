package ipvs

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// The fake must answer like the kernel (ip_vs_ctl.c), or reconciler tests
// that pass against it would prove nothing.
func TestFakeAnswersLikeTheKernel(t *testing.T) {
	f := NewFake()
	svc := webService().normalized()
	svc.Dests = nil
	key := svc.Key
	d := Dest{Addr: addr("10.0.0.1"), Port: 80, Weight: 1}
	other := AddrKey(TCP, ap("192.0.2.99:80"))

	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"add service", func() error { return f.NewService(svc) }, nil},
		{"add it again", func() error { return f.NewService(svc) }, unix.EEXIST},
		{"unknown scheduler", func() error { s := svc; s.Key = other; s.Scheduler = "xyz"; return f.NewService(s) }, unix.ENOENT},
		{"IPv6 without netmask", func() error {
			return f.NewService(Service{Key: AddrKey(TCP, ap("[2001:db8::1]:80")), Scheduler: "rr"})
		}, unix.EINVAL},
		{"update a missing service", func() error { s := svc; s.Key = other; return f.UpdateService(s) }, unix.ESRCH},
		{"delete a missing service", func() error { return f.DelService(other) }, unix.ESRCH},
		{"real server of a missing service", func() error { return f.NewDestination(other, d) }, unix.ESRCH},
		{"negative weight", func() error { bad := d; bad.Weight = -1; return f.NewDestination(key, bad) }, unix.ERANGE},
		{"lower above upper", func() error { bad := d; bad.Lower = 2; return f.NewDestination(key, bad) }, unix.ERANGE},
		{"multicast real server", func() error { bad := d; bad.Addr = addr("239.0.0.1"); return f.NewDestination(key, bad) }, unix.EINVAL},
		{"wrong family", func() error { bad := d; bad.Addr = addr("2001:db8::1"); return f.NewDestination(key, bad) }, unix.EINVAL},
		{"add real server", func() error { return f.NewDestination(key, d) }, nil},
		{"add it again", func() error { return f.NewDestination(key, d) }, unix.EEXIST},
		{"update a missing real server", func() error { bad := d; bad.Port = 81; return f.UpdateDestination(key, bad) }, unix.ENOENT},
		{"delete a missing real server", func() error { return f.DelDestination(key, DestKey{d.Addr, 81}) }, unix.ENOENT},
		{"update real server", func() error { up := d; up.Weight = 9; return f.UpdateDestination(key, up) }, nil},
	}
	for _, s := range steps {
		if err := s.do(); !errors.Is(err, s.want) || (s.want == nil && err != nil) {
			t.Fatalf("%s: %v, want %v", s.name, err, s.want)
		}
	}
	if n := f.Writes().Total(); n != len(steps) {
		t.Errorf("counted %d writes for %d attempts", n, len(steps))
	}

	svcs, _ := f.GetServices()
	if len(svcs) != 1 || svcs[0].Service.Flags != FlagPersistent|flagHashed {
		t.Fatalf("services = %+v, want one with the hashed flag set", svcs)
	}
	dests, _ := f.GetDestinations(key)
	if len(dests) != 1 || dests[0].Dest.Weight != 9 {
		t.Fatalf("real servers = %+v", dests)
	}
	if dests, err := f.GetDestinations(other); err != nil || len(dests) != 0 {
		t.Fatalf("real servers of an unknown service = %+v, %v; the kernel's dump is empty, not an error", dests, err)
	}
	if err := f.DelService(key); err != nil {
		t.Fatal(err)
	}
	if dests, _ := f.GetDestinations(key); len(dests) != 0 {
		t.Fatal("deleting a service left its real servers")
	}
}

func TestFakeStatsAndFailureHook(t *testing.T) {
	f := NewFake()
	key := AddrKey(TCP, ap("192.0.2.1:80"))
	if err := f.SetServiceStats(key, Stats{Conns: 1}); !errors.Is(err, unix.ESRCH) {
		t.Errorf("stats of a missing service: %v", err)
	}
	if err := f.NewService(Service{Key: key, Scheduler: "rr", Netmask: 32}); err != nil {
		t.Fatal(err)
	}
	if err := f.NewDestination(key, Dest{Addr: addr("10.0.0.1"), Port: 80, Weight: 4}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetServiceStats(key, Stats{Conns: 11}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetDestStatus(key, DestStatus{Dest: Dest{Addr: addr("10.0.0.1"), Port: 80}, ActiveConns: 3}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetDestStatus(key, DestStatus{Dest: Dest{Addr: addr("10.0.0.9"), Port: 80}}); !errors.Is(err, unix.ENOENT) {
		t.Errorf("status of a missing real server: %v", err)
	}
	snap, err := ReadSnapshot(f)
	if err != nil {
		t.Fatal(err)
	}
	st := snap.Services[0]
	if st.Stats.Conns != 11 || st.Dests[0].ActiveConns != 3 || st.Dests[0].Dest.Weight != 4 || snap.Info.VersionString() != "1.2.1" {
		t.Fatalf("snapshot = %+v", snap)
	}

	var seen []FakeOp
	f.FailWrites(func(op FakeOp) error { seen = append(seen, op); return unix.EPERM })
	if err := f.DelDestination(key, DestKey{addr("10.0.0.1"), 80}); !errors.Is(err, unix.EPERM) {
		t.Fatalf("hooked write = %v", err)
	}
	if len(seen) != 1 || seen[0].Kind != WriteDelDest || seen[0].Service != key || seen[0].Dest.Port != 80 {
		t.Fatalf("hook saw %+v", seen)
	}
	if dests, _ := f.GetDestinations(key); len(dests) != 1 {
		t.Fatal("a failed write was applied")
	}
	if WriteDelDest.String() != "delete real server" || WriteKind(99).String() != "write-99" {
		t.Error("write kind names")
	}
}
