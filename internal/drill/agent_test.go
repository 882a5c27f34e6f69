package drill

import (
	"bufio"
	"context"
	"io"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/lab"
	"github.com/vigil-ha/vigil/internal/testenv"
)

// TestAgentProbesAndReports runs the agent against loopback: pings to
// 127.0.0.1 and HTTP to a local server (the lab's handler, which names
// itself), and reads its lines back the way the drill does.
func TestAgentProbesAndReports(t *testing.T) {
	testenv.NeedRoot(t) // raw ICMP and packet sockets
	srv := httptest.NewServer(lab.HTTPHandler("rs9"))
	defer srv.Close()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runAgent(context.Background(), agentConfig{vip: netip.MustParseAddr("127.0.0.1"), url: srv.URL + "/", iface: "lo", timeout: time.Second}, inR, outW)
		outW.Close()
	}()
	var mu sync.Mutex
	var lines []string
	seen := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			mu.Unlock()
			seen <- sc.Text()
		}
	}()
	wait := func(prefix string) string {
		t.Helper()
		for {
			select {
			case l := <-seen:
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %q line from the agent", prefix)
			}
		}
	}
	wait("ready")
	io.WriteString(inW, "sync\n")
	wait("sync ")
	io.WriteString(inW, "start\n")
	wait("probe http ")
	wait("probe ping ")
	time.Sleep(100 * time.Millisecond)
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The drill's side reads them: every probe succeeded, the HTTP ones
	// naming the server, with times that do not go backwards.
	rec := newRecorder(map[string]string{}, time.Second)
	a := newAgentClient(rec, nil)
	a.base = time.Now()
	for _, l := range lines {
		a.line(l, time.Now())
	}
	var http, ping int
	for _, p := range rec.rec.Probes {
		if !p.OK || p.Done < p.Sent {
			t.Errorf("probe %+v", p)
		}
		switch p.Kind {
		case "http":
			http++
			if p.Server != "rs9" {
				t.Errorf("HTTP answered by %q, want rs9", p.Server)
			}
		case "ping":
			ping++
		}
	}
	if http < 5 || ping < 3 {
		t.Errorf("%d HTTP probes and %d pings in about 100ms; want every 5 and every 10 ms:\n%s", http, ping, strings.Join(lines, "\n"))
	}
}
