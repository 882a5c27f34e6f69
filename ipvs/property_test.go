package ipvs

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// The property tests drive the reconciler with random sequences of desired
// tables drawn from a small pool of keys and real servers, so that services
// and real servers keep appearing, changing and disappearing.

var (
	propKeys = []ServiceKey{
		AddrKey(TCP, ap("192.0.2.1:80")),
		AddrKey(TCP, ap("192.0.2.1:443")),
		AddrKey(UDP, ap("192.0.2.1:53")),
		AddrKey(SCTP, ap("192.0.2.2:3868")),
		AddrKey(TCP, ap("[2001:db8::1]:80")),
		FWMarkKey(IPv4, 1),
		FWMarkKey(IPv6, 2),
	}
	propAddrs4 = []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}
	propAddrs6 = []string{"2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3"}
)

func randomService(rng *rand.Rand, key ServiceKey) Service {
	s := Service{Key: key, Scheduler: Schedulers[rng.IntN(len(Schedulers))]}
	if rng.IntN(4) == 0 {
		s.Scheduler = "" // the default
	}
	switch s.Scheduler {
	case "sh", "mh":
		s.Flags |= ServiceFlags(rng.IntN(4)) * FlagSched1 // any of SCHED1, SCHED2
	}
	if rng.IntN(2) == 0 {
		s.Flags |= FlagPersistent
		s.Timeout = uint32(1 + rng.IntN(3600))
		s.Netmask = uint8(rng.IntN(int(key.Family.hostBits()) + 1))
	}
	if (key.Protocol == UDP || key.IsFWMark()) && rng.IntN(2) == 0 {
		s.Flags |= FlagOnePacket
	}
	pool := propAddrs4
	if key.Family == IPv6 {
		pool = propAddrs6
	}
	for _, a := range pool {
		if rng.IntN(3) == 0 {
			continue
		}
		d := Dest{Addr: netip.MustParseAddr(a), Weight: rng.IntN(4), Fwd: Forward(rng.IntN(3))}
		if d.Fwd == ForwardNAT && rng.IntN(2) == 0 {
			d.Port = uint16(8000 + rng.IntN(2))
		}
		if rng.IntN(3) == 0 {
			d.Upper = uint32(rng.IntN(100))
			d.Lower = uint32(rng.IntN(int(d.Upper) + 1))
		}
		s.Dests = append(s.Dests, d)
	}
	return s
}

func randomTable(rng *rand.Rand) Table {
	var t Table
	for _, k := range propKeys {
		if rng.IntN(3) != 0 {
			t.Services = append(t.Services, randomService(rng, k))
		}
	}
	return t
}

// snapshotOf copies the fake's whole state for comparison.
func snapshotOf(t *testing.T, f *Fake) map[ServiceKey]Service {
	t.Helper()
	return kernelTable(t, f)
}

// checkUnmanaged fails if the services vigil does not own changed.
func checkUnmanaged(t *testing.T, f *Fake, before map[ServiceKey]Service) {
	t.Helper()
	now := snapshotOf(t, f)
	for k, was := range before {
		got, ok := now[k]
		if !ok || !sameServiceAttrs(was, got) || !slices.Equal(was.Dests, got.Dests) {
			t.Fatalf("unmanaged service %s changed: %+v -> %+v (present %v)", k, was, got, ok)
		}
	}
}

// checkOwnership fails unless every service in the kernel is either owned or
// one of the unmanaged ones, and every owned service exists.
func checkOwnership(t *testing.T, f *Fake, managed KeySet, foreign map[ServiceKey]Service) {
	t.Helper()
	now := snapshotOf(t, f)
	for k := range now {
		if _, isForeign := foreign[k]; !isForeign && !managed.Has(k) {
			t.Fatalf("service %s is in the kernel but nobody owns it: it would leak", k)
		}
	}
	for k := range managed {
		if _, ok := now[k]; !ok {
			t.Fatalf("owned service %s is not in the kernel", k)
		}
	}
}

func newPropertyFake(t *testing.T) (*Fake, map[ServiceKey]Service) {
	f := NewFake()
	unmanaged(t, f)
	fw := Service{Key: FWMarkKey(IPv4, 99), Scheduler: "rr", Netmask: 32}
	if err := f.NewService(fw); err != nil {
		t.Fatal(err)
	}
	f.ResetWrites()
	return f, snapshotOf(t, f)
}

func TestPropertyRandomSequencesConverge(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			f, foreign := newPropertyFake(t)
			managed := KeySet{}
			for step := range 25 {
				desired := randomTable(rng)
				if err := desired.Validate(); err != nil {
					t.Fatalf("step %d: the generator made an invalid table: %v", step, err)
				}
				f.ResetWrites()
				res, err := Reconcile(f, desired, managed)
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				if res.Writes != f.Writes().Total() {
					t.Fatalf("step %d: result counts %d writes, the kernel saw %d", step, res.Writes, f.Writes().Total())
				}
				managed = res.Managed
				assertHolds(t, f, desired)
				checkUnmanaged(t, f, foreign)
				checkOwnership(t, f, managed, foreign)
				if len(snapshotOf(t, f)) != len(desired.Services)+len(foreign) {
					t.Fatalf("step %d: kernel holds services nobody wants", step)
				}

				f.ResetWrites()
				again, err := Reconcile(f, desired, managed)
				if err != nil || again.Writes != 0 || f.Writes().Total() != 0 {
					t.Fatalf("step %d: no-op reconcile: %v, %d writes (%v)", step, err, again.Writes, f.Writes())
				}
			}
			res, err := Clear(f, managed)
			if err != nil || len(res.Managed) != 0 {
				t.Fatalf("clear: %v, still managed %v", err, res.Managed)
			}
			if now := snapshotOf(t, f); len(now) != len(foreign) {
				t.Fatalf("after Clear the kernel holds %d services, want the %d unmanaged ones", len(now), len(foreign))
			}
			checkUnmanaged(t, f, foreign)
		})
	}
}

// With random write failures nothing leaks: whatever vigil created stays
// owned, unmanaged services survive, and a reconcile without failures
// repairs everything.
func TestPropertyFailuresNeverLoseOwnership(t *testing.T) {
	injected := errors.New("injected failure")
	for seed := range uint64(40) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0xfa11))
			f, foreign := newPropertyFake(t)
			managed := KeySet{}
			for step := range 20 {
				desired := randomTable(rng)
				f.FailWrites(func(FakeOp) error {
					if rng.IntN(4) == 0 {
						return injected
					}
					return nil
				})
				res, err := Reconcile(f, desired, managed)
				if err != nil && !errors.Is(err, injected) {
					t.Fatalf("step %d: unexpected error %v", step, err)
				}
				if (err == nil) != (len(res.Incomplete) == 0) {
					t.Fatalf("step %d: error %v but incomplete %v", step, err, res.Incomplete)
				}
				managed = res.Managed
				checkUnmanaged(t, f, foreign)
				checkOwnership(t, f, managed, foreign)

				f.FailWrites(nil)
				res, err = Reconcile(f, desired, managed)
				if err != nil {
					t.Fatalf("step %d: repair: %v", step, err)
				}
				managed = res.Managed
				assertHolds(t, f, desired)
				checkOwnership(t, f, managed, foreign)
			}
		})
	}
}
