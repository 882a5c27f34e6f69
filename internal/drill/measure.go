package drill

import (
	"slices"
)

// Measures are the figures of one run, by key (see MeasureDefs). A key is
// absent when it does not apply to the scenario or the event never came
// (e.g. no takeover before the end of the run).
type Measures map[string]float64

// MeasureDef describes one measure.
type MeasureDef struct {
	Key   string
	Label string // for the table
	Short string // for one-line summaries
	Unit  string // "ms" or "" (a count)
}

// Measure keys.
const (
	MTakeover = "takeover_ms"
	MGARP     = "garp_ms"
	MRestored = "restored_ms"
	MLastFail = "last_fail_ms"
	MHealed   = "healed_ms"
	MWeight   = "weight_ms"
	MDual     = "dual_ms"
	MNone     = "none_ms"
	MHTTPFail = "http_failed"
	MPingLost = "ping_lost"
	MMoves    = "moves"
)

// MeasureDefs lists the measures in the order of the table.
var MeasureDefs = []MeasureDef{
	{MTakeover, "new master holds the VIP", "takeover", "ms"},
	{MGARP, "first gratuitous ARP at the client", "GARP", "ms"},
	{MRestored, "client traffic restored", "restored", "ms"},
	{MLastFail, "last failed request sent", "last failure", "ms"},
	{MHealed, "one holder again after the heal", "healed", "ms"},
	{MWeight, "dead server's weight 0 on the master", "weight 0", "ms"},
	{MDual, "time with two VIP holders", "two holders", "ms"},
	{MNone, "time with no VIP holder", "no holder", "ms"},
	{MHTTPFail, "HTTP requests failed", "HTTP failed", ""},
	{MPingLost, "pings lost", "pings lost", ""},
	{MMoves, "VIP holder changes", "holder changes", ""},
}

// Measure computes the figures of a run from its record. Times are in
// milliseconds from the injection:
//
//   - takeover: the expected director holds the VIP;
//   - garp: the client sees the first gratuitous ARP from its MAC;
//   - restored: the first request that succeeds after the first one that
//     failed has its answer (0 when no request failed);
//   - last_fail: the last failed request was sent;
//   - healed: after the fault was removed, the final master alone holds
//     the VIP (measured from the heal);
//   - weight: the watched real server has weight 0 in the master's table;
//   - dual, none: total time with two holders, with none;
//   - http_failed, ping_lost: requests sent after the injection that failed;
//   - moves: how often the set of holders changed.
func Measure(r *Record) Measures {
	m := Measures{}
	if r.TakeoverBy != "" {
		for _, e := range r.VIP {
			if e.At >= 0 && e.Director == r.TakeoverBy && e.Has {
				m[MTakeover] = e.At.Ms()
				break
			}
		}
		if mac := r.MACs[r.TakeoverBy]; mac != "" {
			for _, g := range r.GARPs {
				if g.At >= 0 && g.MAC == mac {
					m[MGARP] = g.At.Ms()
					break
				}
			}
		}
	}
	measureProbes(r, m)
	measureHolders(r, m)
	if r.WatchServer != "" {
		for _, w := range r.Weights {
			if w.At >= 0 && w.Server == r.WatchServer && w.Weight == 0 {
				m[MWeight] = w.At.Ms()
				break
			}
		}
	}
	for k, v := range m {
		m[k] = roundMs(v)
	}
	return m
}

// measureProbes fills restored, last_fail and the failure counts. The
// restore time is taken from HTTP when the run has HTTP probes (the
// service itself), from pings otherwise.
func measureProbes(r *Record, m Measures) {
	kind := "ping"
	counts := map[string]int{}
	seen := map[string]bool{}
	for _, p := range r.Probes {
		seen[p.Kind] = true
		if p.Sent >= 0 && !p.OK {
			counts[p.Kind]++
		}
	}
	if seen["http"] {
		kind = "http"
		m[MHTTPFail] = float64(counts["http"])
	}
	if seen["ping"] {
		m[MPingLost] = float64(counts["ping"])
	}
	var probes []Probe
	for _, p := range r.Probes {
		if p.Kind == kind && p.Sent >= 0 {
			probes = append(probes, p)
		}
	}
	if len(probes) == 0 {
		return
	}
	slices.SortFunc(probes, func(a, b Probe) int { return cmpAt(a.Sent, b.Sent) })
	first := slices.IndexFunc(probes, func(p Probe) bool { return !p.OK })
	if first < 0 {
		m[MRestored] = 0
		return
	}
	for _, p := range probes[first+1:] {
		if p.OK {
			m[MRestored] = p.Done.Ms()
			break
		}
	}
	for i := len(probes) - 1; i >= 0; i-- {
		if !probes[i].OK {
			m[MLastFail] = probes[i].Sent.Ms()
			break
		}
	}
}

// measureHolders fills dual, none, moves and healed from the spans.
func measureHolders(r *Record, m Measures) {
	var dual, none At
	moves := 0
	var prev []string
	havePrev := false
	for _, s := range r.Spans() {
		h := s.Holders()
		if s.To > 0 {
			from := max(s.From, 0)
			switch {
			case len(h) >= 2:
				dual += s.To - from
			case len(h) == 0:
				none += s.To - from
			}
			if havePrev && s.From >= 0 && !slices.Equal(h, prev) {
				moves++
			}
		}
		prev, havePrev = h, true
		if r.HealAt != nil && s.To > *r.HealAt && len(h) == 1 && h[0] == r.FinalMaster {
			if _, done := m[MHealed]; !done {
				m[MHealed] = (max(s.From, *r.HealAt) - *r.HealAt).Ms()
			}
		}
	}
	m[MDual] = dual.Ms()
	m[MNone] = none.Ms()
	m[MMoves] = float64(moves)
}
