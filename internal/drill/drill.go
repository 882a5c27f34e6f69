package drill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-ha/vigil/internal/lab"
)

// Options say which drill to run and where its results go.
type Options struct {
	Scenario string
	// N is the number of runs (default 1).
	N int
	// Interval is the VRRP advert interval (default 10ms).
	Interval time.Duration
	// Impl is the daemon of the pair (default vigil).
	Impl lab.Impl
	// Timeout is the client's request timeout (default DefaultTimeout).
	Timeout time.Duration
	// JSON, when set, receives the report.
	JSON string
	// TimelineDir, when set, receives one SVG per run.
	TimelineDir string
	// Vigil is the vigil binary the directors run (default: this executable).
	Vigil string
	// LabSelf runs `vigil lab` for the real servers' HTTP servers when the
	// drill builds the lab (default: Vigil followed by "lab").
	LabSelf []string
	// Prefix and StateDir select the lab. A lab that is up is used as it
	// is and left up; otherwise the drill builds one and removes it at the
	// end (unless Keep).
	Prefix, StateDir string
	Keep             bool
	// Hosts, when set, is a hosts file (see ParseHosts): the drill runs on
	// the pair it describes instead of the lab, with the file's advert
	// interval (Interval must be 0 or the same).
	Hosts string
}

// Report is the result of a drill, as written to the JSON file.
type Report struct {
	Scenario    string  `json:"scenario"`
	Description string  `json:"description"`
	Impl        string  `json:"impl"`
	IntervalMs  float64 `json:"advert_interval_ms"`
	Client      string  `json:"client"`
	IPVS        bool    `json:"ipvs"`
	Kernel      string  `json:"kernel"`
	// Hosts is the hosts file of a drill on described hosts.
	Hosts   string    `json:"hosts,omitempty"`
	Started time.Time `json:"started"`
	Notes   []string  `json:"notes,omitempty"`
	// Error says why the drill stopped before its last run.
	Error   string             `json:"error,omitempty"`
	Summary map[string]Summary `json:"summary"`
	Runs    []RunReport        `json:"runs"`
}

// RunReport is one run in the report.
type RunReport struct {
	Run      int      `json:"run"`
	Measures Measures `json:"measures"`
	Timeline string   `json:"timeline,omitempty"`
	// TimelinePNG is the same picture as PNG, when rsvg-convert is installed.
	TimelinePNG string  `json:"timeline_png,omitempty"`
	Record      *Record `json:"record"`
}

func (o Options) withDefaults() (Options, error) {
	if o.N == 0 {
		o.N = 1
	}
	if o.N < 1 {
		return o, fmt.Errorf("-n %d: want at least one run", o.N)
	}
	// A drill on hosts takes the interval of the hosts file.
	if o.Interval == 0 && o.Hosts == "" {
		o.Interval = lab.DefaultInterval
	}
	if o.Impl == "" {
		o.Impl = lab.ImplVigil
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Timeout < 0 {
		return o, fmt.Errorf("-timeout %s: want more than 0", o.Timeout)
	}
	if o.Vigil == "" {
		exe, err := os.Executable()
		if err != nil {
			return o, err
		}
		o.Vigil = exe
	}
	if len(o.LabSelf) == 0 {
		o.LabSelf = []string{o.Vigil, "lab"}
	}
	return o, nil
}

// Run runs the drill, printing progress and the summary table to w.
func Run(ctx context.Context, o Options, w io.Writer) (rep *Report, runErr error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	sc, err := LookupScenario(o.Scenario)
	if err != nil {
		return nil, err
	}
	var p pair
	// closePair runs once, after the runs or on the way out of an error.
	closed := false
	closePair := func() error {
		if closed || p == nil {
			return nil
		}
		closed = true
		cctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		return p.close(cctx)
	}
	defer func() { runErr = errors.Join(runErr, closePair()) }()
	if o.Hosts != "" {
		hp, err := openHostsPair(ctx, o, sc, w)
		if err != nil {
			return nil, err
		}
		p, o.Interval = hp, hp.h.AdvertInterval
		rep = hp.newReport(sc, o)
		hp.writeHeader(w, rep, sc, o.Timeout)
	} else {
		l, done, err := openLab(ctx, o, sc, w)
		if err != nil {
			return nil, err
		}
		defer done()
		p, rep = newLabPair(l, o.Impl), newReport(sc, o, l)
		writeHeader(w, rep, sc, l, o.Timeout)
	}
	if o.TimelineDir != "" {
		if err := os.MkdirAll(o.TimelineDir, 0o755); err != nil {
			return nil, err
		}
	}
	var all []Measures
	for i := 1; i <= o.N; i++ {
		rec, err := runOnce(ctx, p, sc, o, i)
		if err != nil {
			// Keep what the earlier runs measured.
			runErr = fmt.Errorf("run %d: %w", i, err)
			rep.Error = runErr.Error()
			fmt.Fprintf(w, "run %d/%d: FAILED: %v\n", i, o.N, err)
			break
		}
		m := Measure(rec)
		rr := RunReport{Run: i, Measures: m, Record: rec}
		if o.TimelineDir != "" {
			rr.Timeline = filepath.Join(o.TimelineDir, fmt.Sprintf("%s-%s-%s-run%d.svg", sc.Name, o.Impl, o.Interval, i))
			if err := writeTimelineFile(rr.Timeline, rec, m); err != nil {
				return rep, err
			}
			png, err := svgToPNG(rr.Timeline)
			switch {
			case errors.Is(err, errNoConverter):
				if i == 1 {
					fmt.Fprintln(w, "note: PNG timelines need rsvg-convert (Debian package librsvg2-bin); writing SVG only")
				}
			case err != nil:
				return rep, err
			default:
				rr.TimelinePNG = png
			}
		}
		rep.Runs = append(rep.Runs, rr)
		all = append(all, m)
		fmt.Fprintf(w, "run %d/%d: %s\n", i, o.N, runLine(m, rec))
	}
	if err := closePair(); err != nil {
		runErr = errors.Join(runErr, err)
		rep.Error = runErr.Error()
	}
	rep.Summary = SummarizeRuns(all)
	if len(all) > 0 {
		fmt.Fprintf(w, "\n%s, %s, adverts every %s: %d runs, milliseconds from the injection\n", sc.Name, o.Impl, o.Interval, len(all))
		if err := WriteTable(w, rep.Summary, len(all)); err != nil {
			return rep, err
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if o.JSON != "" {
		if err := writeJSON(o.JSON, rep); err != nil {
			return rep, err
		}
		fmt.Fprintf(w, "JSON report: %s\n", o.JSON)
	}
	if o.TimelineDir != "" {
		fmt.Fprintf(w, "timelines (SVG, one per run): %s\n", o.TimelineDir)
	}
	return rep, runErr
}

// openLab opens or builds the lab for a drill and writes the directors'
// configurations for its interval; done removes a lab it built.
func openLab(ctx context.Context, o Options, sc *Scenario, w io.Writer) (l *lab.Lab, done func(), err error) {
	if o.Impl == lab.ImplKeepalived {
		if _, err := exec.LookPath("keepalived"); err != nil {
			return nil, nil, errors.New("-impl keepalived: keepalived is not installed (Debian: apt-get install keepalived)")
		}
	}
	l, built, err := openOrBuild(ctx, o, w)
	if err != nil {
		return nil, nil, err
	}
	done = func() {}
	if built && !o.Keep {
		done = func() { _, _ = lab.Down(lab.Options{Prefix: l.Prefix, StateDir: l.StateDir}) }
	}
	if err := newLabPair(l, o.Impl).check(sc); err != nil {
		done()
		return nil, nil, err
	}
	// The lab's configurations follow the drill's interval; a lab that
	// was up keeps the new ones afterwards.
	l.Interval = o.Interval
	if _, err := l.WriteConfigs(o.Interval); err != nil {
		done()
		return nil, nil, err
	}
	return l, done, nil
}

// openOrBuild uses the lab with the prefix if it is up, or builds one.
func openOrBuild(ctx context.Context, o Options, w io.Writer) (*lab.Lab, bool, error) {
	lo := lab.Options{Prefix: o.Prefix, StateDir: o.StateDir, Interval: o.Interval, Vigil: o.Vigil, Self: o.LabSelf}
	if l, err := lab.Open(lo); err == nil {
		fmt.Fprintf(w, "using the lab %s that is up (vigil lab down -prefix %s removes it)\n", l.Prefix, l.Prefix)
		l.Vigil = o.Vigil
		return l, false, nil
	}
	fmt.Fprintf(w, "building the lab (namespaces %s-*) ...\n", lo.Prefix)
	l, err := lab.Up(ctx, lo)
	if err != nil {
		return nil, false, err
	}
	return l, true, nil
}

func newReport(sc *Scenario, o Options, l *lab.Lab) *Report {
	rep := &Report{
		Scenario: sc.Name, Description: sc.Summary, Impl: string(o.Impl),
		IntervalMs: float64(o.Interval) / float64(time.Millisecond),
		Client:     "http+ping", IPVS: l.IPVS, Kernel: kernelRelease(), Started: time.Now(),
	}
	if !l.IPVS {
		rep.Client = "ping"
		rep.Notes = append(rep.Notes, "this kernel has no IPVS: the pair runs VRRP only and the client measures with pings to the VIP and VIP ownership; HTTP through the VIP needs IPVS (examples/demo/drill.sh runs the drill in the test VM)")
	}
	return rep
}

func kernelRelease() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

func writeHeader(w io.Writer, rep *Report, sc *Scenario, l *lab.Lab, timeout time.Duration) {
	fmt.Fprintf(w, "drill %s: %s\n", sc.Name, sc.Summary)
	fmt.Fprintf(w, "  pair:   %s on d1 (priority 150) and d2 (priority 100), adverts every %s\n", rep.Impl, time.Duration(rep.IntervalMs*float64(time.Millisecond)))
	if l.IPVS {
		fmt.Fprintf(w, "  client: GET %s every %s and ping every %s, timeout %s\n", l.VIPURL(), httpEvery, pingEvery, timeout)
	} else {
		fmt.Fprintf(w, "  client: ping %s every %s, timeout %s (no IPVS in this kernel: no HTTP through the VIP)\n", l.VIP, pingEvery, timeout)
	}
}

// runLine is the one-line result of a run.
func runLine(m Measures, r *Record) string {
	s := measureLine(m)
	if r.Note != "" {
		s += "\n  NOTE: " + r.Note
	}
	return s
}

func writeTimelineFile(path string, r *Record, m Measures) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteTimeline(f, r, m); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// errNoConverter means rsvg-convert is not installed.
var errNoConverter = errors.New("rsvg-convert not found")

// svgToPNG renders an SVG timeline to a PNG beside it with rsvg-convert
// (librsvg), the converter Debian ships; it returns the PNG's path.
func svgToPNG(svg string) (string, error) {
	conv, err := exec.LookPath("rsvg-convert")
	if err != nil {
		return "", errNoConverter
	}
	png := strings.TrimSuffix(svg, ".svg") + ".png"
	if out, err := exec.Command(conv, "--background-color", "white", "-o", png, svg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("rsvg-convert %s: %v: %s", svg, err, strings.TrimSpace(string(out)))
	}
	return png, nil
}

func writeJSON(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
