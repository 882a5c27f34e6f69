package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"sync"

	"github.com/vigil-ha/vigil/healthcheck"
	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/director"
)

// healthChecks runs the real servers' checks and moves their weights in
// the IPVS tables. It runs on every director, master or not, so that a new
// master starts with fresh results.
type healthChecks struct {
	sched  *healthcheck.Scheduler
	tables *director.IPVSTables
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	// acceptLocal lets the replies of via_vip probes in (see viavip.go).
	acceptLocal *acceptLocal

	mu sync.Mutex
	// refs maps the scheduler's keys back to the table's references.
	refs map[string]director.RealServerRef
}

// startHealthChecks starts the scheduler for cfg's real servers. A check
// vigil cannot run is an error here, not a silent gap.
func startHealthChecks(ctx context.Context, cfg *config.Config, tables *director.IPVSTables, log *slog.Logger, onResult func(healthcheck.CheckResult)) (*healthChecks, error) {
	hc := &healthChecks{tables: tables, log: log, done: make(chan struct{}), refs: map[string]director.RealServerRef{},
		acceptLocal: newAcceptLocal(log)}
	hc.sched = healthcheck.New(healthcheck.Options{
		OnTransition: hc.transition,
		OnQuorum:     hc.quorum,
		OnResult:     onResult,
		Logger:       log.With("component", "healthcheck"),
	})
	if err := hc.reload(cfg); err != nil {
		hc.acceptLocal.restore()
		return nil, err
	}
	ctx, hc.cancel = context.WithCancel(ctx)
	go func() {
		defer close(hc.done)
		_ = hc.sched.Run(ctx)
	}()
	return hc, nil
}

func (hc *healthChecks) stop() {
	hc.cancel()
	<-hc.done
	hc.acceptLocal.restore()
}

// reload gives the scheduler the new real servers; unchanged checks keep
// their state (rise/fall counters and health) across the reload. On error
// the scheduler keeps the checks it had.
func (hc *healthChecks) reload(cfg *config.Config) error {
	if err := hc.acceptLocal.ensure(hc.tables.ProbeAddrs()); err != nil {
		return err
	}
	vss, refs, err := healthTargets(cfg, hc.tables)
	if err != nil {
		return err
	}
	hc.mu.Lock()
	hc.refs = refs
	hc.mu.Unlock()
	return hc.sched.Update(vss)
}

func (hc *healthChecks) transition(t healthcheck.Transition) {
	hc.mu.Lock()
	ref, ok := hc.refs[t.VirtualServer+"|"+t.RealServer]
	hc.mu.Unlock()
	if !ok {
		return
	}
	if err := hc.tables.SetHealth(ref, director.Health{Weight: t.Weight, Remove: t.Remove}); err != nil {
		hc.log.Error("real server weight not applied", "virtual_server", ref.VirtualServer, "real_server", ref.RealServer, "err", err)
	}
}

func (hc *healthChecks) quorum(q healthcheck.QuorumEvent) {
	if err := hc.tables.SetQuorum(q.VirtualServer, q.QuorumUp); err != nil {
		hc.log.Error("quorum change not applied", "virtual_server", q.VirtualServer, "err", err)
	}
}

// probeMarker gives the firewall mark that takes a via_vip probe to one
// real server (director.IPVSTables installs the matching IPVS services).
type probeMarker interface {
	ProbeMark(addr netip.Addr, forwarding string) (uint32, bool)
}

// healthTargets maps the configuration onto the scheduler's model. Keys
// are the virtual server's name and the real server's address.
func healthTargets(cfg *config.Config, marks probeMarker) ([]healthcheck.VirtualServer, map[string]director.RealServerRef, error) {
	refs := map[string]director.RealServerRef{}
	var out []healthcheck.VirtualServer
	for _, vs := range cfg.VirtualServers {
		hvs := healthcheck.VirtualServer{Key: vs.Name, Quorum: vs.Quorum}
		onFailure := healthcheck.Inhibit
		if vs.OnFailure == config.OnFailureRemove {
			onFailure = healthcheck.Remove
		}
		for _, rs := range vs.RealServers {
			hrs := healthcheck.RealServer{Key: rs.Address.String(), Addr: rs.Address, Weight: rs.Weight, OnFailure: onFailure}
			for i, c := range rs.Checks {
				hc, err := checkFor(c, rs.Address)
				if err == nil && c.ViaVIP {
					err = viaVIP(&hc, c, vs, rs.Address, marks)
				}
				if err != nil {
					return nil, nil, fmt.Errorf("virtual_server %q real_server %q check %d: %w", vs.Name, rs.Address, i+1, err)
				}
				if c.HTTP != nil && c.HTTP.MaxWeight > 0 {
					hrs.MaxWeight = c.HTTP.MaxWeight
				}
				hrs.Checks = append(hrs.Checks, hc)
			}
			refs[vs.Name+"|"+hrs.Key] = director.RealServerRef{VirtualServer: vs.Name, RealServer: rs.Address}
			hvs.RealServers = append(hvs.RealServers, hrs)
		}
		out = append(out, hvs)
	}
	return out, refs, nil
}

// checkFor builds one check. The file's timing is complete (defaults and
// inheritance are resolved by the config package), so it is passed as is.
func checkFor(c config.Check, rs netip.AddrPort) (healthcheck.Check, error) {
	t := c.Timing
	hc := healthcheck.Check{Name: c.Type, Settings: healthcheck.Settings{
		Interval: t.Interval, Timeout: t.Timeout, Rise: t.Rise, Fall: t.Fall, RetryDelay: t.RetryDelay,
		WarmUp: t.Warmup, Start: healthcheck.StartUp}}
	if t.Warmup == 0 {
		hc.Settings.WarmUp = healthcheck.NoWarmUp
	}
	if c.Port != 0 {
		hc.Dialer.Addr = netip.AddrPortFrom(rs.Addr(), uint16(c.Port))
	}
	switch c.Type {
	case config.CheckTCP:
		hc.Checker = healthcheck.TCPChecker{HalfOpen: c.HalfOpen}
	case config.CheckHTTP:
		h := c.HTTP
		chk := &healthcheck.HTTPChecker{TLS: h.TLS, Path: h.Path, Host: h.Host, BodySHA256: h.BodySHA256,
			ServerName: h.ServerName, Verify: h.Verify, WeightHeader: h.WeightHeader}
		for _, r := range h.Status {
			chk.Codes = append(chk.Codes, healthcheck.StatusRange{Lo: r.Min, Hi: r.Max})
		}
		if h.BodyRegex != "" {
			re, err := regexp.Compile(h.BodyRegex)
			if err != nil {
				return hc, err
			}
			chk.BodyRegex = re
		}
		if h.WeightField != "" {
			chk.WeightRegex = regexp.MustCompile(`"` + regexp.QuoteMeta(h.WeightField) + `"\s*:\s*(\d+)`)
		}
		if len(h.Headers) > 0 {
			chk.Headers = http.Header{}
			for k, v := range h.Headers {
				chk.Headers.Set(k, v)
			}
		}
		hc.Checker = chk
	case config.CheckScript:
		s := c.Script
		chk := &healthcheck.ScriptChecker{Path: s.Command[0], Args: s.Command[1:], DynamicWeight: s.DynamicWeight}
		for k, v := range s.Env {
			chk.Env = append(chk.Env, k+"="+v)
		}
		hc.Checker = chk
	case config.CheckUDP:
		hc.Checker = &healthcheck.UDPChecker{Payload: c.UDP.Payload, Expect: c.UDP.Expect, RequireReply: len(c.UDP.Expect) > 0}
	case config.CheckDNS:
		typ, err := healthcheck.ParseDNSType(c.DNS.Type)
		if err != nil {
			return hc, err
		}
		hc.Checker = &healthcheck.DNSChecker{Name: c.DNS.Name, Type: typ}
	default:
		return hc, fmt.Errorf("unknown check type %q", c.Type)
	}
	return hc, nil
}
