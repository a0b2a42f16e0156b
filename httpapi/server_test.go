package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi"
)

// restRoutes is one request per REST route with the scope it needs.
var restRoutes = []struct {
	method, path, body string
	scope              leadscore.Scope
}{
	{"POST", "/api/v1/events", `{"user_id":"u1","type":"demo.requested"}`, leadscore.ScopeWrite},
	{"POST", "/api/v1/leads", `{"id":"u1","email":"a@acme.com"}`, leadscore.ScopeWrite},
	{"POST", "/api/v1/accounts", `{"id":"acme.com"}`, leadscore.ScopeWrite},
	{"GET", "/api/v1/leads", ``, leadscore.ScopeRead},
	{"GET", "/api/v1/leads/u1", ``, leadscore.ScopeRead},
	{"GET", "/api/v1/leads/u1/events", ``, leadscore.ScopeRead},
	{"GET", "/api/v1/leads/u1/history", ``, leadscore.ScopeRead},
	{"GET", "/api/v1/leads/u1/score", ``, leadscore.ScopeRead},
	{"GET", "/api/v1/accounts/acme.com", ``, leadscore.ScopeRead},
	{"GET", "/api/v1/account-lists", ``, leadscore.ScopeRead},
	{"GET", "/api/v1/account-lists/targets", ``, leadscore.ScopeRead},
	{"PUT", "/api/v1/account-lists/targets", `{"priority":true}`, leadscore.ScopeAdmin},
	{"DELETE", "/api/v1/account-lists/targets", ``, leadscore.ScopeAdmin},
	{"POST", "/api/v1/account-lists/targets/members", `{"domains":["acme.com"]}`, leadscore.ScopeAdmin},
	{"DELETE", "/api/v1/account-lists/targets/members", `{"domains":["acme.com"]}`, leadscore.ScopeAdmin},
	{"POST", "/api/v1/models", "name: m\n", leadscore.ScopeAdmin},
	{"GET", "/api/v1/models", ``, leadscore.ScopeRead},
	{"GET", "/api/v1/models/m/versions", ``, leadscore.ScopeRead},
	{"POST", "/api/v1/models/m/versions/v1/activate", ``, leadscore.ScopeAdmin},
	{"GET", "/api/v1/jobs/job1", ``, leadscore.ScopeRead},
	{"POST", "/api/v1/keys", `{"name":"k","scopes":["read"]}`, leadscore.ScopeAdmin},
	{"GET", "/api/v1/keys", ``, leadscore.ScopeAdmin},
	{"DELETE", "/api/v1/keys/key999", ``, leadscore.ScopeAdmin},
}

func TestRESTAuthAndScopes(t *testing.T) {
	for _, rt := range restRoutes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			e := newEnv(t)
			keys := []struct {
				name, secret string
				scopes       []leadscore.Scope
			}{
				{"none", "", nil},
				{"unknown", "ls_not_a_key", nil},
				{"revoked", e.revoked, nil},
				{"write", e.write, []leadscore.Scope{leadscore.ScopeWrite}},
				{"read", e.read, []leadscore.Scope{leadscore.ScopeRead}},
				{"admin", e.admin, []leadscore.Scope{leadscore.ScopeAdmin}},
			}
			for _, k := range keys {
				w := e.do(req{method: rt.method, path: rt.path, body: rt.body, bearer: k.secret})
				key := &leadscore.APIKey{Scopes: k.scopes}
				switch {
				case k.scopes == nil:
					p := problemOf(t, w, http.StatusUnauthorized)
					if p.Code != "unauthorized" || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("%s key: problem %+v, WWW-Authenticate %q", k.name, p, w.Header().Get("WWW-Authenticate"))
					}
				case !key.Allows(rt.scope):
					if p := problemOf(t, w, http.StatusForbidden); p.Code != "forbidden" || !strings.Contains(p.Detail, string(rt.scope)) {
						t.Errorf("%s key: problem %+v", k.name, p)
					}
				default:
					if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden || w.Code >= 500 {
						t.Errorf("%s key: status %d: %s", k.name, w.Code, w.Body)
					}
				}
			}
		})
	}
}

func TestBearerSchemeRequired(t *testing.T) {
	e := newEnv(t)
	w := e.do(req{method: "GET", path: "/api/v1/leads", basic: e.read})
	problemOf(t, w, http.StatusUnauthorized)
	w = e.do(req{method: "GET", path: "/api/v1/leads", header: map[string]string{"Authorization": "bearer " + e.read}})
	wantStatus(t, w, http.StatusOK)
}

func TestErrorCodeTable(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{leadscore.Invalid("email", "bad address"), 400, "invalid"},
		{leadscore.Errorf(leadscore.CodeNotFound, "no lead"), 404, "not_found"},
		{leadscore.Errorf(leadscore.CodeConflict, "exists"), 409, "conflict"},
		{leadscore.Errorf(leadscore.CodeUnauthorized, "nope"), 401, "unauthorized"},
		{leadscore.Errorf(leadscore.CodeForbidden, "nope"), 403, "forbidden"},
		{leadscore.Errorf(leadscore.CodeInternal, "disk on fire"), 500, "internal"},
		{fmt.Errorf("wrapped: %w", leadscore.Errorf(leadscore.CodeNotFound, "no lead")), 404, "not_found"},
		{errors.New("driver: connection refused"), 500, "internal"},
		{leadscore.Problems{leadscore.Invalid("a", "x"), leadscore.Invalid("b", "y")}, 400, "invalid"},
		{context.DeadlineExceeded, 503, "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			e := newEnv(t)
			e.svc.SetFail("GetLead", tc.err)
			w := e.do(req{method: "GET", path: "/api/v1/leads/u1", bearer: e.read})
			p := problemOf(t, w, tc.status)
			if p.Code != tc.code {
				t.Errorf("code %q, want %q", p.Code, tc.code)
			}
			if tc.status >= 500 {
				if strings.Contains(p.Detail, "fire") || strings.Contains(p.Detail, "driver") {
					t.Errorf("detail leaks the cause: %q", p.Detail)
				}
				if !strings.Contains(e.logs.String(), tc.err.Error()) {
					t.Errorf("cause not logged: %s", e.logs)
				}
			}
			if tc.status == 503 && w.Header().Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		})
	}
	// Field errors carry the field.
	e := newEnv(t)
	e.svc.SetFail("GetLead", leadscore.Problems{leadscore.Invalid("a", "x"), leadscore.Invalid("b", "y")})
	p := problemOf(t, e.do(req{method: "GET", path: "/api/v1/leads/u1", bearer: e.read}), 400)
	if len(p.Errors) != 2 || p.Errors[0].Field != "a" || p.Errors[1].Message != "y" {
		t.Errorf("errors %+v", p.Errors)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t)
	p := problemOf(t, e.do(req{method: "GET", path: "/api/v1/nothing", bearer: e.admin}), 404)
	if p.Code != "not_found" {
		t.Errorf("code %q", p.Code)
	}
	w := e.do(req{method: "PATCH", path: "/api/v1/keys", bearer: e.admin})
	problemOf(t, w, http.StatusMethodNotAllowed)
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow %q", allow)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	var ready error
	e := newEnv(t, func(c *httpapi.Config) { c.Ready = func() error { return ready } })
	wantStatus(t, e.do(req{method: "GET", path: "/healthz"}), 200)
	wantStatus(t, e.do(req{method: "GET", path: "/readyz"}), 200)
	ready = errors.New("database is migrating")
	problemOf(t, e.do(req{method: "GET", path: "/readyz"}), 503)
	wantStatus(t, e.do(req{method: "GET", path: "/healthz"}), 200)

	batch := `{"batch":[{"type":"track","userId":"u","event":"e","messageId":"1"},{"type":"track","event":"e"}]}`
	wantStatus(t, e.do(req{method: "POST", path: "/v1/batch", body: batch, basic: e.write}), 200)
	wantStatus(t, e.do(req{method: "POST", path: "/v1/batch", body: batch, basic: e.write}), 200)
	w := e.do(req{method: "GET", path: "/metrics"})
	wantStatus(t, w, 200)
	for _, want := range []string{
		`leadscore_ingest_messages_total{api="segment",status="accepted"} 1`,
		`leadscore_ingest_messages_total{api="segment",status="duplicate"} 1`,
		`leadscore_ingest_messages_total{api="segment",status="rejected"} 2`,
		`leadscore_http_request_duration_seconds_count{route="POST /v1/batch",status="200"} 2`,
		`leadscore_http_request_duration_seconds_count{route="GET /readyz",status="503"} 1`,
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestTwoServersShareARegistry(t *testing.T) {
	e := newEnv(t)
	second := httpapi.NewServer(httpapi.Config{Service: e.svc, Registry: e.reg})
	if second == nil {
		t.Fatal("no server")
	}
}

func TestRequestLog(t *testing.T) {
	e := newEnv(t)
	e.do(req{method: "POST", path: "/v1/batch", body: `{"writeKey":"` + e.write + `","batch":[]}`})
	e.do(req{method: "GET", path: "/api/v1/leads", bearer: e.read, header: map[string]string{"X-Request-Id": "abc-123"}})
	e.svc.SetFail("ListLeads", errors.New("store exploded"))
	e.do(req{method: "GET", path: "/api/v1/leads", bearer: e.read})
	lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines for 3 requests:\n%s", len(lines), e.logs)
	}
	for _, secret := range []string{e.write, e.read} {
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("a secret is in the log")
		}
	}
	for i, want := range []string{
		`"route":"POST /v1/batch"`,
		`"request_id":"abc-123"`,
		`"level":"ERROR"`,
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d lacks %s: %s", i, want, lines[i])
		}
	}
	if !strings.Contains(lines[1], `"key_id":"key2"`) || !strings.Contains(lines[2], "store exploded") {
		t.Errorf("lines lack the key id or the error:\n%s", e.logs)
	}
}

func TestAuthCache(t *testing.T) {
	e := newEnv(t)
	get := func() int { return e.do(req{method: "GET", path: "/api/v1/leads", bearer: e.read}).Code }
	if get() != 200 || get() != 200 {
		t.Fatal("read key refused")
	}
	if n := e.svc.AuthCalls(); n != 1 {
		t.Errorf("%d Authenticate calls for two requests within the TTL", n)
	}
	// Revoked behind the server's back: trusted until the TTL runs out.
	keys, _ := e.svc.APIKeys(t.Context())
	var readID string
	for _, k := range keys {
		if k.Name == "dashboard" {
			readID = k.ID
		}
	}
	if err := e.svc.RevokeAPIKey(t.Context(), readID); err != nil {
		t.Fatal(err)
	}
	if get() != 200 {
		t.Error("cached key refused before the TTL")
	}
	e.clock.Advance(httpapi.DefaultAuthCacheTTL)
	if code := get(); code != 401 {
		t.Errorf("revoked key after the TTL: %d", code)
	}

	// Revoked through the server: refused at once.
	secret, k := e.svc.AddKey("temp", leadscore.ScopeRead)
	if code := e.do(req{method: "GET", path: "/api/v1/leads", bearer: secret}).Code; code != 200 {
		t.Fatalf("new key: %d", code)
	}
	wantStatus(t, e.do(req{method: "DELETE", path: "/api/v1/keys/" + k.ID, bearer: e.admin}), 204)
	if code := e.do(req{method: "GET", path: "/api/v1/leads", bearer: secret}).Code; code != 401 {
		t.Errorf("key revoked through the server: %d", code)
	}

	// Without a cache every request asks the service.
	nc := newEnv(t, func(c *httpapi.Config) { c.Limits.AuthCacheTTL = -1 })
	for range 3 {
		nc.do(req{method: "GET", path: "/api/v1/leads", bearer: nc.read})
	}
	if n := nc.svc.AuthCalls(); n != 3 {
		t.Errorf("%d Authenticate calls without a cache", n)
	}
}

func TestAuthenticationOutage(t *testing.T) {
	e := newEnv(t)
	e.svc.SetFail("Authenticate", errors.New("db down"))
	for _, r := range []req{
		{method: "GET", path: "/api/v1/leads", bearer: e.read},
		{method: "POST", path: "/v1/batch", basic: e.write, body: `{"batch":[]}`},
	} {
		w := e.do(r)
		problemOf(t, w, http.StatusServiceUnavailable)
		if w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", r.path)
		}
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.Limits.RatePerSecond = 1; c.Limits.RateBurst = 2 })
	get := func(secret string) *http.Response {
		return e.do(req{method: "GET", path: "/api/v1/leads", bearer: secret}).Result()
	}
	for i := range 2 {
		if code := get(e.read).StatusCode; code != 200 {
			t.Fatalf("request %d within the burst: %d", i, code)
		}
	}
	r := get(e.read)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("over the limit: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if code := get(e.admin).StatusCode; code != 200 {
		t.Errorf("another key was limited too: %d", code)
	}
	e.clock.Advance(time.Second)
	if code := get(e.read).StatusCode; code != 200 {
		t.Errorf("after a second: %d", code)
	}
	// Segment routes are limited per write key as well, with a 429 that
	// SDKs retry.
	seg := func() int {
		return e.do(req{method: "POST", path: "/v1/batch", basic: e.write, body: `{"batch":[]}`}).Code
	}
	if seg() != 200 || seg() != 200 || seg() != 429 {
		t.Error("segment route not limited")
	}

	off := newEnv(t, func(c *httpapi.Config) { c.Limits.RatePerSecond = -1 })
	for i := range 300 {
		if code := off.do(req{method: "GET", path: "/api/v1/leads", bearer: off.read}).Code; code != 200 {
			t.Fatalf("request %d with limits off: %d", i, code)
		}
	}
}

func TestBodyLimits(t *testing.T) {
	e := newEnv(t, func(c *httpapi.Config) { c.Limits.MaxRequestBytes = 1024 })
	big := `{"events":[` + strings.Repeat(`{"user_id":"u","type":"t"},`, 100) + `{"user_id":"u","type":"t"}]}`
	tests := []struct {
		name   string
		r      req
		status int
	}{
		{"plain over the limit", req{method: "POST", path: "/api/v1/events", body: big, bearer: e.write}, 413},
		{"gzip expanding over the limit", req{method: "POST", path: "/api/v1/events", body: big, bearer: e.write, gzip: true}, 413},
		{"segment over the limit", req{method: "POST", path: "/v1/batch", body: `{"batch":[],"x":"` + strings.Repeat("x", 2000) + `"}`, basic: e.write}, 413},
		{"segment gzip bomb", req{method: "POST", path: "/v1/batch", body: `{"batch":[],"x":"` + strings.Repeat("x", 1<<20) + `"}`, basic: e.write, gzip: true}, 413},
		{"bad gzip", req{method: "POST", path: "/api/v1/events", body: `{}`, bearer: e.write, header: map[string]string{"Content-Encoding": "gzip"}}, 400},
		{"unknown encoding", req{method: "POST", path: "/api/v1/events", body: `{}`, bearer: e.write, header: map[string]string{"Content-Encoding": "br"}}, 415},
		{"leads over the limit", req{method: "POST", path: "/api/v1/leads", body: strings.Repeat(" ", 2000) + `{"id":"x"}`, bearer: e.write}, 413},
		{"model over the limit", req{method: "POST", path: "/api/v1/models", body: "name: m\n" + strings.Repeat("#\n", 1000), bearer: e.admin}, 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problemOf(t, e.do(tc.r), tc.status)
		})
	}
	if n := len(e.svc.CallsTo("Ingest")); n != 0 {
		t.Errorf("%d Ingest calls for rejected bodies", n)
	}
	// Just under the limit, compressed or not, is fine.
	small := `{"user_id":"u","type":"t"}`
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/events", body: small, bearer: e.write, gzip: true}), 200)
}

func TestCORSPreflight(t *testing.T) {
	e := newEnv(t)
	w := e.do(req{method: "OPTIONS", path: "/v1/batch", header: map[string]string{"Origin": "https://acme.com"}})
	wantStatus(t, w, http.StatusNoContent)
	if w.Header().Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("headers %v", w.Header())
	}
	w = e.do(req{method: "POST", path: "/v1/track", basic: e.write, body: `{"userId":"u","event":"e"}`})
	if w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Error("no CORS header on a Segment response")
	}
}

func TestNewServerNeedsService(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic without a service")
		}
	}()
	httpapi.NewServer(httpapi.Config{})
}
