package vrrp

import (
	"fmt"
	"strconv"
	"time"
)

// ActionKind says what the driver must do for an Action.
type ActionKind uint8

const (
	// ActSendAdvert: send an advertisement with Action.Priority and
	// Action.Interval (the Max Adver Int / Adver Int field).
	ActSendAdvert ActionKind = iota + 1
	// ActClaimVIPs: add the virtual addresses (and start answering for them).
	ActClaimVIPs
	// ActReleaseVIPs: remove the virtual addresses.
	ActReleaseVIPs
	// ActAnnounce: send gratuitous ARP / unsolicited neighbour advertisements
	// for the virtual addresses.
	ActAnnounce
	// ActArmTimer: (re)arm the machine's single timer for Action.At,
	// replacing any earlier deadline; call Step(TimerDue{}) at or after it.
	ActArmTimer
	// ActDisarmTimer: stop the timer; no TimerDue is expected.
	ActDisarmTimer
	// ActStateChanged: the state went from Action.From to Action.To.
	ActStateChanged
)

var actionKindNames = [...]string{
	ActSendAdvert:   "send-advert",
	ActClaimVIPs:    "claim-vips",
	ActReleaseVIPs:  "release-vips",
	ActAnnounce:     "announce",
	ActArmTimer:     "arm-timer",
	ActDisarmTimer:  "disarm-timer",
	ActStateChanged: "state-changed",
}

// String returns the kebab-case name of the kind, e.g. "send-advert".
func (k ActionKind) String() string {
	if k != 0 && int(k) < len(actionKindNames) {
		return actionKindNames[k]
	}
	return "action(" + strconv.Itoa(int(k)) + ")"
}

// Action is one output of Machine.Step. It is a flat value (no interface)
// so that Step allocates nothing; only the fields of its Kind are set.
type Action struct {
	Kind ActionKind
	// Reason says why the action was emitted; always set.
	Reason Reason
	// Priority of the advert to send (ActSendAdvert); 0 announces a stop.
	Priority uint8
	// Interval to put in the advert (ActSendAdvert): the configured
	// AdvertInterval at the time of the Step.
	Interval time.Duration
	// At is the new timer deadline (ActArmTimer).
	At time.Time
	// From and To are the old and new state (ActStateChanged).
	From, To State
}

// String formats the action for logs and test failures.
func (a Action) String() string {
	switch a.Kind {
	case ActSendAdvert:
		return fmt.Sprintf("%s(prio=%d, interval=%s, %s)", a.Kind, a.Priority, a.Interval, a.Reason)
	case ActArmTimer:
		return fmt.Sprintf("%s(%s, %s)", a.Kind, a.At.Format(time.RFC3339Nano), a.Reason)
	case ActStateChanged:
		return fmt.Sprintf("%s(%s->%s, %s)", a.Kind, a.From, a.To, a.Reason)
	default:
		return fmt.Sprintf("%s(%s)", a.Kind, a.Reason)
	}
}
