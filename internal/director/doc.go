// Package director runs the VRRP instances of one director host: it reads
// adverts from the raw-socket transport, feeds them to the pure state
// machines of package vrrp, and carries out what the machines decide —
// sending adverts, claiming and releasing the virtual addresses, announcing
// them with gratuitous ARP / unsolicited NA, installing the IPVS tables and
// running notify hooks.
//
// Each instance is one goroutine that owns its vrrp.Machine and a single
// timer, so a machine is never stepped concurrently. Instances that share
// an interface and address family share one socket; a reader goroutine per
// socket decodes adverts and routes them by VRID.
//
// The side effects go through small interfaces (Network, Addresses,
// Announcer, Tables) so that the whole director can be tested in memory;
// package-level constructors in wire.go plug in the real implementations.
package director
