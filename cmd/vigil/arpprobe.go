package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/internal/netif"
	"github.com/vigil-ha/vigil/internal/realserver"
)

// startARPProbes runs, for every instance with arp_probe_interval, a loop
// that asks the LAN who has each VIP while the instance is master. Any MAC
// but the director's own (or the virtual MAC) is a host that answers ARP
// for the VIP: a real server with the ARP problem, stealing traffic.
func startARPProbes(ctx context.Context, cfg *config.Config, d *director.Director, log *slog.Logger, bg *sync.WaitGroup) {
	for _, ic := range cfg.Instances {
		if ic.ARPProbeInterval <= 0 {
			continue
		}
		bg.Add(1)
		go func() {
			defer bg.Done()
			probeLoop(ctx, ic, d, log.With("instance", ic.Name))
		}()
	}
}

func probeLoop(ctx context.Context, ic config.VRRPInstance, d *director.Director, log *slog.Logger) {
	vips := make([]netip.Addr, 0, len(ic.VIPs))
	for _, v := range ic.VIPs {
		vips = append(vips, v.Prefix.Addr())
	}
	tick := time.NewTicker(ic.ARPProbeInterval)
	defer tick.Stop()
	var last []string
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !isMaster(d, ic.Name) {
			continue
		}
		offenders, err := probeOnce(ctx, ic, vips)
		if err != nil {
			log.Warn("ARP probe failed", "err", err)
			continue
		}
		if !slices.Equal(offenders, last) {
			for _, o := range offenders {
				log.Warn("another host answers ARP for a VIP: check it with 'vigil realserver check'", "offender", o)
			}
			if len(offenders) == 0 && len(last) > 0 {
				log.Info("no other host answers ARP for the VIPs any more")
			}
			last = offenders
		}
		d.SetARPOffenders(ic.Name, offenders)
	}
}

func isMaster(d *director.Director, name string) bool {
	for _, s := range d.Status() {
		if s.Name == name {
			return s.State == "master"
		}
	}
	return false
}

// probeOnce sends one round of who-has and describes every foreign answer.
func probeOnce(ctx context.Context, ic config.VRRPInstance, vips []netip.Addr) ([]string, error) {
	ifi, err := net.InterfaceByName(ic.Interface)
	if err != nil {
		return nil, err
	}
	own := []net.HardwareAddr{ifi.HardwareAddr}
	if ic.UseVMAC {
		if m, err := netif.VirtualMAC(ic.VRID, 4); err == nil {
			own = append(own, m)
		}
	}
	answers, err := realserver.Probe(ctx, ic.Interface, vips, time.Second)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range realserver.Suspects(answers, own...) {
		s := fmt.Sprintf("%s at %s (%s)", a.VIP, a.MAC, a.Kind)
		if len(a.HostIPs) > 0 {
			ips := make([]string, len(a.HostIPs))
			for i, ip := range a.HostIPs {
				ips[i] = ip.String()
			}
			s += " host " + strings.Join(ips, ",")
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out, nil
}
