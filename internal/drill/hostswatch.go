package drill

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// What a drill on hosts watches: the directors and the client.

// monitorLine is the script that streams a director's link and address
// events: the monitor starts first, then the listing gives the state it
// started from (a change in between shows in both, harmlessly), then
// readyLine; it ends when its standard input closes.
func monitorLine(iface string) string {
	return "ip -o monitor link address & m=$!; sleep 0.2; " +
		shellWords("ip", "-o", "link", "show", "dev", iface) + " && " + shellWords("ip", "-o", "addr", "show", "dev", iface) +
		" && echo " + readyLine + "; cat >/dev/null; kill $m 2>/dev/null; wait $m"
}

// hostObservers are the streams of one run.
type hostObservers struct{ streams []*stream }

func (o *hostObservers) stop() {
	var wg sync.WaitGroup
	for _, s := range o.streams {
		wg.Go(func() { s.stop(2 * time.Second) })
	}
	wg.Wait()
}

func (p *hostsPair) observe(ctx context.Context, r *runner) (stopper, error) {
	obs := &hostObservers{}
	rec, vip := r.rec, p.h.VIP
	var ready []chan struct{}
	for i := range p.h.Directors {
		d := &p.h.Directors[i]
		name := d.Name
		ch := make(chan struct{})
		var once sync.Once
		s, err := d.startStream(monitorLine(d.Interface), func(line string, t time.Time) {
			if line == readyLine {
				once.Do(func() { close(ch) })
				return
			}
			l, ok := parseIPLine(line)
			if !ok || l.ifname != d.Interface {
				return
			}
			switch {
			case l.link:
				rec.link(name, l.up && !l.deleted, t)
			case l.prefix.Addr() == vip:
				rec.vip(name, !l.deleted, t)
			}
		})
		if err != nil {
			obs.stop()
			return nil, err
		}
		obs.streams = append(obs.streams, s)
		ready = append(ready, ch)
		if d.Log != "" {
			p.mu.Lock()
			p.logs[name] = nil
			p.mu.Unlock()
			ls, err := d.startStream(d.Log+" & l=$!; cat >/dev/null; kill $l 2>/dev/null; wait $l", func(line string, t time.Time) {
				if st := parseStateLine(line); st != "" {
					rec.state(name, st, t)
				}
				p.mu.Lock()
				p.logs[name] = append(p.logs[name], line)
				if n := len(p.logs[name]); n > logTailLines {
					p.logs[name] = p.logs[name][n-logTailLines:]
				}
				p.mu.Unlock()
			})
			if err != nil {
				obs.stop()
				return nil, err
			}
			obs.streams = append(obs.streams, ls)
		}
	}
	for i, ch := range ready {
		select {
		case <-ch:
		case <-time.After(r.maxWait()):
			obs.stop()
			return nil, fmt.Errorf("watching %s: no state from ip monitor within %s", p.h.Directors[i].Name, r.maxWait())
		case <-ctx.Done():
			obs.stop()
			return nil, ctx.Err()
		}
	}
	return obs, nil
}

func (p *hostsPair) traffic(_ context.Context, r *runner) (stopper, error) {
	byMAC := map[string]string{}
	for name, i := range p.info {
		byMAC[i.mac] = name
	}
	return startAgent(p.h.Client, p.h.VIP, r.timeout, r.rec, byMAC, r.maxWait())
}
