package ipvs

// The IPVS connection synchronisation daemon: the master director multicasts
// its connection table, the backup installs what it hears, so established
// connections survive a failover. moby/ipvs does not wrap these commands;
// this file encodes them after include/uapi/linux/ip_vs.h and the kernel's
// ip_vs_genl_new_daemon / ip_vs_genl_dump_daemons.

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// SyncState is the role of a sync daemon (IP_VS_STATE_*).
type SyncState uint32

// Sync daemon roles. A namespace can run one of each.
const (
	SyncMaster SyncState = 1 // sends the connection table
	SyncBackup SyncState = 2 // receives it
)

// String returns "master" or "backup".
func (s SyncState) String() string {
	switch s {
	case SyncMaster:
		return "master"
	case SyncBackup:
		return "backup"
	}
	return fmt.Sprintf("state-%d", uint32(s))
}

// Kernel defaults the sync daemon fills in for zero fields (ip_vs_sync.c).
var (
	DefaultSyncGroup = netip.AddrFrom4([4]byte{224, 0, 0, 81})
)

// Other kernel sync daemon defaults and limits.
const (
	DefaultSyncPort = 8848
	DefaultSyncTTL  = 1
	ifNameMaxLen    = 15 // IP_VS_IFNAME_MAXLEN - 1
)

// SyncDaemon is the configuration of one sync daemon. Zero optional fields
// leave the kernel's defaults; the kernel reports the values it chose.
type SyncDaemon struct {
	State     SyncState
	Interface string     // interface the multicast goes out / is received on
	SyncID    uint8      // both directors must agree; tells apart clusters on one LAN
	MaxLen    uint16     // payload size of a sync message; 0: from the MTU
	Group     netip.Addr // multicast group; zero: 224.0.0.81
	Port      uint16     // UDP port; 0: 8848
	TTL       uint8      // multicast TTL; 0: 1
}

// Validate checks d against what the kernel accepts.
func (d SyncDaemon) Validate() error {
	var errs []error
	if d.State != SyncMaster && d.State != SyncBackup {
		errs = append(errs, fmt.Errorf("state %d is neither master nor backup", d.State))
	}
	if d.Interface == "" || len(d.Interface) > ifNameMaxLen || strings.ContainsAny(d.Interface, "\x00/ ") {
		errs = append(errs, fmt.Errorf("interface name %q is not a valid name of 1..%d characters", d.Interface, ifNameMaxLen))
	}
	if d.Group.IsValid() && (!d.Group.IsMulticast() || d.Group.Zone() != "" || d.Group.Is4In6()) {
		errs = append(errs, fmt.Errorf("group %s is not a multicast address", d.Group))
	}
	if d.MaxLen != 0 {
		hdr := uint16(20 + 8)
		if d.Group.Is6() {
			hdr = 40 + 8
		}
		lo := uint16(1)
		if d.State == SyncBackup {
			lo = 1024
		}
		// The kernel would clamp; a clamped value would never read back equal.
		if d.MaxLen < lo || d.MaxLen > 65535-hdr {
			errs = append(errs, fmt.Errorf("maxlen %d is outside %d..%d", d.MaxLen, lo, 65535-hdr))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sync daemon: %w", err)
	}
	return nil
}

// matches reports whether the running daemon got satisfies d: the fields d
// sets must be equal, its zero fields accept the kernel's choice.
func (d SyncDaemon) matches(got SyncDaemon) bool {
	return d.State == got.State && d.Interface == got.Interface && d.SyncID == got.SyncID &&
		(d.MaxLen == 0 || d.MaxLen == got.MaxLen) &&
		(!d.Group.IsValid() || d.Group == got.Group) &&
		(d.Port == 0 || d.Port == got.Port) &&
		(d.TTL == 0 || d.TTL == got.TTL)
}

// appendDaemonAttrs appends the nested IPVS_CMD_ATTR_DAEMON of d. Attributes
// go in enum order; optional ones only when set (the kernel then uses its
// defaults). Integers are host order, addresses network order.
func appendDaemonAttrs(b []byte, d SyncDaemon) []byte {
	return appendNested(b, ipvsCmdAttrDaemon, func(b []byte) []byte {
		b = appendU32Attr(b, ipvsDaemonAttrState, uint32(d.State))
		b = appendStringAttr(b, ipvsDaemonAttrMcastIfn, d.Interface)
		b = appendU32Attr(b, ipvsDaemonAttrSyncID, uint32(d.SyncID))
		if d.MaxLen != 0 {
			b = appendU16Attr(b, ipvsDaemonAttrSyncMaxLen, d.MaxLen)
		}
		if d.Group.Is4() {
			g := d.Group.As4()
			b = appendAttr(b, ipvsDaemonAttrMcastGroup, g[:])
		} else if d.Group.Is6() {
			g := d.Group.As16()
			b = appendAttr(b, ipvsDaemonAttrMcastGroup6, g[:])
		}
		if d.Port != 0 {
			b = appendU16Attr(b, ipvsDaemonAttrMcastPort, d.Port)
		}
		if d.TTL != 0 {
			b = appendU8Attr(b, ipvsDaemonAttrMcastTTL, d.TTL)
		}
		return b
	})
}

// newDaemonRequest encodes IPVS_CMD_NEW_DAEMON.
func newDaemonRequest(family uint16, seq uint32, d SyncDaemon) []byte {
	return genlMessage(family, requestFlags(false), seq, ipvsCmdNewDaemon, ipvsGenlVersion, appendDaemonAttrs(nil, d))
}

// delDaemonRequest encodes IPVS_CMD_DEL_DAEMON; the kernel reads only the state.
func delDaemonRequest(family uint16, seq uint32, state SyncState) []byte {
	attrs := appendNested(nil, ipvsCmdAttrDaemon, func(b []byte) []byte {
		return appendU32Attr(b, ipvsDaemonAttrState, uint32(state))
	})
	return genlMessage(family, requestFlags(false), seq, ipvsCmdDelDaemon, ipvsGenlVersion, attrs)
}

// getDaemonRequest encodes the IPVS_CMD_GET_DAEMON dump (the kernel has no
// non-dump form of it).
func getDaemonRequest(family uint16, seq uint32) []byte {
	return genlMessage(family, requestFlags(true), seq, ipvsCmdGetDaemon, ipvsGenlVersion, nil)
}

// decodeDaemon reads one message of the GET_DAEMON dump (the body after the
// nlmsghdr).
func decodeDaemon(body []byte) (SyncDaemon, error) {
	_, top, err := genlPayload(body)
	if err != nil {
		return SyncDaemon{}, err
	}
	for _, t := range top {
		if t.typ != ipvsCmdAttrDaemon {
			continue
		}
		attrs, err := parseAttributes(t.data)
		if err != nil {
			return SyncDaemon{}, fmt.Errorf("sync daemon: %w", err)
		}
		return daemonFromAttrs(attrs)
	}
	return SyncDaemon{}, errors.New("sync daemon: reply has no daemon attribute")
}

func daemonFromAttrs(attrs []attribute) (SyncDaemon, error) {
	var d SyncDaemon
	var haveState, haveIfn, haveID bool
	for _, a := range attrs {
		var err error
		switch a.typ {
		case ipvsDaemonAttrState:
			var v uint32
			v, err = attrU32(a)
			d.State, haveState = SyncState(v), true
		case ipvsDaemonAttrMcastIfn:
			d.Interface, haveIfn = attrString(a), true
		case ipvsDaemonAttrSyncID:
			var v uint32
			v, err = attrU32(a)
			d.SyncID, haveID = uint8(v), true
		case ipvsDaemonAttrSyncMaxLen:
			d.MaxLen, err = attrU16(a)
		case ipvsDaemonAttrMcastGroup:
			if len(a.data) < 4 {
				return SyncDaemon{}, fmt.Errorf("sync daemon: IPv4 group of %d bytes", len(a.data))
			}
			d.Group = netip.AddrFrom4([4]byte(a.data))
		case ipvsDaemonAttrMcastGroup6:
			if len(a.data) < 16 {
				return SyncDaemon{}, fmt.Errorf("sync daemon: IPv6 group of %d bytes", len(a.data))
			}
			d.Group = netip.AddrFrom16([16]byte(a.data))
		case ipvsDaemonAttrMcastPort:
			d.Port, err = attrU16(a)
		case ipvsDaemonAttrMcastTTL:
			d.TTL, err = attrU8(a)
		}
		if err != nil {
			return SyncDaemon{}, fmt.Errorf("sync daemon: %w", err)
		}
	}
	if !haveState || !haveIfn || !haveID {
		return SyncDaemon{}, errors.New("sync daemon: reply lacks state, interface or sync id")
	}
	return d, nil
}

// SyncController starts, stops and lists sync daemons. Handle and Fake
// implement it.
type SyncController interface {
	StartSyncDaemon(SyncDaemon) error
	StopSyncDaemon(SyncState) error
	SyncDaemons() ([]SyncDaemon, error)
}

var _ SyncController = (*Handle)(nil)

// StartSyncDaemon starts a sync daemon (IPVS_CMD_NEW_DAEMON). The kernel
// answers EEXIST if one of that state already runs.
func (h *Handle) StartSyncDaemon(d SyncDaemon) error {
	if err := d.Validate(); err != nil {
		return err
	}
	_, err := h.genl.execute(false, func(seq uint32) []byte { return newDaemonRequest(h.family, seq, d) })
	if err != nil {
		return fmt.Errorf("start %s sync daemon on %s: %w", d.State, d.Interface, err)
	}
	return nil
}

// StopSyncDaemon stops the daemon of the given state (IPVS_CMD_DEL_DAEMON).
// The kernel answers ESRCH if none runs.
func (h *Handle) StopSyncDaemon(state SyncState) error {
	_, err := h.genl.execute(false, func(seq uint32) []byte { return delDaemonRequest(h.family, seq, state) })
	if err != nil {
		return fmt.Errorf("stop %s sync daemon: %w", state, err)
	}
	return nil
}

// SyncDaemons lists the running sync daemons (IPVS_CMD_GET_DAEMON).
func (h *Handle) SyncDaemons() ([]SyncDaemon, error) {
	bodies, err := h.genl.execute(true, func(seq uint32) []byte { return getDaemonRequest(h.family, seq) })
	if err != nil {
		return nil, fmt.Errorf("list sync daemons: %w", err)
	}
	var out []SyncDaemon
	for _, b := range bodies {
		d, err := decodeDaemon(b)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// EnsureSyncDaemon makes the daemon of want.State run with want's settings:
// nothing if it already does, a start if none runs, a stop and a start if
// one runs with other settings. It reports whether it changed anything.
func EnsureSyncDaemon(c SyncController, want SyncDaemon) (changed bool, err error) {
	if err := want.Validate(); err != nil {
		return false, err
	}
	running, err := c.SyncDaemons()
	if err != nil {
		return false, err
	}
	for _, got := range running {
		if got.State != want.State {
			continue
		}
		if want.matches(got) {
			return false, nil
		}
		if err := c.StopSyncDaemon(want.State); err != nil {
			return false, err
		}
		changed = true
	}
	if err := c.StartSyncDaemon(want); err != nil {
		return changed, err
	}
	return true, nil
}

// SwitchSyncDaemon is EnsureSyncDaemon for a director changing role: it also
// stops the daemon of the other state, so a master only sends and a backup
// only receives.
func SwitchSyncDaemon(c SyncController, want SyncDaemon) (changed bool, err error) {
	other := SyncBackup
	if want.State == SyncBackup {
		other = SyncMaster
	}
	stopped, err := StopSyncDaemonIfRunning(c, other)
	if err != nil {
		return stopped, err
	}
	started, err := EnsureSyncDaemon(c, want)
	return stopped || started, err
}

// StopSyncDaemonIfRunning stops the daemon of the given state if one runs,
// and reports whether it did. A daemon that vanishes between the listing and
// the stop (ESRCH) counts as stopped by someone else.
func StopSyncDaemonIfRunning(c SyncController, state SyncState) (bool, error) {
	running, err := c.SyncDaemons()
	if err != nil {
		return false, err
	}
	for _, d := range running {
		if d.State != state {
			continue
		}
		err := c.StopSyncDaemon(state)
		if errors.Is(err, unix.ESRCH) {
			return false, nil
		}
		return err == nil, err
	}
	return false, nil
}
