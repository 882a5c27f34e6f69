package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/internal/netif"
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
		return exitUsage
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
	deps := director.Deps{Network: director.SystemNetwork{}, Addresses: director.SystemAddresses{H: h}, Announcer: ann}
	var hooks director.Hooks
	lb, err := openIPVS(cfg, log)
	if err != nil {
		return err
	}
	if lb != nil {
		defer lb.close(log)
		deps.Tables = lb.tables
		hooks.StateChanged = lb.followState
		if err := lb.tables.Sync(); err != nil {
			return err
		}
	}
	d := director.New(deps, hooks, log)
	if err := d.Start(cfg); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tracker := director.NewTracker(d, cfg)
	trackDone := make(chan struct{})
	go func() {
		defer close(trackDone)
		tracker.Run(ctx, director.NetlinkLinks{}, cfg.Scripts)
	}()
	log.Info("vigil started", "config", path, "instances", len(cfg.Instances))

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			reload(path, d, lb, log)
			continue
		}
		log.Info("stopping", "signal", sig.String())
		break
	}
	cancel()
	<-trackDone
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	if err := d.Shutdown(sctx); err != nil {
		log.Warn("graceful stop cut short", "err", err)
	}
	log.Info("vigil stopped")
	return nil
}

// reload parses the file again; a file with errors changes nothing.
func reload(path string, d *director.Director, lb *loadBalancer, log *slog.Logger) {
	var buf strings.Builder
	cfg, _ := loadConfig(path, &buf)
	if cfg == nil {
		log.Error("reload refused: the configuration has errors; nothing changed", "config", path, "diagnostics", buf.String())
		return
	}
	if (lb == nil) != (len(cfg.VirtualServers) == 0) {
		log.Error("reload refused: adding the first or removing the last virtual_server needs a restart", "config", path)
		return
	}
	if lb != nil {
		if err := lb.reload(cfg); err != nil {
			log.Error("reload refused: the IPVS table does not apply; nothing changed in VRRP", "err", err)
			return
		}
	}
	done, err := d.Reload(cfg)
	if err != nil {
		log.Error("reload incomplete", "err", err)
	}
	log.Info("reloaded", "config", path, "instances", done)
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
