package vrrp

import (
	"net/netip"
	"time"
)

// Event is an input to Machine.Step. The set is closed: only the types of
// this file implement it. Pass events by value.
type Event interface{ isEvent() }

// Startup starts the machine (RFC 5798 6.4.1). It only acts in StateInitialize.
type Startup struct{}

// Shutdown stops the machine. A master hands over gracefully (see
// StateStopping); a second Shutdown while stopping releases at once.
type Shutdown struct{}

// AdvertReceived is a decoded, validated advertisement for this VRID. The
// driver checks TTL/hop limit, checksum, VRID, authentication and address
// lists; the machine only looks at these fields.
type AdvertReceived struct {
	// From is the primary address of the sender (the IP source address).
	From netip.Addr
	// Priority is the advertised priority; 0 means the sender stops being master.
	Priority uint8
	// Interval is the advertised interval (v3 Max Adver Int, v2 Adver Int).
	// Zero means unknown: the machine then keeps its Master_Adver_Interval.
	Interval time.Duration
}

// TimerDue tells the machine that its timer (the last ArmTimer deadline)
// may have expired. Calls before the deadline, or with no timer armed, are
// ignored, so a stale or duplicated timer callback is harmless.
type TimerDue struct{}

// PriorityChanged sets the effective priority (configured priority adjusted
// by trackers). 0 puts the machine in Fault; a value above 0 clears a fault
// caused by priority 0.
type PriorityChanged struct {
	Priority uint8
}

// InterfaceDown reports that the VRRP interface (or a tracked interface
// that must fault the instance) went down.
type InterfaceDown struct{}

// InterfaceUp reports that the interface is usable again.
type InterfaceUp struct{}

func (Startup) isEvent()         {}
func (Shutdown) isEvent()        {}
func (AdvertReceived) isEvent()  {}
func (TimerDue) isEvent()        {}
func (PriorityChanged) isEvent() {}
func (InterfaceDown) isEvent()   {}
func (InterfaceUp) isEvent()     {}
