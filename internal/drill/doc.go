// Package drill runs failover drills against a director pair, in the lab
// of package lab or on hosts a file describes, and measures them; it is
// the engine of `vigil drill`.
//
// A drill repeats one scenario N times (see Scenarios: master-sigkill,
// master-crash, graceful-stop, master-link-down, advert-loss, partition,
// flap, preempt-back, realserver-dies). Each run starts the pair afresh
// (vigil, or keepalived with the equivalent configuration), waits for a
// stable master, starts client traffic from the lab's client (HTTP GET to
// the VIP every 5 ms, ping every 10 ms), injects the fault and watches:
//
//   - which director carries the VIP, from netlink address events inside
//     each director's namespace, together with its link state and whether
//     its daemon is alive;
//   - each daemon's VRRP state, from its log;
//   - gratuitous ARP for the VIP at the client, from a packet socket in the
//     client's namespace;
//   - every client request, when it was sent and whether it succeeded;
//   - for realserver-dies, the real servers' weights in the master's IPVS
//     table.
//
// Everything is kept in a Record, with times relative to the injection;
// Measure turns a Record into the figures (takeover, first GARP, traffic
// restored, time with two VIP holders and with none, failed requests),
// Summarize gives min / median / p95 / max over the runs, WriteTable
// prints them and WriteTimeline draws one run as an SVG.
//
// A "holder" of the VIP is a director whose daemon is alive, whose link is
// up and whose eth0 carries the VIP: a daemon killed with SIGKILL leaves
// the address in the kernel, where nobody maintains it, and the drill does
// not count it (the timeline shows it as a stale address).
//
// Without IPVS in the kernel (this is checked) the pair runs VRRP only and
// the client measures with pings to the VIP; the output says so.
//
// # Where a drill runs
//
// The runner (runner.go) decides what happens when and waits for the
// effects; a pair (pair.go) acts and watches. labPair reaches the lab's
// namespaces directly: netlink, signals, packet sockets, fault.Apply.
// hostsPair reaches the pair a hosts file describes (ParseHosts,
// examples/drill/hosts.hcl) only through each host's command prefix, which
// runs one shell command line: the start, stop and kill commands of the
// file, `ip link set` with a guard that sets the link up again should the
// drill lose the director, `vigil fault` in the foreground (its duration
// outlasts the run; `vigil fault clear` ends it early), and, streamed for
// the run, `ip -o monitor link address` on each director (events as the
// kernel makes them, where polling through ssh would cost a connection a
// look) and the director's optional log command. The client runs `vigil
// drill agent` (agent.go), a hidden subcommand that sends the same traffic
// as the lab's client, watches for gratuitous ARP and reports on its
// standard output; its clock is mapped onto the drill's by the shortest of
// a few round trips. Director events and the drill's marks are timed when
// their line reaches the drill (about half a round trip late over ssh): a
// kill when its command reports it done, a link taken down when ip monitor
// reports it, which cancels the stream's latency against the takeover's.
// realserver-dies needs the lab's real servers and is refused on hosts.
package drill
