//go:build vmtest

package vmsmoke

import (
	"os"
	"strings"
	"testing"
)

// TestIPVSServiceRoundTrip installs a virtual service and a real server with
// ipvsadm in a fresh namespace and reads them back twice: through ipvsadm
// and through the kernel's own /proc/net/ip_vs. It also shows that IPVS
// state is per network namespace.
func TestIPVSServiceRoundTrip(t *testing.T) {
	needIPVSKernel(t)
	const ns = "vsmi"
	addNetns(t, ns)
	ipvsadm := func(args ...string) string {
		name, a := inNS(ns, "ipvsadm", args...)
		return mustRun(t, name, a...)
	}

	ipvsadm("-A", "-t", "10.200.1.1:80", "-s", "wrr")
	ipvsadm("-a", "-t", "10.200.1.1:80", "-r", "10.200.1.11:80", "-g", "-w", "3")

	var svc, rs []string
	for _, line := range strings.Split(ipvsadm("-Ln"), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "TCP":
			svc = f
		case len(f) == 6 && f[0] == "->" && f[1] != "RemoteAddress:Port":
			rs = f
		}
	}
	if strings.Join(svc, " ") != "TCP 10.200.1.1:80 wrr" {
		t.Errorf("service line = %q, want TCP 10.200.1.1:80 wrr", svc)
	}
	if strings.Join(rs, " ") != "-> 10.200.1.11:80 Route 3 0 0" {
		t.Errorf("real server line = %q, want -> 10.200.1.11:80 Route 3 0 0", rs)
	}

	// The kernel's view, in hex: 10.200.1.1 = 0AC80101, port 80 = 0050.
	name, a := inNS(ns, "cat", "/proc/net/ip_vs")
	proc := mustRun(t, name, a...)
	for _, want := range []string{"TCP  0AC80101:0050 wrr", "-> 0AC8010B:0050      Route   3"} {
		if !strings.Contains(proc, want) {
			t.Errorf("/proc/net/ip_vs in %s lacks %q:\n%s", ns, want, proc)
		}
	}

	// The initial namespace has its own, untouched table.
	root, err := os.ReadFile("/proc/net/ip_vs")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(root), "0AC80101") {
		t.Errorf("service of namespace %s visible in the initial namespace:\n%s", ns, root)
	}

	ipvsadm("-D", "-t", "10.200.1.1:80")
	if out := ipvsadm("-Ln"); strings.Contains(out, "10.200.1.1") {
		t.Errorf("service still listed after ipvsadm -D:\n%s", out)
	}
}
