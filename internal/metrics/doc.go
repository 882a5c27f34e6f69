// Package metrics exposes the daemon's state as Prometheus metrics.
//
// Most values are read at scrape time from snapshot functions the daemon
// supplies (Sources): the VRRP instances and sockets of the director, the
// kernel's IPVS table and the health-check scheduler's state. Counters read
// that way stay consistent with `vigil status`, which reads the same
// snapshots. What no snapshot keeps (each transition with its reason, each
// check result with its latency, take-over durations) is counted by event
// hooks: Metrics.StateChanged, Metrics.CheckResult, Metrics.ObserveTakeover.
//
// Every metric name starts with vigil_. The endpoint listens on
// 127.0.0.1:9650 by default (global.metrics_listen; "" disables it):
// metrics reveal the topology, so exposing them beyond the host is an
// explicit choice.
package metrics
