package healthcheck

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestDueQueueAgainstSortedList runs random pushes, removals and pops and
// checks the heap against a plain sorted list after each step.
func TestDueQueueAgainstSortedList(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Unix(1000, 0)
	var q dueQueue
	var want []*checkEntry // the queued entries
	var p pacer            // no rate: pops are not limited
	for step := range 5000 {
		switch op := rng.IntN(10); {
		case op < 5 || len(want) == 0:
			e := &checkEntry{heapIndex: -1, due: t0.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)}
			q.push(e)
			want = append(want, e)
		case op < 7:
			i := rng.IntN(len(want))
			q.remove(want[i])
			if want[i].heapIndex != -1 {
				t.Fatalf("step %d: removed entry keeps heap index %d", step, want[i].heapIndex)
			}
			want = slices.Delete(want, i, i+1)
		default:
			until := t0.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
			popped := q.popDue(until, &p, until, nil)
			for i, e := range popped {
				if e.due.After(until) || i > 0 && e.due.Before(popped[i-1].due) {
					t.Fatalf("step %d: popped %v after %v, until %v", step, e.due, popped[max(i-1, 0)].due, until)
				}
				want = slices.DeleteFunc(want, func(w *checkEntry) bool { return w == e })
			}
		}
		if q.Len() != len(want) {
			t.Fatalf("step %d: %d queued, want %d", step, q.Len(), len(want))
		}
		for i, s := range q {
			if s.e.heapIndex != i || !s.due.Equal(s.e.due) {
				t.Fatalf("step %d: slot %d holds index %d, due %v for %v", step, i, s.e.heapIndex, s.due, s.e.due)
			}
			if i > 0 && s.due.Before(q[(i-1)/2].due) {
				t.Fatalf("step %d: slot %d earlier than its parent", step, i)
			}
		}
		if len(want) > 0 {
			earliest := slices.MinFunc(want, func(a, b *checkEntry) int { return a.due.Compare(b.due) })
			if next, _ := q.next(); !next.Equal(earliest.due) {
				t.Fatalf("step %d: next %v, want %v", step, next, earliest.due)
			}
		}
	}
}
