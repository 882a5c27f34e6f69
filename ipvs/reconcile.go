package ipvs

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// KeySet is a set of service keys; the reconciler uses it for the services
// vigil owns. It marshals to JSON as a sorted list, so the director can keep
// it across restarts.
type KeySet map[ServiceKey]struct{}

// NewKeySet returns a set holding keys.
func NewKeySet(keys ...ServiceKey) KeySet {
	s := make(KeySet, len(keys))
	for _, k := range keys {
		s.Add(k)
	}
	return s
}

// Add puts k in the set.
func (s KeySet) Add(k ServiceKey) { s[k] = struct{}{} }

// Has reports whether k is in the set.
func (s KeySet) Has(k ServiceKey) bool { _, ok := s[k]; return ok }

// Clone returns an independent copy (never nil).
func (s KeySet) Clone() KeySet {
	if s == nil {
		return KeySet{}
	}
	return maps.Clone(s)
}

// Sorted returns the keys in ipvsadm's order.
func (s KeySet) Sorted() []ServiceKey {
	return slices.SortedFunc(maps.Keys(s), ServiceKey.Compare)
}

// MarshalJSON writes the set as a sorted array of key strings.
func (s KeySet) MarshalJSON() ([]byte, error) {
	keys := s.Sorted()
	if keys == nil {
		keys = []ServiceKey{}
	}
	return json.Marshal(keys)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *KeySet) UnmarshalJSON(b []byte) error {
	var keys []ServiceKey
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	*s = NewKeySet(keys...)
	return nil
}

// DestRef names a real server of a service.
type DestRef struct {
	Service ServiceKey
	Dest    DestKey
}

// String returns "service -> real server".
func (r DestRef) String() string { return r.Service.String() + " -> " + r.Dest.String() }

// Result is what a reconcile did. On error it still lists everything that
// was applied, so nothing is half-done without being reported.
type Result struct {
	AddedServices   []ServiceKey
	UpdatedServices []ServiceKey
	DeletedServices []ServiceKey
	AddedDests      []DestRef
	UpdatedDests    []DestRef
	DeletedDests    []DestRef
	// Incomplete lists the services at least one write or read of which
	// failed: each is somewhere between its old and its desired state (a
	// service whose deletion failed is still there, and still owned).
	Incomplete []ServiceKey
	// Writes counts the netlink writes issued, failed ones included. An
	// unchanged table costs zero.
	Writes int
	// Managed is the set of services vigil owns afterwards; pass it to the
	// next Reconcile or Clear. It is right even when an error is returned.
	Managed KeySet
}

// Changed reports whether anything was written successfully.
func (r Result) Changed() bool {
	return len(r.AddedServices)+len(r.UpdatedServices)+len(r.DeletedServices)+
		len(r.AddedDests)+len(r.UpdatedDests)+len(r.DeletedDests) > 0
}

// Summary is a one-line account of the result for logs.
func (r Result) Summary() string {
	var parts []string
	count := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", what, n))
		}
	}
	count(len(r.AddedServices), "services added")
	count(len(r.UpdatedServices), "services updated")
	count(len(r.DeletedServices), "services deleted")
	count(len(r.AddedDests), "real servers added")
	count(len(r.UpdatedDests), "real servers updated")
	count(len(r.DeletedDests), "real servers deleted")
	count(len(r.Incomplete), "services incomplete")
	if len(parts) == 0 {
		parts = append(parts, "no change")
	}
	return fmt.Sprintf("%s (%d writes)", strings.Join(parts, ", "), r.Writes)
}

// OpError is one failed kernel write or read during a reconcile.
type OpError struct {
	Op      string // "add service", "update real server", ...
	Service ServiceKey
	Dest    DestKey // zero for service operations
	Err     error
}

// Error describes the operation and the kernel's answer.
func (e *OpError) Error() string {
	if e.Service == (ServiceKey{}) {
		return fmt.Sprintf("ipvs: %s: %v", e.Op, e.Err)
	}
	if e.Dest.Addr.IsValid() {
		return fmt.Sprintf("ipvs: %s %s of %s: %v", e.Op, e.Dest, e.Service, e.Err)
	}
	return fmt.Sprintf("ipvs: %s %s: %v", e.Op, e.Service, e.Err)
}

// Unwrap returns the kernel's error.
func (e *OpError) Unwrap() error { return e.Err }

// Reconcile makes the kernel's table hold desired, touching only services
// that are desired or in managed (the services vigil owns). A desired
// service is owned from then on, whether vigil created it or found it; an
// owned service that is no longer desired is deleted; everything else in
// the kernel is left alone.
//
// Changes are made in place where the kernel allows (scheduler, flags,
// persistence, weights, thresholds, forwarding method), so changing one
// weight is one write. New real servers are added before stale ones are
// removed. A failed write does not stop the others: every failure is
// returned (joined *OpError values) and the Result lists what was applied.
// An invalid desired table changes nothing.
func Reconcile(k Kernel, desired Table, managed KeySet) (Result, error) {
	res := Result{Managed: managed.Clone()}
	if err := desired.Validate(); err != nil {
		return res, fmt.Errorf("desired ipvs table: %w", err)
	}
	current, err := k.GetServices()
	if err != nil {
		return res, &OpError{Op: "list services", Err: err}
	}
	cur := make(map[ServiceKey]Service, len(current))
	for _, s := range current {
		cur[s.Service.Key] = s.Service
	}

	r := reconciler{k: k, res: &res}
	wanted := make(map[ServiceKey]bool, len(desired.Services))
	for _, s := range desired.normalized() {
		wanted[s.Key] = true
		if c, ok := cur[s.Key]; ok {
			r.updateService(s, c)
		} else {
			r.addService(s)
		}
	}
	for _, key := range managed.Sorted() {
		switch _, exists := cur[key]; {
		case wanted[key]:
		case !exists:
			delete(res.Managed, key) // someone else removed it already
		default:
			r.deleteService(key)
		}
	}
	return res, errors.Join(r.errs...)
}

// Clear deletes every service in managed that the kernel still has, and only
// those. It is Reconcile with an empty desired table.
func Clear(k Kernel, managed KeySet) (Result, error) {
	return Reconcile(k, Table{}, managed)
}

// reconciler carries one Reconcile's bookkeeping.
type reconciler struct {
	k    Kernel
	res  *Result
	errs []error
}

// write issues one kernel write and records a failure.
func (r *reconciler) write(op string, key ServiceKey, dest DestKey, f func() error) bool {
	r.res.Writes++
	if err := f(); err != nil {
		r.fail(op, key, dest, err)
		return false
	}
	return true
}

func (r *reconciler) fail(op string, key ServiceKey, dest DestKey, err error) {
	r.errs = append(r.errs, &OpError{Op: op, Service: key, Dest: dest, Err: err})
	if n := len(r.res.Incomplete); n == 0 || r.res.Incomplete[n-1] != key {
		r.res.Incomplete = append(r.res.Incomplete, key)
	}
}

func (r *reconciler) addService(s Service) {
	attrs := s
	attrs.Dests = nil
	if !r.write("add service", s.Key, DestKey{}, func() error { return r.k.NewService(attrs) }) {
		delete(r.res.Managed, s.Key) // owned before, but gone from the kernel
		return
	}
	r.res.Managed.Add(s.Key)
	r.res.AddedServices = append(r.res.AddedServices, s.Key)
	for _, d := range s.Dests {
		r.addDest(s.Key, d)
	}
}

func (r *reconciler) updateService(s Service, cur Service) {
	r.res.Managed.Add(s.Key)
	if !sameServiceAttrs(s, cur) {
		attrs := s
		attrs.Dests = nil
		if r.write("update service", s.Key, DestKey{}, func() error { return r.k.UpdateService(attrs) }) {
			r.res.UpdatedServices = append(r.res.UpdatedServices, s.Key)
		}
	}
	dests, err := r.k.GetDestinations(s.Key)
	if err != nil {
		r.fail("list real servers", s.Key, DestKey{}, err)
		return
	}
	added, changed, stale := diffDests(s.Dests, dests)
	for _, d := range added {
		r.addDest(s.Key, d)
	}
	for _, d := range changed {
		if r.write("update real server", s.Key, d.Key(), func() error { return r.k.UpdateDestination(s.Key, d) }) {
			r.res.UpdatedDests = append(r.res.UpdatedDests, DestRef{s.Key, d.Key()})
		}
	}
	for _, dk := range stale {
		if r.write("delete real server", s.Key, dk, func() error { return r.k.DelDestination(s.Key, dk) }) {
			r.res.DeletedDests = append(r.res.DeletedDests, DestRef{s.Key, dk})
		}
	}
}

// diffDests compares the desired real servers (normalized, so sorted) with
// the kernel's by walking both in key order.
func diffDests(want []Dest, have []DestStatus) (added, changed []Dest, stale []DestKey) {
	cur := make([]Dest, len(have))
	for i, d := range have {
		cur[i] = d.Dest
	}
	slices.SortFunc(cur, func(a, b Dest) int { return a.Key().Compare(b.Key()) })
	i, j := 0, 0
	for i < len(want) || j < len(cur) {
		c := 0
		switch {
		case i == len(want):
			c = 1
		case j == len(cur):
			c = -1
		default:
			c = want[i].Key().Compare(cur[j].Key())
		}
		switch {
		case c < 0:
			added = append(added, want[i])
			i++
		case c > 0:
			stale = append(stale, cur[j].Key())
			j++
		default:
			if !sameDest(want[i], cur[j]) {
				changed = append(changed, want[i])
			}
			i++
			j++
		}
	}
	return added, changed, stale
}

func (r *reconciler) addDest(key ServiceKey, d Dest) {
	if r.write("add real server", key, d.Key(), func() error { return r.k.NewDestination(key, d) }) {
		r.res.AddedDests = append(r.res.AddedDests, DestRef{key, d.Key()})
	}
}

func (r *reconciler) deleteService(key ServiceKey) {
	// On failure the service stays owned, so the next reconcile retries.
	if r.write("delete service", key, DestKey{}, func() error { return r.k.DelService(key) }) {
		delete(r.res.Managed, key)
		r.res.DeletedServices = append(r.res.DeletedServices, key)
	}
}

// sameServiceAttrs compares a normalized desired service with the kernel's,
// ignoring state flags such as IP_VS_SVC_F_HASHED.
func sameServiceAttrs(want, cur Service) bool {
	return want.Scheduler == cur.Scheduler &&
		want.Flags&settableFlags == cur.Flags&settableFlags &&
		want.Timeout == cur.Timeout &&
		want.Netmask == cur.Netmask
}

func sameDest(want, cur Dest) bool {
	return want.Weight == cur.Weight && want.Fwd == cur.Fwd && want.Upper == cur.Upper && want.Lower == cur.Lower
}

// Reconciler keeps the set of owned services between calls; it is what the
// director holds. Safe for concurrent use.
type Reconciler struct {
	mu      sync.Mutex
	kernel  Kernel
	managed KeySet
}

// NewReconciler returns a reconciler for k that starts out owning managed
// (for example the set saved before a restart; nil for none).
func NewReconciler(k Kernel, managed KeySet) *Reconciler {
	return &Reconciler{kernel: k, managed: managed.Clone()}
}

// Apply installs desired (see Reconcile). Call it on MASTER, or always with
// ipvs_follow = "always".
func (r *Reconciler) Apply(desired Table) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, err := Reconcile(r.kernel, desired, r.managed)
	r.managed = res.Managed.Clone()
	return res, err
}

// Clear removes every service vigil owns (see Clear). Call it when leaving
// MASTER with ipvs_follow = "master".
func (r *Reconciler) Clear() (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res, err := Clear(r.kernel, r.managed)
	r.managed = res.Managed.Clone()
	return res, err
}

// Managed returns a copy of the set of services vigil owns.
func (r *Reconciler) Managed() KeySet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.managed.Clone()
}
