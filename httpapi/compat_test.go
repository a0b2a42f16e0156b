package httpapi_test

import (
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	analytics "github.com/segmentio/analytics-go/v3"

	"github.com/leadscore/leadscore"
)

// quietLogger keeps the SDK's own logging out of the test output but
// remembers errors, which mean a batch was refused.
type quietLogger struct {
	mu     sync.Mutex
	errors []string
}

func (l *quietLogger) Logf(string, ...any) {}
func (l *quietLogger) Errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors = append(l.errors, format)
}

type callbacks struct {
	mu        sync.Mutex
	succeeded int
	failed    []error
}

func (c *callbacks) Success(analytics.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.succeeded++
}

func (c *callbacks) Failure(_ analytics.Message, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failed = append(c.failed, err)
}

// TestSegmentGoSDK drives the real Segment Go SDK against the server and
// checks that what arrives at the service is what the SDK was given.
func TestSegmentGoSDK(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.h)
	defer srv.Close()

	logger, cb := &quietLogger{}, &callbacks{}
	client, err := analytics.NewWithConfig(e.write, analytics.Config{
		Endpoint:  srv.URL,
		BatchSize: 2,
		// A long interval leaves flushing to the batch size and Close, so
		// nothing depends on timing.
		Interval: time.Hour,
		Logger:   logger,
		Callback: cb,
		DefaultContext: &analytics.Context{
			UserAgent: "Mozilla/5.0 (Macintosh) Safari/605.1.15",
			IP:        net.ParseIP("203.0.113.9"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	at := func(min int) time.Time { return time.Date(2026, 8, 30, 10, min, 0, 0, time.UTC) }
	sent := []analytics.Message{
		analytics.Identify{MessageId: "msg-identify", UserId: "u-42", Timestamp: at(0),
			Traits: analytics.NewTraits().SetEmail("ada@acme.com").SetFirstName("Ada").SetLastName("Lovelace").SetTitle("VP Engineering")},
		analytics.Track{MessageId: "msg-track", AnonymousId: "anon-7", Event: "Demo Requested", Timestamp: at(1),
			Properties: analytics.NewProperties().Set("plan", "enterprise").Set("seats", 25)},
		analytics.Page{MessageId: "msg-page", UserId: "u-42", Name: "Pricing", Timestamp: at(2),
			Properties: analytics.NewProperties().SetPath("/pricing").SetURL("https://acme.com/pricing").SetTitle("Pricing").SetReferrer("https://news.example")},
		analytics.Group{MessageId: "msg-group", UserId: "u-42", GroupId: "acme.com", Timestamp: at(3),
			Traits: analytics.NewTraits().SetName("Acme").Set("employees", 1200)},
		analytics.Alias{MessageId: "msg-alias", PreviousId: "anon-7", UserId: "u-42", Timestamp: at(4)},
		// No messageId and no timestamp: the SDK fills both.
		analytics.Screen{UserId: "u-42", Name: "Settings"},
	}
	for _, m := range sent {
		if err := client.Enqueue(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if cb.succeeded != len(sent) || len(cb.failed) != 0 || len(logger.errors) != 0 {
		t.Fatalf("SDK: %d succeeded, failures %v, errors %v", cb.succeeded, cb.failed, logger.errors)
	}

	got := map[string]leadscore.Message{}
	var screen *leadscore.Message
	for _, m := range e.svc.Ingested() {
		if m.Source != "website" || !m.ReceivedAt.Equal(t0) {
			t.Errorf("%s: source %q, receivedAt %v", m.MessageID, m.Source, m.ReceivedAt)
		}
		if m.UserAgent != "Mozilla/5.0 (Macintosh) Safari/605.1.15" || m.IP != "203.0.113.9" {
			t.Errorf("%s: context not copied: ua %q ip %q", m.MessageID, m.UserAgent, m.IP)
		}
		if m.Kind == leadscore.MsgScreen {
			screen = &m
			continue
		}
		got[m.MessageID] = m
	}
	if len(got) != 5 || screen == nil {
		t.Fatalf("service got %d messages with ids and screen %v: %+v", len(got), screen != nil, e.svc.Ingested())
	}
	checks := []struct {
		id   string
		kind leadscore.MessageKind
		at   time.Time
		ok   func(leadscore.Message) bool
	}{
		{"msg-identify", leadscore.MsgIdentify, at(0), func(m leadscore.Message) bool {
			return m.UserID == "u-42" && m.Traits["email"] == "ada@acme.com" && m.Traits["firstName"] == "Ada" &&
				m.Traits["lastName"] == "Lovelace" && m.Traits["title"] == "VP Engineering"
		}},
		{"msg-track", leadscore.MsgTrack, at(1), func(m leadscore.Message) bool {
			return m.AnonymousID == "anon-7" && m.Event == "Demo Requested" && m.Properties["plan"] == "enterprise" && m.Properties["seats"] == 25.0
		}},
		{"msg-page", leadscore.MsgPage, at(2), func(m leadscore.Message) bool {
			return m.Name == "Pricing" && m.Properties["path"] == "/pricing" && m.Properties["url"] == "https://acme.com/pricing" &&
				m.Properties["title"] == "Pricing" && m.Properties["referrer"] == "https://news.example" && m.Properties["name"] == "Pricing"
		}},
		{"msg-group", leadscore.MsgGroup, at(3), func(m leadscore.Message) bool {
			return m.GroupID == "acme.com" && m.UserID == "u-42" && m.Traits["name"] == "Acme" && m.Traits["employees"] == 1200.0
		}},
		{"msg-alias", leadscore.MsgAlias, at(4), func(m leadscore.Message) bool {
			return m.PreviousID == "anon-7" && m.UserID == "u-42"
		}},
	}
	for _, c := range checks {
		m := got[c.id]
		if m.Kind != c.kind || !m.Timestamp.Equal(c.at) || !c.ok(m) {
			t.Errorf("%s arrived as %+v", c.id, m)
		}
	}
	if screen.MessageID == "" || screen.Name != "Settings" || screen.Timestamp.IsZero() {
		t.Errorf("screen arrived as %+v", screen)
	}
	// Three batches of two: the SDK's batching was exercised.
	if n := len(e.svc.CallsTo("Ingest")); n != 3 {
		t.Errorf("%d Ingest calls for 6 messages in batches of 2", n)
	}
}
