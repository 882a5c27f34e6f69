package vrrp

import (
	"net/netip"
	"time"
)

var netipZero netip.Addr

// becomeMaster: "Send an ADVERTISEMENT, announce the addresses, set the
// Adver_Timer to Advertisement_Interval, transition to {Master}" (6.4.1,
// 6.4.2), preceded by claiming the addresses so the announcement is true.
func (m *Machine) becomeMaster(now time.Time, reason Reason) {
	m.masterAdverInterval = m.cfg.AdvertInterval
	m.master = m.cfg.LocalAddr
	m.sendAdvert(m.priority, reason)
	m.emit(Action{Kind: ActClaimVIPs, Reason: reason})
	m.emit(Action{Kind: ActAnnounce, Reason: reason})
	m.arm(now.Add(m.cfg.AdvertInterval), reason)
	m.counters.BecameMaster++
	m.masterSince = now
	m.setState(StateMaster, reason)
}

// becomeBackup enters Backup with the Master_Down_Timer set to
// Master_Down_Interval. The caller has set masterAdverInterval (and master).
// A master gives up the addresses first.
func (m *Machine) becomeBackup(now time.Time, reason Reason) {
	if m.state.HoldsVIPs() {
		m.emit(Action{Kind: ActReleaseVIPs, Reason: reason})
	}
	m.preemptAt = now.Add(m.cfg.PreemptDelay)
	m.downReason = ReasonMasterDown
	m.arm(now.Add(m.MasterDownInterval()), reason)
	m.setState(StateBackup, reason)
}

// enterFault stops all protocol activity. A master whose priority dropped
// to 0 can still send, and says so with a priority-0 advert so the backups
// take over after Skew_Time instead of Master_Down_Interval.
func (m *Machine) enterFault(reason Reason) {
	if m.state.HoldsVIPs() {
		m.emit(Action{Kind: ActReleaseVIPs, Reason: reason})
	}
	m.master = netipZero
	m.masterAdverInterval = m.cfg.AdvertInterval
	m.disarm(reason)
	m.setState(StateFault, reason)
}

// resign hands the addresses over the way a graceful stop does, for a
// master whose effective priority fell to 0 (a tracker with weight 0, or
// maintenance): it sends a priority-0 advert so a backup takes over after
// its Skew_Time, keeps the addresses until that backup is heard (or
// Skew_Time + Advertisement_Interval passes), then goes to Fault instead
// of Stopped. Without the hold, clients would meet an unowned VIP.
func (m *Machine) resign(now time.Time, reason Reason) {
	m.sendAdvert(0, reason)
	m.faultAfterHandover = true
	m.arm(now.Add(m.SkewTime()+m.cfg.AdvertInterval), reason)
	m.setState(StateStopping, reason)
}

// stop ends a handover (or stops at once): it releases the addresses a
// stopping master still holds and enters the terminal state, or, for a
// resigning master, Fault (and Backup at once if the priority came back
// meanwhile).
func (m *Machine) stop(now time.Time, reason Reason) {
	if m.faultAfterHandover {
		m.faultAfterHandover = false
		m.enterFault(reason)
		m.recover(now)
		return
	}
	if m.state.HoldsVIPs() {
		m.emit(Action{Kind: ActReleaseVIPs, Reason: reason})
	}
	m.master = netipZero
	m.disarm(reason)
	m.setState(StateStopped, reason)
}

func (m *Machine) setState(to State, reason Reason) {
	from := m.state
	m.state = to
	m.counters.Transitions++
	m.emit(Action{Kind: ActStateChanged, From: from, To: to, Reason: reason})
}

func (m *Machine) sendAdvert(priority uint8, reason Reason) {
	m.counters.AdvertsSent++
	if priority == 0 {
		m.counters.PriorityZeroSent++
	}
	m.emit(Action{Kind: ActSendAdvert, Priority: priority, Interval: m.cfg.AdvertInterval, Reason: reason})
}

func (m *Machine) arm(at time.Time, reason Reason) {
	m.deadline, m.armed = at, true
	m.emit(Action{Kind: ActArmTimer, At: at, Reason: reason})
}

func (m *Machine) disarm(reason Reason) {
	if !m.armed {
		return
	}
	m.deadline, m.armed = time.Time{}, false
	m.emit(Action{Kind: ActDisarmTimer, Reason: reason})
}

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }
