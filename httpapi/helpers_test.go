package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi"
	"github.com/leadscore/leadscore/httpapi/internal/fakesvc"
)

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock, so that no test depends on real time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logBuf is a concurrency-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	t       *testing.T
	svc     *fakesvc.Service
	h       http.Handler
	clock   *clock
	reg     *prometheus.Registry
	logs    *logBuf
	write   string // secrets
	read    string
	admin   string
	revoked string
	writeID string
}

type option func(*httpapi.Config)

func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	e := &env{t: t, svc: fakesvc.New(t0), clock: &clock{now: t0}, reg: prometheus.NewRegistry(), logs: &logBuf{}}
	var wk *leadscore.APIKey
	e.write, wk = e.svc.AddKey("website", leadscore.ScopeWrite)
	e.writeID = wk.ID
	e.read, _ = e.svc.AddKey("dashboard", leadscore.ScopeRead)
	e.admin, _ = e.svc.AddKey("ops", leadscore.ScopeAdmin)
	var rk *leadscore.APIKey
	e.revoked, rk = e.svc.AddKey("old", leadscore.ScopeAdmin, leadscore.ScopeWrite)
	if err := e.svc.RevokeAPIKey(t.Context(), rk.ID); err != nil {
		t.Fatal(err)
	}
	cfg := httpapi.Config{
		Service:  e.svc,
		Logger:   slog.New(slog.NewJSONHandler(e.logs, nil)),
		Registry: e.reg,
		Clock:    e.clock.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.h = httpapi.NewServer(cfg)
	return e
}

// req is one request to send.
type req struct {
	method, path string
	body         string
	bearer       string
	basic        string
	header       map[string]string
	gzip         bool
}

func (e *env) do(r req) *httptest.ResponseRecorder {
	e.t.Helper()
	var body io.Reader = strings.NewReader(r.body)
	if r.gzip {
		body = bytes.NewReader(gz(e.t, []byte(r.body)))
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.basic != "" {
		hr.SetBasicAuth(r.basic, "")
	}
	if r.gzip {
		hr.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	return w
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// problemBody is the problem+json shape the API promises.
type problemBody struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Code      string `json:"code"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Index    *int   `json:"index"`
		Field    string `json:"field"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// problemOf checks that w is a well-formed problem with the status and
// returns it.
func problemOf(t *testing.T, w *httptest.ResponseRecorder, status int) problemBody {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	var p problemBody
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem does not decode: %v: %s", err, w.Body)
	}
	if p.Type == "" || p.Title != http.StatusText(status) || p.Status != status || p.RequestID == "" {
		t.Fatalf("malformed problem: %+v", p)
	}
	if p.RequestID != w.Header().Get("X-Request-Id") {
		t.Fatalf("problem request id %q, header %q", p.RequestID, w.Header().Get("X-Request-Id"))
	}
	return p
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("response does not decode: %v: %s", err, w.Body)
	}
	return v
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
}
