package drill

import (
	"encoding/json"
	"testing"
	"time"
)

func ms(f float64) At { return At(f * float64(time.Millisecond)) }

// pings returns a ping every 10 ms in [from, to) that fails in [failFrom, failTo).
func pings(from, to, failFrom, failTo float64) []Probe {
	var out []Probe
	for t := from; t < to; t += 10 {
		ok := t < failFrom || t >= failTo
		out = append(out, Probe{Kind: "ping", Sent: ms(t), Done: ms(t + 1), OK: ok})
	}
	return out
}

// crashRecord is a master crash at 0: d1's daemon dies and its link goes
// down, d2 takes the VIP at 36 ms and announces it at 37 ms; the client's
// pings fail from 0 to 40 ms.
func crashRecord() *Record {
	return &Record{
		Begin: ms(-100), End: ms(300),
		TakeoverBy: "d2", FinalMaster: "d2",
		MACs: map[string]string{"d1": "aa:aa:aa:aa:aa:01", "d2": "aa:aa:aa:aa:aa:02"},
		Daemons: []DaemonEvent{
			{At: ms(-900), Director: "d1", Alive: true},
			{At: ms(-800), Director: "d2", Alive: true},
			{At: ms(0.5), Director: "d1", Alive: false},
		},
		VIP: []VIPEvent{
			{At: ms(-850), Director: "d1", Has: true},
			{At: ms(36), Director: "d2", Has: true},
		},
		Links: []LinkEvent{{At: ms(0.2), Director: "d1", Up: false}},
		GARPs: []GARPEvent{
			{At: ms(-849), MAC: "aa:aa:aa:aa:aa:01", Director: "d1"},
			{At: ms(37), MAC: "aa:aa:aa:aa:aa:02", Director: "d2"},
		},
		Probes: pings(-100, 300, 0, 40),
	}
}

func near(got, want float64) bool { return got > want-0.01 && got < want+0.01 }

func TestMeasureCrash(t *testing.T) {
	m := Measure(crashRecord())
	for key, want := range map[string]float64{
		MTakeover: 36, MGARP: 37,
		MRestored: 41, // the ping sent at 40 ms, answered at 41
		MLastFail: 30,
		MNone:     35.8, // d1 stops holding at 0.2 ms (link down), d2 holds from 36
		MDual:     0,
		MPingLost: 4, // sent at 0, 10, 20, 30
		MMoves:    2, // {d1} -> {} -> {d2}
	} {
		got, ok := m[key]
		if !ok || !near(got, want) {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}
	for _, absent := range []string{MHealed, MWeight, MHTTPFail} {
		if _, ok := m[absent]; ok {
			t.Errorf("%s measured in a run without it", absent)
		}
	}
}

func TestMeasureCountsAStaleVIPAsNoHolder(t *testing.T) {
	// A SIGKILL leaves d1's VIP in the kernel: d1 still carries it, but
	// its daemon is dead, so only d2 holds once it takes over.
	r := crashRecord()
	r.Links = nil
	m := Measure(r)
	if m[MDual] != 0 {
		t.Errorf("dual = %v with a dead daemon's stale VIP, want 0", m[MDual])
	}
	if !near(m[MNone], 35.5) {
		t.Errorf("none = %v, want 35.5 (daemon dead at 0.5, takeover at 36)", m[MNone])
	}
	spans := r.Spans()
	last := spans[len(spans)-1]
	if st := last.Dirs["d1"]; !st.VIP || st.Alive || st.Holds() {
		t.Errorf("d1 at the end: %+v, want a stale VIP (carried, daemon dead, not holding)", st)
	}
}

func TestMeasureSplitBrainAndHeal(t *testing.T) {
	heal := ms(1000)
	r := &Record{
		Begin: ms(-50), End: ms(1300), HealAt: &heal,
		TakeoverBy: "d2", FinalMaster: "d1",
		MACs: map[string]string{"d1": "m1", "d2": "m2"},
		Daemons: []DaemonEvent{
			{At: ms(-900), Director: "d1", Alive: true},
			{At: ms(-800), Director: "d2", Alive: true},
		},
		VIP: []VIPEvent{
			{At: ms(-850), Director: "d1", Has: true},
			{At: ms(30), Director: "d2", Has: true},
			{At: ms(1012), Director: "d2", Has: false},
		},
		Probes: pings(-50, 1300, 1010, 1100),
	}
	m := Measure(r)
	checks := map[string]float64{MTakeover: 30, MDual: 982, MNone: 0, MHealed: 12, MMoves: 2, MRestored: 1101, MLastFail: 1090, MPingLost: 9}
	for key, want := range checks {
		if got, ok := m[key]; !ok || !near(got, want) {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}
}

func TestMeasureWithoutFailureRestoresAtZero(t *testing.T) {
	r := crashRecord()
	r.Probes = pings(-100, 300, 1e9, 1e9)
	m := Measure(r)
	if v, ok := m[MRestored]; !ok || v != 0 {
		t.Errorf("restored = %v (present %v), want 0", v, ok)
	}
	if _, ok := m[MLastFail]; ok {
		t.Error("last_fail measured without a failure")
	}
}

func TestMeasureNeverRestoredLeavesItOut(t *testing.T) {
	r := crashRecord()
	r.Probes = pings(-100, 300, 0, 1e9)
	if v, ok := Measure(r)[MRestored]; ok {
		t.Errorf("restored = %v although every probe after the fault failed", v)
	}
}

func TestMeasurePrefersHTTPForRestore(t *testing.T) {
	r := crashRecord()
	r.Probes = append(pings(-100, 300, 1e9, 1e9), // pings never fail
		Probe{Kind: "http", Sent: ms(5), Done: ms(205), OK: false},
		Probe{Kind: "http", Sent: ms(50), Done: ms(52), OK: true, Server: "rs1"})
	m := Measure(r)
	if m[MRestored] != 52 || m[MHTTPFail] != 1 || m[MPingLost] != 0 {
		t.Errorf("restored %v, http_failed %v, ping_lost %v; want 52, 1, 0", m[MRestored], m[MHTTPFail], m[MPingLost])
	}
}

func TestMeasureWeight(t *testing.T) {
	r := crashRecord()
	r.WatchServer = "rs1"
	r.Weights = []WeightEvent{{At: ms(-500), Server: "rs1", Weight: 1}, {At: ms(-500), Server: "rs2", Weight: 1},
		{At: ms(150), Server: "rs2", Weight: 0}, {At: ms(230), Server: "rs1", Weight: 0}}
	if got := Measure(r)[MWeight]; got != 230 {
		t.Errorf("weight = %v, want 230 (rs1's, not rs2's)", got)
	}
}

func TestAtJSONIsMilliseconds(t *testing.T) {
	b, err := json.Marshal(struct{ A, B At }{ms(36.0944), ms(-2.5)})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"A":36.094,"B":-2.5}` {
		t.Fatalf("marshalled %s", b)
	}
	var back struct{ A, B At }
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.A != ms(36.094) || back.B != ms(-2.5) {
		t.Fatalf("round trip gave %v %v", back.A, back.B)
	}
}

func TestSpansCoverTheWindowWithoutGaps(t *testing.T) {
	r := crashRecord()
	spans := r.Spans()
	if spans[0].From != r.Begin || spans[len(spans)-1].To != r.End {
		t.Fatalf("spans cover [%v, %v], want [%v, %v]", spans[0].From, spans[len(spans)-1].To, r.Begin, r.End)
	}
	for i := 1; i < len(spans); i++ {
		if spans[i].From != spans[i-1].To || spans[i].From >= spans[i].To {
			t.Fatalf("span %d [%v, %v] does not follow [%v, %v]", i, spans[i].From, spans[i].To, spans[i-1].From, spans[i-1].To)
		}
	}
	if h := spans[0].Holders(); len(h) != 1 || h[0] != "d1" {
		t.Errorf("holders at the start %v, want [d1]", h)
	}
}
