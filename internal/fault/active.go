package fault

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Active is a fault Apply installed. A goroutine removes it when it
// expires, when the context of Apply is cancelled or on Clear; for a flap
// it also toggles the link.
type Active struct {
	// Spec is the fault, with the defaults filled in.
	Spec Spec
	// ID identifies the fault in its record.
	ID string
	// Started and Expires bound the fault.
	Started, Expires time.Time

	inj      *Injector
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	err      error
}

func newActive(inj *Injector, rec *record) *Active {
	return &Active{
		Spec: rec.Spec, ID: rec.ID, Started: rec.Started, Expires: rec.Expires,
		inj: inj, stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// Done is closed once the fault has been removed (or found removed by
// someone else, e.g. `vigil fault clear` from another shell).
func (a *Active) Done() <-chan struct{} { return a.done }

// Wait blocks until the fault is gone and returns the error of removing it.
func (a *Active) Wait() error {
	<-a.done
	return a.err
}

// Clear removes the fault now and waits for it to be gone.
func (a *Active) Clear() error {
	a.stopOnce.Do(func() { close(a.stop) })
	return a.Wait()
}

// run waits for the end of the fault, flapping the link meanwhile if that
// is the fault, then removes it unless someone else already has.
func (a *Active) run(ctx context.Context) {
	defer close(a.done)
	timer := time.NewTimer(time.Until(a.Expires))
	defer timer.Stop()
	var tick <-chan time.Time
	if a.Spec.Kind == KindFlap {
		t := time.NewTicker(a.Spec.Period)
		defer t.Stop()
		tick = t.C
	}
	down := true // Apply took the link down
	for {
		select {
		case <-timer.C:
		case <-ctx.Done():
		case <-a.stop:
		case <-tick:
			ours, err := a.toggle(!down)
			if ours && err == nil {
				down = !down
				continue
			}
			if !ours {
				return // cleared by someone else
			}
			a.err = err // the link went away or would not move; clear what is left
		}
		break
	}
	_, err := a.inj.clearIfOwned(a.Spec.Target, a.ID)
	if a.err == nil {
		a.err = err
	}
}

// toggle sets the link down or up if the fault's record is still this
// fault's, under the state lock so that a concurrent clear, which sets the
// link up, has the last word.
func (a *Active) toggle(down bool) (ours bool, err error) {
	st := a.inj.store()
	unlock, err := st.lock()
	if err != nil {
		return true, err
	}
	defer unlock()
	rec, err := st.load(a.Spec.Target)
	if err != nil {
		return true, err
	}
	if rec == nil || rec.ID != a.ID {
		return false, nil
	}
	p, err := openPort(a.Spec.Target)
	if err != nil {
		return true, err
	}
	defer p.close()
	if down {
		err = p.nl.LinkSetDown(p.link)
	} else {
		err = p.nl.LinkSetUp(p.link)
	}
	if err != nil {
		return true, fmt.Errorf("%s: flap: %w", a.Spec.Target, err)
	}
	return true, nil
}
