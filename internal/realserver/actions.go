package realserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
)

// applyRun is what an action sees: the host, the record of an earlier Apply of
// the same configuration (or nil) and the changes made so far in this run.
type applyRun struct {
	ctx   context.Context
	h     *Host
	prior *State
	made  []Change
}

// recorded reports whether this run or the earlier one has a change with id.
func (r *applyRun) recorded(id string) bool {
	if r.prior != nil {
		if _, ok := r.prior.find(id); ok {
			return true
		}
	}
	return slices.ContainsFunc(r.made, func(c Change) bool { return c.ID() == id })
}

// action is one step of Apply. do brings one thing to the wanted state and
// returns the change it made, or nil when it was already so. An action that
// fails cleans up after itself, so the run only has to undo finished actions.
type action interface {
	describe() string
	do(r *applyRun) (*Change, error)
}

// sysctlAction sets one kernel parameter unless it already has an acceptable value.
type sysctlAction struct{ s sysctlSetting }

func (a sysctlAction) describe() string { return "sysctl " + DisplayKey(a.s.Key) + "=" + a.s.Want }

func (a sysctlAction) do(r *applyRun) (*Change, error) {
	cur, err := r.h.Sysctl.Get(a.s.Key)
	if err != nil {
		return nil, err
	}
	if a.s.ok(cur) {
		return nil, nil
	}
	if err := r.h.Sysctl.Set(a.s.Key, a.s.Want); err != nil {
		return nil, err
	}
	return &Change{Kind: KindSysctl, Key: a.s.Key, Previous: cur, Value: a.s.Want}, nil
}

// addrAction puts a VIP as a /32 on a device.
type addrAction struct {
	dev   string
	vip   netip.Addr
	label string
}

func (a addrAction) describe() string { return fmt.Sprintf("add %s/32 to %s", a.vip, a.dev) }

func (a addrAction) do(r *applyRun) (*Change, error) {
	link, err := r.h.Net.LinkByName(a.dev)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", a.dev, err)
	}
	addrs, err := retryDump(func() ([]netlink.Addr, error) { return r.h.Net.AddrList(link, netlink.FAMILY_V4) })
	if err != nil {
		return nil, err
	}
	p := netip.PrefixFrom(a.vip, 32)
	for _, x := range addrs {
		if got, ok := prefixOf(x.IPNet); ok && got == p {
			return nil, nil
		}
	}
	// No broadcast and no prefix route: the /32 only makes the address local.
	addr := &netlink.Addr{IPNet: ipNet(p), Label: a.label}
	if err := r.h.Net.AddrAdd(link, addr); err != nil {
		return nil, err
	}
	return &Change{Kind: KindAddress, Link: a.dev, Address: p.String(), Label: a.label}, nil
}

// tunnelAction creates the ipip device of MethodTunnel. Its local end is the
// real server's address, so it does not collide with the catch-all tunl0 and
// receives the packets the director encapsulates to that address.
type tunnelAction struct {
	name  string
	local netip.Addr
}

func (a tunnelAction) describe() string { return "create ipip device " + a.name }

func (a tunnelAction) do(r *applyRun) (*Change, error) {
	if _, err := r.h.Net.LinkByName(a.name); err == nil {
		return nil, nil
	}
	link := &netlink.Iptun{LinkAttrs: netlink.LinkAttrs{Name: a.name}, Local: a.local.AsSlice()}
	if err := r.h.Net.LinkAdd(link); err != nil {
		return nil, fmt.Errorf("creating ipip device %s (is the ipip module available?): %w", a.name, err)
	}
	return &Change{Kind: KindLink, Link: a.name}, nil
}

// linkUpAction sets a device up; the change is recorded only for a device
// vigil did not create (deleting a created one undoes everything).
type linkUpAction struct{ name string }

func (a linkUpAction) describe() string { return "set " + a.name + " up" }

func (a linkUpAction) do(r *applyRun) (*Change, error) {
	link, err := r.h.Net.LinkByName(a.name)
	if err != nil {
		return nil, err
	}
	if link.Attrs().Flags&net.FlagUp != 0 {
		return nil, nil
	}
	if err := r.h.Net.LinkSetUp(link); err != nil {
		return nil, err
	}
	if r.recorded(Change{Kind: KindLink, Link: a.name}.ID()) {
		return nil, nil
	}
	return &Change{Kind: KindLinkUp, Link: a.name}, nil
}

// nftAction replaces vigil's table in one nft transaction.
type nftAction struct {
	table   nftTable
	ruleset string
}

func (a nftAction) describe() string { return "nftables table " + a.table.String() }

func (a nftAction) do(r *applyRun) (*Change, error) {
	before, err := nftList(r.ctx, r.h, a.table)
	if err != nil {
		return nil, err
	}
	if _, err := r.h.Run.Run(r.ctx, []byte(a.ruleset), "nft", "-f", "-"); err != nil {
		return nil, err
	}
	after, err := nftList(r.ctx, r.h, a.table)
	if err != nil || after == before {
		return nil, err
	}
	return &Change{Kind: KindNft, Family: a.table.Family, Table: a.table.Name, Previous: before}, nil
}

// nftList returns the listing of a table, or "" if it does not exist.
func nftList(ctx context.Context, h *Host, t nftTable) (string, error) {
	exists, err := nftTableExists(ctx, h, t)
	if err != nil || !exists {
		return "", err
	}
	out, err := h.Run.Run(ctx, nil, "nft", "list", "table", t.Family, t.Name)
	return string(out), err
}

func nftTableExists(ctx context.Context, h *Host, t nftTable) (bool, error) {
	out, err := h.Run.Run(ctx, nil, "nft", "list", "tables", t.Family)
	if err != nil {
		return false, err
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.TrimSpace(line) == "table "+t.String() {
			return true, nil
		}
	}
	return false, nil
}

// xtAction creates (or completes) a chain of arptables or iptables.
type xtAction struct{ x xtChain }

func (a xtAction) describe() string { return a.x.Command + " chain " + a.x.Chain }

func (a xtAction) do(r *applyRun) (*Change, error) {
	x := a.x
	exists, err := xtChainExists(r.ctx, r.h, x)
	if err != nil {
		return nil, err
	}
	ch := &Change{Kind: KindXtChain, Command: x.Command, Table: x.Table, Chain: x.Chain, Parent: x.Parent, Jump: x.Jump}
	changed := !exists
	if !exists {
		if nft, _ := xtUsesNftables(r.ctx, r.h, x.Command); nft {
			if present, err := nftTableExists(r.ctx, r.h, x.NftTable); err == nil && !present {
				ch.CreatedTable = x.NftTable.String()
			}
		}
		if _, err := r.h.Run.Run(r.ctx, nil, x.Command, x.args("-N", x.Chain)...); err != nil {
			return nil, err
		}
	}
	fail := func(err error) (*Change, error) {
		if !exists { // leave nothing half-made behind
			if uerr := undoXtChain(r.ctx, r.h, *ch); uerr != nil {
				err = fmt.Errorf("%w (and cleaning up: %v)", err, uerr)
			}
		}
		return nil, err
	}
	for _, rule := range x.Rules {
		if xtRuleExists(r.ctx, r.h, x, x.Chain, rule) {
			continue
		}
		if _, err := r.h.Run.Run(r.ctx, nil, x.Command, x.args(append([]string{"-A", x.Chain}, rule...)...)...); err != nil {
			return fail(err)
		}
		changed = true
	}
	if !xtRuleExists(r.ctx, r.h, x, x.Parent, x.Jump) {
		if _, err := r.h.Run.Run(r.ctx, nil, x.Command, x.args(append([]string{"-I", x.Parent, "1"}, x.Jump...)...)...); err != nil {
			return fail(err)
		}
		changed = true
	}
	if !changed {
		return nil, nil
	}
	return ch, nil
}

// xtChainExists looks for "-N CHAIN" in the rule listing (asking for the
// chain alone fails in confusing ways when the table does not exist yet).
func xtChainExists(ctx context.Context, h *Host, x xtChain) (bool, error) {
	out, err := h.Run.Run(ctx, nil, x.Command, x.args("-S")...)
	if err != nil {
		return false, err
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.TrimSpace(line) == "-N "+x.Chain {
			return true, nil
		}
	}
	return false, nil
}

func xtRuleExists(ctx context.Context, h *Host, x xtChain, chain string, rule []string) bool {
	_, err := h.Run.Run(ctx, nil, x.Command, x.args(append([]string{"-C", chain}, rule...)...)...)
	return err == nil
}

// xtUsesNftables reports whether the command is the nf_tables variant, which
// keeps its tables in nftables and creates them on first use.
func xtUsesNftables(ctx context.Context, h *Host, command string) (bool, error) {
	out, err := h.Run.Run(ctx, nil, command, "-V")
	if err != nil {
		return false, err
	}
	return bytes.Contains(out, []byte("nf_tables")), nil
}

// fileAction writes a persistent configuration file atomically.
type fileAction struct {
	path    string
	content string
}

func (a fileAction) describe() string { return "write " + a.path }

func (a fileAction) do(r *applyRun) (*Change, error) {
	ch := &Change{Kind: KindFile, Path: a.path, Mode: 0o644}
	old, err := os.ReadFile(a.path)
	switch {
	case err == nil:
		if string(old) == a.content {
			return nil, nil
		}
		ch.Existed, ch.Previous = true, string(old)
		if fi, err := os.Stat(a.path); err == nil {
			ch.Mode = fi.Mode().Perm()
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if err := writeFileAtomic(a.path, []byte(a.content), 0o644); err != nil {
		return nil, err
	}
	return ch, nil
}
