package drill

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/fault"
	"github.com/vigil-ha/vigil/internal/lab"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// The -hosts tests build the lab and describe its namespaces in a hosts
// file, so that the drill reaches them only the way it reaches real hosts:
// through a command prefix (ip netns exec NS sh -c), running shell command
// lines, ip monitor and `vigil drill agent` there.

// hostsLab builds a lab for a -hosts test and returns it with the
// directory for the daemons' pid and log files.
func hostsLab(t *testing.T, prefix string) (*lab.Lab, string) {
	t.Helper()
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	vigil := needVigil(t)
	dir := t.TempDir()
	lo := lab.Options{Prefix: prefix, StateDir: filepath.Join(dir, "lab"), Interval: 10 * time.Millisecond, Vigil: vigil, Self: labSelf(t)}
	t.Cleanup(func() { _, _ = lab.Down(lo) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := lab.Up(ctx, lo)
	if err != nil {
		t.Fatal(err)
	}
	return l, dir
}

// hostsFile describes the lab's directors (named lb1 and lb2, to tell the
// file's names from the lab's) and its client. byNetns uses `netns = `,
// otherwise the full `command` prefix. The daemons run from the lab's
// configurations, detached, with a pid file each; status reads the
// process state, since a killed daemon stays a zombie here (no init
// reaps it).
func hostsFile(t *testing.T, l *lab.Lab, dir string, byNetns bool) string {
	t.Helper()
	vigil := needVigil(t)
	var b strings.Builder
	fmt.Fprintf(&b, "vip = %q\nadvert_interval = %q\n\n", l.VIP, l.Interval)
	reach := func(ns string) string {
		if byNetns {
			return fmt.Sprintf("netns = %q", ns)
		}
		return fmt.Sprintf("command = [\"ip\", \"netns\", \"exec\", %q, \"sh\", \"-c\"]", ns)
	}
	for i, d := range l.Directors() {
		name := fmt.Sprintf("lb%d", i+1)
		pid := filepath.Join(dir, name+".pid")
		log := filepath.Join(dir, name+".log")
		alive := fmt.Sprintf(`s=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/$(cat %s)/status 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ]`, pid)
		fmt.Fprintf(&b, "director %q {\n  %s\n  interface = \"eth0\"\n", name, reach(d.NS))
		fmt.Fprintf(&b, "  start  = %q\n", fmt.Sprintf("nohup %s run -config %s >>%s 2>&1 </dev/null & echo $! >%s", vigil, l.ConfigPath(d.Name, lab.ImplVigil), log, pid))
		fmt.Fprintf(&b, "  stop   = %q\n", fmt.Sprintf("kill -TERM $(cat %s); while %s; do sleep 0.01; done", pid, alive))
		fmt.Fprintf(&b, "  kill   = %q\n", fmt.Sprintf("kill -KILL $(cat %s)", pid))
		fmt.Fprintf(&b, "  status = %q\n", alive)
		fmt.Fprintf(&b, "  log    = %q\n", "tail -n 0 -F "+log)
		fmt.Fprintf(&b, "  vigil  = %q\n}\n\n", vigil)
	}
	fmt.Fprintf(&b, "client {\n  %s\n  interface = \"eth0\"\n  vigil = %q\n}\n", reach(l.MustHost(lab.Client).NS), vigil)
	path := filepath.Join(dir, "hosts.hcl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runHostsDrill runs a drill with -hosts and checks the report's shape.
func runHostsDrill(t *testing.T, ctx context.Context, o Options) (*Report, error) {
	t.Helper()
	var out strings.Builder
	rep, err := Run(ctx, o, &out)
	t.Logf("drill output:\n%s", out.String())
	if err == nil && (rep == nil || len(rep.Runs) != o.N || rep.Hosts != o.Hosts) {
		t.Fatalf("report %+v: want %d runs on %s", rep, o.N, o.Hosts)
	}
	return rep, err
}

// checkLeftClean asserts what a drill on hosts leaves: no fault, links up,
// no process of the drill's (the link guard's sleep, a monitor, an agent)
// in the namespaces, both daemons running and lb1 master again.
func checkLeftClean(t *testing.T, l *lab.Lab) {
	t.Helper()
	for _, h := range append(l.Directors(), l.MustHost(lab.Client)) {
		faults, err := fault.Show(fault.Target{Netns: h.NS})
		if err != nil {
			t.Errorf("%s: %v", h.Name, err)
		}
		if len(faults) > 0 {
			t.Errorf("%s: fault left behind: %+v", h.Name, faults)
		}
		nl, err := l.Netlink(h.Name)
		if err != nil {
			t.Fatal(err)
		}
		lk, err := nl.LinkByName("eth0")
		nl.Close()
		if err != nil {
			t.Fatal(err)
		}
		if lk.Attrs().Flags&net.FlagUp == 0 {
			t.Errorf("%s: eth0 left down", h.Name)
		}
		// A process the drill ended may take a moment to be gone.
		var left []string
		for end := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if left = strays(t, h.NS); len(left) == 0 || time.Now().After(end) {
				break
			}
		}
		for _, p := range left {
			t.Errorf("%s: process %s left behind", h.Name, p)
		}
	}
	var holders []string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		var err error
		if holders, err = l.Holders(); err != nil {
			t.Fatal(err)
		}
		if len(holders) == 1 && holders[0] == lab.D1 {
			return
		}
	}
	t.Errorf("after the drill the VIP is on %v; want the pair running again, d1 master", holders)
}

// strays lists the processes in a namespace other than the daemons and
// the web servers.
func strays(t *testing.T, ns string) []string {
	t.Helper()
	pids, err := lab.PIDsIn(ns)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, pid := range pids {
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		c := strings.ReplaceAll(string(cmd), "\x00", " ")
		if !strings.Contains(c, " run -config ") && !strings.Contains(c, " lab httpd ") {
			out = append(out, fmt.Sprintf("%d (%s)", pid, c))
		}
	}
	return out
}

// checkHostsTakeover asserts that lb2 took over in every run, between 0
// and 1 s, with a record in the file's names.
func checkHostsTakeover(t *testing.T, rep *Report) {
	t.Helper()
	checkTakeover(t, rep)
	for _, r := range rep.Runs {
		if r.Record.TakeoverBy != "lb2" || r.Record.FinalMaster != "lb2" {
			t.Errorf("run %d: takeover by %q, final master %q; want lb2", r.Run, r.Record.TakeoverBy, r.Record.FinalMaster)
		}
		if len(r.Record.MACs["lb1"]) != len("02:00:00:00:00:00") || len(r.Record.MACs["lb2"]) != len("02:00:00:00:00:00") {
			t.Errorf("run %d: MACs %v", r.Run, r.Record.MACs)
		}
	}
}

// lostBound is how many of the client's pings can fail in a run at most:
// those sent until the traffic came back, plus the ones in flight.
func lostBound(m Measures, timeout time.Duration) float64 {
	return (m[MRestored]+float64(timeout/time.Millisecond))/float64(pingEvery/time.Millisecond) + 2
}

func TestHostsDrillSigkillAndLinkDown(t *testing.T) {
	l, dir := hostsLab(t, "vgdh1")
	hosts := hostsFile(t, l, dir, false)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	o := Options{Hosts: hosts, N: 2, JSON: filepath.Join(dir, "sigkill.json"), TimelineDir: filepath.Join(dir, "timelines")}

	o.Scenario = "master-sigkill"
	rep, err := runHostsDrill(t, ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	checkHostsTakeover(t, rep)
	for _, r := range rep.Runs {
		m := r.Measures
		// A killed daemon leaves the VIP on lb1, which still answers
		// until lb2's gratuitous ARP: few pings, if any, are lost.
		if _, ok := m[MGARP]; !ok {
			t.Errorf("run %d: the client saw no gratuitous ARP from lb2", r.Run)
		}
		if lost, ok := m[MPingLost]; !ok || lost > lostBound(m, DefaultTimeout) {
			t.Errorf("run %d: %v pings lost (measured %v), restored at %v ms", r.Run, lost, ok, m[MRestored])
		}
	}
	checkLeftClean(t, l)

	o.Scenario, o.JSON = "master-link-down", filepath.Join(dir, "linkdown.json")
	rep, err = runHostsDrill(t, ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	checkHostsTakeover(t, rep)
	for _, r := range rep.Runs {
		m := r.Measures
		// With lb1's link down the client's pings to its MAC are lost
		// until lb2 announces itself.
		if lost := m[MPingLost]; lost < 1 || lost > lostBound(m, DefaultTimeout) {
			t.Errorf("run %d: %v pings lost, restored at %v ms: want at least 1 and at most %.0f", r.Run, lost, m[MRestored], lostBound(m, DefaultTimeout))
		}
		if !hasMark(r.Record, "lb1: eth0 down") {
			t.Errorf("run %d: marks %v", r.Run, r.Record.Marks)
		}
	}
	checkLeftClean(t, l)
}

func hasMark(r *Record, label string) bool {
	for _, m := range r.Marks {
		if m.Label == label && m.At == 0 {
			return true
		}
	}
	return false
}

// TestHostsDrillCancelClearsFault: Ctrl-C (a cancelled context) while a
// fault is on a director still removes it and leaves the pair running.
func TestHostsDrillCancelClearsFault(t *testing.T) {
	l, dir := hostsLab(t, "vgdh2")
	hosts := hostsFile(t, l, dir, true)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	d1 := fault.Target{Netns: l.MustHost(lab.D1).NS, Interface: "eth0"}
	go func() {
		defer stop()
		for runCtx.Err() == nil {
			if st, err := fault.Show(d1); err == nil && len(st) > 0 && st[0].Spec != nil && st[0].Spec.Kind == fault.KindDropVRRP {
				time.Sleep(100 * time.Millisecond) // in the middle of the split brain
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	_, err := runHostsDrill(t, runCtx, Options{Hosts: hosts, N: 1, Scenario: "advert-loss"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("drill ended with %v, want it cancelled while drop-vrrp was on lb1", err)
	}
	checkLeftClean(t, l)
}
