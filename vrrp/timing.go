package vrrp

import "time"

// centisecond is the unit of the VRRPv3 Max Adver Int field and of the
// RFC 5798 timers.
const centisecond = 10 * time.Millisecond

// SkewTimeFor returns Skew_Time for a router of the given priority that
// currently uses masterAdverInterval as Master_Adver_Interval.
//
// VRRPv3 (RFC 5798 section 6.1): ((256 - Priority) * Master_Adver_Interval) / 256,
// computed in whole centiseconds like the RFC (the division truncates).
// VRRPv2 (RFC 3768 section 6.1): (256 - Priority) / 256 seconds, independent
// of the advertisement interval.
func SkewTimeFor(version int, priority uint8, masterAdverInterval time.Duration) time.Duration {
	weight := 256 - int64(priority)
	if version == 2 {
		return time.Duration(weight) * time.Second / 256
	}
	cs := int64(masterAdverInterval / centisecond)
	return time.Duration(weight*cs/256) * centisecond
}

// MasterDownIntervalFor returns Master_Down_Interval =
// 3 * Master_Adver_Interval + Skew_Time (RFC 5798 section 6.1; RFC 3768 uses
// the same formula with its own Skew_Time).
func MasterDownIntervalFor(version int, priority uint8, masterAdverInterval time.Duration) time.Duration {
	return 3*masterAdverInterval + SkewTimeFor(version, priority, masterAdverInterval)
}
