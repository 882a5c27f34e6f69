package drill

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/mdlayher/packet"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/vigil-ha/vigil/internal/lab"
	"github.com/vigil-ha/vigil/ipvs"
)

// observers run the watchers of one run until stop is called.
type observers struct {
	ctx     context.Context // ends when stop is called
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closers []func()
}

// stop ends every watcher and waits for them.
func (o *observers) stop() {
	o.cancel()
	for _, c := range o.closers {
		c()
	}
	o.wg.Wait()
}

func (o *observers) goRun(f func()) {
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		f()
	}()
}

// startObservers watches the VIP and the link of both directors and the
// gratuitous ARPs at the client.
func startObservers(ctx context.Context, l *lab.Lab, rec *recorder) (*observers, error) {
	ctx, cancel := context.WithCancel(ctx)
	o := &observers{ctx: ctx, cancel: cancel}
	for _, d := range l.Directors() {
		if err := o.watchDirector(ctx, l, d, rec); err != nil {
			o.stop()
			return nil, err
		}
	}
	if err := o.watchGARP(ctx, l, rec); err != nil {
		o.stop()
		return nil, err
	}
	return o, nil
}

// watchDirector subscribes to address and link events in a director's
// namespace: netlink tells at once when the VIP comes or goes, where
// polling would only see it at the next poll.
func (o *observers) watchDirector(ctx context.Context, l *lab.Lab, d *lab.Host, rec *recorder) error {
	ns, err := netns.GetFromName(d.NS)
	if err != nil {
		return fmt.Errorf("namespace of %s: %w", d.Name, err)
	}
	defer ns.Close()
	addrs := make(chan netlink.AddrUpdate, 256)
	links := make(chan netlink.LinkUpdate, 256)
	done := make(chan struct{})
	var once sync.Once
	o.closers = append(o.closers, func() { once.Do(func() { close(done) }) })
	onErr := func(err error) {}
	if err := netlink.AddrSubscribeWithOptions(addrs, done, netlink.AddrSubscribeOptions{Namespace: &ns, ListExisting: true, ErrorCallback: onErr}); err != nil {
		return fmt.Errorf("address events of %s: %w", d.Name, err)
	}
	if err := netlink.LinkSubscribeWithOptions(links, done, netlink.LinkSubscribeOptions{Namespace: &ns, ListExisting: true, ErrorCallback: onErr}); err != nil {
		return fmt.Errorf("link events of %s: %w", d.Name, err)
	}
	vip := l.VIP
	o.goRun(func() {
		for {
			select {
			case u, ok := <-addrs:
				if !ok {
					return
				}
				now := time.Now()
				if ip, ok := netip.AddrFromSlice(u.LinkAddress.IP); ok && ip.Unmap() == vip {
					rec.vip(d.Name, u.NewAddr, now)
				}
			case <-ctx.Done():
				return
			}
		}
	})
	o.goRun(func() {
		for {
			select {
			case u, ok := <-links:
				if !ok {
					return
				}
				now := time.Now()
				if u.Link != nil && u.Link.Attrs().Name == "eth0" {
					rec.link(d.Name, u.Link.Attrs().Flags&net.FlagUp != 0, now)
				}
			case <-ctx.Done():
				return
			}
		}
	})
	return nil
}

// watchGARP listens for ARP on the client's eth0 and records every
// gratuitous ARP for the VIP, with the director whose MAC sent it.
func (o *observers) watchGARP(ctx context.Context, l *lab.Lab, rec *recorder) error {
	client := l.MustHost(lab.Client)
	var conn *packet.Conn
	err := lab.InNamespace(client.NS, func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		conn, err = packet.Listen(ifi, packet.Raw, etherTypeARP, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("ARP capture on the client: %w", err)
	}
	byMAC := map[string]string{}
	for _, d := range l.Directors() {
		byMAC[d.MAC] = d.Name
	}
	o.closers = append(o.closers, func() { conn.Close() })
	vip := l.VIP
	o.goRun(func() {
		buf := make([]byte, 128)
		for {
			n, _, err := conn.ReadFrom(buf)
			now := time.Now()
			if err != nil {
				if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
					return
				}
				time.Sleep(time.Millisecond)
				continue
			}
			if p, ok := parseARPFrame(buf[:n]); ok && p.gratuitousFor(vip) {
				mac := p.SenderMAC.String()
				rec.garp(mac, byMAC[mac], now)
			}
		}
	})
	return nil
}

// watchWeights polls the IPVS table of a director every 5 ms and records
// each change of a real server's weight, until stop.
func (o *observers) watchWeights(l *lab.Lab, director string, rec *recorder) error {
	ctx := o.ctx
	h, err := ipvs.Open(filepath.Join("/run/netns", l.MustHost(director).NS))
	if err != nil {
		return fmt.Errorf("IPVS table of %s: %w", director, err)
	}
	o.closers = append(o.closers, func() { h.Close() })
	names := map[netip.Addr]string{}
	for _, rs := range l.RealServers() {
		names[rs.Addr] = rs.Name
	}
	key := ipvs.AddrKey(ipvs.TCP, netip.AddrPortFrom(l.VIP, lab.HTTPPort))
	o.goRun(func() {
		last := map[string]int{}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			dests, err := h.GetDestinations(key)
			now := time.Now()
			if err != nil {
				continue
			}
			for _, d := range dests {
				name := names[d.Dest.Addr]
				if name == "" {
					name = d.Dest.Addr.String()
				}
				if w, ok := last[name]; !ok || w != d.Dest.Weight {
					last[name] = d.Dest.Weight
					rec.weight(name, d.Dest.Weight, now)
				}
			}
		}
	})
	return nil
}
