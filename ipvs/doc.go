// Package ipvs keeps the kernel's IP Virtual Server table in the state vigil wants.
//
// The pieces:
//
//   - A desired-state model (Table, Service, Dest) with Validate, written the way
//     an operator thinks of it: a virtual service by VIP:port or firewall mark,
//     a scheduler with its flags, persistence, and real servers with weight,
//     forwarding method and connection thresholds.
//   - Reconcile: reads the kernel's table through the small Kernel interface,
//     diffs it against the desired table and writes only the differences. A
//     second pass over an unchanged table makes no write at all, and services
//     vigil does not own are never touched.
//   - Two Kernel implementations: Handle (the real kernel through
//     github.com/moby/ipvs, one per network namespace) and Fake (in memory,
//     counts writes; exported so other packages' tests can use it).
//   - CheckAvailable: moby/ipvs v1.1.0 silently does nothing when the kernel has
//     no IPVS; this check turns that into ErrUnavailable.
//   - The connection synchronisation daemon (IPVS_CMD_NEW_DAEMON / DEL_DAEMON /
//     GET_DAEMON), which moby/ipvs does not wrap, over a minimal generic
//     netlink client of our own.
//   - Format: the table as `ipvsadm -Ln` (and --stats, --rate) prints it, or JSON.
//
// The package decides nothing about when tables are installed; the director
// calls Reconciler.Apply on MASTER and Reconciler.Clear on BACKUP (see Follow).
package ipvs
