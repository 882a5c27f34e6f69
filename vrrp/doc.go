// Package vrrp implements the Virtual Router Redundancy Protocol: the
// advertisement codec (Advert; see packet.go) and a pure state machine
// (Machine) that follows RFC 5798 section 6 (VRRPv3) and RFC 3768 (VRRPv2).
//
// # The Step model
//
// Machine is written like etcd's raft: it owns no socket, goroutine, clock
// or random source. The driver feeds it events stamped with the current
// time and executes the actions it returns:
//
//	m, err := vrrp.NewMachine(cfg)      // validates cfg; state Initialize
//	acts := m.Step(now, vrrp.Startup{}) // then every event, in order
//
// Events: Startup, Shutdown, AdvertReceived{From, Priority, Interval},
// TimerDue, PriorityChanged{Priority}, InterfaceDown, InterfaceUp; and
// Machine.Reconfigure for in-place configuration changes.
//
// Actions (Action.Kind), to execute in the order given: ActSendAdvert
// (Priority, Interval), ActClaimVIPs, ActReleaseVIPs, ActAnnounce
// (gratuitous ARP / unsolicited NA), ActArmTimer (At), ActDisarmTimer,
// ActStateChanged (From, To). Every action carries a Reason for logs and
// metrics; ReasonSplitBrain marks a master re-asserting itself against a
// lower-priority master.
//
// The returned slice is reused by the next Step or Reconfigure call, which
// keeps a step free of allocations; copy it if it must outlive that.
//
// # Writing a driver
//
// One goroutine per instance owns the machine and selects on: decoded
// adverts for its VRID (after the TTL, checksum, authentication and address
// checks of RFC 5798 section 7.1), a single timer, tracker results, link
// events and the stop request. For each, it calls Step (or Reconfigure)
// with time.Now() and runs the actions:
//
//	for _, a := range acts {
//		switch a.Kind {
//		case vrrp.ActSendAdvert:   // encode an Advert with a.Priority, a.Interval; send
//		case vrrp.ActClaimVIPs:    // add the virtual addresses (and IPVS tables)
//		case vrrp.ActAnnounce:     // gratuitous ARP / unsolicited NA
//		case vrrp.ActReleaseVIPs:  // remove the virtual addresses
//		case vrrp.ActArmTimer:     // timer.Reset(a.At.Sub(now))
//		case vrrp.ActDisarmTimer:  // timer.Stop()
//		case vrrp.ActStateChanged: // log, metrics, notify scripts
//		}
//	}
//
// One timer per machine is enough: Backup uses it as Master_Down_Timer,
// Master as Adver_Timer and Stopping as the handover deadline, and every
// change of deadline comes as ActArmTimer (Machine.Deadline reports the
// current one). When it fires, call Step(now, TimerDue{}); a call before
// the deadline or after the timer was disarmed does nothing, so races
// between a timer firing and a re-arm are harmless.
//
// Adverts whose From is the machine's own LocalAddr (multicast loopback)
// are ignored and counted in Counters.OwnAdverts.
//
// # Graceful stop
//
// Shutdown on a master sends a priority-0 advert and moves to
// StateStopping, still holding the addresses. The backups take over after
// their Skew_Time; when the first advert with a priority above 0 arrives
// (or Skew_Time + AdvertInterval has passed) the machine releases the
// addresses and enters StateStopped. The driver exits after the
// ActStateChanged to StateStopped; later events produce no actions.
//
// # Deviations from RFC 5798 section 6.4
//
// Fault, the graceful stop, keepalived's preempt_delay, the v2 interval
// check of RFC 3768 section 7.1, and split-brain healing (a master that
// hears a lower-priority master sends an advert and announces at once,
// where the RFC only discards) are additions. An address owner (effective
// priority 255) always preempts.
package vrrp
