package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strconv"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/vrrp"
)

// notifyHook runs the instance's notify commands on each transition, the
// way keepalived's notify scripts run: directly (no shell), in the
// background so VRRP never waits for them, bounded by the timeout, with
// the instance, state and priority in the environment.
func notifyHook(ctx context.Context, log *slog.Logger) func(config.VRRPInstance, vrrp.State, vrrp.State, vrrp.Reason) {
	return func(ic config.VRRPInstance, from, to vrrp.State, reason vrrp.Reason) {
		n := ic.Notify
		var cmds [][]string
		if len(n.Command) > 0 {
			cmds = append(cmds, append(append([]string(nil), n.Command...), ic.Name, to.String()))
		}
		var specific []string
		switch to {
		case vrrp.StateMaster:
			specific = n.Master
		case vrrp.StateBackup:
			specific = n.Backup
		case vrrp.StateFault:
			specific = n.Fault
		case vrrp.StateStopped:
			specific = n.Stop
		}
		if len(specific) > 0 {
			cmds = append(cmds, specific)
		}
		env := append(os.Environ(),
			"VIGIL_INSTANCE="+ic.Name,
			"VIGIL_STATE="+to.String(),
			"VIGIL_PREVIOUS_STATE="+from.String(),
			"VIGIL_REASON="+reason.String(),
			"VIGIL_PRIORITY="+strconv.Itoa(int(ic.Priority)),
			"VIGIL_VRID="+strconv.Itoa(int(ic.VRID)),
		)
		for _, argv := range cmds {
			go runNotify(ctx, log, ic.Name, argv, env, n)
		}
	}
}

func runNotify(ctx context.Context, log *slog.Logger, instance string, argv, env []string, n config.Notify) {
	cctx := ctx
	if n.Timeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, n.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		log.Warn("notify command failed", "instance", instance, "command", argv, "err", err, "output", string(out))
		return
	}
	log.Debug("notify command ran", "instance", instance, "command", argv)
}
