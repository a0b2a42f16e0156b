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

func fuzzServer() (http.Handler, string) {
	svc := fakesvc.New(t0)
	secret, _ := svc.AddKey("fuzz", leadscore.ScopeWrite)
	h := httpapi.NewServer(httpapi.Config{Service: svc, Clock: func() time.Time { return t0 },
		Limits: httpapi.Limits{RatePerSecond: -1, MaxMessageBytes: 512}})
	return h, secret
}

// FuzzEventsBody checks that no body sent to POST /api/v1/events makes the
// server fail or answer with anything but a per-event report or a 400, and
// that a report accounts for every event once.
func FuzzEventsBody(f *testing.F) {
	for _, s := range []string{
		`{"user_id":"u","type":"t"}`,
		`{"events":[{"lead_id":"u","type":"t","timestamp":"2026-09-01"},{"email":"a@b.co","type":"x","properties":{"a":[1,{"b":null}]}}]}`,
		`{"events":[{"anonymous_id":"a","type":"t","timestamp":1788264000000},{"type":""},7,null]}`,
		`{"events":{}}`,
		`{"user_id":"u","type":"t","timestamp":"0000-01-01T00:00:00Z"}`,
		`[]`,
		``,
	} {
		f.Add(s)
	}
	h, secret := fuzzServer()
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/events", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK:
			var resp struct {
				Accepted, Duplicates, Rejected int
				Results                        []struct{ Index int }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
				t.Fatalf("200 with an unreadable body: %v", err)
			}
			if resp.Accepted+resp.Duplicates+resp.Rejected != len(resp.Results) {
				t.Fatalf("counts do not add up: %s", w.Body)
			}
			for i, res := range resp.Results {
				if res.Index != i {
					t.Fatalf("result %d has index %d", i, res.Index)
				}
			}
		case http.StatusBadRequest:
			if w.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("400 without a problem")
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

// FuzzSegmentEndpoint checks that a Segment route answers any body with a
// 200 or a 400: never a server error, never another client error that an
// SDK would treat as final.
func FuzzSegmentEndpoint(f *testing.F) {
	for _, s := range []string{
		`{"batch":[{"type":"track","userId":"u","event":"e"}]}`,
		`{"batch":[{"type":"page","anonymousId":"a","context":{"page":{"path":"/"}},"originalTimestamp":"2026-09-01T00:00:00Z"}],"sentAt":"2026-09-01T00:00:01Z"}`,
		`{"batch":[1,"x",null,{"type":"alias"}]}`,
		`{"batch":{}}`,
		`nope`,
	} {
		f.Add(s)
	}
	h, secret := fuzzServer()
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/v1/batch", strings.NewReader(body))
		r.SetBasicAuth(secret, "")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
