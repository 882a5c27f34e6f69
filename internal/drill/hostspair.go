package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vigil-ha/vigil/internal/lab"
)

// hostsPair is a pair described by a hosts file: every action is a shell
// command line run through a director's command prefix, and the drill
// watches the directors with `ip monitor` streamed through the same
// prefix. Streaming rather than polling: an event arrives as the kernel
// makes it, where a poll through ssh would cost a connection per look and
// see a change only at the next look; the same one-line format also gives
// the state at the start (`ip -o link/addr show`).
type hostsPair struct {
	h    *Hosts
	impl lab.Impl
	w    io.Writer
	info map[string]dirInfo // discovered at the start

	mu      sync.Mutex
	logs    map[string][]string // the last lines of each director's log command
	started map[string]bool     // daemons started in this run
	guards  map[string]string   // director -> pid of the process that will set its link up
	downed  map[string]bool     // directors whose link the drill set down
	faults  map[string]*stream  // director -> its `vigil fault`, or nil once terminated
}

// dirInfo is what the drill learns of a director at the start.
type dirInfo struct {
	mac  string
	addr netip.Addr // its own address on the interface (partition's peer)
}

// Timeouts of the commands run on hosts.
const (
	probeTimeout  = 30 * time.Second // ip show, vigil fault clear, ...
	daemonTimeout = 2 * time.Minute  // start, stop: systemd may take its time
	logTailLines  = 15
	readyLine     = "vigil-drill-ready"
	guardPrefix   = "vigil-drill-guard "
)

// openHostsPair reads the hosts file, checks that the scenario can run on
// it and looks at each director (MAC, address, link up): a pair that
// cannot run the drill is refused before anything changes.
func openHostsPair(ctx context.Context, o Options, sc *Scenario, w io.Writer) (*hostsPair, error) {
	h, err := LoadHosts(o.Hosts)
	if err != nil {
		return nil, err
	}
	if o.Interval != 0 && o.Interval != h.AdvertInterval {
		return nil, fmt.Errorf("-interval %s: the pair's interval is advert_interval in %s (%s)", o.Interval, o.Hosts, h.AdvertInterval)
	}
	p := &hostsPair{h: h, impl: o.Impl, w: w, info: map[string]dirInfo{}, logs: map[string][]string{},
		started: map[string]bool{}, guards: map[string]string{}, downed: map[string]bool{}, faults: map[string]*stream{}}
	if err := p.check(sc); err != nil {
		return nil, err
	}
	for i := range h.Directors {
		d := &h.Directors[i]
		out, err := d.run(ctx, probeTimeout, shellWords("ip", "-o", "link", "show", "dev", d.Interface)+" && "+shellWords("ip", "-o", "addr", "show", "dev", d.Interface), nil)
		if err != nil {
			return nil, fmt.Errorf("looking at director %s: %w", d.Name, err)
		}
		info, err := parseDirInfo(out, d.Interface, h.VIP)
		if err != nil {
			return nil, fmt.Errorf("director %s: %w", d.Name, err)
		}
		p.info[d.Name] = info
		if sc.usesFault {
			if _, err := d.run(ctx, probeTimeout, shellWords(d.Vigil, "fault", "-help")+" >/dev/null", nil); err != nil {
				return nil, fmt.Errorf("scenario %s runs vigil fault on the directors (vigil = %q in %s): %w", sc.Name, d.Vigil, h.File, err)
			}
		}
	}
	c := h.Client
	if _, err := c.run(ctx, probeTimeout, shellWords(c.Vigil, "version")+" >/dev/null", nil); err != nil {
		return nil, fmt.Errorf("the client runs vigil drill agent (vigil = %q in %s): %w", c.Vigil, h.File, err)
	}
	return p, nil
}

// parseDirInfo reads `ip -o link show dev IF; ip -o addr show dev IF`.
func parseDirInfo(out, iface string, vip netip.Addr) (dirInfo, error) {
	var info dirInfo
	up, seen := false, false
	for _, s := range strings.Split(out, "\n") {
		l, ok := parseIPLine(s)
		if !ok || l.ifname != iface {
			continue
		}
		switch {
		case l.link:
			seen, up, info.mac = true, l.up, l.mac
		case !info.addr.IsValid() && l.prefix.Addr().Is4() == vip.Is4() && l.prefix.Addr() != vip:
			info.addr = l.prefix.Addr()
		}
	}
	switch {
	case !seen:
		return info, fmt.Errorf("no interface %s", iface)
	case !up:
		return info, fmt.Errorf("%s is down", iface)
	case !info.addr.IsValid():
		return info, fmt.Errorf("%s has no address of its own besides the VIP", iface)
	}
	return info, nil
}

func (p *hostsPair) directors() [2]string {
	return [2]string{p.h.Directors[0].Name, p.h.Directors[1].Name}
}

func (p *hostsPair) macs() map[string]string {
	m := map[string]string{}
	for name, i := range p.info {
		m[name] = i.mac
	}
	return m
}

func (p *hostsPair) addr(director string) netip.Addr { return p.info[director].addr }

func (p *hostsPair) dir(name string) *HostDirector {
	for i := range p.h.Directors {
		if p.h.Directors[i].Name == name {
			return &p.h.Directors[i]
		}
	}
	panic("drill: no director " + name)
}

func (p *hostsPair) check(sc *Scenario) error {
	if sc.NeedsIPVS {
		return fmt.Errorf("scenario %s kills a web server of the lab and reads the master's IPVS table: it runs in the lab only, not with -hosts", sc.Name)
	}
	return nil
}

// kill is the director's kill command.
func (p *hostsPair) kill(d *HostDirector) string {
	if d.Kill != "" {
		return d.Kill
	}
	return DefaultKill(string(p.impl))
}

func (p *hostsPair) logTail(director string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs[director], "\n")
}

// reset stops both daemons (with the kill command: a graceful stop would
// hand the VIP over to the other, about to be stopped too) and removes
// what the drill left on the directors.
func (p *hostsPair) reset(r *runner) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	p.started = map[string]bool{}
	return p.cleanup(ctx, r.maxWait())
}

// cleanup clears the faults, kills both daemons, sets the links the drill
// took down up again and removes the VIP the killed daemons left.
func (p *hostsPair) cleanup(ctx context.Context, wait time.Duration) error {
	errs := p.clearFaults(nil)
	for i := range p.h.Directors {
		d := &p.h.Directors[i]
		// The status tells whether it worked; a kill command that found
		// nothing to kill may fail.
		if _, err := d.run(ctx, probeTimeout, p.kill(d)+"\ntrue", nil); err != nil {
			errs = errors.Join(errs, err)
		}
	}
	for i := range p.h.Directors {
		d := &p.h.Directors[i]
		errs = errors.Join(errs, p.waitStopped(ctx, d, wait))
		errs = errors.Join(errs, p.restoreLink(ctx, d))
		errs = errors.Join(errs, p.removeVIP(ctx, d))
	}
	return errs
}

// waitStopped waits until the status command says the daemon is not
// running (at once without a status command).
func (p *hostsPair) waitStopped(ctx context.Context, d *HostDirector, wait time.Duration) error {
	if d.Status == "" {
		return nil
	}
	end := time.Now().Add(wait)
	for {
		if _, err := d.run(ctx, probeTimeout, d.Status, nil); err != nil {
			return nil // not running (or the status command fails: then the start will say more)
		}
		if time.Now().After(end) {
			return fmt.Errorf("%s: the daemon still runs %s after it was stopped (status: %s)", d.Name, wait, d.Status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// restoreLink ends the link's guard and sets it up, if the drill set it down.
func (p *hostsPair) restoreLink(ctx context.Context, d *HostDirector) error {
	p.mu.Lock()
	guard, down := p.guards[d.Name], p.downed[d.Name]
	p.mu.Unlock()
	if guard == "" && !down {
		return nil
	}
	line := stopGuard(guard) + shellWords("ip", "link", "set", "dev", d.Interface, "up")
	if _, err := d.run(ctx, probeTimeout, line, nil); err != nil {
		return err
	}
	p.mu.Lock()
	delete(p.guards, d.Name)
	delete(p.downed, d.Name)
	p.mu.Unlock()
	return nil
}

// removeVIP deletes the VIP from the director's interface: a killed daemon
// leaves it there.
func (p *hostsPair) removeVIP(ctx context.Context, d *HostDirector) error {
	out, err := d.run(ctx, probeTimeout, shellWords("ip", "-o", "addr", "show", "dev", d.Interface), nil)
	if err != nil {
		return err
	}
	var del []string
	for _, s := range strings.Split(out, "\n") {
		if l, ok := parseIPLine(s); ok && !l.link && l.prefix.Addr() == p.h.VIP {
			del = append(del, shellWords("ip", "addr", "del", l.prefix.String(), "dev", d.Interface))
		}
	}
	if len(del) == 0 {
		return nil
	}
	_, err = d.run(ctx, probeTimeout, strings.Join(del, " && "), nil)
	return err
}

// guardLine starts, in the background, a process that sets the link up
// after d unless the drill ends it first (stopGuard): a director the drill
// cut off, or that can no longer be reached because the drill took down
// the link its commands go through, comes back by itself. It runs in a
// session of its own when setsid exists, so that ending it ends its sleep.
func guardLine(iface string, d time.Duration) string {
	body := fmt.Sprintf("sleep %d; %s", int(d.Seconds())+1, shellWords("ip", "link", "set", "dev", iface, "up"))
	run := "sh -c " + shellQuote(body) + " </dev/null >/dev/null 2>&1 &"
	return "if command -v setsid >/dev/null 2>&1; then setsid " + run + " else " + run + " fi; echo " + guardPrefix + "$!; "
}

// stopGuard is the shell line that ends a guard ("" for none).
func stopGuard(pid string) string {
	if pid == "" {
		return ""
	}
	// "kill -TERM -PGID": dash's kill takes no "--".
	return fmt.Sprintf("kill -TERM -%s 2>/dev/null || kill -TERM %s 2>/dev/null; ", pid, pid)
}

// guardDuration is how long a link stays down if the drill loses the
// director: past any run's end.
func guardDuration(r *runner) time.Duration { return 2*r.maxWait() + r.healAfter() }

// takeGuard records the guard pid a line printed.
func (p *hostsPair) takeGuard(name, out string) {
	for _, s := range strings.Split(out, "\n") {
		if pid, ok := strings.CutPrefix(s, guardPrefix); ok && strings.Trim(pid, "0123456789") == "" && pid != "" {
			p.mu.Lock()
			p.guards[name] = pid
			p.downed[name] = true
			p.mu.Unlock()
		}
	}
}

// close leaves the pair as the drill found it, presumably: no fault, links
// up, and both daemons started again (first the master at start).
func (p *hostsPair) close(ctx context.Context) error {
	wait := 10*time.Second + 10*p.h.AdvertInterval
	errs := p.cleanup(ctx, wait)
	for i := range p.h.Directors {
		d := &p.h.Directors[i]
		if _, err := d.run(ctx, daemonTimeout, d.Start, nil); err != nil {
			errs = errors.Join(errs, fmt.Errorf("starting the daemon again: %w", err))
			continue
		}
		if i == 0 {
			// As at the start of a run: the master first, so that the
			// backup finds it there.
			if !p.waitVIP(ctx, d, wait) {
				fmt.Fprintf(p.w, "note: %s did not take the VIP within %s of its start\n", d.Name, wait)
			}
		}
	}
	if errs == nil {
		fmt.Fprintf(p.w, "left %s and %s running (their start commands), without faults\n", p.h.Directors[0].Name, p.h.Directors[1].Name)
	}
	return errs
}

// waitVIP polls the director's interface until it carries the VIP.
func (p *hostsPair) waitVIP(ctx context.Context, d *HostDirector, wait time.Duration) bool {
	for end := time.Now().Add(wait); time.Now().Before(end); {
		out, err := d.run(ctx, probeTimeout, shellWords("ip", "-o", "addr", "show", "dev", d.Interface), nil)
		if err != nil {
			return false
		}
		for _, s := range strings.Split(out, "\n") {
			if l, ok := parseIPLine(s); ok && !l.link && l.prefix.Addr() == p.h.VIP {
				return true
			}
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

func (p *hostsPair) newReport(sc *Scenario, o Options) *Report {
	rep := &Report{
		Scenario: sc.Name, Description: sc.Summary, Impl: string(o.Impl),
		IntervalMs: float64(o.Interval) / float64(time.Millisecond),
		Client:     "ping", Started: time.Now(), Hosts: p.h.File,
	}
	if p.h.Client.URL != "" {
		rep.Client = "http+ping"
	}
	rep.Notes = append(rep.Notes, "on hosts, the directors' VIP and link events are timed when ip monitor's line reaches the drill, a kill or a fault when its command reports it done (a link taken down: when ip monitor reports it): over ssh about half a round trip late; the client's probes are timed on the client; the time to heal includes running vigil fault clear on the director")
	return rep
}

func (p *hostsPair) writeHeader(w io.Writer, rep *Report, sc *Scenario, timeout time.Duration) {
	d1, d2 := p.h.Directors[0], p.h.Directors[1]
	fmt.Fprintf(w, "drill %s: %s\n", sc.Name, sc.Summary)
	fmt.Fprintf(w, "  pair:   %s on %s (master at start) and %s, VIP %s on %s/%s, adverts every %s (%s)\n",
		rep.Impl, d1.Name, d2.Name, p.h.VIP, d1.Interface, d2.Interface, p.h.AdvertInterval, filepath.Base(p.h.File))
	if u := p.h.Client.URL; u != "" {
		fmt.Fprintf(w, "  client: GET %s every %s and ping %s every %s, timeout %s\n", u, httpEvery, p.h.VIP, pingEvery, timeout)
	} else {
		fmt.Fprintf(w, "  client: ping %s every %s, timeout %s (no url in the client block: no HTTP)\n", p.h.VIP, pingEvery, timeout)
	}
}
