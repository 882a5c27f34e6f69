package main

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/ipvs"
	"github.com/vigil-ha/vigil/vrrp"
)

// loadBalancer is the IPVS side of the daemon: the tables and the
// connection-sync daemons that follow the VRRP instances.
type loadBalancer struct {
	handle *ipvs.Handle
	tables *director.IPVSTables
	log    *slog.Logger

	mu   sync.Mutex
	sync map[string]*config.SyncDaemon // instance -> sync_daemon block
}

// openIPVS opens the kernel's IPVS when the file has virtual servers. A
// kernel without IPVS is an error that says how to fix it, never a
// silently empty table.
func openIPVS(cfg *config.Config, log *slog.Logger) (*loadBalancer, error) {
	if len(cfg.VirtualServers) == 0 {
		return nil, nil
	}
	h, err := ipvs.Open("")
	if err != nil {
		return nil, fmt.Errorf("the configuration has virtual servers but IPVS cannot be used: %w", err)
	}
	tabs, err := director.NewIPVSTables(h, cfg, log)
	if err != nil {
		h.Close()
		return nil, err
	}
	lb := &loadBalancer{handle: h, tables: tabs, log: log}
	lb.setSync(cfg)
	return lb, nil
}

func (lb *loadBalancer) setSync(cfg *config.Config) {
	m := map[string]*config.SyncDaemon{}
	for _, ic := range cfg.Instances {
		if ic.SyncDaemon != nil {
			m[ic.Name] = ic.SyncDaemon
		}
	}
	lb.mu.Lock()
	lb.sync = m
	lb.mu.Unlock()
}

func (lb *loadBalancer) reload(cfg *config.Config) error {
	if err := lb.tables.Reload(cfg); err != nil {
		return err
	}
	lb.setSync(cfg)
	return nil
}

// followState switches the IPVS sync daemon with the VRRP state: the
// master sends its connection table, every other state receives, so that
// established connections survive a failover.
func (lb *loadBalancer) followState(ic config.VRRPInstance, _, to vrrp.State, _ vrrp.Reason) {
	lb.mu.Lock()
	sd := lb.sync[ic.Name]
	lb.mu.Unlock()
	if sd == nil || to == vrrp.StateStopped {
		return
	}
	want := ipvs.SyncDaemon{State: ipvs.SyncBackup, Interface: sd.Interface, SyncID: uint8(sd.SyncID)}
	if to == vrrp.StateMaster {
		want.State = ipvs.SyncMaster
	}
	if changed, err := ipvs.SwitchSyncDaemon(lb.handle, want); err != nil {
		lb.log.Error("IPVS sync daemon not switched", "instance", ic.Name, "state", want.State.String(), "err", err)
	} else if changed {
		lb.log.Info("IPVS sync daemon switched", "instance", ic.Name, "state", want.State.String())
	}
}

// close removes what vigil installed and stops the sync daemons.
func (lb *loadBalancer) close(log *slog.Logger) {
	if err := lb.tables.Clear(); err != nil {
		log.Error("IPVS table not cleared", "err", err)
	}
	for _, st := range []ipvs.SyncState{ipvs.SyncMaster, ipvs.SyncBackup} {
		if _, err := ipvs.StopSyncDaemonIfRunning(lb.handle, st); err != nil {
			log.Warn("IPVS sync daemon not stopped", "state", st.String(), "err", err)
		}
	}
	lb.handle.Close()
}
