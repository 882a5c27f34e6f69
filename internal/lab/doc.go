// Package lab builds a throw-away load-balancing lab out of Linux network
// namespaces and is the engine of `vigil lab`: one LAN switch (a bridge in
// its own namespace), two directors d1 and d2, two real servers rs1 and rs2
// that each run a small HTTP server answering with their own name, and one
// client. Nothing touches the host's own network: every link, address and
// process lives in a namespace whose name starts with the lab's prefix.
//
// Addresses (10.77.0.0/24, reserved for the lab):
//
//	d1 .1   d2 .2   rs1 .11   rs2 .12   client .50   VIP .100
//
// The real servers are prepared for direct routing by the realserver
// package (sysctl method: the VIP on lo, arp_ignore=1, arp_announce=2). The
// lab writes director configurations for vigil and for keepalived into its
// state directory (default /run/vigil/lab/PREFIX): priorities 150 and 100,
// 10 ms adverts unless told otherwise, and, when the kernel has IPVS, a
// virtual server VIP:80 (round robin, direct routing) over rs1 and rs2 with
// HTTP checks. Without IPVS (no ip_vs module) the configurations are VRRP
// only, and the client can reach the VIP with ping but not with HTTP.
//
// Up builds the lab, Open finds a lab that is up, Down removes everything:
// it kills every process inside the lab's namespaces (found through
// /proc/PID/ns/net, so it works after a crash that lost the state
// directory) and deletes the namespaces; it is idempotent. The drill runner
// (package drill) and the demo (examples/demo) are built on this package.
package lab
