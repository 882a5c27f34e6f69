package healthcheck

import "time"

// dueQueue is a binary min-heap of checks ordered by their next start time.
// One heap and one timer serve every check, which keeps 10,000 checks
// cheap. Each slot holds the due time next to the entry: sifting compares
// neighbouring slots instead of following a pointer to a different entry
// at every step, which with 10,000 entries was mostly cache misses.
type dueQueue []dueSlot

type dueSlot struct {
	due time.Time // a copy of e.due, kept equal while e is queued
	e   *checkEntry
}

func (q dueQueue) Len() int { return len(q) }

func (q dueQueue) set(i int, s dueSlot) {
	q[i] = s
	s.e.heapIndex = i
}

// up moves the slot at i towards the root until its parent is not later.
func (q dueQueue) up(i int) {
	s := q[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !s.due.Before(q[parent].due) {
			break
		}
		q.set(i, q[parent])
		i = parent
	}
	q.set(i, s)
}

// down moves the slot at i towards the leaves until no child is earlier;
// it reports whether the slot moved.
func (q dueQueue) down(i int) bool {
	s, start, n := q[i], i, len(q)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if right := child + 1; right < n && q[right].due.Before(q[child].due) {
			child = right
		}
		if !q[child].due.Before(s.due) {
			break
		}
		q.set(i, q[child])
		i = child
	}
	q.set(i, s)
	return i != start
}

// push queues e at e.due.
func (q *dueQueue) push(e *checkEntry) {
	*q = append(*q, dueSlot{due: e.due, e: e})
	q.up(len(*q) - 1)
}

// remove takes e out of the queue if it is queued.
func (q *dueQueue) remove(e *checkEntry) {
	i := e.heapIndex
	if i < 0 {
		return
	}
	q.removeAt(i)
}

func (q *dueQueue) removeAt(i int) *checkEntry {
	old := *q
	e, last := old[i].e, len(old)-1
	if i != last {
		old.set(i, old[last])
	}
	old[last] = dueSlot{}
	*q = old[:last]
	if i != last && !q.down(i) {
		q.up(i)
	}
	e.heapIndex = -1
	return e
}

// head is the earliest check, nil when the queue is empty.
func (q dueQueue) head() *checkEntry {
	if len(q) == 0 {
		return nil
	}
	return q[0].e
}

// next returns the earliest start time.
func (q dueQueue) next() (time.Time, bool) {
	if len(q) == 0 {
		return time.Time{}, false
	}
	return q[0].due, true
}

// popDue appends to out the checks due at or before until, as many as the
// pacer allows at now.
func (q *dueQueue) popDue(until time.Time, p *pacer, now time.Time, out []*checkEntry) []*checkEntry {
	for len(*q) > 0 && !(*q)[0].due.After(until) && p.take(now) {
		out = append(out, q.removeAt(0))
	}
	return out
}
