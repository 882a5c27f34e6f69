package healthcheck

import (
	"container/heap"
	"time"
)

// dueQueue is a min-heap of checks ordered by their next start time. One
// heap and one timer serve every check, which keeps 10,000 checks cheap.
type dueQueue []*checkEntry

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q dueQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].heapIndex = i
	q[j].heapIndex = j
}

// Push implements heap.Interface; use push.
func (q *dueQueue) Push(x any) {
	e := x.(*checkEntry)
	e.heapIndex = len(*q)
	*q = append(*q, e)
}

// Pop implements heap.Interface; use popDue.
func (q *dueQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	e.heapIndex = -1
	return e
}

func (q *dueQueue) push(e *checkEntry) { heap.Push(q, e) }

func (q *dueQueue) remove(e *checkEntry) {
	if e.heapIndex >= 0 {
		heap.Remove(q, e.heapIndex)
	}
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
		out = append(out, heap.Pop(q).(*checkEntry))
	}
	return out
}
