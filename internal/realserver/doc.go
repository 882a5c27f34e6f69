// Package realserver prepares a Linux host to be a direct-routing (LVS-DR) or
// tunnelling (LVS-TUN) real server behind vigil directors, checks that it is
// prepared correctly, and probes a LAN for real servers that are not.
//
// In direct routing the director rewrites only the destination MAC address of a
// packet, so every real server must accept packets addressed to the virtual IP
// (VIP) while never answering ARP for it; otherwise clients and the gateway learn
// a real server's MAC for the VIP and traffic bypasses the director (the "ARP
// problem"). Apply solves it with one of five methods (see Method), records
// every change it makes in a JSON state file, and Remove restores the previous
// values exactly from that record. Check reports each condition as pass/fail
// with the command that fixes it. Probe, run on a director, sends ARP who-has
// for each VIP and lists every MAC address that claims it.
//
// Everything acts on the network namespace of the calling OS thread: sysctls are
// read through /proc/sys, listeners through /proc/thread-self/net, and commands
// (nft, arptables, iptables) are started from the calling thread. A caller that
// switches namespaces must lock its goroutine to the thread
// (runtime.LockOSThread) for the whole call.
package realserver
