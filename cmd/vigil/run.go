package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/healthcheck"
	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/control"
	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/internal/metrics"
	"github.com/vigil-ha/vigil/internal/netif"
	"github.com/vigil-ha/vigil/internal/sdnotify"
	"github.com/vigil-ha/vigil/ipvs"
	"github.com/vigil-ha/vigil/vrrp"
)

func init() {
	register(command{name: "run", summary: "run the director daemon (VRRP, VIPs, IPVS, health checks)", run: runDaemon})
}

// shutdownGrace bounds the graceful stop: the handover normally takes
// Skew_Time + one advert interval, at most a few seconds.
const shutdownGrace = 10 * time.Second

func runDaemon(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "/etc/vigil/director.hcl", "configuration `file`")
	logFormat := fs.String("log-format", "", "log format: text or json (default: the file's global.log_format)")
	logLevel := fs.String("log-level", "", "log level: debug, info, warn, error (default: the file's global.log_level)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: vigil run -config FILE [flags]

Runs the director: every vrrp_instance of FILE elects a master with its
peers; the master claims the virtual addresses, announces them with
gratuitous ARP / unsolicited NA, and installs the IPVS services that follow
the instance.

Signals:
  SIGTERM, SIGINT  graceful stop: a master sends priority 0 and keeps its VIPs
                   until the backup has taken over, then exits 0
  SIGHUP           reload FILE; a file with errors is reported and ignored

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	cfg, code := loadConfig(*cfgPath, stderr)
	if cfg == nil {
		return code
	}
	log, err := newLogger(stderr, pick(*logFormat, cfg.Global.LogFormat), pick(*logLevel, cfg.Global.LogLevel))
	if err != nil {
		fmt.Fprintf(stderr, "vigil run: %v\n", err)
		return exitUsage
	}
	if rt := cfg.Global.Realtime; rt.SchedPriority > 0 || rt.LockMemory {
		if err := setRealtime(rt.SchedPriority, rt.LockMemory); err != nil {
			log.Error("realtime settings not applied", "err", err)
			return exitFail
		}
	}
	if err := serve(*cfgPath, cfg, log); err != nil {
		log.Error("vigil stopped", "err", err)
		return exitFail
	}
	return exitOK
}

func pick(flagValue, fileValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return fileValue
}

// loadConfig parses the file with the host checks and prints diagnostics
// with their source lines. It returns nil and an exit code on errors.
func loadConfig(path string, stderr io.Writer) (*config.Config, int) {
	cfg, diags := config.LoadWithOptions(path, config.Options{IsLocalAddress: isLocalAddress})
	if len(diags) > 0 {
		writeDiagnostics(stderr, diags)
	}
	if diags.HasErrors() {
		return nil, exitConfig
	}
	return cfg, exitOK
}

// isLocalAddress reports whether addr is configured on this host.
func isLocalAddress(addr netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == addr.Unmap() {
				return true
			}
		}
	}
	return false
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(pick(level, "info")))); err != nil {
		return nil, fmt.Errorf("unknown log level %q (debug, info, warn, error)", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch pick(format, "text") {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("unknown log format %q (text, json)", format)
	}
}

// daemon is a running director: what `vigil run` owns, and the handler of
// the control socket.
type daemon struct {
	path    string
	log     *slog.Logger
	router  string
	d       *director.Director
	tracker *director.Tracker
	lb      *loadBalancer // nil without virtual servers
	health  *healthChecks // nil without real servers

	mu  sync.Mutex // serialises reloads
	cfg *config.Config
}

// serve runs the daemon until SIGTERM/SIGINT.
func serve(path string, cfg *config.Config, log *slog.Logger) error {
	h, err := netif.Open()
	if err != nil {
		return err
	}
	defer h.Close()
	removeStaleVIPs(h, cfg, log)
	ann := &director.SystemAnnouncer{OnError: func(iface string, err error) {
		log.Warn("announcement failed", "interface", iface, "err", err)
	}}
	defer ann.Close()
	deps := director.Deps{Network: director.SystemNetwork{}, Addresses: director.SystemAddresses{H: h}, Announcer: ann,
		VMACs: director.SystemVMACs{H: h}}
	dm := &daemon{path: path, log: log, cfg: cfg, router: cfg.Global.RouterID}
	if dm.router == "" {
		dm.router, _ = os.Hostname()
	}
	lb, err := openIPVS(cfg, log)
	if err != nil {
		return err
	}
	var stateHooks []func(config.VRRPInstance, vrrp.State, vrrp.State, vrrp.Reason)
	if lb != nil {
		dm.lb = lb
		defer lb.close(log)
		deps.Tables = lb.tables
		stateHooks = append(stateHooks, lb.followState)
		if err := lb.tables.Sync(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	withChecks := lb != nil && hasRealServers(cfg)
	m := metrics.New(dm.metricSources(withChecks))
	if withChecks {
		if dm.health, err = startHealthChecks(ctx, cfg, lb.tables, log, m.CheckResult); err != nil {
			return err
		}
	}
	stateHooks = append(stateHooks, m.StateChanged, notifyHook(ctx, log))
	hooks := director.Hooks{StateChanged: func(ic config.VRRPInstance, from, to vrrp.State, r vrrp.Reason) {
		for _, h := range stateHooks {
			h(ic, from, to, r)
		}
	}, Takeover: m.ObserveTakeover}
	dm.d = director.New(deps, hooks, log)
	if err := dm.d.Start(cfg); err != nil {
		return err
	}
	dm.tracker = director.NewTracker(dm.d, cfg)
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		dm.tracker.Run(ctx, director.NetlinkLinks{}, cfg.Scripts)
	}()
	startARPProbes(ctx, cfg, dm.d, log, &bg)
	if err := dm.startControl(ctx, cfg, &bg); err != nil {
		return err
	}
	if addr := cfg.Global.MetricsListen; addr != "" {
		srv, err := metrics.Listen(addr, m.Handler())
		if err != nil {
			return fmt.Errorf("metrics endpoint: %w", err)
		}
		bg.Add(1)
		go func() {
			defer bg.Done()
			_ = srv.Serve(ctx)
		}()
	}
	log.Info("vigil started", "config", path, "instances", len(cfg.Instances), "virtual_servers", len(cfg.VirtualServers))
	_ = sdnotify.Ready()
	startWatchdog(ctx, &bg)

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			_, _ = dm.Reload()
			continue
		}
		log.Info("stopping", "signal", sig.String())
		break
	}
	_ = sdnotify.Stopping()
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	if err := dm.d.Shutdown(sctx); err != nil {
		log.Warn("graceful stop cut short", "err", err)
	}
	cancel()
	bg.Wait()
	if dm.health != nil {
		dm.health.stop()
	}
	log.Info("vigil stopped")
	return nil
}

// startControl opens the control socket; a socket another daemon answers on
// is an error, so two daemons never fight over one configuration.
func (dm *daemon) startControl(ctx context.Context, cfg *config.Config, bg *sync.WaitGroup) error {
	if cfg.Global.ControlSocket == "" {
		return nil
	}
	srv, err := control.Listen(cfg.Global.ControlSocket)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	bg.Add(1)
	go func() {
		defer bg.Done()
		_ = srv.Serve(ctx, dm)
	}()
	return nil
}

// startWatchdog pings systemd's watchdog while the daemon runs, if the unit
// asks for it (WatchdogSec).
func startWatchdog(ctx context.Context, bg *sync.WaitGroup) {
	iv, err := sdnotify.WatchdogInterval()
	if err != nil || iv <= 0 {
		return
	}
	n, err := sdnotify.FromEnv()
	if err != nil {
		return
	}
	bg.Add(1)
	go func() {
		defer bg.Done()
		n.Heartbeat(ctx, iv, func() bool { return true })
	}()
}

// Reload implements control.Handler and SIGHUP: a file with errors
// changes nothing.
func (dm *daemon) Reload() (string, error) {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	_ = sdnotify.Reloading()
	defer sdnotify.Ready()
	var buf strings.Builder
	cfg, _ := loadConfig(dm.path, &buf)
	if cfg == nil {
		dm.log.Error("reload refused: the configuration has errors; nothing changed", "config", dm.path, "diagnostics", buf.String())
		return "", fmt.Errorf("reload refused, nothing changed:\n%s", buf.String())
	}
	if (dm.lb == nil) != (len(cfg.VirtualServers) == 0) {
		err := errors.New("reload refused: adding the first or removing the last virtual_server needs a restart")
		dm.log.Error(err.Error(), "config", dm.path)
		return "", err
	}
	if dm.lb != nil {
		if err := dm.lb.reload(cfg); err != nil {
			dm.log.Error("reload refused: the IPVS table does not apply; nothing changed in VRRP", "err", err)
			return "", err
		}
		if dm.health != nil {
			if err := dm.health.reload(cfg); err != nil {
				dm.log.Error("health checks not updated", "err", err)
			}
		}
	}
	done, err := dm.d.Reload(cfg)
	dm.tracker.Reload(cfg)
	dm.cfg = cfg
	if err != nil {
		dm.log.Error("reload incomplete", "err", err)
	}
	dm.log.Info("reloaded", "config", dm.path, "instances", done)
	return fmt.Sprintf("reloaded %s: %v", dm.path, done), err
}

// Maintenance implements control.Handler.
func (dm *daemon) Maintenance(instance string, on bool) error {
	if err := dm.tracker.SetMaintenance(instance, on); err != nil {
		return err
	}
	dm.log.Info("maintenance", "instance", instance, "on", on)
	return nil
}

// GARP implements control.Handler.
func (dm *daemon) GARP(instance string) error { return dm.d.Announce(instance) }

// Status implements control.Handler.
func (dm *daemon) Status() control.StatusDoc {
	doc := control.NewStatus(dm.router, time.Now(), dm.d.Status(), dm.d.Links())
	trackers := map[string][]control.TrackerStatus{}
	for inst, failed := range dm.tracker.Failed() {
		for _, f := range failed {
			trackers[inst] = append(trackers[inst], control.TrackerStatus{Name: f.Name, Kind: f.Kind, Weight: f.Weight})
		}
	}
	doc.SetTrackers(trackers)
	if dm.lb != nil {
		doc.SetIPVS(ipvs.ReadSnapshot(dm.lb.handle))
	}
	if dm.health != nil {
		doc.SetHealth(dm.health.sched.Snapshot())
	}
	return doc
}

// metricSources reads the daemon's parts at scrape time (the health
// checks start after the metrics, whose hook they call).
func (dm *daemon) metricSources(withChecks bool) metrics.Sources {
	src := metrics.Sources{
		Instances: func() []director.Status { return dm.d.Status() },
		Links:     func() []director.LinkStatus { return dm.d.Links() },
	}
	if dm.lb != nil {
		src.IPVS = func() (ipvs.Snapshot, error) { return ipvs.ReadSnapshot(dm.lb.handle) }
	}
	if withChecks {
		src.Health = func() healthcheck.Snapshot { return dm.health.sched.Snapshot() }
	}
	return src
}

// removeStaleVIPs drops VIPs this host holds from an earlier run: a
// director starts as backup, so it must hold none of the managed addresses.
func removeStaleVIPs(h *netif.Handle, cfg *config.Config, log *slog.Logger) {
	managed := map[string][]netip.Prefix{}
	var keep []netip.Addr
	for _, ic := range cfg.Instances {
		for _, v := range ic.VIPs {
			managed[ic.Interface] = append(managed[ic.Interface], v.Prefix)
		}
		if ic.SourceAddress.IsValid() {
			keep = append(keep, ic.SourceAddress)
		}
	}
	for _, ic := range cfg.Instances {
		// A virtual MAC interface exists only on a master; a starting
		// director is not one.
		if ic.UseVMAC {
			if err := h.DeleteVMAC(netif.VMACName(ic.VRID)); err != nil {
				log.Warn("cannot remove a stale virtual MAC interface", "instance", ic.Name, "err", err)
			}
		}
	}
	for dev, m := range managed {
		removed, err := h.RemoveStaleVIPs(dev, nil, m, keep...)
		if err != nil {
			log.Warn("cannot clean stale VIPs", "interface", dev, "err", err)
		}
		for _, p := range removed {
			log.Info("removed a stale VIP left by an earlier run", "interface", dev, "vip", p)
		}
	}
}

func hasRealServers(cfg *config.Config) bool {
	for _, vs := range cfg.VirtualServers {
		if len(vs.RealServers) > 0 {
			return true
		}
	}
	return false
}
