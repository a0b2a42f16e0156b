// Package httpapi is leadscore's HTTP interface: the JSON API under
// /api/v1, Segment-compatible ingestion under /v1, health, readiness,
// metrics and the OpenAPI document. It translates HTTP to calls of a
// leadscore.Service and leadscore errors back to HTTP; it keeps no data of
// its own beyond short-lived authentication results and rate-limit buckets.
package httpapi

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadscore/leadscore"
)

// Config is everything NewServer needs. Only Service is required.
type Config struct {
	Service leadscore.Service
	// Logger receives one line per request. Nil discards logs.
	Logger *slog.Logger
	// Registry receives the server's metrics and is what /metrics serves.
	// Nil gives the server a registry of its own.
	Registry *prometheus.Registry
	// Clock is the server's notion of now: Segment's receivedAt, as-of
	// defaults, rate limits and the authentication cache all read it.
	// Nil means time.Now.
	Clock  func() time.Time
	Limits Limits
	// Ready reports whether the service can take traffic (the store is
	// reachable, migrations have run). /readyz answers 503 while it
	// returns an error. Nil means always ready.
	Ready func() error
}

// Limits bound what one client can make the server do. Zero values take
// the defaults below.
type Limits struct {
	// MaxRequestBytes bounds a request body after decompression.
	// Default 4 MiB.
	MaxRequestBytes int64
	// MaxMessageBytes bounds one ingested message's raw JSON; a larger
	// message is rejected on its own. Default 32 KiB, as Segment.
	MaxMessageBytes int
	// RatePerSecond is each API key's sustained request rate, and
	// RateBurst how many requests it may make at once above that.
	// Defaults 100 and 200. A negative RatePerSecond turns rate limiting
	// off.
	RatePerSecond float64
	RateBurst     int
	// AuthCacheTTL is how long an authenticated key is trusted without
	// asking the service again. A key revoked through this server stops
	// working at once; one revoked elsewhere (another node, the CLI)
	// within this time. Default 5s; negative disables the cache.
	AuthCacheTTL time.Duration
}

// Defaults for Limits.
const (
	DefaultMaxRequestBytes = 4 << 20
	DefaultMaxMessageBytes = 32 << 10
	DefaultRatePerSecond   = 100
	DefaultRateBurst       = 200
	DefaultAuthCacheTTL    = 5 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxRequestBytes <= 0 {
		l.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if l.RatePerSecond == 0 {
		l.RatePerSecond = DefaultRatePerSecond
	}
	if l.RateBurst <= 0 {
		l.RateBurst = DefaultRateBurst
	}
	if l.AuthCacheTTL == 0 {
		l.AuthCacheTTL = DefaultAuthCacheTTL
	}
	return l
}
