package healthcheck

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// ReasonConfigChanged is the reason of transitions caused by Update
// (a changed weight or on_failure, or checks added or removed).
const ReasonConfigChanged = "configuration changed"

// ReasonInitial is the reason of the first transition of a real server.
const ReasonInitial = "initial state"

// Update replaces the set of checked servers, as on a SIGHUP reload. A check
// keeps its rise/fall state and its schedule when its identity is
// unchanged: same virtual server key, real server key and address, checker
// description, dialer and resolved settings. Other checks start afresh
// (after a random warm-up). New real servers are reported with an Initial
// transition and new virtual servers with an Initial quorum event; real
// servers whose state changes because of the new configuration are
// reported too. Servers that disappear are dropped silently: the caller
// removes them with the configuration.
//
// Update validates the whole configuration first and changes nothing if it
// is invalid.
func (s *Scheduler) Update(vss []VirtualServer) error {
	if err := validateConfig(s.opts.Defaults, vss); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()

	oldVS, oldChecks := s.vss, s.checks
	s.vss = make(map[string]*vsState, len(vss))
	s.vsOrder = s.vsOrder[:0]
	s.checks = make(map[string]*checkEntry, len(oldChecks))
	var newRS []*rsState
	var changedRS []*rsState
	var newVS []*vsState

	for _, vcfg := range vss {
		vs := oldVS[vcfg.Key]
		if vs == nil {
			vs = &vsState{}
			newVS = append(newVS, vs)
		}
		vs.cfg = vcfg
		vs.cfg.RealServers = nil
		oldRS := make(map[string]*rsState, len(vs.rss))
		for _, rs := range vs.rss {
			oldRS[rs.cfg.Key] = rs
		}
		vs.rss = vs.rss[:0:0]
		for _, rcfg := range vcfg.RealServers {
			rs := oldRS[rcfg.Key]
			if rs == nil {
				rs = &rsState{}
				newRS = append(newRS, rs)
			} else {
				changedRS = append(changedRS, rs)
			}
			rs.vs = vs
			rs.cfg = rcfg
			rs.cfg.Checks = nil
			rs.checks = s.adoptChecks(vcfg, rcfg, rs, oldChecks, now)
			vs.rss = append(vs.rss, rs)
		}
		s.vss[vcfg.Key] = vs
		s.vsOrder = append(s.vsOrder, vcfg.Key)
	}

	for id, e := range oldChecks {
		if s.checks[id] != e {
			e.removed = true
			s.queue.remove(e)
		}
	}
	s.pace.setRate(peakRate(s.checks))
	for _, rs := range newRS {
		s.refreshRealServer(rs, ReasonInitial, true)
	}
	for _, rs := range changedRS {
		if view := rs.computeView(); view != rs.view {
			rs.view = view
			s.events.push(event{transition: &Transition{
				VirtualServer: rs.vs.cfg.Key, RealServer: rs.cfg.Key,
				Healthy: view.Healthy, Weight: view.Weight, Remove: view.Remove,
				Reason: ReasonConfigChanged,
			}, notify: rs.cfg.Notify})
		}
	}
	isNew := make(map[*vsState]bool, len(newVS))
	for _, vs := range newVS {
		isNew[vs] = true
	}
	for _, key := range s.vsOrder {
		vs := s.vss[key]
		s.refreshQuorum(vs, isNew[vs])
	}
	s.notifyLoop()
	return nil
}

// adoptChecks builds the check entries of one real server, reusing the
// entries of unchanged checks. Called with s.mu held.
func (s *Scheduler) adoptChecks(vcfg VirtualServer, rcfg RealServer, rs *rsState, old map[string]*checkEntry, now time.Time) []*checkEntry {
	entries := make([]*checkEntry, 0, len(rcfg.Checks))
	for i, c := range rcfg.Checks {
		settings := ResolveSettings(s.opts.Defaults, vcfg.Settings, rcfg.Settings, c.Settings)
		target := Target{VirtualServer: vcfg.Key, RealServer: rcfg.Key, Addr: rcfg.Addr, Dialer: c.Dialer}
		id := checkIdentity(target, c, settings, 0)
		for n := 1; s.checks[id] != nil; n++ { // identical checks on one server
			id = checkIdentity(target, c, settings, n)
		}
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("%d:%s", i, c.Checker)
		}
		e := old[id]
		if e == nil || e.removed {
			e = &checkEntry{heapIndex: -1, settings: settings,
				state: counter{Healthy: settings.Start == StartUp}}
			e.due = now
			if settings.WarmUp > 0 {
				e.due = now.Add(s.jitter(settings.WarmUp))
			}
			s.queue.push(e)
		}
		e.name, e.rs, e.checker, e.target = name, rs, c.Checker, target
		s.checks[id] = e
		entries = append(entries, e)
	}
	return entries
}

// checkIdentity hashes everything that makes a check "the same check"
// across a reload. ordinal separates identical checks on one real server.
func checkIdentity(t Target, c Check, settings Settings, ordinal int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q\x00%q\x00%v\x00%T\x00%s\x00%s\x00%+v\x00%d",
		t.VirtualServer, t.RealServer, t.Addr, c.Checker, c.Checker.String(), c.Dialer, settings, ordinal)
	return hex.EncodeToString(h.Sum(nil))
}
