package drill

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/vigil-ha/vigil/internal/lab"
)

// Client traffic: an HTTP GET to the VIP every httpEvery (with IPVS) and a
// ping every pingEvery, each with a timeout (Options.Timeout, default
// DefaultTimeout). A request that is still unanswered after the timeout
// failed: during an outage the client's packets go to a MAC nobody serves
// and are lost.
const (
	httpEvery = 5 * time.Millisecond
	pingEvery = 10 * time.Millisecond
	// DefaultTimeout is the client's request timeout.
	DefaultTimeout = 200 * time.Millisecond
	// maxInFlight bounds the HTTP requests waiting at once (an outage
	// leaves each waiting for its timeout); a tick with none free sends
	// nothing and records nothing.
	maxInFlight = 64
)

// traffic is the client's load during a run.
type traffic struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	pinger *lab.Pinger
}

// probeSink receives the outcome of every probe: the recorder in the lab,
// the agent's output on a described client.
type probeSink interface {
	probe(kind string, sent, done time.Time, err error, server string)
}

// startTraffic starts pinging the VIP from the lab's client and, if http
// is true, fetching http://VIP/ too.
func startTraffic(ctx context.Context, l *lab.Lab, rec *recorder, http bool, timeout time.Duration) (*traffic, error) {
	p, err := l.NewPinger(lab.Client)
	if err != nil {
		return nil, err
	}
	var get func() (string, error)
	if http {
		client := l.HTTPClient(lab.Client, timeout)
		url := l.VIPURL()
		get = func() (string, error) { return lab.Get(context.Background(), client, url) }
	}
	return sendTraffic(ctx, p, l.VIP, get, rec, timeout), nil
}

// sendTraffic pings vip with p every pingEvery and, if get is not nil,
// calls it every httpEvery (get returns the server that answered); every
// outcome goes to sink. stop closes p.
func sendTraffic(ctx context.Context, p *lab.Pinger, vip netip.Addr, get func() (string, error), sink probeSink, timeout time.Duration) *traffic {
	ctx, cancel := context.WithCancel(ctx)
	t := &traffic{cancel: cancel, pinger: p}
	t.loop(ctx, pingEvery, nil, func() {
		sent := time.Now()
		rtt, err := p.Ping(context.Background(), vip, timeout)
		done := sent.Add(rtt)
		if err != nil {
			done = time.Now()
		}
		sink.probe("ping", sent, done, err, "")
	})
	if get != nil {
		t.loop(ctx, httpEvery, make(chan struct{}, maxInFlight), func() {
			sent := time.Now()
			name, err := get()
			sink.probe("http", sent, time.Now(), err, name)
		})
	}
	return t
}

// loop runs probe every period in its own goroutine, at most cap(slots)
// at once when slots is not nil.
func (t *traffic) loop(ctx context.Context, period time.Duration, slots chan struct{}, probe func()) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if slots != nil {
				select {
				case slots <- struct{}{}:
				default:
					continue
				}
			}
			t.wg.Add(1)
			go func() {
				defer t.wg.Done()
				probe()
				if slots != nil {
					<-slots
				}
			}()
		}
	}()
}

// stop stops sending and waits for the requests in flight (at most the
// probe timeout).
func (t *traffic) stop() {
	t.cancel()
	t.wg.Wait()
	t.pinger.Close()
}
