package automation

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy is when failed deliveries are tried again: exponential
// backoff with full jitter (each wait is uniform between zero and
// Base·2^(attempt-1), capped at Max), which spreads the retries of many
// deliveries that failed together, until Window has passed since the first
// attempt. Then the delivery is failed.
type RetryPolicy struct {
	Base   time.Duration `json:"base"`
	Max    time.Duration `json:"max"`
	Window time.Duration `json:"window"`
	// MaxAttempts bounds the attempts whatever the jitter draws.
	MaxAttempts int `json:"max_attempts"`
}

// DefaultRetryPolicy retries for about a day: waits grow from up to 30s to
// up to 4h, some 20 attempts against a receiver that stays down.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Base: 30 * time.Second, Max: 4 * time.Hour, Window: 24 * time.Hour, MaxAttempts: 40}
}

// Attempts is what NextAttempt needs to know about the attempts so far.
type Attempts struct {
	// Number is how many attempts have been made (1 after the first).
	Number int
	// First is when the first attempt was made.
	First time.Time
}

// NextAttempt says when to try again after the attempt that returned last,
// or ok=false when there is nothing more to do: the delivery succeeded, the
// endpoint is gone, or the policy is exhausted (the delivery failed). rnd is
// the jitter source, so that schedules are reproducible in tests. A
// Retry-After later than the backoff is honoured, up to Max, so that a
// receiver cannot stall delivery beyond the policy.
func (p RetryPolicy) NextAttempt(a Attempts, last Result, now time.Time, rnd *rand.Rand) (time.Time, bool) {
	if last.Outcome != OutcomeRetry || a.Number >= p.MaxAttempts {
		return time.Time{}, false
	}
	ceiling := p.Max
	if shift := a.Number - 1; shift < 40 {
		ceiling = min(p.Max, p.Base<<max(shift, 0))
	}
	wait := time.Duration(0)
	if ceiling > 0 {
		wait = time.Duration(rnd.Int64N(int64(ceiling) + 1))
	}
	next := now.Add(wait)
	if ra := last.RetryAfter; ra.After(next) {
		next = minTime(ra, now.Add(p.Max))
	}
	if next.Sub(a.First) > p.Window {
		return time.Time{}, false
	}
	return next, true
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ParseRetryAfter reads a Retry-After header: a number of seconds or an
// HTTP date. It returns the instant to wait until, or zero when the value
// is missing or unreadable (which is then ignored, not an error: the
// backoff still applies).
func ParseRetryAfter(value string, now time.Time) time.Time {
	value = strings.TrimSpace(value)
	if value == "" {
		return time.Time{}
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}
		}
		// A year is far beyond any policy; capping keeps the arithmetic
		// from overflowing on absurd values.
		return now.Add(time.Duration(min(secs, 366*24*3600)) * time.Second)
	}
	if t, err := http.ParseTime(value); err == nil {
		return t
	}
	return time.Time{}
}
