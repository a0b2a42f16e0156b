package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi"
	"github.com/leadscore/leadscore/httpapi/internal/fakesvc"
)

// FuzzAutomationBodies checks that no body sent to the automation routes
// that read JSON makes the server fail: every answer is a success or a 4xx
// problem document.
func FuzzAutomationBodies(f *testing.F) {
	for _, s := range []string{
		`{"action":"assign","owner":"ben"}`,
		`{"action":"set_stage","stage":"sql","reason":"call"}`,
		`{"action":""}`,
		`{"result":"won","value":12000,"at":"2026-11-20"}`,
		`{"result":"lost","at":"yesterday"}`,
		`{"url":"https://example.com/h","types":["lead.*"],"min_score_delta":-1}`,
		`{"url":7}`,
		`[]`,
		``,
	} {
		f.Add(s)
	}
	svc := fakesvc.New(t0)
	if err := svc.UpsertLeads(f.Context(), []leadscore.Lead{{ID: "u1"}}); err != nil {
		f.Fatal(err)
	}
	secret, _ := svc.AddKey("fuzz", leadscore.ScopeAdmin)
	h := httpapi.NewServer(httpapi.Config{Service: svc, Clock: func() time.Time { return t0 },
		Limits: httpapi.Limits{RatePerSecond: -1}})
	f.Fuzz(func(t *testing.T, body string) {
		for _, rt := range []struct{ method, path string }{
			{"POST", "/api/v1/leads/u1/actions"}, {"PUT", "/api/v1/leads/u1/outcome"}, {"POST", "/api/v1/webhooks"},
		} {
			req := httptest.NewRequest(rt.method, rt.path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			switch {
			case w.Code >= 500:
				t.Fatalf("%s %s %q: %d %s", rt.method, rt.path, body, w.Code, w.Body)
			case w.Code >= 400:
				var p struct {
					Status int    `json:"status"`
					Detail string `json:"detail"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code || p.Detail == "" {
					t.Fatalf("%s %s %q: %d with no problem document: %s", rt.method, rt.path, body, w.Code, w.Body)
				}
			}
		}
	})
}

// TestAutomationRoutes: scopes, statuses and the routing upload's 422.
func TestAutomationRoutes(t *testing.T) {
	svc := fakesvc.New(t0)
	if err := svc.UpsertLeads(t.Context(), []leadscore.Lead{{ID: "u1"}}); err != nil {
		t.Fatal(err)
	}
	admin, _ := svc.AddKey("ops", leadscore.ScopeAdmin)
	read, _ := svc.AddKey("reader", leadscore.ScopeRead)
	h := httpapi.NewServer(httpapi.Config{Service: svc, Clock: func() time.Time { return t0 }})
	do := func(key, method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	tests := []struct {
		name, key, method, path, body string
		status                        int
		contains                      string
	}{
		{"a reader cannot act", read, "POST", "/api/v1/leads/u1/actions", `{"action":"accept"}`, 403, ""},
		{"a reader sees the automation", read, "GET", "/api/v1/leads/u1/automation", "", 200, `"stage":"lead"`},
		{"unknown lead", admin, "POST", "/api/v1/leads/nobody/actions", `{"action":"assign","owner":"ben"}`, 404, ""},
		{"missing action", admin, "POST", "/api/v1/leads/u1/actions", `{}`, 400, "action"},
		{"misspelt field", admin, "POST", "/api/v1/leads/u1/actions", `{"action":"assign","ownr":"ben"}`, 400, "ownr"},
		{"forbidden move", admin, "POST", "/api/v1/leads/u1/actions", `{"action":"accept"}`, 409, "only an MQL"},
		{"assign", admin, "POST", "/api/v1/leads/u1/actions", `{"action":"assign","owner":"ben"}`, 200, `"owner":"ben"`},
		{"outcome with a bad date", admin, "PUT", "/api/v1/leads/u1/outcome", `{"result":"won","at":"soon"}`, 400, "RFC 3339"},
		{"outcome", admin, "PUT", "/api/v1/leads/u1/outcome", `{"result":"won","value":5,"at":"2026-08-30"}`, 200, `"at":"2026-08-30T00:00:00Z"`},
		{"timeline", read, "GET", "/api/v1/leads/u1/timeline?cursor=x", "", 400, "cursor"},
		{"no routing yet", read, "GET", "/api/v1/routing", "", 404, ""},
		{"empty routing file", admin, "POST", "/api/v1/routing", "  ", 400, "empty"},
		{"invalid routing file", admin, "POST", "/api/v1/routing?filename=r.yaml", "name: x", 422, `"line":1`},
		{"routing file", admin, "POST", "/api/v1/routing", "owners: [a]", 201, `"active":true`},
		{"webhooks need admin", read, "GET", "/api/v1/webhooks", "", 403, ""},
		{"bad webhook URL", admin, "POST", "/api/v1/webhooks", `{"url":"ftp://x"}`, 400, "absolute"},
		{"webhook", admin, "POST", "/api/v1/webhooks", `{"url":"https://x.example/h"}`, 201, `"secret":"whsec_`},
		{"webhook list hides secrets", admin, "GET", "/api/v1/webhooks", "", 200, `"url":"https://x.example/h"`},
		{"unknown delivery", admin, "POST", "/api/v1/deliveries/nope/replay", "", 404, ""},
	}
	for _, tc := range tests {
		w := do(tc.key, tc.method, tc.path, tc.body)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("%s: %s %s: %d %s; want %d with %q", tc.name, tc.method, tc.path, w.Code, w.Body, tc.status, tc.contains)
		}
	}
	if w := do(admin, "GET", "/api/v1/webhooks", ""); strings.Contains(w.Body.String(), "whsec_") {
		t.Errorf("a listing shows a secret: %s", w.Body)
	}
	if w := do(admin, "POST", "/api/v1/webhooks", `{"url":"https://y.example/h"}`); w.Header().Get("Location") == "" || w.Code != http.StatusCreated {
		t.Errorf("create: %d, Location %q", w.Code, w.Header().Get("Location"))
	}
}
