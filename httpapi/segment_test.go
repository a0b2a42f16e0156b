package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/leadscore/leadscore"
)

type segResp struct {
	Success    bool `json:"success"`
	Accepted   int  `json:"accepted"`
	Duplicates int  `json:"duplicates"`
	Rejected   int  `json:"rejected"`
	Results    []struct {
		Index     int    `json:"index"`
		MessageID string `json:"messageId"`
		Status    string `json:"status"`
		LeadID    string `json:"leadId"`
		Error     string `json:"error"`
	} `json:"results"`
}

func TestSegmentPartialBatch(t *testing.T) {
	e := newEnv(t)
	body := `{"sentAt":"2026-09-01T11:59:00Z","batch":[
		{"type":"track","messageId":"m1","userId":"u1","event":"Demo Requested","originalTimestamp":"2026-09-01T11:58:00Z"},
		{"type":"track","messageId":"m2","userId":"u1"},
		{"type":"identify","messageId":"m3","userId":"u1","traits":{"email":"ada@acme.com"}}
	]}`
	w := e.do(req{method: "POST", path: "/v1/batch", body: body, basic: e.write})
	wantStatus(t, w, 200)
	r := decode[segResp](t, w)
	if !r.Success || r.Accepted != 2 || r.Rejected != 1 || len(r.Results) != 3 {
		t.Fatalf("response %+v", r)
	}
	bad := r.Results[1]
	if bad.Index != 1 || bad.MessageID != "m2" || bad.Status != "rejected" || !strings.Contains(bad.Error, "event") {
		t.Errorf("rejected result %+v", bad)
	}
	if r.Results[0].Status != "accepted" || r.Results[0].LeadID != "u1" || r.Results[2].MessageID != "m3" {
		t.Errorf("results %+v", r.Results)
	}
	calls := e.svc.CallsTo("Ingest")
	if len(calls) != 1 {
		t.Fatalf("%d Ingest calls", len(calls))
	}
	msgs := calls[0].Args[0].([]leadscore.Message)
	if len(msgs) != 2 || msgs[0].MessageID != "m1" || msgs[1].MessageID != "m3" {
		t.Fatalf("ingested %+v", msgs)
	}
	for _, m := range msgs {
		if m.Source != "website" || !m.ReceivedAt.Equal(t0) {
			t.Errorf("message %s: source %q receivedAt %v", m.MessageID, m.Source, m.ReceivedAt)
		}
	}
	// originalTimestamp 11:58 sent at 11:59 and received at 12:00 happened at 11:59.
	if want := t0.Add(-60e9); !msgs[0].Timestamp.Equal(want) {
		t.Errorf("timestamp %v, want %v", msgs[0].Timestamp, want)
	}
}

func TestSegmentAllGoodIsPlainSuccess(t *testing.T) {
	e := newEnv(t)
	body := `{"batch":[{"type":"track","messageId":"m1","userId":"u1","event":"e"}]}`
	w := e.do(req{method: "POST", path: "/v1/batch", body: body, basic: e.write})
	wantStatus(t, w, 200)
	if got := strings.TrimSpace(w.Body.String()); got != `{"success":true}` {
		t.Errorf("body %s", got)
	}
	// A retry is a duplicate, still a plain success.
	w = e.do(req{method: "POST", path: "/v1/batch", body: body, basic: e.write})
	if got := strings.TrimSpace(w.Body.String()); got != `{"success":true}` {
		t.Errorf("retry body %s", got)
	}
	if n := len(e.svc.Ingested()); n != 1 {
		t.Errorf("%d messages stored after a retry", n)
	}
}

func TestSegmentServiceRejection(t *testing.T) {
	e := newEnv(t)
	e.svc.SetReject(func(m leadscore.Message) string {
		if m.Event == "bot" {
			return "blocked"
		}
		return ""
	})
	body := `{"batch":[{"type":"track","messageId":"a","userId":"u","event":"bot"},{"type":"track","messageId":"b","userId":"u","event":"ok"}]}`
	r := decode[segResp](t, e.do(req{method: "POST", path: "/v1/batch", body: body, basic: e.write}))
	if r.Rejected != 1 || r.Results[0].Error != "blocked" || r.Results[1].Status != "accepted" {
		t.Errorf("response %+v", r)
	}
}

func TestSegmentSingleCalls(t *testing.T) {
	tests := []struct {
		path string
		body string
		kind leadscore.MessageKind
		test func(leadscore.Message) bool
	}{
		{"/v1/identify", `{"userId":"u1","traits":{"email":"ada@acme.com","firstName":"Ada"}}`, leadscore.MsgIdentify,
			func(m leadscore.Message) bool { return m.Traits["firstName"] == "Ada" }},
		{"/v1/track", `{"userId":"u1","event":"Webinar Attended","properties":{"topic":"scoring"}}`, leadscore.MsgTrack,
			func(m leadscore.Message) bool {
				return m.Event == "Webinar Attended" && m.Properties["topic"] == "scoring"
			}},
		{"/v1/page", `{"anonymousId":"a1","name":"Pricing","properties":{"path":"/pricing"}}`, leadscore.MsgPage,
			func(m leadscore.Message) bool { return m.Name == "Pricing" && m.Properties["path"] == "/pricing" }},
		{"/v1/screen", `{"userId":"u1","name":"Settings"}`, leadscore.MsgScreen,
			func(m leadscore.Message) bool { return m.Name == "Settings" }},
		{"/v1/group", `{"userId":"u1","groupId":"acme.com","traits":{"employees":500}}`, leadscore.MsgGroup,
			func(m leadscore.Message) bool { return m.GroupID == "acme.com" && m.Traits["employees"] == 500.0 }},
		{"/v1/alias", `{"previousId":"a1","userId":"u1"}`, leadscore.MsgAlias,
			func(m leadscore.Message) bool { return m.PreviousID == "a1" && m.UserID == "u1" }},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			e := newEnv(t)
			w := e.do(req{method: "POST", path: tc.path, body: tc.body, basic: e.write,
				header: map[string]string{"Content-Type": "text/plain"}})
			wantStatus(t, w, 200)
			got := e.svc.Ingested()
			if len(got) != 1 || got[0].Kind != tc.kind || !tc.test(got[0]) || got[0].MessageID == "" {
				t.Errorf("ingested %+v", got)
			}
		})
	}
}

func TestSegmentAuth(t *testing.T) {
	body := func(key string) string {
		if key == "" {
			return `{"batch":[{"type":"track","userId":"u","event":"e"}]}`
		}
		return `{"writeKey":"` + key + `","batch":[{"type":"track","userId":"u","event":"e"}]}`
	}
	e := newEnv(t)
	tests := []struct {
		name         string
		basic, inKey string
		status       int
	}{
		{"basic write key", e.write, "", 200},
		{"body write key", "", e.write, 200},
		{"admin key", e.admin, "", 200},
		{"basic wins over body", e.write, "ls_wrong", 200},
		{"no key", "", "", 401},
		{"unknown key", "ls_wrong", "", 401},
		{"unknown body key", "", "ls_wrong", 401},
		{"revoked key", e.revoked, "", 401},
		{"read key cannot ingest", e.read, "", 401},
		{"read key in the body", "", e.read, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(req{method: "POST", path: "/v1/batch", basic: tc.basic, body: body(tc.inKey)})
			if tc.status == 200 {
				wantStatus(t, w, 200)
				return
			}
			p := problemOf(t, w, tc.status)
			if p.Code != "unauthorized" || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic") {
				t.Errorf("problem %+v, WWW-Authenticate %q", p, w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// TestSegmentNeverBlamesTheClient checks that a failure on the server side
// is a 5xx whatever the service's error says, so SDKs retry instead of
// dropping the batch.
func TestSegmentNeverBlamesTheClient(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"internal", errors.New("disk full"), 500},
		{"coded internal", leadscore.Errorf(leadscore.CodeInternal, "tx failed"), 500},
		{"coded invalid", leadscore.Invalid("batch", "store said no"), 500},
		{"coded not found", leadscore.Errorf(leadscore.CodeNotFound, "workspace"), 500},
		{"deadline", context.DeadlineExceeded, 503},
	}
	for _, tc := range tests {
		for _, path := range []string{"/v1/batch", "/v1/track", "/api/v1/events"} {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				e := newEnv(t)
				e.svc.SetFail("Ingest", tc.err)
				r := req{method: "POST", path: path, basic: e.write}
				switch path {
				case "/v1/batch":
					r.body = `{"batch":[{"type":"track","userId":"u","event":"e"}]}`
				case "/v1/track":
					r.body = `{"userId":"u","event":"e"}`
				default:
					r.basic, r.bearer = "", e.write
					r.body = `{"user_id":"u","type":"e"}`
				}
				w := e.do(r)
				problemOf(t, w, tc.status)
				if w.Header().Get("Retry-After") == "" {
					t.Error("no Retry-After")
				}
			})
		}
	}
}

func TestSegmentMalformedBodies(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"not JSON", "/v1/batch", `batch=1`, 400},
		{"array", "/v1/batch", `[1,2]`, 400},
		{"batch not an array", "/v1/batch", `{"batch":{}}`, 400},
		{"single not JSON", "/v1/identify", `userId=u`, 400},
		{"empty batch is fine", "/v1/batch", `{"batch":[]}`, 200},
		{"all messages bad is still 200", "/v1/batch", `{"batch":[1,{"type":"nope"}]}`, 200},
		{"single bad message is 200 with the error", "/v1/alias", `{"userId":"u"}`, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(req{method: "POST", path: tc.path, body: tc.body, basic: e.write})
			if tc.status != 200 {
				problemOf(t, w, tc.status)
				return
			}
			wantStatus(t, w, 200)
		})
	}
	r := decode[segResp](t, e.do(req{method: "POST", path: "/v1/alias", body: `{"userId":"u"}`, basic: e.write}))
	if r.Rejected != 1 || !strings.Contains(r.Results[0].Error, "previousId") {
		t.Errorf("response %+v", r)
	}
}

func TestSegmentGzipAndLimits(t *testing.T) {
	e := newEnv(t)
	body := `{"batch":[{"type":"track","userId":"u","event":"e","messageId":"g1"}]}`
	wantStatus(t, e.do(req{method: "POST", path: "/v1/batch", body: body, basic: e.write, gzip: true}), 200)
	if got := e.svc.Ingested(); len(got) != 1 || got[0].MessageID != "g1" {
		t.Fatalf("ingested %+v", got)
	}
	// A message over 32 KiB is rejected alone.
	big := `{"type":"track","userId":"u","event":"e","properties":{"x":"` + strings.Repeat("x", 33<<10) + `"}}`
	r := decode[segResp](t, e.do(req{method: "POST", path: "/v1/batch", basic: e.write,
		body: `{"batch":[` + big + `,{"type":"track","userId":"u","event":"e","messageId":"g2"}]}`}))
	if r.Rejected != 1 || r.Accepted != 1 || !strings.Contains(r.Results[0].Error, "limit") {
		t.Errorf("response %+v", r)
	}
}

func TestSegmentBasicAuthRejectedBeforeReadingBody(t *testing.T) {
	e := newEnv(t)
	// The body is not JSON: a 401 rather than a 400 shows the key was
	// checked first.
	w := e.do(req{method: "POST", path: "/v1/batch", basic: "ls_wrong", body: `not json`})
	problemOf(t, w, http.StatusUnauthorized)
}
