package ipvs

import (
	"fmt"
	"slices"
)

// Kernel is the part of the kernel's IPVS table the reconciler talks to.
// Handle implements it for a real network namespace, Fake in memory.
//
// Reads return the table as the kernel reports it: a service's Dests are
// empty (GetDestinations lists them) and its Flags may carry state bits such
// as IP_VS_SVC_F_HASHED. Writes take normalized values (see Service).
type Kernel interface {
	GetServices() ([]ServiceStatus, error)
	// GetDestinations lists a service's real servers; like the kernel's dump
	// it returns an empty list, not an error, for an unknown service.
	GetDestinations(ServiceKey) ([]DestStatus, error)
	NewService(Service) error
	UpdateService(Service) error
	DelService(ServiceKey) error
	NewDestination(ServiceKey, Dest) error
	UpdateDestination(ServiceKey, Dest) error
	DelDestination(ServiceKey, DestKey) error
}

// InfoReader is implemented by kernels that report their IPVS version.
type InfoReader interface {
	Info() (Info, error)
}

// Info is the kernel's IPVS_CMD_GET_INFO answer.
type Info struct {
	Version       uint32 // (major << 16) | (minor << 8) | patch
	ConnTableSize uint32 // size of the connection hash table
}

// VersionString returns the version as "major.minor.patch".
func (i Info) VersionString() string {
	return fmt.Sprintf("%d.%d.%d", i.Version>>16&0xff, i.Version>>8&0xff, i.Version&0xff)
}

// Stats are a service's or real server's counters and rates.
type Stats struct {
	Conns    uint64 // connections scheduled
	InPkts   uint64 // packets in
	OutPkts  uint64 // packets out
	InBytes  uint64 // bytes in
	OutBytes uint64 // bytes out
	CPS      uint64 // connections per second (rate estimate)
	InPPS    uint64 // packets in per second
	OutPPS   uint64 // packets out per second
	InBPS    uint64 // bytes in per second
	OutBPS   uint64 // bytes out per second
}

// ServiceStatus is a service as the kernel reports it.
type ServiceStatus struct {
	Service Service // Dests is empty; see the Dests field below
	Stats   Stats
	Dests   []DestStatus // filled by ReadSnapshot; empty from Kernel.GetServices
}

// DestStatus is a real server as the kernel reports it.
type DestStatus struct {
	Dest            Dest
	ActiveConns     uint32
	InactiveConns   uint32
	PersistentConns uint32
	Stats           Stats
}

// Snapshot is the whole table with counters, for Format.
type Snapshot struct {
	Info     Info // zero if the kernel does not implement InfoReader
	Services []ServiceStatus
}

// ReadSnapshot reads every service and real server, sorted as ipvsadm sorts them.
func ReadSnapshot(k Kernel) (Snapshot, error) {
	var snap Snapshot
	if ir, ok := k.(InfoReader); ok {
		info, err := ir.Info()
		if err != nil {
			return Snapshot{}, err
		}
		snap.Info = info
	}
	svcs, err := k.GetServices()
	if err != nil {
		return Snapshot{}, err
	}
	for _, s := range svcs {
		dests, err := k.GetDestinations(s.Service.Key)
		if err != nil {
			return Snapshot{}, fmt.Errorf("real servers of %s: %w", s.Service.Key, err)
		}
		s.Dests = dests
		snap.Services = append(snap.Services, s)
	}
	sortSnapshot(&snap)
	return snap, nil
}

func sortSnapshot(snap *Snapshot) {
	slices.SortFunc(snap.Services, func(a, b ServiceStatus) int { return a.Service.Key.Compare(b.Service.Key) })
	for _, s := range snap.Services {
		slices.SortFunc(s.Dests, func(a, b DestStatus) int { return a.Dest.Key().Compare(b.Dest.Key()) })
	}
}
