// Package transport moves VRRP packets (IP protocol 112) over raw IPv4 and
// IPv6 sockets on one network interface.
//
// It is codec-agnostic: Receive hands back the VRRP payload together with the
// source and destination addresses, the received TTL / hop limit and the
// interface index, and Send writes payload bytes the caller has already
// encoded. The vrrp package decodes and encodes those bytes.
//
// What the transport enforces (RFC 5798 section 7.1, RFC 3768 section 7.1):
//
//   - the socket is bound to the interface (SO_BINDTODEVICE), joins
//     224.0.0.18 or ff02::12 on that interface only, and sends with TTL / hop
//     limit 255 and multicast loopback off;
//   - packets received with a TTL / hop limit other than 255 are rejected
//     (reason "ttl"), packets whose source is one of the interface's own
//     addresses are rejected (reason "own"), and in unicast mode packets from
//     an address that is not a configured peer are rejected (reason
//     "not-a-peer"). A rejection is returned from Receive as a *RejectError
//     and counted in Stats; the caller logs it and reads again.
//
// # Sharing one Conn between virtual routers
//
// The kernel delivers a copy of every protocol-112 packet to every raw socket
// that matches it, so the daemon opens ONE Conn per interface and address
// family and runs one receive loop on it. The loop decodes each payload and
// routes it to the virtual router whose VRID it carries (byte 1 of the VRRP
// header); packets for an unknown VRID are dropped by the daemon. Every
// virtual router on that interface and family sends through the same Conn:
// Send and SendTo are safe for concurrent use, Receive must be called from a
// single goroutine. In unicast mode the Conn's Peers are the union of all
// instances' peers (they decide what is accepted); an instance whose own peer
// list is smaller sends with SendTo to each of its peers.
//
// # Checksums and unicast
//
// The VRRPv3 checksum covers a pseudo-header that includes the destination
// address. Send writes the same bytes to every destination, which is right in
// multicast mode (one destination) and for VRRPv2. For VRRPv3 with several
// unicast peers, encode once per address from Destinations and use SendTo.
//
// # Network namespaces
//
// Open creates its sockets (the raw socket and a netlink socket used to look
// up the interface's addresses) in the network namespace of the calling OS
// thread; a socket stays in the namespace it was created in, so the returned
// Conn may then be used from any goroutine.
package transport
