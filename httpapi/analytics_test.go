package httpapi_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
	"github.com/leadscore/leadscore/httpapi"
	"github.com/leadscore/leadscore/httpapi/internal/fakesvc"
)

// TestAnalyticsRoutes: parameters, statuses and encodings of the reports
// and the impact preview.
func TestAnalyticsRoutes(t *testing.T) {
	svc, do := modelRoutes(t, 2)
	read, _ := svc.AddKey("reader", leadscore.ScopeRead)
	write, _ := svc.AddKey("site", leadscore.ScopeWrite)
	tests := []struct {
		name, key, method, path string
		status                  int
		contains                string
	}{
		{"a write key cannot read reports", write, "GET", "/api/v1/reports/calibration?model=m", 403, ""},
		{"no model", read, "GET", "/api/v1/reports/calibration", 400, "model"},
		{"unknown model", read, "GET", "/api/v1/reports/calibration?model=x", 404, ""},
		{"bad horizon", read, "GET", "/api/v1/reports/calibration?model=m&horizon=soon", 400, "horizon"},
		{"bad limit", read, "GET", "/api/v1/reports/calibration?model=m&max_leads=0", 400, "max_leads"},
		{"bad format", read, "GET", "/api/v1/reports/calibration?model=m&format=pdf", 400, "format"},
		{"calibration", read, "GET", "/api/v1/reports/calibration?model=m&lost_after=90d&max_leads=10", 200, `"lost_after":"2160h0m0s"`},
		{"calibration as HTML", read, "GET", "/api/v1/reports/calibration?model=m&format=html", 200, "<title>Calibration report: m</title>"},
		{"no target", read, "GET", "/api/v1/reports/threshold?model=m", 400, "exactly one target"},
		{"two targets", read, "GET", "/api/v1/reports/threshold?model=m&capacity=10&best_f1", 400, "exactly one target"},
		{"rate above 1", read, "GET", "/api/v1/reports/threshold?model=m&min_rate=20", 400, "min_rate"},
		{"capacity not a number", read, "GET", "/api/v1/reports/threshold?model=m&capacity=NaN", 400, "positive number of MQLs"},
		{"capacity", read, "GET", "/api/v1/reports/threshold?model=m&capacity=25", 200, `"capacity_per_week":25`},
		{"best F1", read, "GET", "/api/v1/reports/threshold?model=m&best_f1", 200, `"best_f1":true`},
		{"lift", read, "GET", "/api/v1/reports/lift?model=m", 200, `"rules":[]`},
		{"preview", read, "POST", "/api/v1/models/m/versions/v2/preview?as_of=2026-10-01", 200, `"active_version":"v1"`},
		{"preview of an unknown version", read, "POST", "/api/v1/models/m/versions/v9/preview", 404, ""},
	}
	for _, tc := range tests {
		w := do(tc.key, tc.method, tc.path)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("%s: %s %s: %d %s; want %d with %q", tc.name, tc.method, tc.path, w.Code, w.Body, tc.status, tc.contains)
		}
	}
	// The calls: unknown model, calibration, calibration as HTML.
	calls := svc.CallsTo("CalibrationReport")
	if len(calls) != 3 {
		t.Fatalf("%d calibration calls, want 3", len(calls))
	}
	if q := calls[1].Args[0].(analytics.Query); q.LostAfter != 90*24*time.Hour || q.MaxLeads != 10 || q.Model != "m" {
		t.Errorf("query passed on: %+v", q)
	}
	prev := svc.CallsTo("PreviewVersion")
	if q := prev[0].Args[0].(analytics.Query); !q.AsOf.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) || q.Version != "v2" {
		t.Errorf("preview query: %+v", q)
	}
}

// FuzzReportQueries checks that no query string sent to the reports makes
// the server fail: every answer is a success or a 4xx problem document.
func FuzzReportQueries(f *testing.F) {
	for _, s := range []string{
		"model=m", "model=m&lost_after=90d&max_leads=10", "model=m&horizon=-3d", "model=m&capacity=NaN",
		"model=m&min_rate=1e400", "model=m&best_f1=maybe", "model=m&as_of=2026-13-01", "format=html&model=m", "%zz",
	} {
		f.Add(s)
	}
	svc := fakesvc.New(t0)
	if _, err := svc.UploadModel(f.Context(), "m.yaml", []byte("name: m\n"), "test"); err != nil {
		f.Fatal(err)
	}
	secret, _ := svc.AddKey("fuzz", leadscore.ScopeRead)
	h := httpapi.NewServer(httpapi.Config{Service: svc, Clock: func() time.Time { return t0 },
		Limits: httpapi.Limits{RatePerSecond: -1}})
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/api/v1/reports/calibration", "/api/v1/reports/threshold", "/api/v1/reports/lift"} {
			req := httptest.NewRequest("GET", "/", nil)
			req.URL.Path = path
			req.URL.RawQuery = query
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("GET %s?%s: %d %s", path, query, w.Code, w.Body)
			}
		}
	})
}

// modelRoutes is a fake service holding versions v1..vN of a model m, v1
// active, behind the API, with a way to call it with a key.
func modelRoutes(t *testing.T, versions int) (*fakesvc.Service, func(key, method, path string) *httptest.ResponseRecorder) {
	t.Helper()
	svc := fakesvc.New(t0)
	ctx := t.Context()
	for range versions {
		if _, err := svc.UploadModel(ctx, "m.yaml", []byte("name: m\n"), "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.ActivateModel(ctx, "m", "v1"); err != nil {
		t.Fatal(err)
	}
	h := httpapi.NewServer(httpapi.Config{Service: svc, Clock: func() time.Time { return t0 }})
	return svc, func(key, method, path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
}
