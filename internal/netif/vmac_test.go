package netif

import (
	"os/exec"
	"strings"
	"testing"
)

// linkDetails is ip(8)'s detailed view of one interface ("" if missing).
func linkDetails(t *testing.T, ns, name string) string {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-d", "link", "show", "dev", name).CombinedOutput()
	if err != nil {
		return ""
	}
	return string(out)
}

func TestEnsureVMACCreatesAndRepairs(t *testing.T) {
	ns := "vgt-nvm"
	linkNamespace(t, ns)
	h := handleIn(t, ns)

	v4 := VMAC{Parent: "eth0", VRID: 51, Family: 4, Mode: VMACPrivate}
	for range 2 {
		name, err := h.EnsureVMAC(v4)
		if err != nil || name != "vrrp.51" {
			t.Fatalf("EnsureVMAC = %q, %v; want vrrp.51", name, err)
		}
	}
	d := linkDetails(t, ns, "vrrp.51")
	for _, want := range []string{"vrrp.51@eth0", "00:00:5e:00:01:33", "macvlan mode private", ",UP"} {
		if !strings.Contains(d, want) {
			t.Errorf("vrrp.51 lacks %q:\n%s", want, d)
		}
	}

	// Someone changed the MAC: EnsureVMAC puts the virtual one back.
	run(t, "ip", "-n", ns, "link", "set", "vrrp.51", "address", "02:00:00:00:00:01")
	if _, err := h.EnsureVMAC(v4); err != nil {
		t.Fatal(err)
	}
	if d := linkDetails(t, ns, "vrrp.51"); !strings.Contains(d, "00:00:5e:00:01:33") {
		t.Errorf("MAC not repaired:\n%s", d)
	}

	v6 := VMAC{Parent: "eth0", Name: "vrrp6.51", VRID: 51, Family: 6, Mode: VMACBridge}
	if _, err := h.EnsureVMAC(v6); err != nil {
		t.Fatal(err)
	}
	d = linkDetails(t, ns, "vrrp6.51")
	for _, want := range []string{"00:00:5e:00:02:33", "macvlan mode bridge"} {
		if !strings.Contains(d, want) {
			t.Errorf("vrrp6.51 lacks %q:\n%s", want, d)
		}
	}
	// Same name, other mode: not silently changed.
	if _, err := h.EnsureVMAC(VMAC{Parent: "eth0", Name: "vrrp6.51", VRID: 51, Family: 6, Mode: VMACPrivate}); err == nil {
		t.Error("EnsureVMAC accepted a macvlan in another mode")
	}

	for range 2 {
		for _, name := range []string{"vrrp.51", "vrrp6.51"} {
			if err := h.DeleteVMAC(name); err != nil {
				t.Fatalf("DeleteVMAC(%s): %v", name, err)
			}
		}
	}
	if linkDetails(t, ns, "vrrp.51") != "" || linkDetails(t, ns, "vrrp6.51") != "" {
		t.Error("virtual MAC interfaces still exist after DeleteVMAC")
	}
}

func TestVMACLeavesForeignInterfacesAlone(t *testing.T) {
	ns := "vgt-nvf"
	linkNamespace(t, ns)
	h := handleIn(t, ns)
	run(t, "ip", "-n", ns, "link", "add", "vrrp.7", "type", "veth", "peer", "name", "vgtpeer7")

	if _, err := h.EnsureVMAC(VMAC{Parent: "eth0", VRID: 7, Family: 4}); err == nil {
		t.Error("EnsureVMAC took over a veth named vrrp.7")
	}
	if err := h.DeleteVMAC("vrrp.7"); err == nil {
		t.Error("DeleteVMAC deleted a veth")
	}
	if d := linkDetails(t, ns, "vrrp.7"); !strings.Contains(d, "veth") {
		t.Errorf("the veth vrrp.7 was changed:\n%s", d)
	}
}
