package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigil-ha/vigil/healthcheck"
	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/internal/director"
	"github.com/vigil-ha/vigil/ipvs"
	"github.com/vigil-ha/vigil/vrrp"
)

// Sources are the snapshot functions read at every scrape. Each may be nil
// (its metrics are then absent) and must be safe to call concurrently.
type Sources struct {
	// Instances returns the VRRP instances (director.Director.Status).
	Instances func() []director.Status
	// Links returns the VRRP sockets (director.Director.Links).
	Links func() []director.LinkStatus
	// IPVS reads the kernel's table (ipvs.ReadSnapshot); an error sets
	// vigil_ipvs_up to 0.
	IPVS func() (ipvs.Snapshot, error)
	// Health returns the health-check state (healthcheck.Scheduler.Snapshot).
	Health func() healthcheck.Snapshot
}

// latencyBuckets suit both probes and take-overs: from a millisecond to
// the ten seconds a slow check may be allowed.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics is the daemon's registry with its event counters.
type Metrics struct {
	reg          *prometheus.Registry
	transitions  *prometheus.CounterVec
	takeover     *prometheus.HistogramVec
	checkResults *prometheus.CounterVec
	checkLatency *prometheus.HistogramVec
}

// New returns the metrics of one daemon in a registry of their own, with
// the Go runtime and process collectors.
func New(src Sources) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_vrrp_transitions_total",
			Help: "VRRP state changes by instance, old state, new state and reason.",
		}, []string{"instance", "from", "to", "reason"}),
		takeover: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigil_vrrp_takeover_seconds",
			Help:    "Time from detecting that the master is gone to holding the VIPs, as the daemon measures it.",
			Buckets: latencyBuckets,
		}, []string{"instance"}),
		checkResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_check_results_total",
			Help: "Completed health-check probes by virtual server, real server, check and result (success or failure).",
		}, []string{"virtual_server", "real_server", "check", "result"}),
		checkLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigil_check_duration_seconds",
			Help:    "Duration of health-check probes.",
			Buckets: latencyBuckets,
		}, []string{"virtual_server", "real_server", "check"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newSnapshotCollector(src),
		m.transitions, m.takeover, m.checkResults, m.checkLatency,
	)
	return m
}

// Registry returns the registry, to add collectors or to Gather in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats. A
// failing collector is reported in promhttp_metric_handler_errors_total
// and the other metrics are still served.
func (m *Metrics) Handler() http.Handler {
	return handlerFor(m.reg)
}

func handlerFor(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, ErrorHandling: promhttp.ContinueOnError})
}

// StateChanged counts a transition. Its signature is that of
// director.Hooks.StateChanged; it does not block.
func (m *Metrics) StateChanged(cfg config.VRRPInstance, from, to vrrp.State, reason vrrp.Reason) {
	m.transitions.WithLabelValues(cfg.Name, from.String(), to.String(), reason.String()).Inc()
}

// ObserveTakeover records how long an instance took to become master.
func (m *Metrics) ObserveTakeover(instance string, d time.Duration) {
	m.takeover.WithLabelValues(instance).Observe(d.Seconds())
}

// CheckResult counts one probe and its latency. Its signature is that of
// healthcheck.Options.OnResult.
func (m *Metrics) CheckResult(r healthcheck.CheckResult) {
	result := "failure"
	if r.Result.Healthy {
		result = "success"
	}
	m.checkResults.WithLabelValues(r.VirtualServer, r.RealServer, r.Check, result).Inc()
	m.checkLatency.WithLabelValues(r.VirtualServer, r.RealServer, r.Check).Observe(r.Duration.Seconds())
}
