// Package netif claims and announces virtual IP addresses on Linux
// interfaces: it adds and removes VIPs with netlink, removes stale VIPs at
// start-up, announces a VIP with gratuitous ARP (IPv4) or an unsolicited
// neighbour advertisement (IPv6), and manages the optional VRRP virtual MAC
// interface (a macvlan, keepalived's use_vmac).
//
// The frames are built the way keepalived builds them, so switches and
// hosts see the same thing after a failover whichever daemon runs:
//
//   - gratuitous ARP: an ARP request to ff:ff:ff:ff:ff:ff with sender IP ==
//     target IP == VIP, sender MAC = interface MAC and target MAC
//     ff:ff:ff:ff:ff:ff, 42 bytes (no padding);
//   - unsolicited NA: from the VIP to ff02::1 (Ethernet 33:33:00:00:00:01),
//     hop limit 255, target = VIP, override set, solicited clear, router set
//     when the interface forwards IPv6, with a target link-layer address
//     option carrying the interface MAC.
//
// Network namespaces: Open and NewAnnouncer create their sockets in the
// network namespace of the calling OS thread; the sockets stay there, so the
// returned values may then be used from any goroutine.
package netif
