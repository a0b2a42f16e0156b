package main

import (
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
	"github.com/leadscore/leadscore/service"
	"github.com/prometheus/client_golang/prometheus"
)

// promMetrics exports what the service reports as Prometheus metrics. It
// registers on the registry it is given rather than the global default, so
// that a process can run several services (the benchmark, tests) without
// their counters colliding.
type promMetrics struct {
	events         *prometheus.CounterVec
	batchMessages  prometheus.Histogram
	batchSeconds   prometheus.Histogram
	leadsScored    prometheus.Counter
	scoringSeconds prometheus.Histogram
	dueLeads       prometheus.Counter
	queueDepth     prometheus.Gauge
	webhookTries   *prometheus.CounterVec
	webhookSeconds prometheus.Histogram
	webhookFailed  prometheus.Counter
}

var _ service.Metrics = (*promMetrics)(nil)

func newPromMetrics(reg prometheus.Registerer) (*promMetrics, error) {
	m := &promMetrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadscore_events_ingested_total",
			Help: "Ingested messages by outcome: accepted, duplicate (same source and messageId seen before) or rejected.",
		}, []string{"status"}),
		// Group commit puts many requests into one transaction; the size of
		// those transactions is what tells whether batching works.
		batchMessages: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leadscore_commit_messages",
			Help:    "Messages committed per transaction (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leadscore_commit_seconds",
			Help:    "Time to build and commit one transaction, scoring included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		leadsScored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leadscore_leads_scored_total",
			Help: "Leads evaluated under every active model (for events, attribute changes, time, model activations).",
		}),
		scoringSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leadscore_scoring_seconds",
			Help:    "Time spent evaluating the leads of one transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14),
		}),
		dueLeads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leadscore_due_leads_total",
			Help: "Leads found due for re-evaluation because their score changes with time.",
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leadscore_commit_queue_depth",
			Help: "Requests waiting for the committer when the last one was queued.",
		}),
		webhookTries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leadscore_webhook_attempts_total",
			Help: "Webhook delivery attempts by outcome: delivered, retry (an error, a timeout or a non-2xx answer) or gone (410: the subscription is disabled).",
		}, []string{"outcome"}),
		webhookSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leadscore_webhook_attempt_seconds",
			Help:    "Time a receiver took to answer a delivery attempt.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
		webhookFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leadscore_webhook_deliveries_failed_total",
			Help: "Deliveries given up after their last retry (or a 410); they stay listed and can be replayed.",
		}),
	}
	for _, c := range []prometheus.Collector{m.events, m.batchMessages, m.batchSeconds, m.leadsScored, m.scoringSeconds, m.dueLeads, m.queueDepth,
		m.webhookTries, m.webhookSeconds, m.webhookFailed} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// Every status is a series from the start, so that a rate() over
	// "rejected" reads 0 rather than nothing before the first rejection.
	for _, s := range []leadscore.IngestStatus{leadscore.IngestAccepted, leadscore.IngestDuplicate, leadscore.IngestRejected} {
		m.events.WithLabelValues(string(s))
	}
	for _, o := range []automation.Outcome{automation.OutcomeDelivered, automation.OutcomeRetry, automation.OutcomeGone} {
		m.webhookTries.WithLabelValues(string(o))
	}
	return m, nil
}

func (m *promMetrics) EventsIngested(status leadscore.IngestStatus, n int) {
	m.events.WithLabelValues(string(status)).Add(float64(n))
}

func (m *promMetrics) BatchCommitted(messages int, d time.Duration) {
	m.batchMessages.Observe(float64(messages))
	m.batchSeconds.Observe(d.Seconds())
}

func (m *promMetrics) LeadsScored(n int, d time.Duration) {
	m.leadsScored.Add(float64(n))
	if n > 0 {
		m.scoringSeconds.Observe(d.Seconds())
	}
}

func (m *promMetrics) DueLeads(n int) { m.dueLeads.Add(float64(n)) }

func (m *promMetrics) QueueDepth(n int) { m.queueDepth.Set(float64(n)) }

func (m *promMetrics) WebhookAttempted(outcome string, d time.Duration, final bool) {
	m.webhookTries.WithLabelValues(outcome).Inc()
	m.webhookSeconds.Observe(d.Seconds())
	if final {
		m.webhookFailed.Inc()
	}
}
