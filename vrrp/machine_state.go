package vrrp

import "strconv"

// State is the state of a Machine. Initialize, Backup and Master are the
// states of RFC 5798 section 6.4; Fault, Stopping and Stopped are additions
// for tracked failures and the zero-loss graceful stop.
type State uint8

const (
	// StateInitialize is the state before the Startup event (RFC 5798 6.4.1).
	StateInitialize State = iota
	// StateBackup monitors the master and runs the Master_Down_Timer (6.4.2).
	StateBackup
	// StateMaster owns the virtual addresses and sends adverts (6.4.3).
	StateMaster
	// StateFault means the interface is down or the effective priority is 0:
	// the router neither sends adverts nor holds the virtual addresses.
	StateFault
	// StateStopping is a former master that has sent its priority-0 advert
	// and still holds the virtual addresses until a new master is heard or
	// the handover deadline passes.
	StateStopping
	// StateStopped is terminal: the RFC's Initialize state reached through
	// Shutdown. Every later event is ignored and produces no action.
	StateStopped
)

var stateNames = [...]string{
	StateInitialize: "initialize",
	StateBackup:     "backup",
	StateMaster:     "master",
	StateFault:      "fault",
	StateStopping:   "stopping",
	StateStopped:    "stopped",
}

// String returns the lower-case name of the state, e.g. "master".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// HoldsVIPs reports whether a machine in this state has claimed the virtual
// addresses (Master, and Stopping during the handover).
func (s State) HoldsVIPs() bool { return s == StateMaster || s == StateStopping }

// Reason says why an action was emitted. Every Action carries one, so the
// driver can log transitions and count episodes (e.g. ReasonSplitBrain).
type Reason uint8

const (
	// ReasonNone is the zero value; the machine never emits it.
	ReasonNone Reason = iota
	// ReasonStartup: Startup event of a non-owner (Initialize -> Backup).
	ReasonStartup
	// ReasonOwner: the address owner (priority 255) becomes master at once.
	ReasonOwner
	// ReasonMasterDown: the Master_Down_Timer fired after the master went silent.
	ReasonMasterDown
	// ReasonMasterResigned: a priority-0 advert was heard (a master is stopping).
	ReasonMasterResigned
	// ReasonPreempt: the Master_Down_Timer fired while adverts of a
	// lower-priority master were being discarded (preemption).
	ReasonPreempt
	// ReasonHigherPriority: a master heard an advert with a higher priority.
	ReasonHigherPriority
	// ReasonTieBreak: a master heard an advert with its own priority from a
	// higher primary address.
	ReasonTieBreak
	// ReasonPriorityZero: the effective priority dropped to 0 (tracking).
	ReasonPriorityZero
	// ReasonInterfaceDown: the interface went down.
	ReasonInterfaceDown
	// ReasonFaultCleared: the interface is up and the priority above 0 again.
	ReasonFaultCleared
	// ReasonShutdown: the Shutdown event.
	ReasonShutdown
	// ReasonNewMaster: a stopping master heard the new master and let go.
	ReasonNewMaster
	// ReasonHandoverTimeout: a stopping master heard nobody within
	// Skew_Time + Advertisement_Interval and let go.
	ReasonHandoverTimeout
	// ReasonSplitBrain: a master heard a lower-priority master and
	// re-asserted itself (advert and announcement at once).
	ReasonSplitBrain
	// ReasonAdverTimer: the periodic advert of a master (Adver_Timer fired).
	ReasonAdverTimer
	// ReasonAdvertReceived: a backup accepted an advert and reset its
	// Master_Down_Timer.
	ReasonAdvertReceived
	// ReasonPriorityChanged: the PriorityChanged event.
	ReasonPriorityChanged
	// ReasonReconfigured: Machine.Reconfigure.
	ReasonReconfigured
	// ReasonHandover: a master that has just taken over heard the old,
	// lower-priority master and asserted itself (an advert, no
	// announcement: it announced when it took over).
	ReasonHandover
)

var reasonNames = [...]string{
	ReasonNone:            "none",
	ReasonStartup:         "startup",
	ReasonOwner:           "address-owner",
	ReasonMasterDown:      "master-down",
	ReasonMasterResigned:  "master-resigned",
	ReasonPreempt:         "preempt",
	ReasonHigherPriority:  "higher-priority",
	ReasonTieBreak:        "tie-break",
	ReasonPriorityZero:    "priority-zero",
	ReasonInterfaceDown:   "interface-down",
	ReasonFaultCleared:    "fault-cleared",
	ReasonShutdown:        "shutdown",
	ReasonNewMaster:       "new-master",
	ReasonHandoverTimeout: "handover-timeout",
	ReasonSplitBrain:      "split-brain",
	ReasonAdverTimer:      "adver-timer",
	ReasonAdvertReceived:  "advert-received",
	ReasonPriorityChanged: "priority-changed",
	ReasonReconfigured:    "reconfigured",
	ReasonHandover:        "handover",
}

// String returns the kebab-case name of the reason, e.g. "master-down".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}
