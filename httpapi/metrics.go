package httpapi

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadscore/leadscore"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	duration *prometheus.HistogramVec
	messages *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	return &metrics{
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "leadscore",
			Subsystem: "http",
			Name:      "request_duration_seconds",
			Help:      "Time to answer an HTTP request, by route pattern and status code.",
			Buckets:   []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "status"})),
		messages: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "leadscore",
			Subsystem: "ingest",
			Name:      "messages_total",
			Help:      "Ingested messages by API (segment or events) and outcome (accepted, duplicate, rejected).",
		}, []string{"api", "status"})),
	}
}

// register adds c to reg, or returns the collector already registered
// under the same name, so that two servers may share one registry (a
// test, or a restart of the handler within one process).
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

func (m *metrics) countIngest(api string, status leadscore.IngestStatus) {
	m.messages.WithLabelValues(api, string(status)).Inc()
}
