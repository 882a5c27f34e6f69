package ipvs

// The text layouts below reproduce `ipvsadm -Ln`, `-Ln --stats` and
// `-Ln --rate` column for column. They were worked out from ipvsadm 1.31's
// listing code (print_title, print_service_entry, print_largenum and
// print_sched_flags in ipvsadm.c, git.kernel.org utils/kernel/ipvsadm) and
// are checked against the real tool by kernel_vmtest_test.go.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// FormatMode selects the output of Format.
type FormatMode int

// Output modes.
const (
	FormatList  FormatMode = iota // ipvsadm -Ln
	FormatStats                   // ipvsadm -Ln --stats
	FormatRate                    // ipvsadm -Ln --rate
	FormatJSON                    // vigil's JSON document
)

// FormatOptions tune Format.
type FormatOptions struct {
	Mode FormatMode
	// Exact prints full numbers in --stats and --rate (ipvsadm --exact)
	// instead of abbreviating large ones with K, M, G, T.
	Exact bool
}

// Format writes snap as ipvsadm would list it, or as JSON. Services and real
// servers are printed in ipvsadm's sorted order whatever order snap has.
func Format(w io.Writer, snap Snapshot, opts FormatOptions) error {
	snap = sortedCopy(snap)
	if opts.Mode == FormatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(jsonFromSnapshot(snap))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "IP Virtual Server version %s (size=%d)\n", snap.Info.VersionString(), snap.Info.ConnTableSize)
	writeTitle(&b, opts.Mode)
	for _, s := range snap.Services {
		writeService(&b, s, opts)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedCopy(snap Snapshot) Snapshot {
	out := Snapshot{Info: snap.Info, Services: slices.Clone(snap.Services)}
	for i := range out.Services {
		out.Services[i].Dests = slices.Clone(out.Services[i].Dests)
	}
	sortSnapshot(&out)
	return out
}

func writeTitle(b *strings.Builder, mode FormatMode) {
	switch mode {
	case FormatStats:
		fmt.Fprintf(b, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes")
	case FormatRate:
		fmt.Fprintf(b, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS")
	default:
		b.WriteString("Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	}
}

func writeService(b *strings.Builder, st ServiceStatus, opts FormatOptions) {
	s := st.Service
	name := serviceName(s.Key)
	switch opts.Mode {
	case FormatStats:
		fmt.Fprintf(b, "%-33s", name)
		writeLargeNums(b, opts.Exact, st.Stats.Conns, st.Stats.InPkts, st.Stats.OutPkts, st.Stats.InBytes, st.Stats.OutBytes)
	case FormatRate:
		fmt.Fprintf(b, "%-33s", name)
		writeLargeNums(b, opts.Exact, st.Stats.CPS, st.Stats.InPPS, st.Stats.OutPPS, st.Stats.InBPS, st.Stats.OutBPS)
	default:
		b.WriteString(name + " " + s.Scheduler)
		if names := SchedFlagNames(s.Scheduler, s.Flags); len(names) > 0 {
			b.WriteString(" (" + strings.Join(names, ",") + ")")
		}
		if s.Persistent() {
			fmt.Fprintf(b, " persistent %d", s.Timeout)
			if s.Netmask != s.Key.Family.hostBits() {
				if s.Key.Family == IPv6 {
					fmt.Fprintf(b, " mask %d", s.Netmask)
				} else {
					b.WriteString(" mask " + netip.AddrFrom4(mask4(s.Netmask)).String())
				}
			}
		}
		if s.Flags&FlagOnePacket != 0 {
			b.WriteString(" ops")
		}
	}
	b.WriteByte('\n')

	for _, d := range st.Dests {
		name := destName(d.Dest)
		switch opts.Mode {
		case FormatStats:
			fmt.Fprintf(b, "  -> %-28s", name)
			writeLargeNums(b, opts.Exact, d.Stats.Conns, d.Stats.InPkts, d.Stats.OutPkts, d.Stats.InBytes, d.Stats.OutBytes)
		case FormatRate:
			// ipvsadm prints the three rates plainly and abbreviates only the byte rates.
			fmt.Fprintf(b, "  -> %-28s %8d %8d %8d", name, d.Stats.CPS, d.Stats.InPPS, d.Stats.OutPPS)
			writeLargeNums(b, opts.Exact, d.Stats.InBPS, d.Stats.OutBPS)
		default:
			fmt.Fprintf(b, "  -> %-28s %-7s %-6d %-10d %-10d", name, fwdName(d.Dest.Fwd), d.Dest.Weight, d.ActiveConns, d.InactiveConns)
		}
		b.WriteByte('\n')
	}
}

// serviceName is the "Prot LocalAddress:Port" column; ipvsadm cuts IPv4
// names to 33 characters.
func serviceName(k ServiceKey) string {
	if k.IsFWMark() {
		if k.Family == IPv6 {
			return fmt.Sprintf("FWM  %d IPv6", k.FWMark)
		}
		return fmt.Sprintf("FWM  %d", k.FWMark)
	}
	proto := strings.ToUpper(k.Protocol.String())
	if k.Protocol != TCP && k.Protocol != UDP && k.Protocol != SCTP {
		proto = "?"
	}
	name := fmt.Sprintf("%-4s %s", proto, netip.AddrPortFrom(k.Addr, k.Port))
	if k.Family != IPv6 && len(name) > 33 {
		name = name[:33]
	}
	return name
}

// destName is the "RemoteAddress:Port" column; IPv4 names are cut to 28.
func destName(d Dest) string {
	name := d.Key().String()
	if d.Addr.Is4() && len(name) > 28 {
		name = name[:28]
	}
	return name
}

// fwdName is ipvsadm's name of a forwarding method.
func fwdName(f Forward) string {
	switch f {
	case ForwardNAT:
		return "Masq"
	case ForwardTunnel:
		return "Tunnel"
	case ForwardLocal:
		return "Local"
	}
	return "Route"
}

// writeLargeNums prints counters nine characters wide, abbreviating from 100
// million on (K, M, G, T with truncating division), or exactly.
func writeLargeNums(b *strings.Builder, exact bool, nums ...uint64) {
	for _, n := range nums {
		if exact {
			s := strconv.FormatUint(n, 10)
			fmt.Fprintf(b, "%*s", max(9, len(s)+1), s)
			continue
		}
		switch {
		case n < 100_000_000:
			fmt.Fprintf(b, "%9d", n)
		case n < 1_000_000_000:
			fmt.Fprintf(b, "%8dK", n/1_000)
		case n < 100_000_000_000:
			fmt.Fprintf(b, "%8dM", n/1_000_000)
		case n < 100_000_000_000_000:
			fmt.Fprintf(b, "%8dG", n/1_000_000_000)
		default:
			fmt.Fprintf(b, "%8dT", n/1_000_000_000_000)
		}
	}
}

// JSON document of `vigil ipvs --json`.
type (
	jsonSnapshot struct {
		Version       string        `json:"version"`
		ConnTableSize uint32        `json:"conn_table_size"`
		Services      []jsonService `json:"services"`
	}
	jsonService struct {
		Key                string     `json:"key"`
		Family             string     `json:"family"`
		Protocol           string     `json:"protocol,omitempty"`
		Address            string     `json:"address,omitempty"`
		Port               *uint16    `json:"port,omitempty"`
		FWMark             uint32     `json:"fwmark,omitempty"`
		Scheduler          string     `json:"scheduler"`
		Flags              []string   `json:"flags"`
		PersistenceTimeout uint32     `json:"persistence_timeout,omitempty"`
		PersistenceNetmask *uint8     `json:"persistence_netmask,omitempty"`
		Stats              jsonStats  `json:"stats"`
		RealServers        []jsonDest `json:"real_servers"`
	}
	jsonDest struct {
		Address         string    `json:"address"`
		Port            uint16    `json:"port"`
		Forward         string    `json:"forward"`
		Weight          int       `json:"weight"`
		UpperThreshold  uint32    `json:"upper_threshold"`
		LowerThreshold  uint32    `json:"lower_threshold"`
		ActiveConns     uint32    `json:"active_conns"`
		InactiveConns   uint32    `json:"inactive_conns"`
		PersistentConns uint32    `json:"persistent_conns"`
		Stats           jsonStats `json:"stats"`
	}
	jsonStats struct {
		Conns    uint64 `json:"conns"`
		InPkts   uint64 `json:"in_pkts"`
		OutPkts  uint64 `json:"out_pkts"`
		InBytes  uint64 `json:"in_bytes"`
		OutBytes uint64 `json:"out_bytes"`
		CPS      uint64 `json:"cps"`
		InPPS    uint64 `json:"in_pps"`
		OutPPS   uint64 `json:"out_pps"`
		InBPS    uint64 `json:"in_bps"`
		OutBPS   uint64 `json:"out_bps"`
	}
)

func jsonFromSnapshot(snap Snapshot) jsonSnapshot {
	out := jsonSnapshot{
		Version:       snap.Info.VersionString(),
		ConnTableSize: snap.Info.ConnTableSize,
		Services:      []jsonService{},
	}
	for _, st := range snap.Services {
		s := st.Service
		js := jsonService{
			Key:         s.Key.String(),
			Family:      s.Key.Family.String(),
			Scheduler:   s.Scheduler,
			Flags:       []string{},
			Stats:       jsonStats(st.Stats),
			RealServers: []jsonDest{},
		}
		if s.Key.IsFWMark() {
			js.FWMark = s.Key.FWMark
		} else {
			port := s.Key.Port
			js.Protocol, js.Address, js.Port = s.Key.Protocol.String(), s.Key.Addr.String(), &port
		}
		if s.Persistent() {
			mask := s.Netmask
			js.Flags = append(js.Flags, "persistent")
			js.PersistenceTimeout, js.PersistenceNetmask = s.Timeout, &mask
		}
		if s.Flags&FlagOnePacket != 0 {
			js.Flags = append(js.Flags, "ops")
		}
		js.Flags = append(js.Flags, SchedFlagNames(s.Scheduler, s.Flags)...)
		for _, d := range st.Dests {
			js.RealServers = append(js.RealServers, jsonDest{
				Address: d.Dest.Addr.String(), Port: d.Dest.Port, Forward: d.Dest.Fwd.String(),
				Weight: d.Dest.Weight, UpperThreshold: d.Dest.Upper, LowerThreshold: d.Dest.Lower,
				ActiveConns: d.ActiveConns, InactiveConns: d.InactiveConns, PersistentConns: d.PersistentConns,
				Stats: jsonStats(d.Stats),
			})
		}
		out.Services = append(out.Services, js)
	}
	return out
}
