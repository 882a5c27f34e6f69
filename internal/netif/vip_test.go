package netif

import (
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// handleIn opens a Handle inside namespace ns, closed at cleanup.
func handleIn(t *testing.T, ns string) *Handle {
	t.Helper()
	var h *Handle
	var err error
	inNamespace(t, ns, func() { h, err = Open() })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// linkNamespace is a namespace with eth0 up holding 10.66.0.1/24. eth0 is
// one end of a veth pair (the kernel may lack the dummy driver).
func linkNamespace(t *testing.T, name string) {
	t.Helper()
	needNetns(t)
	newNamespace(t, name)
	run(t, "ip", "-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p")
	run(t, "ip", "-n", name, "link", "set", "eth0p", "up")
	run(t, "ip", "-n", name, "link", "set", "eth0", "up")
	addAddr(t, name, "10.66.0.1/24", "dev", "eth0")
}

// ipAddrShow is what ip(8) reports for eth0, one address per line.
func ipAddrShow(t *testing.T, ns string) string {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-o", "addr", "show", "dev", "eth0").CombinedOutput()
	if err != nil {
		t.Fatalf("ip addr show: %v\n%s", err, out)
	}
	return string(out)
}

func heldPrefixes(t *testing.T, h *Handle) []string {
	t.Helper()
	addrs, err := h.ListVIPs("eth0")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		if !a.Prefix.Addr().IsLinkLocalUnicast() {
			out = append(out, a.Prefix.String())
		}
	}
	return out
}

func TestAddDelVIPIsIdempotent(t *testing.T) {
	ns := "vgt-nva"
	linkNamespace(t, ns)
	h := handleIn(t, ns)
	v4 := VIP{Prefix: netip.MustParsePrefix("10.66.0.100/32"), Label: "vip"}
	v6 := VIP{Prefix: netip.MustParsePrefix("fd00:66::100/128")}

	for range 2 {
		for _, v := range []VIP{v4, v6} {
			if err := h.AddVIP("eth0", v); err != nil {
				t.Fatalf("AddVIP(%s): %v", v.Prefix, err)
			}
		}
	}
	want := []string{"10.66.0.1/24", "10.66.0.100/32", "fd00:66::100/128"}
	if got := heldPrefixes(t, h); !slices.Equal(got, want) {
		t.Fatalf("held %v, want %v", got, want)
	}
	shown := ipAddrShow(t, ns)
	if !strings.Contains(shown, "10.66.0.100/32 scope global eth0:vip") {
		t.Errorf("ip addr show lacks the labelled VIP:\n%s", shown)
	}
	addrs, err := h.ListVIPs("eth0")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.Prefix == v4.Prefix && a.Label != "eth0:vip" {
			t.Errorf("listed label %q, want eth0:vip", a.Label)
		}
		// Usable at once: no duplicate address detection holding it back.
		if a.Prefix == v6.Prefix && (a.Flags&unix.IFA_F_NODAD == 0 || a.Flags&unix.IFA_F_TENTATIVE != 0) {
			t.Errorf("IPv6 VIP flags %#x: want nodad and not tentative", a.Flags)
		}
	}

	for range 2 {
		for _, v := range []VIP{v4, v6} {
			if err := h.DelVIP("eth0", v); err != nil {
				t.Fatalf("DelVIP(%s): %v", v.Prefix, err)
			}
		}
	}
	if got := heldPrefixes(t, h); !slices.Equal(got, []string{"10.66.0.1/24"}) {
		t.Fatalf("after delete: held %v, want only the primary", got)
	}
}

func TestVIPErrors(t *testing.T) {
	ns := "vgt-nve"
	linkNamespace(t, ns)
	h := handleIn(t, ns)
	if err := h.AddVIP("nosuch0", VIP{Prefix: netip.MustParsePrefix("10.66.0.100/32")}); err == nil {
		t.Error("AddVIP on a missing interface succeeded")
	}
	if err := h.AddVIP("eth0", VIP{}); err == nil {
		t.Error("AddVIP without a prefix succeeded")
	}
	long := VIP{Prefix: netip.MustParsePrefix("10.66.0.100/32"), Label: "much-too-long-label"}
	if err := h.AddVIP("eth0", long); err == nil {
		t.Error("AddVIP with a label over 15 bytes succeeded")
	}
}

func TestRemoveStaleVIPsKeepsPrimaryAndDesired(t *testing.T) {
	ns := "vgt-nst"
	linkNamespace(t, ns)
	h := handleIn(t, ns)
	for _, p := range []string{"10.66.0.100/32", "10.66.0.101/24", "10.66.0.102/32", "fd00:66::101/128"} {
		if err := h.AddVIP("eth0", VIP{Prefix: netip.MustParsePrefix(p)}); err != nil {
			t.Fatal(err)
		}
	}
	desired := prefixes("10.66.0.100/32")
	// The primary is listed as managed to prove it is protected anyway;
	// 10.66.0.102 is not managed (an address an administrator added).
	managed := prefixes("10.66.0.1/32", "10.66.0.100/32", "10.66.0.101/32", "fd00:66::101/128")

	removed, err := h.RemoveStaleVIPs("eth0", desired, managed)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range removed {
		got = append(got, p.String())
	}
	if want := []string{"10.66.0.101/24", "fd00:66::101/128"}; !slices.Equal(got, want) {
		t.Errorf("removed %v, want %v", got, want)
	}
	want := []string{"10.66.0.1/24", "10.66.0.100/32", "10.66.0.102/32"}
	if held := heldPrefixes(t, h); !slices.Equal(held, want) {
		t.Errorf("left %v, want %v", held, want)
	}
	if removed, err := h.RemoveStaleVIPs("eth0", desired, managed); err != nil || len(removed) != 0 {
		t.Errorf("second cleanup removed %v, %v; want nothing", removed, err)
	}
}
