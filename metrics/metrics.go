// Package metrics holds the app's Prometheus collectors, registered on a
// registry of their own (no global state), and small typed hooks the other
// packages call in one line. Every hook is safe on a nil *Metrics, so tests
// and tools that do not care about metrics pass nothing.
//
// Label values are bounded: HTTP routes are gin's route templates, Thing+
// endpoints are path templates with the ids cut out, outcomes and
// operations come from fixed lists. No user id or sensor id is a label.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const ns = "thingplus_webapp"

// Metrics is every collector of the app.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.HistogramVec // route, method, code

	webhookPushes *prometheus.CounterVec // outcome
	commitSeconds prometheus.Histogram
	commitBatch   prometheus.Histogram

	streamsOpen   prometheus.Gauge
	streamEvents  prometheus.Counter
	streamResyncs prometheus.Counter

	upstream *prometheus.HistogramVec // endpoint, method, code

	memcachedErrors *prometheus.CounterVec // op
	sessionOutages  prometheus.Counter

	thingplusUp      prometheus.Gauge
	thingplusLatency prometheus.Gauge
}

// latency buckets from 1 ms to 10 s.
var latency = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New builds the collectors with Go runtime and process metrics.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "http_request_duration_seconds",
		Help: "HTTP requests by route template, method and status, with their latency.", Buckets: latency},
		[]string{"route", "method", "code"})
	m.webhookPushes = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "webhook_pushes_total",
		Help: "Thing+ webhook pushes by outcome (applied, clamped, duplicate, unknown_sensor, bad_key, invalid, error)."},
		[]string{"outcome"})
	m.commitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "ingest_commit_duration_seconds",
		Help: "Time of one ingest transaction's COMMIT (fsync included).", Buckets: latency})
	m.commitBatch = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "ingest_commit_batch_size",
		Help: "Pushes and rejections sharing one ingest commit.", Buckets: prometheus.ExponentialBuckets(1, 2, 12)})
	m.streamsOpen = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "live_streams_open",
		Help: "Open trains live streams (Server-Sent Events)."})
	m.streamEvents = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "live_stream_frames_sent_total",
		Help: "Frames (car updates, snapshots) written to live streams."})
	m.streamResyncs = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "live_stream_resyncs_total",
		Help: "Full snapshots sent because a stream fell behind."})
	m.upstream = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "thingplus_request_duration_seconds",
		Help:    "Calls to Thing+ by endpoint template, method and status (\"error\" when no answer came), with their latency.",
		Buckets: latency}, []string{"endpoint", "method", "code"})
	m.memcachedErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "memcached_errors_total",
		Help: "Failed memcached operations of the session store (a miss is not an error)."}, []string{"op"})
	m.sessionOutages = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "session_outage_responses_total",
		Help: "Requests answered 503 because the session store was unreachable."})
	m.thingplusUp = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "thingplus_up",
		Help: "1 when the last readiness probe reached Thing+, else 0 (never fails readiness)."})
	m.thingplusLatency = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "thingplus_probe_seconds",
		Help: "Latency of the last readiness probe of Thing+."})
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.webhookPushes, m.commitSeconds, m.commitBatch, m.streamsOpen, m.streamEvents,
		m.streamResyncs, m.upstream, m.memcachedErrors, m.sessionOutages, m.thingplusUp, m.thingplusLatency)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records one HTTP request (route is gin's template, "" for no route).
func (m *Metrics) Request(route, method string, code int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(route, knownMethod(method), codeLabel(code)).Observe(took.Seconds())
}

// Push records one webhook push by its outcome.
func (m *Metrics) Push(outcome string) {
	if m == nil {
		return
	}
	m.webhookPushes.WithLabelValues(outcome).Inc()
}

// Commit records one ingest commit of n operations.
func (m *Metrics) Commit(n int, took time.Duration) {
	if m == nil {
		return
	}
	m.commitSeconds.Observe(took.Seconds())
	m.commitBatch.Observe(float64(n))
}

// StreamOpened and StreamClosed track open live streams.
func (m *Metrics) StreamOpened() {
	if m != nil {
		m.streamsOpen.Inc()
	}
}

// StreamClosed: see StreamOpened.
func (m *Metrics) StreamClosed() {
	if m != nil {
		m.streamsOpen.Dec()
	}
}

// StreamFrame counts one frame written to a stream.
func (m *Metrics) StreamFrame() {
	if m != nil {
		m.streamEvents.Inc()
	}
}

// StreamResync counts one snapshot sent to a stream that fell behind.
func (m *Metrics) StreamResync() {
	if m != nil {
		m.streamResyncs.Inc()
	}
}

// MemcachedError counts one failed memcached operation.
func (m *Metrics) MemcachedError(op string) {
	if m != nil {
		m.memcachedErrors.WithLabelValues(op).Inc()
	}
}

// SessionOutage counts one 503 given for a session store outage.
func (m *Metrics) SessionOutage() {
	if m != nil {
		m.sessionOutages.Inc()
	}
}

// ThingplusProbe records the readiness probe of Thing+.
func (m *Metrics) ThingplusProbe(up bool, took time.Duration) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.thingplusUp.Set(v)
	m.thingplusLatency.Set(took.Seconds())
}

func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
