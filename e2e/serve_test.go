package e2e

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	analytics "github.com/segmentio/analytics-go/v3"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi/client"
)

// acks records what the Segment SDK reported for each message.
type acks struct {
	mu      sync.Mutex
	ok      map[string]analytics.Message // by messageId
	failed  int
	okCount int
	// errs keeps a few failure reasons for the log.
	errs []string
}

func newAcks() *acks { return &acks{ok: map[string]analytics.Message{}} }

func (a *acks) Success(m analytics.Message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ok[messageID(m)] = m
	a.okCount++
}

func (a *acks) Failure(_ analytics.Message, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failed++
	if len(a.errs) < 3 {
		a.errs = append(a.errs, err.Error())
	}
}

func (a *acks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.okCount
}

func (a *acks) resolved() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.okCount + a.failed
}

func messageID(m analytics.Message) string {
	switch m := m.(type) {
	case analytics.Track:
		return m.MessageId
	case analytics.Page:
		return m.MessageId
	case analytics.Identify:
		return m.MessageId
	case analytics.Group:
		return m.MessageId
	}
	return ""
}

// quietLogger keeps the SDK's expected complaints (connection refused
// while the server is down) out of the test output.
type quietLogger struct{}

func (l quietLogger) Logf(string, ...any)   {}
func (l quietLogger) Errorf(string, ...any) {}

// sdkClient is the real analytics-go client pointed at a leadscore server,
// sending small batches often so that a kill lands mid-stream, and
// retrying for long enough to outlast a restart.
func sdkClient(t *testing.T, endpoint, writeKey string, cb analytics.Callback) analytics.Client {
	t.Helper()
	c, err := analytics.NewWithConfig(writeKey, analytics.Config{
		Endpoint:   endpoint,
		Interval:   20 * time.Millisecond,
		BatchSize:  8,
		Callback:   cb,
		Logger:     quietLogger{},
		RetryAfter: func(int) time.Duration { return time.Second },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// traffic enqueues messages for a fixed set of people: each is identified
// once, then tracks and pages. It is deterministic in content; only the
// message ids are random (the SDK's).
type traffic struct {
	prefix string
	leads  []string
	n      int
}

func newTraffic(prefix string, people int) *traffic {
	tr := &traffic{prefix: prefix}
	for i := range people {
		tr.leads = append(tr.leads, fmt.Sprintf("%s-%02d", prefix, i))
	}
	return tr
}

func (tr *traffic) identifyAll(t *testing.T, c analytics.Client) {
	for i, id := range tr.leads {
		// Four people per company, so that account signals (active
		// colleagues) take part in the scores.
		co := fmt.Sprintf("%s-co%d", tr.prefix, i/4)
		traits := analytics.NewTraits().SetEmail(fmt.Sprintf("%s@%s.com", id, co)).SetTitle([]string{"VP Marketing", "Marketing Manager", "Engineer"}[i%3]).
			Set("company", map[string]any{"name": "Company " + co, "domain": co + ".com", "employees": 150 + 400*(i/4), "industry": "Software"})
		if err := c.Enqueue(analytics.Identify{UserId: id, Traits: traits}); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
}

var trafficEvents = []string{"email.opened", "email.clicked", "session.started", "webinar.attended", "form.submitted", "trial.started", "demo.requested"}

// next enqueues one tracked event or page view.
func (tr *traffic) next(c analytics.Client) error {
	id := tr.leads[tr.n%len(tr.leads)]
	var err error
	if tr.n%3 == 0 {
		err = c.Enqueue(analytics.Page{UserId: id, Name: "Pricing", Properties: analytics.NewProperties().Set("path", "/pricing")})
	} else {
		err = c.Enqueue(analytics.Track{UserId: id, Event: trafficEvents[tr.n%len(trafficEvents)],
			Properties: analytics.NewProperties().Set("n", tr.n)})
	}
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	tr.n++
	return nil
}

// sendUntil enqueues messages, paced so that batches keep flowing, until
// stop is closed. It runs on its own goroutine, so it reports with Errorf.
func (tr *traffic) sendUntil(t *testing.T, c analytics.Client, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if err := tr.next(c); err != nil {
			t.Error(err)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestServeSurvivesKill is the durability test: events go through the
// official Segment Go SDK to a real server process, which is killed with
// SIGKILL mid-stream and restarted on the same data directory while the
// SDK keeps sending (and retrying). Every message the SDK saw acknowledged
// must be stored exactly once, and every lead's stored score must equal a
// fresh evaluation of its stored history.
func TestServeSurvivesKill(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	model := filepath.Join(repoRoot, "examples", "b2b-saas.yaml")
	srv := startServer(t, nil, "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--model", model)
	port := srv.port()

	ack := newAcks()
	sdk := sdkClient(t, srv.URL, srv.WriteKey, ack)
	tr := newTraffic("kill", 12)
	tr.identifyAll(t, sdk)

	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() { defer close(sent); tr.sendUntil(t, sdk, stop) }()

	eventually(t, "acknowledged messages before the kill", func() bool { return ack.count() >= 150 })
	srv.kill()
	beforeKill := ack.count()

	// Same data directory, same port, so that the SDK's endpoint and its
	// retries reach the new process.
	srv2 := startServer(t, srv, "--data-dir", dataDir, "--addr", "127.0.0.1:"+port, "--model", model)
	eventually(t, "acknowledged messages after the restart", func() bool { return ack.count() >= beforeKill+150 })
	close(stop)
	<-sent
	// Batches that failed while the server was down are being retried:
	// closing the SDK now would drop them, so wait until every message is
	// resolved one way or the other.
	enqueued := tr.n + len(tr.leads)
	eventually(t, "every message acknowledged or failed", func() bool { return ack.resolved() == enqueued })
	if err := sdk.Close(); err != nil {
		t.Fatalf("closing the SDK client: %v", err)
	}
	t.Logf("%d messages enqueued; %d acknowledged (%d before the kill); %d failed %q", enqueued, ack.count(), beforeKill, ack.failed, ack.errs)

	c := srv2.client()
	checkAcknowledgedStoredOnce(t, c, ack, tr.leads)
	checkStoredScores(t, c, tr.leads)

	if err := srv2.stop(); err != nil {
		t.Errorf("graceful stop: %v\n%s", err, srv2.logs())
	}
}

// checkAcknowledgedStoredOnce reads every lead's events and checks that each
// acknowledged track or page message is there exactly once, and that no
// message is stored twice.
func checkAcknowledgedStoredOnce(t *testing.T, c *client.Client, ack *acks, leads []string) {
	t.Helper()
	ctx := context.Background()
	stored := map[string]int{}
	for _, id := range leads {
		evs, err := c.LeadEvents(ctx, id, 1000)
		if err != nil {
			t.Fatalf("events of %s: %v", id, err)
		}
		if len(evs) >= 1000 {
			t.Fatalf("lead %s has %d events: more than one page, the check would be incomplete", id, len(evs))
		}
		for _, e := range evs {
			stored[e.MessageID]++
			if e.LeadID != id {
				t.Errorf("event %s of %s is stored for %s", e.MessageID, id, e.LeadID)
			}
		}
	}
	for mid, n := range stored {
		if n != 1 {
			t.Errorf("message %s is stored %d times", mid, n)
		}
	}
	ack.mu.Lock()
	defer ack.mu.Unlock()
	events := 0
	for mid, m := range ack.ok {
		switch m.(type) {
		case analytics.Track, analytics.Page:
			events++
			if stored[mid] != 1 {
				t.Errorf("acknowledged %T %s is stored %d times", m, mid, stored[mid])
			}
		}
	}
	if events == 0 {
		t.Fatal("no event was acknowledged: the test checked nothing")
	}
}

// checkStoredScores compares each lead's stored scores with a fresh as-of
// evaluation of its stored history. The evaluation is as of now, a little
// after the stored score was written: scores with a half-life decay
// continuously, so the comparison allows a change far smaller than any
// rule's points.
func checkStoredScores(t *testing.T, c *client.Client, leads []string) {
	t.Helper()
	ctx := context.Background()
	for _, id := range leads {
		view, err := c.GetLead(ctx, id)
		if err != nil {
			t.Fatalf("lead %s: %v", id, err)
		}
		if len(view.Scores) == 0 {
			t.Errorf("lead %s has no score", id)
			continue
		}
		evs, err := c.ScoreAsOf(ctx, id, time.Now().UTC(), "", "")
		if err != nil {
			t.Fatalf("score of %s as of now: %v", id, err)
		}
		fresh := map[string]*leadscore.Evaluation{}
		for _, ev := range evs {
			fresh[ev.Model] = ev
		}
		for _, rec := range view.Scores {
			ev := fresh[rec.Model]
			if ev == nil {
				t.Errorf("lead %s: stored score under %s, but no fresh evaluation", id, rec.Model)
				continue
			}
			if math.Abs(ev.Score-rec.Score) > 0.01 || ev.Band != rec.Band || ev.Qualified != rec.Qualified ||
				ev.Disqualified != rec.Disqualified || ev.Version != rec.Version {
				t.Errorf("lead %s under %s: stored %.4f (%s, qualified %v, version %s), evaluated now %.4f (%s, qualified %v, version %s)",
					id, rec.Model, rec.Score, rec.Band, rec.Qualified, rec.Version, ev.Score, ev.Band, ev.Qualified, ev.Version)
			}
		}
	}
}

// TestServePostgres runs the basic serve cycle on PostgreSQL, in a schema
// of its own: first start with keys, events through the SDK, a graceful
// restart, and the data still there.
func TestServePostgres(t *testing.T) {
	base := os.Getenv("LEADSCORE_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("LEADSCORE_TEST_POSTGRES_URL is not set")
	}
	dsn := freshSchema(t, base)
	model := filepath.Join(repoRoot, "examples", "b2b-saas.yaml")
	srv := startServer(t, nil, "--db", dsn, "--addr", "127.0.0.1:0", "--model", model)

	ack := newAcks()
	sdk := sdkClient(t, srv.URL, srv.WriteKey, ack)
	tr := newTraffic("pg", 5)
	tr.identifyAll(t, sdk)
	for range 60 {
		if err := tr.next(sdk); err != nil {
			t.Fatal(err)
		}
	}
	if err := sdk.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := ack.count(), 65; got != want || ack.failed != 0 {
		t.Fatalf("%d messages acknowledged and %d failed; want %d and 0\n%s", got, ack.failed, want, srv.logs())
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, srv.logs())
	}

	// A restart finds its keys, models and data in the database.
	srv2 := startServer(t, srv, "--db", dsn, "--addr", "127.0.0.1:0", "--model", model)
	c := srv2.client()
	checkAcknowledgedStoredOnce(t, c, ack, tr.leads)
	checkStoredScores(t, c, tr.leads)
	keys, err := c.APIKeys(context.Background())
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys after restart: %v %v", keys, err)
	}
}
