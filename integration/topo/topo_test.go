package topo

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
)

func TestHostsReachEachOtherAndCloseRemovesAll(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	testenv.NeedCommand(t, "ping")
	tp, err := New("vgtp", netip.MustParsePrefix("10.201.0.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tp.Close)
	a, err := tp.AddHost("a", 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tp.AddHost("b", 2)
	if err != nil {
		t.Fatal(err)
	}
	if a.MAC == "" || a.MAC == b.MAC {
		t.Fatalf("bad MACs %q %q", a.MAC, b.MAC)
	}
	if err := a.Run("ping", "-c1", "-W2", b.Addr.Addr().String()); err != nil {
		t.Fatalf("a cannot reach b: %v", err)
	}
	tp.Close()
	out, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(out), "vgtp-") {
		t.Fatalf("namespaces left after Close:\n%s", out)
	}
}
