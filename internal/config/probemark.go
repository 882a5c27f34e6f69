package config

// Health checks with via_vip reach a real server at the VIP through an
// IPVS firewall-mark service of its own (one per real server, installed by
// vigil run on every director): the probe socket carries the mark, and
// IPVS forwards it to that real server's MAC (DR) or tunnel (TUN) whatever
// else the table holds for the VIP. These marks are vigil's; a
// virtual_server may not use them.
const (
	// ProbeMarkBase is the first mark of the via_vip probe services
	// ("vg" in the high half, easy to spot in ipvsadm -Ln).
	ProbeMarkBase uint32 = 0x76670000
	// ProbeMarkCount is how many real servers can be probed via the VIP.
	ProbeMarkCount uint32 = 0x10000
)

// ProbeMarkReserved reports whether mark belongs to the via_vip range.
func ProbeMarkReserved(mark uint32) bool {
	return mark >= ProbeMarkBase && mark-ProbeMarkBase < ProbeMarkCount
}
