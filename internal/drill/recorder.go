package drill

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// recorder collects the events of a run from the observer goroutines. Times
// are kept relative to base (when the observers started) and shifted to
// the injection at the end. It also tracks each director's current
// situation, which the runner polls while it waits for a condition.
type recorder struct {
	base    time.Time
	timeout time.Duration // of the client's probes

	mu     sync.Mutex
	rec    Record
	cur    map[string]DirState
	errors []string // the last errors of the client's probes, for messages
}

func newRecorder(directors map[string]string, timeout time.Duration) *recorder {
	r := &recorder{base: time.Now(), timeout: timeout, cur: map[string]DirState{}}
	r.rec.MACs = directors
	for d := range directors {
		r.cur[d] = DirState{Link: true}
	}
	return r
}

func (r *recorder) at(t time.Time) At { return At(t.Sub(r.base)) }

func (r *recorder) vip(d string, has bool, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.cur[d]
	if s.VIP == has {
		return
	}
	s.VIP = has
	r.cur[d] = s
	r.rec.VIP = append(r.rec.VIP, VIPEvent{At: r.at(t), Director: d, Has: has})
}

func (r *recorder) link(d string, up bool, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.cur[d]
	if s.Link == up {
		return
	}
	s.Link = up
	r.cur[d] = s
	r.rec.Links = append(r.rec.Links, LinkEvent{At: r.at(t), Director: d, Up: up})
}

func (r *recorder) daemon(d string, alive bool, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.cur[d]
	if s.Alive == alive {
		return
	}
	s.Alive = alive
	r.cur[d] = s
	r.rec.Daemons = append(r.rec.Daemons, DaemonEvent{At: r.at(t), Director: d, Alive: alive})
}

func (r *recorder) state(d, state string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.cur[d]
	s.State = state
	r.cur[d] = s
	r.rec.States = append(r.rec.States, StateEvent{At: r.at(t), Director: d, State: state})
}

func (r *recorder) garp(mac, director string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.GARPs = append(r.rec.GARPs, GARPEvent{At: r.at(t), MAC: mac, Director: director})
}

func (r *recorder) weight(server string, w int, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Weights = append(r.rec.Weights, WeightEvent{At: r.at(t), Server: server, Weight: w})
}

func (r *recorder) mark(label string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Marks = append(r.rec.Marks, Mark{At: r.at(t), Label: label})
}

func (r *recorder) probe(kind string, sent, done time.Time, err error, server string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Probes = append(r.rec.Probes, Probe{Kind: kind, Sent: r.at(sent), Done: r.at(done), OK: err == nil, Server: server})
	if err != nil {
		r.errors = append(r.errors, fmt.Sprintf("%s at %s: %v", kind, sent.Format("15:04:05.000"), err))
		if len(r.errors) > 20 {
			r.errors = r.errors[len(r.errors)-20:]
		}
	}
}

// lastErrors returns the last n errors of the client, one a line.
func (r *recorder) lastErrors(n int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.errors[max(0, len(r.errors)-n):]
	if len(e) == 0 {
		return "  (none: too few successes in a row)"
	}
	return "  " + strings.Join(e, "\n  ")
}

// firstMarkSince returns the wall-clock time of the first mark made at or
// after t (t itself if there is none).
func (r *recorder) firstMarkSince(t time.Time) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.at(t)
	for _, m := range r.rec.Marks {
		if m.At >= a {
			return r.base.Add(time.Duration(m.At))
		}
	}
	return t
}

// holders returns the directors that hold the VIP now.
func (r *recorder) holders() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for d, s := range r.cur {
		if s.Holds() {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// calmFor reports whether the client has seen only successes for d, up
// to the moment every probe has its answer or its timeout (now minus
// the probe timeout: a probe still in flight may yet fail), with that window
// starting no earlier than since, and at least one probe in it. A failure
// already recorded after the window (a refused connection fails at once)
// counts too.
func (r *recorder) calmFor(d time.Duration, since time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	to := r.at(time.Now()) - At(r.timeout)
	from := to - At(d)
	if from < r.at(since) {
		return false
	}
	n := 0
	for _, p := range r.rec.Probes {
		if p.Sent < from {
			continue
		}
		if !p.OK {
			return false
		}
		if p.Sent <= to {
			n++
		}
	}
	return n > 0
}

// reachable reports whether the client gets through: of the probes
// resolved in the last d (sent after since), at least 5 and at least 90%
// succeeded. It is the condition for injecting a fault; a loaded machine
// loses an odd request now and then, which calmFor would not forgive.
func (r *recorder) reachable(d time.Duration, since time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	to := r.at(time.Now()) - At(r.timeout)
	from := max(to-At(d), r.at(since))
	ok, n := 0, 0
	for _, p := range r.rec.Probes {
		if p.Sent < from || p.Sent > to {
			continue
		}
		n++
		if p.OK {
			ok++
		}
	}
	return n >= 5 && ok*10 >= n*9
}

// weightSeen reports whether server's weight was recorded as w after t.
func (r *recorder) weightSeen(server string, w int, after time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.at(after)
	return slices.ContainsFunc(r.rec.Weights, func(e WeightEvent) bool { return e.Server == server && e.Weight == w && e.At >= a })
}

// linkDownSince returns when d's link was recorded going down at or
// after t.
func (r *recorder) linkDownSince(d string, t time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.at(t)
	for _, e := range r.rec.Links {
		if e.Director == d && !e.Up && e.At >= a {
			return r.base.Add(time.Duration(e.At)), true
		}
	}
	return time.Time{}, false
}

// takeoverSeen reports whether d gained the VIP after t.
func (r *recorder) takeoverSeen(d string, after time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.at(after)
	return slices.ContainsFunc(r.rec.VIP, func(e VIPEvent) bool { return e.Director == d && e.Has && e.At >= a })
}

// finish returns the record with every time relative to injected, cut to
// [injected-pre, end].
func (r *recorder) finish(injected, end time.Time, pre time.Duration) *Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.rec
	shift := At(r.base.Sub(injected))
	mv := func(a *At) { *a += shift }
	for i := range rec.VIP {
		mv(&rec.VIP[i].At)
	}
	for i := range rec.Links {
		mv(&rec.Links[i].At)
	}
	for i := range rec.Daemons {
		mv(&rec.Daemons[i].At)
	}
	for i := range rec.States {
		mv(&rec.States[i].At)
	}
	for i := range rec.GARPs {
		mv(&rec.GARPs[i].At)
	}
	for i := range rec.Weights {
		mv(&rec.Weights[i].At)
	}
	for i := range rec.Marks {
		mv(&rec.Marks[i].At)
	}
	for i := range rec.Probes {
		mv(&rec.Probes[i].Sent)
		mv(&rec.Probes[i].Done)
	}
	rec.Injected = injected
	rec.Begin = max(At(r.base.Sub(injected)), -At(pre))
	rec.End = At(end.Sub(injected))
	slices.SortStableFunc(rec.Probes, func(a, b Probe) int { return cmpAt(a.Sent, b.Sent) })
	for _, p := range rec.Probes {
		if p.Sent >= 0 && !p.OK {
			rec.Failures = append(rec.Failures, p.Sent)
		}
	}
	// The copies above share slices with r.rec; the recorder is done.
	return &rec
}
