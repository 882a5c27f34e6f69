package vrrp

import "time"

// ownerPriority is the priority of the address owner (RFC 5798 section 5.2.4).
const ownerPriority = 255

// onStartup implements RFC 5798 6.4.1 (Initialize), plus Fault when the
// interface is down or the effective priority is 0 at start.
func (m *Machine) onStartup(now time.Time) {
	if m.state != StateInitialize {
		return
	}
	switch {
	case m.ifDown:
		m.enterFault(ReasonInterfaceDown)
	case m.priority == 0:
		m.enterFault(ReasonPriorityZero)
	case m.priority == ownerPriority:
		m.becomeMaster(now, ReasonOwner)
	default:
		m.masterAdverInterval = m.cfg.AdvertInterval
		m.becomeBackup(now, ReasonStartup)
	}
}

// onShutdown: a backup, a faulted or not yet started machine, or a second
// Shutdown while stopping, stops at once; a master
// sends a priority-0 advert (RFC 5798 6.4.3) but keeps the addresses until
// the new master is heard or the handover deadline passes, so that no
// packet finds the virtual addresses unowned.
func (m *Machine) onShutdown(now time.Time) {
	m.faultAfterHandover = false // a stop ends in Stopped, whatever it interrupts
	switch m.state {
	case StateStopped:
	case StateMaster:
		m.sendAdvert(0, ReasonShutdown)
		// A backup fires its own Skew_Time after our priority-0 advert, and
		// any Skew_Time is below one interval; our Skew_Time on top leaves
		// room for its advert to reach us.
		m.arm(now.Add(m.SkewTime()+m.cfg.AdvertInterval), ReasonShutdown)
		m.setState(StateStopping, ReasonShutdown)
	default:
		m.stop(now, ReasonShutdown)
	}
}

// onAdvert dispatches a received advert by state.
func (m *Machine) onAdvert(now time.Time, a AdvertReceived) {
	switch m.state {
	case StateBackup, StateMaster, StateStopping:
	default:
		m.counters.AdvertsIgnored++
		return
	}
	from := cmpAddr(a.From)
	if from == m.cfg.LocalAddr {
		m.counters.OwnAdverts++
		return
	}
	a.From = from
	if m.cfg.Version == 2 && a.Interval != 0 && a.Interval != m.cfg.AdvertInterval {
		// RFC 3768 7.1: the advert interval MUST match the local one.
		m.counters.IntervalMismatch++
		return
	}
	m.counters.AdvertsReceived++
	if a.Priority == 0 {
		m.counters.PriorityZeroReceived++
	}
	switch m.state {
	case StateBackup:
		m.backupAdvert(now, a)
	case StateMaster:
		m.masterAdvert(now, a)
	case StateStopping:
		if a.Priority > 0 {
			// Only a master sends adverts: someone has taken over.
			m.stop(now, ReasonNewMaster)
		}
	}
}

// backupAdvert implements "If an ADVERTISEMENT is received" of 6.4.2.
func (m *Machine) backupAdvert(now time.Time, a AdvertReceived) {
	if a.Priority == 0 {
		// "If the Priority in the ADVERTISEMENT is zero, then: Set the
		// Master_Down_Timer to Skew_Time".
		m.master = netipZero
		m.downReason = ReasonMasterResigned
		m.arm(now.Add(m.SkewTime()), ReasonMasterResigned)
		return
	}
	if !m.preempts(now) || a.Priority >= m.priority {
		// "If Preempt_Mode is False, or if the Priority in the ADVERTISEMENT
		// is greater than or equal to the local Priority": learn the
		// interval, recompute Master_Down_Interval, reset the timer.
		m.learnInterval(a.Interval)
		m.master = a.From
		m.downReason = ReasonMasterDown
		m.arm(now.Add(m.MasterDownInterval()), ReasonAdvertReceived)
		return
	}
	// "else: Discard the ADVERTISEMENT": the timer keeps running and fires
	// unless a better master shows up, which is how preemption happens.
	m.counters.AdvertsDiscarded++
	m.downReason = ReasonPreempt
}

// masterAdvert implements "If an ADVERTISEMENT is received" of 6.4.3.
func (m *Machine) masterAdvert(now time.Time, a AdvertReceived) {
	if a.Priority == 0 {
		// "Send an ADVERTISEMENT; Reset the Adver_Timer".
		m.sendAdvert(m.priority, ReasonMasterResigned)
		m.arm(now.Add(m.cfg.AdvertInterval), ReasonMasterResigned)
		return
	}
	higher := a.Priority > m.priority
	if higher || (a.Priority == m.priority && a.From.Compare(m.cfg.LocalAddr) > 0) {
		reason := ReasonTieBreak
		if higher {
			reason = ReasonHigherPriority
		}
		// Not in the RFC: one last advert at our priority before yielding.
		// Clients may still send to our MAC: when a split brain heals, the
		// winner, master all along, need not have heard any advert of
		// ours (it spoke first and we yield now). This one it hears as a
		// lower-priority master and re-announces the VIPs (below), so the
		// clients come back at once instead of when their ARP entries
		// expire; a drill found ~15 pings lost at 10 ms adverts without it.
		m.sendAdvert(m.priority, reason)
		m.learnInterval(a.Interval)
		m.master = a.From
		m.becomeBackup(now, reason)
		return
	}
	if now.Sub(m.masterSince) < m.MasterDownInterval() {
		// A hand-over, not a split brain: we have just taken over (and
		// announced), and the old master has not heard us yet or is saying
		// farewell. Assert ourselves at once so it yields; the addresses
		// need no second announcement.
		m.sendAdvert(m.priority, ReasonHandover)
		m.arm(now.Add(m.cfg.AdvertInterval), ReasonHandover)
		return
	}
	// RFC: discard. keepalived-style healing instead: another master with a
	// lower priority exists (only masters send adverts). Assert ourselves at
	// once so it steps down, and re-announce in case it stole the addresses.
	m.counters.SplitBrainHeals++
	m.sendAdvert(m.priority, ReasonSplitBrain)
	m.emit(Action{Kind: ActAnnounce, Reason: ReasonSplitBrain})
	m.arm(now.Add(m.cfg.AdvertInterval), ReasonSplitBrain)
}

// onTimerDue fires the armed timer if its deadline has passed.
func (m *Machine) onTimerDue(now time.Time) {
	if !m.armed || now.Before(m.deadline) {
		return // early, stale or duplicate callback
	}
	switch m.state {
	case StateBackup:
		// 6.4.2 "If the Master_Down_Timer fires".
		m.becomeMaster(now, m.downReason)
	case StateMaster:
		// 6.4.3 "If the Adver_Timer fires".
		m.sendAdvert(m.priority, ReasonAdverTimer)
		m.arm(now.Add(m.cfg.AdvertInterval), ReasonAdverTimer)
	case StateStopping:
		m.stop(now, ReasonHandoverTimeout)
	}
}

// setPriority applies a new effective priority.
func (m *Machine) setPriority(now time.Time, p uint8, reason Reason) {
	if p == m.priority {
		return
	}
	m.priority = p
	switch m.state {
	case StateFault:
		m.recover(now)
	case StateBackup:
		if p == 0 {
			m.enterFault(ReasonPriorityZero)
		}
		// Otherwise Skew_Time changes; the running Master_Down_Timer keeps
		// its deadline and the next advert uses the new value.
	case StateMaster:
		if p == 0 {
			m.resign(now, ReasonPriorityZero)
			return
		}
		// Tell the backups now: a higher one may preempt sooner.
		m.sendAdvert(p, reason)
		m.arm(now.Add(m.cfg.AdvertInterval), reason)
	}
	// Initialize records it for Startup; Stopping and Stopped ignore it
	// (a resigning master checks the priority when the handover ends).
}

func (m *Machine) onInterfaceDown(now time.Time) {
	m.ifDown = true
	switch m.state {
	case StateBackup, StateMaster:
		m.enterFault(ReasonInterfaceDown)
	case StateStopping:
		m.stop(now, ReasonInterfaceDown)
	}
}

func (m *Machine) onInterfaceUp(now time.Time) {
	m.ifDown = false
	if m.state == StateFault {
		m.recover(now)
	}
}

// recover leaves Fault when the interface is up and the priority above 0,
// the way Startup leaves Initialize.
func (m *Machine) recover(now time.Time) {
	switch {
	case m.ifDown || m.priority == 0:
	case m.priority == ownerPriority:
		m.becomeMaster(now, ReasonOwner)
	default:
		m.masterAdverInterval = m.cfg.AdvertInterval
		m.becomeBackup(now, ReasonFaultCleared)
	}
}

// preempts reports whether a lower-priority master may be preempted now.
func (m *Machine) preempts(now time.Time) bool {
	if m.priority == ownerPriority {
		return true
	}
	return m.cfg.Preempt && !now.Before(m.preemptAt)
}

// learnInterval sets Master_Adver_Interval from an accepted advert (v3
// only: a v2 advert carries the same interval as ours, checked earlier).
func (m *Machine) learnInterval(iv time.Duration) {
	if m.cfg.Version == 3 && iv > 0 {
		m.masterAdverInterval = iv
	}
}
