package ipvs

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// WriteKind is a kind of kernel write, for counting them.
type WriteKind int

// Kinds of writes the Fake counts.
const (
	WriteNewService WriteKind = iota
	WriteUpdateService
	WriteDelService
	WriteNewDest
	WriteUpdateDest
	WriteDelDest
	WriteStartDaemon
	WriteStopDaemon
	numWriteKinds
)

// String names the kind.
func (k WriteKind) String() string {
	names := [...]string{"new service", "update service", "delete service", "new real server",
		"update real server", "delete real server", "start sync daemon", "stop sync daemon"}
	if k >= 0 && k < numWriteKinds {
		return names[k]
	}
	return fmt.Sprintf("write-%d", int(k))
}

// WriteCounts counts writes by kind: counts[WriteNewDest] and so on.
type WriteCounts [numWriteKinds]int

// Total is the number of writes of every kind.
func (c WriteCounts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// FakeOp describes one write, for Fake.FailWrites.
type FakeOp struct {
	Kind    WriteKind
	Service ServiceKey // zero for sync daemon writes
	Dest    DestKey    // zero unless Kind is a real server write
	State   SyncState  // for sync daemon writes
}

// Fake is an in-memory IPVS table that behaves like the kernel's where the
// reconciler can tell: the same errors (EEXIST, ESRCH, ENOENT, ERANGE,
// EINVAL), the hashed flag on every service it reports, an empty list of real
// servers for an unknown service, the sync daemon's defaults. It counts every
// write, failed or not. Safe for concurrent use.
type Fake struct {
	mu        sync.Mutex
	services  map[ServiceKey]*fakeService
	daemons   map[SyncState]SyncDaemon
	writes    WriteCounts
	failWrite func(FakeOp) error
	info      Info
}

type fakeService struct {
	svc   Service // without Dests
	stats Stats
	dests map[DestKey]DestStatus
}

var (
	_ Kernel         = (*Fake)(nil)
	_ InfoReader     = (*Fake)(nil)
	_ SyncController = (*Fake)(nil)
)

// NewFake returns an empty table reporting IPVS 1.2.1 with 4096 buckets.
func NewFake() *Fake {
	return &Fake{
		services: map[ServiceKey]*fakeService{},
		daemons:  map[SyncState]SyncDaemon{},
		info:     Info{Version: 0x010201, ConnTableSize: 4096},
	}
}

// Writes returns the writes counted so far.
func (f *Fake) Writes() WriteCounts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// ResetWrites sets the counts to zero.
func (f *Fake) ResetWrites() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = WriteCounts{}
}

// FailWrites installs fn, called before every write: a non-nil result fails
// the write (counted, not applied). nil removes it.
func (f *Fake) FailWrites(fn func(FakeOp) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWrite = fn
}

// SetServiceStats sets the counters the fake reports for a service.
func (f *Fake) SetServiceStats(k ServiceKey, st Stats) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.services[k]
	if !ok {
		return unix.ESRCH
	}
	s.stats = st
	return nil
}

// SetDestStatus sets the connection counts and counters the fake reports for
// a real server; st.Dest selects it and its configuration is kept.
func (f *Fake) SetDestStatus(k ServiceKey, st DestStatus) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.services[k]
	if !ok {
		return unix.ESRCH
	}
	cur, ok := s.dests[st.Dest.Key()]
	if !ok {
		return unix.ENOENT
	}
	st.Dest = cur.Dest
	s.dests[st.Dest.Key()] = st
	return nil
}

// begin counts a write and asks the failure hook; the caller holds f.mu.
func (f *Fake) begin(op FakeOp) error {
	f.writes[op.Kind]++
	if f.failWrite != nil {
		return f.failWrite(op)
	}
	return nil
}

// GetServices lists the services, with the hashed flag set as the kernel does.
func (f *Fake) GetServices() ([]ServiceStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]ServiceStatus, 0, len(f.services))
	for _, k := range slices.SortedFunc(maps.Keys(f.services), ServiceKey.Compare) {
		s := f.services[k]
		svc := s.svc
		svc.Flags |= flagHashed
		out = append(out, ServiceStatus{Service: svc, Stats: s.stats})
	}
	return out, nil
}

// GetDestinations lists a service's real servers (none for an unknown one).
func (f *Fake) GetDestinations(k ServiceKey) ([]DestStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.services[k]
	if !ok {
		return nil, nil
	}
	out := make([]DestStatus, 0, len(s.dests))
	for _, d := range s.dests {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b DestStatus) int { return a.Dest.Key().Compare(b.Dest.Key()) })
	return out, nil
}

// NewService adds a service.
func (f *Fake) NewService(s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(FakeOp{Kind: WriteNewService, Service: s.Key}); err != nil {
		return err
	}
	if err := s.Key.validate(); err != nil {
		return unix.EINVAL
	}
	if _, ok := f.services[s.Key]; ok {
		return unix.EEXIST
	}
	if err := checkServiceAttrs(s); err != nil {
		return err
	}
	s.Dests = nil
	s.Flags &^= flagHashed
	f.services[s.Key] = &fakeService{svc: s, dests: map[DestKey]DestStatus{}}
	return nil
}

// UpdateService changes a service's attributes.
func (f *Fake) UpdateService(s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(FakeOp{Kind: WriteUpdateService, Service: s.Key}); err != nil {
		return err
	}
	cur, ok := f.services[s.Key]
	if !ok {
		return unix.ESRCH
	}
	if err := checkServiceAttrs(s); err != nil {
		return err
	}
	s.Dests = nil
	s.Flags &^= flagHashed
	cur.svc = s
	return nil
}

// checkServiceAttrs refuses what ip_vs_add_service / ip_vs_edit_service refuse.
func checkServiceAttrs(s Service) error {
	if s.Scheduler != "none" && !KnownScheduler(s.Scheduler) {
		return unix.ENOENT // "Scheduler module ip_vs_X not found"
	}
	if s.Key.Family == IPv6 && (s.Netmask < 1 || s.Netmask > 128) {
		return unix.EINVAL
	}
	return nil
}

// DelService removes a service and its real servers.
func (f *Fake) DelService(k ServiceKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(FakeOp{Kind: WriteDelService, Service: k}); err != nil {
		return err
	}
	if _, ok := f.services[k]; !ok {
		return unix.ESRCH
	}
	delete(f.services, k)
	return nil
}

// NewDestination adds a real server.
func (f *Fake) NewDestination(k ServiceKey, d Dest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(FakeOp{Kind: WriteNewDest, Service: k, Dest: d.Key()}); err != nil {
		return err
	}
	s, ok := f.services[k]
	if !ok {
		return unix.ESRCH
	}
	if err := checkDest(k, d); err != nil {
		return err
	}
	if _, ok := s.dests[d.Key()]; ok {
		return unix.EEXIST
	}
	s.dests[d.Key()] = DestStatus{Dest: d}
	return nil
}

// UpdateDestination changes a real server.
func (f *Fake) UpdateDestination(k ServiceKey, d Dest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(FakeOp{Kind: WriteUpdateDest, Service: k, Dest: d.Key()}); err != nil {
		return err
	}
	s, ok := f.services[k]
	if !ok {
		return unix.ESRCH
	}
	if err := checkDest(k, d); err != nil {
		return err
	}
	cur, ok := s.dests[d.Key()]
	if !ok {
		return unix.ENOENT
	}
	cur.Dest = d
	s.dests[d.Key()] = cur
	return nil
}

// checkDest refuses what ip_vs_add_dest / ip_vs_new_dest refuse.
func checkDest(k ServiceKey, d Dest) error {
	switch {
	case d.Weight < 0, d.Lower > d.Upper:
		return unix.ERANGE
	case !d.Addr.IsValid(), familyOf(d.Addr) != k.Family:
		return unix.EINVAL
	case d.Addr.IsUnspecified(), d.Addr.IsMulticast(), d.Addr.Is6() && d.Addr.IsLinkLocalUnicast(),
		d.Addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return unix.EINVAL
	}
	return nil
}

// DelDestination removes a real server.
func (f *Fake) DelDestination(k ServiceKey, dk DestKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(FakeOp{Kind: WriteDelDest, Service: k, Dest: dk}); err != nil {
		return err
	}
	s, ok := f.services[k]
	if !ok {
		return unix.ESRCH
	}
	if _, ok := s.dests[dk]; !ok {
		return unix.ENOENT
	}
	delete(s.dests, dk)
	return nil
}

// Info reports the version the fake pretends to be.
func (f *Fake) Info() (Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.info, nil
}

// StartSyncDaemon starts a pretend sync daemon, filling in the kernel's
// defaults (group 224.0.0.81, port 8848, TTL 1, maxlen from a 1500 MTU).
func (f *Fake) StartSyncDaemon(d SyncDaemon) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(FakeOp{Kind: WriteStartDaemon, State: d.State}); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return unix.EINVAL
	}
	if _, ok := f.daemons[d.State]; ok {
		return unix.EEXIST
	}
	if !d.Group.IsValid() {
		d.Group = DefaultSyncGroup
	}
	if d.Port == 0 {
		d.Port = DefaultSyncPort
	}
	if d.TTL == 0 {
		d.TTL = DefaultSyncTTL
	}
	if d.MaxLen == 0 {
		d.MaxLen = 1500 - 28
		if d.Group.Is6() {
			d.MaxLen = 1500 - 48
		}
	}
	f.daemons[d.State] = d
	return nil
}

// StopSyncDaemon stops a pretend sync daemon (ESRCH if none runs).
func (f *Fake) StopSyncDaemon(state SyncState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(FakeOp{Kind: WriteStopDaemon, State: state}); err != nil {
		return err
	}
	if _, ok := f.daemons[state]; !ok {
		return unix.ESRCH
	}
	delete(f.daemons, state)
	return nil
}

// SyncDaemons lists the pretend sync daemons, master first.
func (f *Fake) SyncDaemons() ([]SyncDaemon, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []SyncDaemon
	for _, st := range []SyncState{SyncMaster, SyncBackup} {
		if d, ok := f.daemons[st]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}
