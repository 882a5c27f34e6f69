package realserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
)

// undo puts back what one change altered. Something that is already gone (a
// deleted device, a removed file) counts as undone.
func undo(ctx context.Context, h *Host, c Change) error {
	switch c.Kind {
	case KindSysctl:
		err := h.Sysctl.Set(c.Key, c.Previous)
		if sysctlMissing(err) {
			return nil // the device went away, and its settings with it
		}
		return err
	case KindAddress:
		return undoAddress(h, c)
	case KindLink:
		link, err := h.Net.LinkByName(c.Link)
		if err != nil {
			return ignoreNotFound(err)
		}
		return h.Net.LinkDel(link)
	case KindLinkUp:
		link, err := h.Net.LinkByName(c.Link)
		if err != nil {
			return ignoreNotFound(err)
		}
		return h.Net.LinkSetDown(link)
	case KindNft:
		return undoNft(ctx, h, c)
	case KindXtChain:
		return undoXtChain(ctx, h, c)
	case KindFile:
		if !c.Existed {
			if err := os.Remove(c.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		}
		mode := c.Mode
		if mode == 0 {
			mode = 0o644
		}
		return writeFileAtomic(c.Path, []byte(c.Previous), mode)
	}
	return fmt.Errorf("unknown change kind %q", c.Kind)
}

func ignoreNotFound(err error) error {
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

func undoAddress(h *Host, c Change) error {
	p, err := netip.ParsePrefix(c.Address)
	if err != nil {
		return fmt.Errorf("recorded address %q: %w", c.Address, err)
	}
	link, err := h.Net.LinkByName(c.Link)
	if err != nil {
		return ignoreNotFound(err)
	}
	addrs, err := retryDump(func() ([]netlink.Addr, error) { return h.Net.AddrList(link, netlink.FAMILY_V4) })
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if got, ok := prefixOf(a.IPNet); ok && got == p {
			return h.Net.AddrDel(link, &netlink.Addr{IPNet: ipNet(p)})
		}
	}
	return nil
}

// undoNft deletes vigil's table and reloads the table that was there before,
// if any, so the previous ruleset comes back exactly.
func undoNft(ctx context.Context, h *Host, c Change) error {
	t := nftTable{c.Family, c.Table}
	exists, err := nftTableExists(ctx, h, t)
	if err != nil {
		return err
	}
	if exists {
		if _, err := h.Run.Run(ctx, nil, "nft", "delete", "table", t.Family, t.Name); err != nil {
			return err
		}
	}
	if c.Previous != "" {
		if _, err := h.Run.Run(ctx, []byte(c.Previous), "nft", "-f", "-"); err != nil {
			return fmt.Errorf("restoring the previous table %s: %w", t, err)
		}
	}
	return nil
}

// undoXtChain removes the jump, flushes and deletes the chain, and deletes the
// nf_tables table the xtables-nft command created if nothing else uses it.
func undoXtChain(ctx context.Context, h *Host, c Change) error {
	x := xtChain{Command: c.Command, Table: c.Table, Chain: c.Chain, Parent: c.Parent, Jump: c.Jump}
	exists, err := xtChainExists(ctx, h, x)
	if err != nil {
		return err
	}
	if exists {
		for xtRuleExists(ctx, h, x, x.Parent, x.Jump) {
			if _, err := h.Run.Run(ctx, nil, x.Command, x.args(append([]string{"-D", x.Parent}, x.Jump...)...)...); err != nil {
				return err
			}
		}
		if _, err := h.Run.Run(ctx, nil, x.Command, x.args("-F", x.Chain)...); err != nil {
			return err
		}
		if _, err := h.Run.Run(ctx, nil, x.Command, x.args("-X", x.Chain)...); err != nil {
			return err
		}
	}
	if c.CreatedTable == "" {
		return nil
	}
	fam, name, _ := strings.Cut(c.CreatedTable, " ")
	t := nftTable{fam, name}
	present, err := nftTableExists(ctx, h, t)
	if err != nil || !present {
		return err
	}
	out, err := h.Run.Run(ctx, nil, "nft", "-j", "list", "table", fam, name)
	if err != nil {
		return err
	}
	if !leftoverOnly(out) {
		return nil // someone else put rules or chains there since
	}
	_, err = h.Run.Run(ctx, nil, "nft", "delete", "table", fam, name)
	return err
}

// leftoverOnly reports whether an `nft -j list table` output shows nothing but
// empty built-in chains with policy accept, which is what an xtables-nft
// command leaves behind after its last rule is gone.
func leftoverOnly(listing []byte) bool {
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal(listing, &doc); err != nil {
		return false
	}
	builtin := map[string]bool{"INPUT": true, "OUTPUT": true, "FORWARD": true, "PREROUTING": true, "POSTROUTING": true}
	for _, obj := range doc.Nftables {
		if _, ok := obj["rule"]; ok {
			return false
		}
		raw, ok := obj["chain"]
		if !ok {
			continue
		}
		var ch struct {
			Name   string `json:"name"`
			Hook   string `json:"hook"`
			Policy string `json:"policy"`
		}
		if json.Unmarshal(raw, &ch) != nil || !builtin[ch.Name] || ch.Hook == "" || ch.Policy != "accept" {
			return false
		}
	}
	return true
}
