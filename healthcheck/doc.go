// Package healthcheck probes real servers and turns the results into weights.
//
// A Checker performs one probe: TCPChecker (connect), HTTPChecker (GET over
// HTTP or HTTPS), ScriptChecker (a program, no shell), UDPChecker and
// DNSChecker. A Scheduler runs the checks of every real server of every
// virtual server, applies rise/fall counting and reports:
//
//   - a Transition when a real server's health or effective weight changes
//     (weight 0 when it fails, or Remove when its on_failure is "remove";
//     its configured or dynamic weight when it rises);
//   - a QuorumEvent when the healthy weight of a virtual server crosses its
//     quorum, so the caller installs or removes the sorry server.
//
// Settings (interval, timeout, rise, fall, retry delay, warm-up) inherit
// from the virtual server to the real server to the check. Update replaces
// the configuration and keeps the state of checks that did not change, as a
// SIGHUP reload needs.
//
// Scheduling: one goroutine sleeps on one timer armed for the earliest due
// check (a heap), and hands due checks to a bounded pool of probe workers.
// TCP checks need no worker: that goroutine starts the connect itself, and
// the connects still in flight wait in one epoll set watched by a single
// goroutine, so a TCP check costs little more than its system calls.
// New checks start after a random warm-up delay and keep their phase
// afterwards, so thousands of checks spread over the interval; a token
// bucket caps how many start at once after the director stalled.
//
// The package knows nothing about IPVS: virtual and real servers are named by
// string keys chosen by the caller, who applies the events to the kernel.
// The benchmark with 10,000 real servers is the program
// healthcheck/internal/benchcheck.
package healthcheck
