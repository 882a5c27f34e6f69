package fault

import (
	"errors"
	"fmt"
	"os"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// How vigil marks what it installs, so that clear removes only that.
const (
	// FilterName is the name of vigil's BPF filters (`tc filter show`
	// prints it).
	FilterName = "vigil-fault"
	// FilterPriority puts vigil's filters first: a drop must happen before
	// any other direct-action program lets the packet through.
	FilterPriority = 1
	// FilterHandle is the handle of vigil's filters ("vi").
	FilterHandle = 0x7669
	// NetemHandleMajor is the major handle of vigil's netem root qdisc
	// (`tc qdisc show` prints 7669:).
	NetemHandleMajor = 0x7669
)

// Sentinel errors of Apply, Clear and Show; the returned errors wrap them
// and say which interface and what to do.
var (
	// ErrNoInterface: the interface (or the namespace) does not exist.
	ErrNoInterface = errors.New("no such interface")
	// ErrActive: the interface already carries a vigil fault.
	ErrActive = errors.New("a fault is already active")
	// ErrNetemMissing: the fault needs sch_netem and the kernel has none.
	ErrNetemMissing = errors.New("the kernel has no netem qdisc (sch_netem)")
	// ErrBusy: the interface's tc setup is not vigil's to change.
	ErrBusy = errors.New("interface tc setup in the way")
)

// port is a netlink handle in the target's namespace and its link.
type port struct {
	target Target
	nl     *netlink.Handle
	link   netlink.Link
}

// openHandle returns a netlink handle in the named namespace ("" = ours).
func openHandle(nsName string) (*netlink.Handle, error) {
	if nsName == "" {
		return netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	ns, err := netns.GetFromName(nsName)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: no network namespace %q (see `ip netns list`)", ErrNoInterface, nsName)
		}
		return nil, fmt.Errorf("network namespace %q: %w", nsName, err)
	}
	defer ns.Close()
	return netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
}

// openPort finds the target's interface.
func openPort(t Target) (*port, error) {
	nl, err := openHandle(t.Netns)
	if err != nil {
		return nil, err
	}
	link, err := nl.LinkByName(t.Interface)
	if err != nil {
		nl.Close()
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) || errors.Is(err, unix.ENODEV) {
			where := "this network namespace"
			if t.Netns != "" {
				where = "network namespace " + t.Netns
			}
			return nil, fmt.Errorf("%w: no interface %q in %s (see `ip link`)", ErrNoInterface, t.Interface, where)
		}
		return nil, fmt.Errorf("interface %s: %w", t, err)
	}
	return &port{target: t, nl: nl, link: link}, nil
}

func (p *port) close() { p.nl.Close() }

// l3Offset is where the IP header starts in what a tc classifier sees:
// after the Ethernet header on Ethernet-like links (loopback included),
// at once on layer-3 links (tun, wireguard, ipip, gre).
func (p *port) l3Offset() int16 {
	switch p.link.Attrs().EncapType {
	case "ether", "loopback":
		return 14
	case "none", "ipip", "sit", "tunnel6", "gre", "ip6gre", "ppp":
		return 0
	}
	if len(p.link.Attrs().HardwareAddr) == 6 {
		return 14
	}
	return 0
}

// parents are the clsact hooks of a direction.
func parents(d Direction) []uint32 {
	var ps []uint32
	if d.ingress() {
		ps = append(ps, netlink.HANDLE_MIN_INGRESS)
	}
	if d.egress() {
		ps = append(ps, netlink.HANDLE_MIN_EGRESS)
	}
	return ps
}

func hookName(parent uint32) string {
	if parent == netlink.HANDLE_MIN_INGRESS {
		return "ingress"
	}
	return "egress"
}

// qdiscs returns the link's clsact (or ingress) qdisc and root qdisc.
func (p *port) qdiscs() (clsact, ingress, root netlink.Qdisc, err error) {
	qs, err := p.nl.QdiscList(p.link)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: list qdiscs: %w", p.target, err)
	}
	for _, q := range qs {
		switch {
		case q.Type() == "clsact":
			clsact = q
		case q.Type() == "ingress":
			ingress = q
		case q.Attrs().Parent == netlink.HANDLE_ROOT:
			root = q
		}
	}
	return clsact, ingress, root, nil
}

// ensureClsact adds a clsact qdisc unless the link has one; created says
// whether vigil made it (and so may remove it).
func (p *port) ensureClsact() (created bool, err error) {
	clsact, ingress, _, err := p.qdiscs()
	if err != nil {
		return false, err
	}
	if clsact != nil {
		return false, nil
	}
	if ingress != nil {
		return false, fmt.Errorf("%w: %s has an ingress qdisc, which takes the place of the clsact qdisc the drop faults need; remove it (tc qdisc del dev %s ingress) or use another interface",
			ErrBusy, p.target, p.target.Interface)
	}
	if err := p.nl.QdiscAdd(p.clsact()); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, fmt.Errorf("%s: the kernel has no clsact qdisc (module sch_ingress, CONFIG_NET_SCH_INGRESS), which the drop faults need", p.target)
		}
		return false, fmt.Errorf("%s: add clsact qdisc: %w", p.target, err)
	}
	return true, nil
}

func (p *port) clsact() *netlink.Clsact {
	return &netlink.Clsact{QdiscAttrs: netlink.QdiscAttrs{
		LinkIndex: p.link.Attrs().Index,
		Handle:    netlink.MakeHandle(0xffff, 0),
		Parent:    netlink.HANDLE_CLSACT,
	}}
}

// addFilter attaches the program with fd on one clsact hook.
func (p *port) addFilter(parent uint32, fd int) error {
	f := &netlink.BpfFilter{
		FilterAttrs: netlink.FilterAttrs{
			LinkIndex: p.link.Attrs().Index,
			Parent:    parent,
			Handle:    FilterHandle,
			Priority:  FilterPriority,
			Protocol:  unix.ETH_P_ALL,
		},
		Fd:           fd,
		Name:         FilterName,
		DirectAction: true,
	}
	if err := p.nl.FilterAdd(f); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("%s: the kernel has no bpf classifier (module cls_bpf, CONFIG_NET_CLS_BPF), which the drop faults need", p.target)
		}
		return fmt.Errorf("%s: attach BPF filter on %s: %w", p.target, hookName(parent), err)
	}
	return nil
}

// vigilFilters lists vigil's filters on the link's clsact hooks, and
// reports whether other filters are there too.
func (p *port) vigilFilters() (ours []*netlink.BpfFilter, others int, err error) {
	clsact, _, _, err := p.qdiscs()
	if err != nil || clsact == nil {
		return nil, 0, err
	}
	for _, parent := range []uint32{netlink.HANDLE_MIN_INGRESS, netlink.HANDLE_MIN_EGRESS} {
		fs, err := p.nl.FilterList(p.link, parent)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: list %s filters: %w", p.target, hookName(parent), err)
		}
		for _, f := range fs {
			if b, ok := f.(*netlink.BpfFilter); ok && b.Name == FilterName {
				ours = append(ours, b)
			} else {
				others++
			}
		}
	}
	return ours, others, nil
}

// vigilNetem returns vigil's netem root qdisc, or nil.
func (p *port) vigilNetem() (*netlink.Netem, error) {
	_, _, root, err := p.qdiscs()
	if err != nil {
		return nil, err
	}
	if n, ok := root.(*netlink.Netem); ok && n.Handle == netlink.MakeHandle(NetemHandleMajor, 0) {
		return n, nil
	}
	return nil, nil
}

// addNetem installs a netem root qdisc shaping egress as s says. It
// refuses to replace a root qdisc someone configured (handle other than
// the kernel default 0:).
func (p *port) addNetem(s Spec) error {
	_, _, root, err := p.qdiscs()
	if err != nil {
		return err
	}
	if root != nil && root.Attrs().Handle != 0 {
		return fmt.Errorf("%w: %s has a configured root qdisc (%s %s); vigil will not replace it: remove it first or use another interface",
			ErrBusy, p.target, root.Type(), netlink.HandleStr(root.Attrs().Handle))
	}
	attrs := netlink.NetemQdiscAttrs{
		Latency:     uint32(s.Delay.Microseconds()),
		Jitter:      uint32(s.Jitter.Microseconds()),
		ReorderProb: float32(s.Reorder),
	}
	if s.Kind == KindDuplicate {
		attrs.Duplicate = float32(s.Percent)
	}
	q := netlink.NewNetem(netlink.QdiscAttrs{
		LinkIndex: p.link.Attrs().Index,
		Handle:    netlink.MakeHandle(NetemHandleMajor, 0),
		Parent:    netlink.HANDLE_ROOT,
	}, attrs)
	if err := p.nl.QdiscAdd(q); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return netemMissing(s.Kind)
		}
		return fmt.Errorf("%s: add netem qdisc: %w", p.target, err)
	}
	return nil
}

// netemMissing is the error of a netem fault on a kernel without netem.
func netemMissing(k Kind) error {
	return fmt.Errorf("%w: %s needs the sch_netem kernel module, which this kernel lacks; loss, blackhole, drop-vrrp, partition and flap work without it", ErrNetemMissing, k)
}
