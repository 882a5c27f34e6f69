package ipvs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	mobyipvs "github.com/moby/ipvs"
)

// Handle is the real kernel's IPVS table in one network namespace, through
// github.com/moby/ipvs for services and real servers and through our own
// generic netlink client for the sync daemon and version information.
// It is safe for concurrent use.
type Handle struct {
	mu     sync.Mutex
	moby   *mobyipvs.Handle
	genl   *genlConn
	family uint16 // IPVS generic netlink family id
}

var _ Kernel = (*Handle)(nil)

// Open returns a handle on the IPVS table of the network namespace at nsPath
// (for example /run/netns/NAME; "" for the caller's own namespace).
//
// It first makes sure the kernel has IPVS (see CheckAvailable) and fails with
// ErrUnavailable otherwise: moby/ipvs v1.1.0 resolves the IPVS family once
// per process and, if it is missing, silently turns every later call into a
// no-op, so it must not be reached without IPVS.
func Open(nsPath string) (*Handle, error) {
	if err := CheckAvailable(context.Background()); err != nil {
		return nil, err
	}
	g, err := dialGenl(nsPath)
	if err != nil {
		return nil, err
	}
	family, ok, err := g.familyID(ipvsGenlName)
	if err == nil && !ok {
		err = &UnavailableError{Reasons: []string{"generic netlink family IPVS vanished after the check"}}
	}
	if err != nil {
		g.Close()
		return nil, err
	}
	m, err := mobyipvs.New(nsPath)
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("ipvs handle for %q: %w", nsPath, err)
	}
	return &Handle{moby: m, genl: g, family: family}, nil
}

// Close releases the handle's sockets.
func (h *Handle) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.moby.Close()
	return h.genl.Close()
}

// GetServices lists the namespace's virtual services.
func (h *Handle) GetServices() ([]ServiceStatus, error) {
	h.mu.Lock()
	svcs, err := h.moby.GetServices()
	h.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("list ipvs services: %w", err)
	}
	out := make([]ServiceStatus, 0, len(svcs))
	for _, s := range svcs {
		st, err := serviceFromMoby(s)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// GetDestinations lists the real servers of the service k.
func (h *Handle) GetDestinations(k ServiceKey) ([]DestStatus, error) {
	h.mu.Lock()
	dests, err := h.moby.GetDestinations(mobyService(Service{Key: k}))
	h.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("list real servers of %s: %w", k, err)
	}
	out := make([]DestStatus, 0, len(dests))
	for _, d := range dests {
		ds, err := destFromMoby(d)
		if err != nil {
			return nil, fmt.Errorf("real server of %s: %w", k, err)
		}
		out = append(out, ds)
	}
	return out, nil
}

// NewService adds a virtual service (without real servers).
func (h *Handle) NewService(s Service) error {
	return h.locked(func() error { return h.moby.NewService(mobyService(s)) })
}

// UpdateService changes a service's scheduler, flags, timeout and netmask.
func (h *Handle) UpdateService(s Service) error {
	return h.locked(func() error { return h.moby.UpdateService(mobyService(s)) })
}

// DelService removes a service and its real servers.
func (h *Handle) DelService(k ServiceKey) error {
	return h.locked(func() error { return h.moby.DelService(mobyService(Service{Key: k})) })
}

// NewDestination adds a real server to the service k.
func (h *Handle) NewDestination(k ServiceKey, d Dest) error {
	return h.locked(func() error { return h.moby.NewDestination(mobyService(Service{Key: k}), mobyDest(d)) })
}

// UpdateDestination changes a real server's weight, thresholds and forwarding.
func (h *Handle) UpdateDestination(k ServiceKey, d Dest) error {
	return h.locked(func() error { return h.moby.UpdateDestination(mobyService(Service{Key: k}), mobyDest(d)) })
}

// DelDestination removes a real server from the service k.
func (h *Handle) DelDestination(k ServiceKey, d DestKey) error {
	return h.locked(func() error {
		return h.moby.DelDestination(mobyService(Service{Key: k}), mobyDest(Dest{Addr: d.Addr, Port: d.Port}))
	})
}

func (h *Handle) locked(f func() error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return f()
}

// Info returns the kernel's IPVS version and connection table size.
func (h *Handle) Info() (Info, error) {
	bodies, err := h.genl.execute(false, func(seq uint32) []byte {
		return genlMessage(h.family, requestFlags(false), seq, ipvsCmdGetInfo, ipvsGenlVersion, nil)
	})
	if err != nil {
		return Info{}, fmt.Errorf("ipvs info: %w", err)
	}
	return decodeInfo(bodies)
}

// decodeInfo reads an IPVS_CMD_GET_INFO reply (top-level attributes).
func decodeInfo(bodies [][]byte) (Info, error) {
	var info Info
	var seen bool
	for _, body := range bodies {
		_, attrs, err := genlPayload(body)
		if err != nil {
			return Info{}, err
		}
		for _, a := range attrs {
			switch a.typ {
			case ipvsInfoAttrVersion:
				info.Version, err = attrU32(a)
				seen = true
			case ipvsInfoAttrConnTabSize:
				info.ConnTableSize, err = attrU32(a)
			}
			if err != nil {
				return Info{}, err
			}
		}
	}
	if !seen {
		return Info{}, errors.New("ipvs info: reply has no version")
	}
	return info, nil
}

// mobyService converts to moby's form; only the key matters for lookups.
func mobyService(s Service) *mobyipvs.Service {
	k := s.Key
	m := &mobyipvs.Service{
		AddressFamily: uint16(k.Family),
		SchedName:     s.Scheduler,
		Flags:         uint32(s.Flags),
		Timeout:       s.Timeout,
		Netmask:       kernelNetmask(k.Family, s.Netmask),
	}
	if k.IsFWMark() {
		m.FWMark = k.FWMark
	} else {
		m.Protocol = uint16(k.Protocol)
		m.Address = net.IP(k.Addr.AsSlice())
		m.Port = k.Port
	}
	return m
}

func mobyDest(d Dest) *mobyipvs.Destination {
	return &mobyipvs.Destination{
		Address:         net.IP(d.Addr.AsSlice()),
		Port:            d.Port,
		Weight:          d.Weight,
		ConnectionFlags: d.Fwd.connFlags(),
		AddressFamily:   uint16(familyOf(d.Addr)),
		UpperThreshold:  d.Upper,
		LowerThreshold:  d.Lower,
	}
}

func serviceFromMoby(m *mobyipvs.Service) (ServiceStatus, error) {
	fam := Family(m.AddressFamily)
	var key ServiceKey
	if m.FWMark != 0 {
		key = FWMarkKey(fam, m.FWMark)
	} else {
		a, ok := netip.AddrFromSlice(m.Address)
		if !ok {
			return ServiceStatus{}, fmt.Errorf("ipvs service with unreadable address %v", m.Address)
		}
		if fam == IPv4 {
			a = a.Unmap()
		}
		key = AddrKey(Protocol(m.Protocol), netip.AddrPortFrom(a, m.Port))
		key.Family = fam
	}
	return ServiceStatus{
		Service: Service{
			Key:       key,
			Scheduler: m.SchedName,
			Flags:     ServiceFlags(m.Flags) &^ flagHashed,
			Timeout:   m.Timeout,
			Netmask:   netmaskFromKernel(fam, m.Netmask),
		},
		Stats: statsFromMoby(m.Stats),
	}, nil
}

func destFromMoby(m *mobyipvs.Destination) (DestStatus, error) {
	a, ok := netip.AddrFromSlice(m.Address)
	if !ok {
		return DestStatus{}, fmt.Errorf("unreadable address %v", m.Address)
	}
	if Family(m.AddressFamily) == IPv4 {
		a = a.Unmap()
	}
	return DestStatus{
		Dest: Dest{
			Addr:   a,
			Port:   m.Port,
			Weight: m.Weight,
			Fwd:    forwardFromConnFlags(m.ConnectionFlags),
			Upper:  m.UpperThreshold,
			Lower:  m.LowerThreshold,
		},
		ActiveConns:   uint32(m.ActiveConnections),
		InactiveConns: uint32(m.InactiveConnections),
		Stats:         statsFromMoby(mobyipvs.SvcStats(m.Stats)),
	}, nil
}

func statsFromMoby(s mobyipvs.SvcStats) Stats {
	return Stats{
		Conns: uint64(s.Connections), InPkts: uint64(s.PacketsIn), OutPkts: uint64(s.PacketsOut),
		InBytes: s.BytesIn, OutBytes: s.BytesOut,
		CPS: uint64(s.CPS), InPPS: uint64(s.PPSIn), OutPPS: uint64(s.PPSOut),
		InBPS: uint64(s.BPSIn), OutBPS: uint64(s.BPSOut),
	}
}

// netmaskInvalid marks a kernel netmask that is no prefix (a non-contiguous
// IPv4 mask someone else wrote); it never equals a desired netmask.
const netmaskInvalid = 0xff

// kernelNetmask encodes a prefix length the way IPVS_SVC_ATTR_NETMASK carries
// it, as moby/ipvs writes it (host order): the mask's bytes in network order
// for IPv4, the prefix length itself for IPv6.
func kernelNetmask(f Family, bits uint8) uint32 {
	if f == IPv6 {
		return uint32(bits)
	}
	m := mask4(bits)
	return native.Uint32(m[:])
}

// netmaskFromKernel decodes kernelNetmask's encoding.
func netmaskFromKernel(f Family, raw uint32) uint8 {
	if f == IPv6 {
		if raw > 128 {
			return netmaskInvalid
		}
		return uint8(raw)
	}
	b := native.AppendUint32(nil, raw)
	bits, err := maskBits4([4]byte(b))
	if err != nil {
		return netmaskInvalid
	}
	return bits
}
