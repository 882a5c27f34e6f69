// Package fault injects network faults on an interface, optionally inside a
// named network namespace, so that failover can be tested: it is the engine
// of `vigil fault`.
//
// # Faults
//
//	loss PCT                          drop PCT% of packets at random
//	blackhole                         drop every packet
//	drop-vrrp                         drop IP protocol 112 (VRRP), IPv4 and IPv6
//	partition PEER                    drop packets from or to one address
//	flap PERIOD                       link down, up, down ... every PERIOD
//	delay D [jitter J] [reorder PCT]  delay outgoing packets     (netem)
//	duplicate PCT                     duplicate outgoing packets (netem)
//
// The drops are a small BPF classifier generated in Go with cilium/ebpf's
// asm package (no clang, no object file) and attached in direct-action mode
// to a clsact qdisc, on ingress, egress or both: they need only cls_bpf
// and clsact, which kernels without netem or the gact action still have.
// The program matches on skb->protocol and the IPv4/IPv6 header (direct
// packet access, bounds-checked), draws bpf_get_prandom_u32 for a loss
// percentage, counts its drops in a one-entry array map (Show reports it)
// and returns TC_ACT_UNSPEC for the packets it lets pass, so other tc
// filters still see them. Egress drops return TC_ACT_STOLEN rather than
// TC_ACT_SHOT: the sender sees a successful send, as on a lossy wire,
// instead of ENOBUFS, which ping and other IP_RECVERR sockets would take for
// a full queue and retry. IPv6 extension headers are not walked: a VRRP
// packet behind one passes.
//
// delay and duplicate use a netem root qdisc and so shape only outgoing
// traffic; on a kernel without sch_netem they fail with ErrNetemMissing
// and a message saying which faults work without it. NetemAvailable probes
// the kernel in a scratch namespace.
//
// # What vigil marks, and what clear removes
//
// BPF filters are named FilterName ("vigil-fault") with priority
// FilterPriority and handle FilterHandle; the netem qdisc has handle
// NetemHandleMajor:0 (7669:). One record per active fault, in
// DefaultStateDir (/run/vigil/fault/IFACE@NETNS.json), keeps what the kernel
// cannot say: the fault, its expiry, whether vigil created the clsact qdisc
// and which process flaps the link. Clear deletes vigil's filters (found by
// name even without a record), the clsact qdisc only if vigil created it and
// no other filter uses it, vigil's netem qdisc (the kernel's default root
// qdisc comes back), and sets a flapped link up. A netem fault refuses an
// interface whose root qdisc someone configured; a drop fault refuses one
// with an "ingress" qdisc (ErrBusy).
//
// # Lifetime
//
// Every fault has a duration (DefaultDuration when none is given). Apply
// installs it and returns an Active whose goroutine removes it at expiry,
// when the context is cancelled or on Active.Clear; `vigil fault` waits in
// the foreground and Ctrl-C removes the fault. If the process dies, the
// next Apply, Clear, Show or Expire of any process removes faults whose
// time is up (and flaps whose process is gone). One fault per interface at
// a time (ErrActive); input errors (ErrInvalid, ErrNoInterface) change
// nothing, and a failure half-way is rolled back. A lock file in the state
// directory serialises vigil processes.
//
// Library use:
//
//	a, err := fault.Apply(ctx, fault.Spec{
//		Target: fault.Target{Netns: "lb1", Interface: "eth0"},
//		Kind:   fault.KindDropVRRP, Duration: 30 * time.Second,
//	})
//	...
//	err = a.Wait() // or a.Clear() to end it early
//
// The CLI is Main (or ParseArgs for the command line alone); see Usage.
// Everything needs root (CAP_NET_ADMIN, CAP_BPF/CAP_SYS_ADMIN).
package fault
