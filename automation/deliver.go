package automation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Outcome classifies one delivery attempt.
type Outcome string

const (
	// OutcomeDelivered: the receiver answered 2xx.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeRetry: any other answer, a network error or a timeout; try
	// again per the retry policy.
	OutcomeRetry Outcome = "retry"
	// OutcomeGone: the receiver answered 410 Gone, the Standard Webhooks
	// way of saying "stop": disable the endpoint.
	OutcomeGone Outcome = "gone"
)

// Endpoint is where and how to deliver.
type Endpoint struct {
	URL string
	// Secrets sign each request; several during a rotation.
	Secrets []Secret
	// Timeout bounds one attempt; zero means DefaultDeliveryTimeout.
	Timeout time.Duration
}

// DefaultDeliveryTimeout bounds one attempt, so that a slow receiver holds
// a delivery worker for seconds, not minutes.
const DefaultDeliveryTimeout = 10 * time.Second

// Message is one event to deliver: its id (the webhook-id, equal to the
// CloudEvent id so receivers dedup on either) and the body to sign.
type Message struct {
	ID   string
	Body []byte
}

// Result is the record of one attempt, as the deliveries API lists it.
type Result struct {
	Outcome Outcome   `json:"outcome"`
	At      time.Time `json:"at"`
	Status  int       `json:"status,omitempty"`
	// Error says what went wrong, in words, when the outcome is not
	// delivered.
	Error string `json:"error,omitempty"`
	// Response is the start of the receiver's answer, for debugging.
	Response string        `json:"response,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// RetryAfter is when the receiver asked to be tried again (429 and
	// 503 answers mostly); zero when it did not say.
	RetryAfter time.Time `json:"retry_after,omitzero"`
	// Aborted means the caller's context ended (a shutdown): the attempt
	// says nothing about the receiver and should not count.
	Aborted bool `json:"aborted,omitempty"`
}

// responseLimit is how much of a receiver's answer is kept.
const responseLimit = 1024

// userAgent identifies deliveries in receivers' logs.
const userAgent = "leadscore-webhooks/1"

// Deliver makes one signed POST of msg to ep, timestamped now, and
// classifies the answer. Redirects are not followed: a signed request must
// reach the URL the user registered, and a redirect usually means the URL
// is out of date. Deliver never returns an error; every failure is a
// Result.
func Deliver(ctx context.Context, client *http.Client, ep Endpoint, msg Message, now time.Time) Result {
	res := Result{At: now}
	timeout := ep.Timeout
	if timeout <= 0 {
		timeout = DefaultDeliveryTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(msg.Body))
	if err != nil {
		res.Outcome, res.Error = OutcomeRetry, "bad request: "+err.Error()
		return res
	}
	req.Header.Set("Content-Type", "application/cloudevents+json; charset=utf-8")
	req.Header.Set("User-Agent", userAgent)
	SignHeaders(req.Header, ep.Secrets, msg.ID, now, msg.Body)

	c := http.Client{Timeout: timeout}
	if client != nil {
		c = *client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	start := time.Now()
	resp, err := c.Do(req)
	res.Duration = time.Since(start)
	if err != nil {
		res.Outcome = OutcomeRetry
		var ne net.Error
		switch {
		case errors.Is(err, context.Canceled):
			// The caller gave up (a shutdown): not the receiver's fault.
			res.Error, res.Aborted = "cancelled before the receiver answered", true
		case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
			res.Error = fmt.Sprintf("no answer within %s", timeout)
		default:
			res.Error = err.Error()
		}
		return res
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, responseLimit))
	// Reading a little more lets the connection be reused without letting
	// a receiver make us read an endless body.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	res.Status = resp.StatusCode
	res.Response = printable(head)
	res.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		res.Outcome = OutcomeDelivered
	case resp.StatusCode == http.StatusGone:
		res.Outcome, res.Error = OutcomeGone, "the receiver answered 410 Gone: the endpoint should be disabled"
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Outcome = OutcomeRetry
		res.Error = fmt.Sprintf("the receiver answered %d, a redirect (to %q); redirects are not followed, update the URL", resp.StatusCode, resp.Header.Get("Location"))
	default:
		res.Outcome, res.Error = OutcomeRetry, fmt.Sprintf("the receiver answered %s", resp.Status)
	}
	return res
}

// printable keeps a receiver's answer safe to store and show: invalid
// UTF-8 (a binary body, or a rune cut by the limit) becomes U+FFFD.
func printable(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }
