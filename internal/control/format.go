package control

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// timeLayout shows times in the daemon's zone, as the JSON carries them.
const timeLayout = time.DateTime + " MST"

// WriteStatus prints doc for people: one block per VRRP instance, then the
// VRRP sockets, the IPVS table and the real servers' health.
func WriteStatus(w io.Writer, doc StatusDoc) error {
	var b strings.Builder
	fmt.Fprintf(&b, "vigil on %s, %s\n", orDash(doc.Router), doc.Time.Format(timeLayout))
	writeInstances(&b, doc)
	writeLinks(&b, doc.Links)
	writeIPVS(&b, doc)
	writeHealth(&b, doc)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeInstances(b *strings.Builder, doc StatusDoc) {
	fmt.Fprintf(b, "\nVRRP INSTANCES (%d)\n", len(doc.Instances))
	if len(doc.Instances) == 0 {
		b.WriteString("  none configured\n")
	}
	for i, in := range doc.Instances {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(b, "  %s  %s vrid %d\n", in.Name, in.Interface, in.VRID)
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "    state\t%s since %s (%s ago), reason %s\n", strings.ToUpper(in.State),
			in.Since.Format(timeLayout), ago(doc.Time, in.Since), orDash(in.LastReason))
		fmt.Fprintf(tw, "    priority\t%s\n", priorityText(in))
		fmt.Fprintf(tw, "    master\t%s\n", masterText(in))
		fmt.Fprintf(tw, "    vips\t%s\n", joinAddrs(in))
		a := in.Adverts
		fmt.Fprintf(tw, "    adverts\tsent %d (priority 0: %d), received %d (priority 0: %d, discarded: %d), ignored %d, own %d, interval mismatch %d\n",
			a.Sent, a.PriorityZeroSent, a.Received, a.PriorityZeroReceived, a.Discarded, a.Ignored, a.Own, a.IntervalMismatch)
		fmt.Fprintf(tw, "    events\ttransitions %d, became master %d, split brains %d, send errors %d\n",
			in.Transitions, in.BecameMaster, in.SplitBrains, in.SendErrors)
		for _, o := range in.ARPOffenders {
			fmt.Fprintf(tw, "    ARP OFFENDER\t%s: answers ARP for a VIP; run 'vigil realserver check' there\n", o)
		}
		tw.Flush()
	}
}

// priorityText explains the effective priority: which trackers moved it
// away from the configured one.
func priorityText(in InstanceStatus) string {
	var down []string
	for _, t := range in.Trackers {
		if t.Up {
			continue
		}
		if t.Weight == 0 {
			down = append(down, fmt.Sprintf("%s %s down: fault", t.Kind, t.Name))
		} else {
			down = append(down, fmt.Sprintf("%s %s down %+d", t.Kind, t.Name, t.Weight))
		}
	}
	if in.Priority == in.ConfiguredPriority && len(down) == 0 {
		return strconv.Itoa(int(in.Priority))
	}
	s := fmt.Sprintf("%d (configured %d", in.Priority, in.ConfiguredPriority)
	if len(down) > 0 {
		s += "; " + strings.Join(down, ", ")
	}
	return s + ")"
}

func masterText(in InstanceStatus) string {
	switch {
	case in.HoldsVIPs() && in.Master.IsValid():
		return "this router (" + in.Master.String() + ")"
	case in.HoldsVIPs():
		return "this router"
	case in.Master.IsValid():
		return in.Master.String()
	}
	return "unknown (no advert heard)"
}

func joinAddrs(in InstanceStatus) string {
	if len(in.VIPs) == 0 {
		return "-"
	}
	s := make([]string, len(in.VIPs))
	for i, a := range in.VIPs {
		s[i] = a.String()
	}
	held := "not held"
	if in.HoldsVIPs() {
		held = "held here"
	}
	return strings.Join(s, ", ") + " (" + held + ")"
}

func writeLinks(b *strings.Builder, links []LinkStatus) {
	fmt.Fprintf(b, "\nVRRP SOCKETS (%d)\n", len(links))
	if len(links) == 0 {
		b.WriteString("  none open\n")
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  INTERFACE\tFAMILY\tSOURCE\tRECEIVED\tREJECTED")
	for _, l := range links {
		fmt.Fprintf(tw, "  %s\tIPv%d\t%s\t%d\t%s\n", l.Interface, l.Family, addrOrDash(l.Source.String(), l.Source.IsValid()),
			l.Received, rejectedText(l.Rejected))
	}
	tw.Flush()
}

// rejectedText lists the reasons by name, e.g. "checksum 2, ttl 1".
func rejectedText(m map[string]uint64) string {
	if len(m) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.FormatUint(m[k], 10)
	}
	return strings.Join(parts, ", ")
}

func writeIPVS(b *strings.Builder, doc StatusDoc) {
	fmt.Fprintf(b, "\nIPVS SERVICES (%d)\n", len(doc.IPVS))
	switch {
	case doc.IPVSError != "":
		fmt.Fprintf(b, "  cannot read the table: %s\n", doc.IPVSError)
		return
	case len(doc.IPVS) == 0:
		b.WriteString("  none installed (a backup holds none while ipvs_follow = \"master\")\n")
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SERVICE\tSCHED\tREAL SERVER\tFWD\tWEIGHT\tACTIVE\tINACTIVE\tCONNS\tIN BYTES\tOUT BYTES")
	for _, s := range doc.IPVS {
		weight, active, inactive := 0, uint64(0), uint64(0)
		for _, d := range s.Destinations {
			weight += d.Weight
			active += uint64(d.ActiveConns)
			inactive += uint64(d.InactiveConns)
		}
		sched := s.Scheduler
		if s.PersistenceTimeout > 0 {
			sched += fmt.Sprintf(" persistent %ds", s.PersistenceTimeout)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d real servers\t\t%d\t%d\t%d\t%d\t%d\t%d\n", s.Service, sched, len(s.Destinations),
			weight, active, inactive, s.Connections, s.InBytes, s.OutBytes)
		for _, d := range s.Destinations {
			fmt.Fprintf(tw, "  \t\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", d.Address, d.Forward, d.Weight,
				d.ActiveConns, d.InactiveConns, d.Connections, d.InBytes, d.OutBytes)
		}
	}
	tw.Flush()
}

func writeHealth(b *strings.Builder, doc StatusDoc) {
	fmt.Fprintf(b, "\nREAL SERVERS (%d)\n", len(doc.RealServers))
	if len(doc.RealServers) == 0 {
		b.WriteString("  none checked\n")
	} else {
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  VIRTUAL SERVER\tREAL SERVER\tHEALTH\tWEIGHT\tLAST RESULT")
		for _, r := range doc.RealServers {
			health := "up"
			switch {
			case r.Removed:
				health = "DOWN (removed)"
			case !r.Healthy:
				health = "DOWN"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\n", r.VirtualServer, r.RealServer, health, r.Weight, orDash(r.Reason))
		}
		tw.Flush()
	}
	for _, v := range doc.VirtualServers {
		if v.QuorumUp {
			fmt.Fprintf(b, "  quorum of %s: up (healthy weight %d, quorum %d)\n", v.Name, v.HealthyWeight, v.Quorum)
		} else {
			fmt.Fprintf(b, "  quorum of %s: LOST (healthy weight %d, quorum %d): the sorry server, if any, answers\n", v.Name, v.HealthyWeight, v.Quorum)
		}
	}
}

// ago is the time from t to now, to the second.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return now.Sub(t).Round(time.Second).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func addrOrDash(s string, ok bool) string {
	if !ok {
		return "-"
	}
	return s
}
