package automation

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDeliver(t *testing.T) {
	sec := mustSecret(t, vectorSecret)
	msg := Message{ID: "evt_1", Body: []byte(`{"specversion":"1.0","id":"evt_1"}`)}
	now := time.Now().Truncate(time.Second)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		outcome Outcome
		status  int
		errText string
		retry   time.Time
	}{
		{"2xx is delivered", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }, OutcomeDelivered, 202, "", time.Time{}},
		{"410 disables", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }, OutcomeGone, 410, "410 Gone", time.Time{}},
		{"5xx retries", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, OutcomeRetry, 500, "500 Internal Server Error", time.Time{}},
		{"4xx retries", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", 400) }, OutcomeRetry, 400, "400 Bad Request", time.Time{}},
		{"429 with Retry-After seconds", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "90")
			w.WriteHeader(http.StatusTooManyRequests)
		}, OutcomeRetry, 429, "429", now.Add(90 * time.Second)},
		{"503 with Retry-After date", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", now.Add(time.Hour).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		}, OutcomeRetry, 503, "503", now.Add(time.Hour)},
		{"redirects are not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
		}, OutcomeRetry, 301, "redirects are not followed", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			var gotBody []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					t.Error("the redirect was followed")
				}
				got = r
				gotBody, _ = io.ReadAll(r.Body)
				tt.handler(w, r)
			}))
			defer srv.Close()
			res := Deliver(context.Background(), srv.Client(), Endpoint{URL: srv.URL + "/hooks", Secrets: []Secret{sec}}, msg, now)
			if res.Outcome != tt.outcome || res.Status != tt.status || !strings.Contains(res.Error, tt.errText) || !res.RetryAfter.Equal(tt.retry) {
				t.Fatalf("result %+v", res)
			}
			if !res.At.Equal(now) || res.Aborted {
				t.Errorf("at %s, aborted %t", res.At, res.Aborted)
			}
			// What arrived is what a receiver can verify.
			if got.Method != http.MethodPost || string(gotBody) != string(msg.Body) {
				t.Errorf("%s with body %q", got.Method, gotBody)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/cloudevents+json; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			if err := Verify(sec, got.Header, gotBody, now); err != nil {
				t.Errorf("the receiver cannot verify the request: %v", err)
			}
		})
	}
}

func TestDeliverFailures(t *testing.T) {
	msg := Message{ID: "evt_1", Body: []byte("{}")}
	now := time.Now()

	// hang holds a request until the client goes away (which the server
	// only notices once the body is read) or the test ends.
	hang := func(release chan struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	}

	t.Run("a receiver that never answers times out", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(hang(release))
		defer srv.Close()
		defer close(release)
		res := Deliver(context.Background(), srv.Client(), Endpoint{URL: srv.URL, Timeout: 50 * time.Millisecond}, msg, now)
		if res.Outcome != OutcomeRetry || res.Aborted || !strings.Contains(res.Error, "no answer within 50ms") {
			t.Fatalf("result %+v", res)
		}
	})

	t.Run("a shutdown aborts without blaming the receiver", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(hang(release))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res := Deliver(ctx, srv.Client(), Endpoint{URL: srv.URL}, msg, now)
		if res.Outcome != OutcomeRetry || !res.Aborted {
			t.Fatalf("result %+v", res)
		}
	})

	t.Run("a receiver that is down", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		res := Deliver(context.Background(), nil, Endpoint{URL: url}, msg, now)
		if res.Outcome != OutcomeRetry || res.Error == "" || res.Status != 0 {
			t.Fatalf("result %+v", res)
		}
	})

	t.Run("a long answer is cut and kept printable", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			// An odd start makes the limit cut a two-byte rune in half.
			io.WriteString(w, "x"+strings.Repeat("é", 4000))
		}))
		defer srv.Close()
		res := Deliver(context.Background(), srv.Client(), Endpoint{URL: srv.URL}, msg, now)
		if len(res.Response) > responseLimit+2 || !strings.HasPrefix(res.Response, "xééé") || !utf8.ValidString(res.Response) {
			t.Fatalf("response of %d bytes: %q...", len(res.Response), res.Response[:20])
		}
	})

	t.Run("a malformed URL", func(t *testing.T) {
		res := Deliver(context.Background(), nil, Endpoint{URL: "http://[::1"}, msg, now)
		if res.Outcome != OutcomeRetry || !strings.Contains(res.Error, "bad request") {
			t.Fatalf("result %+v", res)
		}
	})
}
