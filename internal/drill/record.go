package drill

import (
	"slices"
	"strconv"
	"time"
)

// At is a moment of a run relative to the injection of the fault
// (negative: before it). In JSON it is a number of milliseconds.
type At time.Duration

// Ms is the moment in milliseconds.
func (a At) Ms() float64 { return float64(a) / float64(time.Millisecond) }

// MarshalJSON writes milliseconds with microsecond precision.
func (a At) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, roundMs(a.Ms()), 'f', -1, 64), nil
}

// UnmarshalJSON reads milliseconds.
func (a *At) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*a = At(f * float64(time.Millisecond))
	return nil
}

// roundMs keeps three decimals (microseconds) of a millisecond figure.
func roundMs(f float64) float64 {
	return float64(int64(f*1000+copySign(0.5, f))) / 1000
}

func copySign(x, sign float64) float64 {
	if sign < 0 {
		return -x
	}
	return x
}

// VIPEvent: the VIP appeared on (Has) or left a director's eth0.
type VIPEvent struct {
	At       At     `json:"at_ms"`
	Director string `json:"director"`
	Has      bool   `json:"has"`
}

// LinkEvent: a director's eth0 went up or down.
type LinkEvent struct {
	At       At     `json:"at_ms"`
	Director string `json:"director"`
	Up       bool   `json:"up"`
}

// DaemonEvent: a director's daemon started or ended (or was killed).
type DaemonEvent struct {
	At       At     `json:"at_ms"`
	Director string `json:"director"`
	Alive    bool   `json:"alive"`
}

// StateEvent: a daemon logged a VRRP state change.
type StateEvent struct {
	At       At     `json:"at_ms"`
	Director string `json:"director"`
	State    string `json:"state"` // master, backup, fault, stopping...
}

// GARPEvent: the client saw a gratuitous ARP for the VIP.
type GARPEvent struct {
	At       At     `json:"at_ms"`
	MAC      string `json:"mac"`
	Director string `json:"director,omitempty"` // whose MAC it is, if a director's
}

// Probe is one client request to the VIP.
type Probe struct {
	Kind   string `json:"kind"` // "http" or "ping"
	Sent   At     `json:"sent_ms"`
	Done   At     `json:"done_ms"`
	OK     bool   `json:"ok"`
	Server string `json:"server,omitempty"` // the real server that answered (http)
}

// WeightEvent: a real server's weight in the master's IPVS table changed.
type WeightEvent struct {
	At     At     `json:"at_ms"`
	Server string `json:"server"` // lab name, e.g. rs1
	Weight int    `json:"weight"`
}

// Mark is something the drill did, e.g. "SIGKILL d1" or "heal".
type Mark struct {
	At    At     `json:"at_ms"`
	Label string `json:"label"`
}

// Record is everything observed in one run.
type Record struct {
	Scenario string        `json:"scenario"`
	Impl     string        `json:"impl"`
	Interval time.Duration `json:"-"`
	Run      int           `json:"run"`
	// Injected is the wall-clock time of the injection (At 0).
	Injected time.Time `json:"injected"`
	// Begin and End bound the observation.
	Begin At `json:"begin_ms"`
	End   At `json:"end_ms"`
	// HealAt is when the fault was removed, for scenarios that heal.
	HealAt *At `json:"heal_ms,omitempty"`
	// TakeoverBy is the director expected to take the VIP ("" if none);
	// FinalMaster the one expected to hold it alone at the end.
	TakeoverBy  string            `json:"takeover_by,omitempty"`
	FinalMaster string            `json:"final_master"`
	MACs        map[string]string `json:"macs"` // director -> MAC
	// WatchServer is the real server whose weight is measured.
	WatchServer string `json:"watch_server,omitempty"`

	VIP     []VIPEvent    `json:"vip"`
	Links   []LinkEvent   `json:"links,omitempty"`
	Daemons []DaemonEvent `json:"daemons"`
	States  []StateEvent  `json:"states,omitempty"`
	GARPs   []GARPEvent   `json:"garps,omitempty"`
	Weights []WeightEvent `json:"weights,omitempty"`
	Marks   []Mark        `json:"marks"`
	Probes  []Probe       `json:"-"` // summarized in the measures and the timeline
	// Failures are the send times of the failed probes after the injection.
	Failures []At `json:"failures_ms,omitempty"`
	// Note says what did not happen in time, e.g. no takeover.
	Note string `json:"note,omitempty"`
}

// Directors lists the directors the record knows, sorted.
func (r *Record) Directors() []string {
	var out []string
	for d := range r.MACs {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// DirState is a director's situation during a span of a run.
type DirState struct {
	VIP   bool   // eth0 carries the VIP
	Link  bool   // eth0 is up
	Alive bool   // the daemon runs
	State string // last logged VRRP state
}

// Holds reports whether the director holds the VIP in the drill's sense:
// it carries it, its link is up and its daemon is alive.
func (s DirState) Holds() bool { return s.VIP && s.Link && s.Alive }

// Span is an interval of a run in which no director's situation changes.
type Span struct {
	From, To At
	Dirs     map[string]DirState
}

// Holders lists the directors holding the VIP during the span, sorted.
func (s Span) Holders() []string {
	var out []string
	for d, st := range s.Dirs {
		if st.Holds() {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// Spans cuts [Begin, End] into spans of constant director situations.
// Events before Begin set the situation at Begin; a link counts as up and
// a daemon as dead until an event says otherwise.
func (r *Record) Spans() []Span {
	type ev struct {
		at    At
		apply func(map[string]DirState)
	}
	var evs []ev
	set := func(d string, f func(*DirState)) func(map[string]DirState) {
		return func(m map[string]DirState) {
			s := m[d]
			f(&s)
			m[d] = s
		}
	}
	for _, e := range r.VIP {
		evs = append(evs, ev{e.At, set(e.Director, func(s *DirState) { s.VIP = e.Has })})
	}
	for _, e := range r.Links {
		evs = append(evs, ev{e.At, set(e.Director, func(s *DirState) { s.Link = e.Up })})
	}
	for _, e := range r.Daemons {
		evs = append(evs, ev{e.At, set(e.Director, func(s *DirState) { s.Alive = e.Alive })})
	}
	for _, e := range r.States {
		evs = append(evs, ev{e.At, set(e.Director, func(s *DirState) { s.State = e.State })})
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return cmpAt(a.at, b.at) })

	cur := map[string]DirState{}
	for _, d := range r.Directors() {
		cur[d] = DirState{Link: true}
	}
	i := 0
	for ; i < len(evs) && evs[i].at <= r.Begin; i++ {
		evs[i].apply(cur)
	}
	var spans []Span
	from := r.Begin
	for i < len(evs) && evs[i].at < r.End {
		at := evs[i].at
		if at > from {
			spans = append(spans, Span{From: from, To: at, Dirs: clone(cur)})
			from = at
		}
		for ; i < len(evs) && evs[i].at == at; i++ {
			evs[i].apply(cur)
		}
	}
	if r.End > from {
		spans = append(spans, Span{From: from, To: r.End, Dirs: clone(cur)})
	}
	return spans
}

func clone(m map[string]DirState) map[string]DirState {
	out := make(map[string]DirState, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cmpAt(a, b At) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
