package service

import (
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/examples"
	"github.com/leadscore/leadscore/scoring"
	"github.com/leadscore/leadscore/sqlstore"
)

// clock is a settable fake clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var start = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	svc   *Service
	clock *clock
	store leadscore.Store
}

// newFixture starts a service on a fresh SQLite store with the example
// models uploaded and b2b-saas active.
// startTestService starts a service on cfg that stops when the test ends.
func startTestService(t testing.TB, cfg Config) *Service {
	t.Helper()
	svc, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ls.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, clock: &clock{t: start}, store: st}
	f.start()
	src, err := examples.Files.ReadFile(examples.ModelFile)
	if err != nil {
		t.Fatal(err)
	}
	up, err := f.svc.UploadModel(ctx, examples.ModelFile, src, "test")
	if err != nil {
		t.Fatalf("upload: %v %v", err, up)
	}
	for _, v := range up.Versions {
		if v.Name == "b2b-saas" {
			f.activate(v.Name, v.Version)
		}
	}
	return f
}

// restart closes the service and starts a new one on the same store, as
// a stop and a start of the process would; configure may change the new
// one's settings.
func (f *fixture) restart(configure ...func(*Config)) {
	f.t.Helper()
	if err := f.svc.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.start(configure...)
}

// acmePeople identifies ana, ben, cy and dan at acme-corp.com, then has
// the first active of them view a page, a minute apart; it returns the
// four.
func (f *fixture) acmePeople(active int) []string {
	f.t.Helper()
	people := []string{"ana", "ben", "cy", "dan"}
	for _, p := range people {
		f.ingest(identify("id-"+p, p, map[string]any{"email": p + "@acme-corp.com"}))
	}
	for _, p := range people[:active] {
		f.clock.Add(time.Minute)
		f.ingest(track("e-"+p, p, "page.viewed", map[string]any{"path": "/docs"}))
	}
	return people
}

// start starts a service on the fixture's store (after its old one, if
// any, was closed); configure may change its settings.
func (f *fixture) start(configure ...func(*Config)) {
	f.t.Helper()
	cfg := Config{Store: f.store, Clock: f.clock.Now, DueInterval: time.Hour}
	for _, c := range configure {
		c(&cfg)
	}
	svc := startTestService(f.t, cfg)
	f.svc = svc
}

// seedAndUploadEdit identifies n leads of one account and uploads an
// edited, inactive version of the example b2b-saas model (a demo request
// worth 30 points, not 25), returning that version.
func (f *fixture) seedAndUploadEdit(n int) string {
	f.t.Helper()
	for i := range n {
		f.ingest(identify(fmt.Sprintf("i%d", i), fmt.Sprintf("u%d", i), map[string]any{"email": fmt.Sprintf("p%d@acme-corp.com", i)}))
	}
	edited := strings.Replace(exampleSource(f.t), "{name: demo-request, label: demo requested, event: demo.requested, points: 25", "{name: demo-request, label: demo requested, event: demo.requested, points: 30", 1)
	up, err := f.svc.UploadModel(context.Background(), "b2b-saas.yaml", []byte(edited), "test")
	if err != nil {
		f.t.Fatal(err)
	}
	for _, v := range up.Versions {
		if v.Name == "b2b-saas" {
			return v.Version
		}
	}
	f.t.Fatal("the edited file has no b2b-saas model")
	return ""
}

// interruptJobs stores what a stop half-way through a job of kind over the
// 30 leads of seedAndUploadEdit leaves behind: with setup's writes, a
// running job on version that has done the first 15 leads, and one on a
// version that no longer exists. It returns both jobs with the leads before
// and after the first one's cursor.
func (f *fixture) interruptJobs(kind, version string, setup func(ctx context.Context, tx leadscore.Tx) error) (resumed, gone leadscore.Job, before, after []string) {
	f.t.Helper()
	ctx := context.Background()
	ws := f.store.Workspace(leadscore.DefaultWorkspace)
	before, err := ws.LeadIDs(ctx, "", 15)
	if err != nil {
		f.t.Fatal(err)
	}
	cursor := before[len(before)-1]
	if after, err = ws.LeadIDs(ctx, cursor, 100); err != nil {
		f.t.Fatal(err)
	}
	if len(after) != 15 {
		f.t.Fatalf("%d leads after the cursor, want 15", len(after))
	}
	resumed = leadscore.Job{ID: "job_resumed", Kind: kind, State: leadscore.JobRunning, Done: 15, Total: 30,
		Detail: "b2b-saas@" + version, Cursor: cursor}
	gone = leadscore.Job{ID: "job_gone", Kind: kind, State: leadscore.JobRunning, Done: 3, Total: 30,
		Detail: "b2b-saas@0123456789ab", Cursor: "u1"}
	err = ws.Write(ctx, func(tx leadscore.Tx) error {
		if err := setup(ctx, tx); err != nil {
			return err
		}
		if err := tx.PutJob(ctx, &gone); err != nil {
			return err
		}
		return tx.PutJob(ctx, &resumed)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return resumed, gone, before, after
}

func (f *fixture) activate(name, version string) *leadscore.Job {
	f.t.Helper()
	job, err := f.svc.ActivateModel(context.Background(), name, version)
	if err != nil {
		f.t.Fatal(err)
	}
	f.waitJob(job.ID)
	return job
}

// waitJob waits for a background job by polling its stored state; the job
// always finishes, so the loop ends without depending on timing.
func (f *fixture) waitJob(id string) *leadscore.Job {
	f.t.Helper()
	for i := 0; ; i++ {
		j, err := f.svc.Job(context.Background(), id)
		if err != nil {
			f.t.Fatal(err)
		}
		if j.State == leadscore.JobSucceeded || j.State == leadscore.JobFailed {
			return j
		}
		if i > 100000 {
			f.t.Fatalf("job %s never finished: %+v", id, j)
		}
		time.Sleep(time.Millisecond)
	}
}

func (f *fixture) ingest(msgs ...leadscore.Message) []leadscore.IngestResult {
	f.t.Helper()
	for i := range msgs {
		if msgs[i].ReceivedAt.IsZero() {
			msgs[i].ReceivedAt = f.clock.Now()
		}
		if msgs[i].Timestamp.IsZero() {
			msgs[i].Timestamp = f.clock.Now()
		}
		if msgs[i].Source == "" {
			msgs[i].Source = "test"
		}
	}
	res, err := f.svc.Ingest(context.Background(), msgs)
	if err != nil {
		f.t.Fatal(err)
	}
	f.svc.Settle()
	return res
}

func (f *fixture) score(lead, model string) leadscore.ScoreRecord {
	f.t.Helper()
	v, err := f.svc.GetLead(context.Background(), lead)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, s := range v.Scores {
		if s.Model == model {
			return s
		}
	}
	f.t.Fatalf("lead %s has no %s score: %+v", lead, model, v.Scores)
	return leadscore.ScoreRecord{}
}

func identify(id, userID string, traits map[string]any) leadscore.Message {
	return leadscore.Message{Kind: leadscore.MsgIdentify, MessageID: id, UserID: userID, Traits: traits}
}

func track(id, userID, event string, props map[string]any) leadscore.Message {
	return leadscore.Message{Kind: leadscore.MsgTrack, MessageID: id, UserID: userID, Event: event, Properties: props}
}

var jane = map[string]any{"email": "jane@acme-corp.com", "title": "VP Marketing", "firstName": "Jane"}

func TestIngestScoresAndRecordsTheLedger(t *testing.T) {
	f := newFixture(t)
	f.ingest(identify("m1", "u1", jane))
	first := f.score("u1", "b2b-saas")
	res := f.ingest(track("m2", "u1", "demo.requested", nil))
	if res[0].Status != leadscore.IngestAccepted || res[0].LeadID != "u1" {
		t.Fatalf("result %+v", res[0])
	}
	after := f.score("u1", "b2b-saas")
	if after.Score != first.Score+25 {
		t.Fatalf("a demo request adds 25: %v -> %v", first.Score, after.Score)
	}
	// A client retry with the same messageId is the same event.
	res = f.ingest(track("m2", "u1", "demo.requested", nil))
	if res[0].Status != leadscore.IngestDuplicate {
		t.Fatalf("retry status %s, want duplicate", res[0].Status)
	}
	if again := f.score("u1", "b2b-saas"); again.Score != after.Score {
		t.Fatalf("a duplicate changed the score: %v -> %v", after.Score, again.Score)
	}
	hist, err := f.svc.LeadHistory(context.Background(), "u1", "b2b-saas", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].OldScore != nil || hist[1].Cause != leadscore.CauseEvent || hist[1].CauseRef != "m2" ||
		*hist[1].OldScore != first.Score || hist[1].NewScore != after.Score {
		t.Fatalf("ledger %+v", hist)
	}
	events, _ := f.svc.LeadEvents(context.Background(), "jane@acme-corp.com", 0)
	if len(events) != 1 {
		t.Fatalf("lead events by email: %d, want 1", len(events))
	}
}

func TestAnonymousHistoryJoinsTheLeadOnIdentify(t *testing.T) {
	f := newFixture(t)
	page := func(id string, path string) leadscore.Message {
		return leadscore.Message{Kind: leadscore.MsgPage, MessageID: id, AnonymousID: "dev-1", Properties: map[string]any{"path": path}}
	}
	f.ingest(page("p1", "/pricing"), page("p2", "/docs/api"))
	f.clock.Add(time.Hour)
	msg := identify("i1", "u9", jane)
	msg.AnonymousID = "dev-1"
	f.ingest(msg)
	events, err := f.svc.LeadEvents(context.Background(), "u9", 0)
	if err != nil || len(events) != 2 {
		t.Fatalf("merged events %d (%v), want the 2 anonymous page views", len(events), err)
	}
	sc := f.score("u9", "b2b-saas")
	var pricing bool
	for _, c := range sc.Evaluation.Contributions {
		pricing = pricing || c.Rule == "pricing-page"
	}
	if !pricing {
		t.Fatalf("the anonymous pricing view should count after identify: %+v", sc.Evaluation.Contributions)
	}
	// Later anonymous activity on the same device goes to the known lead.
	f.ingest(page("p3", "/pricing/enterprise"))
	if events, _ := f.svc.LeadEvents(context.Background(), "u9", 0); len(events) != 3 {
		t.Fatalf("a later anonymous page view must join the lead, got %d events", len(events))
	}
}

func TestScoresDecayWithTimeAlone(t *testing.T) {
	f := newFixture(t)
	f.ingest(identify("m1", "u1", jane), track("m2", "u1", "demo.requested", nil))
	before := f.score("u1", "b2b-saas")
	if before.NextChangeAt.IsZero() {
		t.Fatal("a score with decay has a next change time")
	}
	f.clock.Add(31 * 24 * time.Hour)
	if n := f.svc.RunDue(context.Background()); n != 1 {
		t.Fatalf("due leads re-scored: %d, want 1", n)
	}
	after := f.score("u1", "b2b-saas")
	if after.Score != before.Score-10 {
		t.Fatalf("31 idle days cost 10 points: %v -> %v", before.Score, after.Score)
	}
	hist, _ := f.svc.LeadHistory(context.Background(), "u1", "b2b-saas", 0, 100)
	last := hist[len(hist)-1]
	if last.Cause != leadscore.CauseTime || !strings.Contains(last.Detail, "no activity for 30 days") {
		t.Fatalf("ledger entry %+v", last)
	}
	if n := f.svc.RunDue(context.Background()); n != 0 {
		t.Fatalf("nothing is due right after a run, got %d", n)
	}
}

func TestScoreAsOfIgnoresLaterEvents(t *testing.T) {
	f := newFixture(t)
	f.ingest(identify("m1", "u1", jane))
	f.clock.Add(24 * time.Hour)
	f.ingest(track("m2", "u1", "demo.requested", nil))
	day1 := start.Add(12 * time.Hour)
	evs, err := f.svc.ScoreAsOf(context.Background(), "u1", day1, "b2b-saas", "")
	if err != nil {
		t.Fatal(err)
	}
	now := f.score("u1", "b2b-saas")
	if evs[0].Score != now.Score-25 {
		t.Fatalf("as of day 1 the demo request had not happened: %v vs now %v", evs[0].Score, now.Score)
	}
}

func TestActivationRescoresEveryLead(t *testing.T) {
	f := newFixture(t)
	for i := range 30 {
		f.ingest(identify(fmt.Sprintf("i%d", i), fmt.Sprintf("u%d", i), map[string]any{"email": fmt.Sprintf("p%d@acme-corp.com", i)}))
	}
	edited := strings.Replace(exampleSource(t), "{name: demo-request, label: demo requested, event: demo.requested, points: 25", "{name: demo-request, label: demo requested, event: demo.requested, points: 30", 1)
	edited = strings.Replace(edited, "points: 5\n          - name: role-address", "points: 7\n          - name: role-address", 1)
	up, err := f.svc.UploadModel(context.Background(), "b2b-saas.yaml", []byte(edited), "test")
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for _, v := range up.Versions {
		if v.Name == "b2b-saas" {
			version = v.Version
		}
	}
	job := f.activate("b2b-saas", version)
	if j := f.waitJob(job.ID); j.State != leadscore.JobSucceeded || j.Done != 30 || j.Total != 30 {
		t.Fatalf("job %+v", j)
	}
	for i := range 30 {
		sc := f.score(fmt.Sprintf("u%d", i), "b2b-saas")
		if sc.Version != version {
			t.Fatalf("lead u%d still on version %s", i, sc.Version)
		}
	}
	hist, _ := f.svc.LeadHistory(context.Background(), "u3", "b2b-saas", 0, 100)
	if last := hist[len(hist)-1]; last.Cause != leadscore.CauseModel || last.CauseRef != "b2b-saas@"+version {
		t.Fatalf("ledger records the model change: %+v", last)
	}
}

func exampleSource(t *testing.T) string {
	src, err := examples.Files.ReadFile(examples.ModelFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

func TestInvalidModelIsRejectedWithDiagnostics(t *testing.T) {
	f := newFixture(t)
	res, err := f.svc.UploadModel(context.Background(), "bad.yaml", []byte("name: bad\ncategories:\n  fit:\n    rules:\n      - {name: x, when: 'lead.title ==', points: 5}\n"), "test")
	if leadscore.CodeOf(err) != leadscore.CodeInvalid || res == nil || len(res.Diagnostics) == 0 || res.Diagnostics[0].Line != 5 {
		t.Fatalf("err %v diagnostics %+v", err, res)
	}
	versions, _ := f.svc.ModelVersions(context.Background(), "bad")
	if len(versions) != 0 {
		t.Fatalf("a rejected model must not be stored: %+v", versions)
	}
}

func TestAPIKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	k, err := f.svc.CreateAPIKey(ctx, "ingest", []leadscore.Scope{leadscore.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Authenticate(ctx, k.Secret)
	if err != nil || got.ID != k.ID || !got.Allows(leadscore.ScopeWrite) || got.Allows(leadscore.ScopeRead) {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	for _, bad := range []string{"", "lsk_", k.Secret + "x", strings.Replace(k.Secret, k.Prefix, "aaaaaaaa", 1)} {
		if _, err := f.svc.Authenticate(ctx, bad); leadscore.CodeOf(err) != leadscore.CodeUnauthorized {
			t.Errorf("key %q: %v, want unauthorized", bad, err)
		}
	}
	if err := f.svc.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, k.Secret); leadscore.CodeOf(err) != leadscore.CodeUnauthorized {
		t.Fatalf("a revoked key still works: %v", err)
	}
	keys, _ := f.svc.APIKeys(ctx)
	if len(keys) != 1 || keys[0].RevokedAt == nil || len(keys[0].Hash) != 0 && strings.Contains(fmt.Sprint(keys[0]), k.Secret) {
		t.Fatalf("keys %+v", keys)
	}
}

func TestGroupAndAccountFactsRescoreTheAccountsPeople(t *testing.T) {
	f := newFixture(t)
	f.ingest(identify("m1", "u1", jane), identify("m2", "u2", map[string]any{"email": "raj@acme-corp.com", "title": "Director of IT"}))
	before := f.score("u2", "b2b-saas")
	grp := leadscore.Message{Kind: leadscore.MsgGroup, MessageID: "g1", UserID: "u1", GroupID: "acme-corp.com",
		Traits: map[string]any{"name": "Acme", "industry": "Software", "employees": 450.0}}
	f.ingest(grp)
	after := f.score("u2", "b2b-saas")
	// Software (+10) and 100+ employees (+10) reach u2 through the shared account.
	if after.Score != before.Score+20 {
		t.Fatalf("account facts must re-score the account's other people: %v -> %v", before.Score, after.Score)
	}
	v, err := f.svc.GetAccount(context.Background(), "acme-corp.com")
	if err != nil || len(v.People) != 2 || v.Account.Name != "Acme" {
		t.Fatalf("account view %+v %v", v, err)
	}
	// Each person carries their best score, without its explanation.
	for _, p := range v.People {
		scores, err := f.svc.GetLead(context.Background(), p.Lead.ID)
		if err != nil {
			t.Fatal(err)
		}
		best := 0.0
		for _, sc := range scores.Scores {
			best = max(best, sc.Score)
		}
		if p.Score == nil || p.Score.Score != best || p.Score.Evaluation != nil {
			t.Errorf("%s: account view score %+v, want the best score %v without an explanation", p.Lead.ID, p.Score, best)
		}
	}
	if len(v.AccountScores) == 0 {
		t.Errorf("no account scores: %+v", v)
	}
}

func TestInvalidMessagesAreRejectedAloneAndConcurrentIngestCommitsAll(t *testing.T) {
	f := newFixture(t)
	res := f.ingest(track("a", "u1", "page.viewed", nil), leadscore.Message{Kind: leadscore.MsgTrack, MessageID: "b", UserID: "u1"},
		track("c", "u1", "email.clicked", nil))
	if res[0].Status != leadscore.IngestAccepted || res[1].Status != leadscore.IngestRejected || res[2].Status != leadscore.IngestAccepted {
		t.Fatalf("results %+v", res)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				msg := track(fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("u%d", w), "page.viewed", map[string]any{"path": "/docs"})
				msg.Timestamp, msg.ReceivedAt, msg.Source = start, start, "test"
				if _, err := f.svc.Ingest(context.Background(), []leadscore.Message{msg}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for w := range 8 {
		evs, err := f.svc.LeadEvents(context.Background(), fmt.Sprintf("u%d", w), 0)
		want := 25
		if w == 1 {
			want += 2
		}
		if err != nil || len(evs) != want {
			t.Fatalf("lead u%d: %d events (%v), want %d", w, len(evs), err, want)
		}
	}
}

func TestEventsNamingTheLeadByEmail(t *testing.T) {
	f := newFixture(t)
	f.ingest(identify("m1", "u1", jane))
	byEmail := leadscore.Message{Kind: leadscore.MsgTrack, MessageID: "e1", Event: "demo.requested", Traits: map[string]any{"email": "Jane@Acme-Corp.com"}}
	res := f.ingest(byEmail)
	if res[0].Status != leadscore.IngestAccepted || res[0].LeadID != "u1" {
		t.Fatalf("an event naming a known lead's email goes to that lead: %+v", res[0])
	}
	newLead := leadscore.Message{Kind: leadscore.MsgTrack, MessageID: "e2", Event: "trial.started", Traits: map[string]any{"email": "sam@newco.io"}}
	res = f.ingest(newLead)
	if res[0].LeadID != "sam@newco.io" {
		t.Fatalf("an unknown email makes a lead keyed by it: %+v", res[0])
	}
	v, err := f.svc.GetLead(context.Background(), "sam@newco.io")
	if err != nil || v.Lead.AccountID != "newco.io" || len(v.Scores) == 0 {
		t.Fatalf("lead %+v %v", v, err)
	}
}

func TestAColleaguesActivityReScoresTheAccount(t *testing.T) {
	f := newFixture(t)
	people := []string{"ana", "ben", "cy"}
	for _, p := range people {
		f.ingest(identify("id-"+p, p, map[string]any{"email": p + "@acme-corp.com"}))
	}
	committee := func(lead string) bool {
		for _, c := range f.score(lead, "b2b-saas").Evaluation.Contributions {
			if c.Rule == "buying-committee" {
				return true
			}
		}
		return false
	}
	f.ingest(track("e-ana", "ana", "page.viewed", map[string]any{"path": "/docs"}))
	f.ingest(track("e-ben", "ben", "page.viewed", map[string]any{"path": "/docs"}))
	if committee("ana") {
		t.Fatal("two active people are not a buying committee")
	}
	f.ingest(track("e-cy", "cy", "page.viewed", map[string]any{"path": "/docs"}))
	for _, p := range people {
		if !committee(p) {
			t.Errorf("%s: the third active colleague must re-score everyone in the account", p)
		}
		evs, err := f.svc.ScoreAsOf(context.Background(), p, f.clock.Now(), "b2b-saas", "")
		if err != nil {
			t.Fatal(err)
		}
		if stored := f.score(p, "b2b-saas"); stored.Score != evs[0].Score {
			t.Errorf("%s: stored score %v, fresh evaluation %v", p, stored.Score, evs[0].Score)
		}
	}
}

func TestCloseReturnsWithFollowUpsInFlight(t *testing.T) {
	f := newFixture(t)
	for i := range 20 {
		f.ingest(identify(fmt.Sprintf("i%d", i), fmt.Sprintf("u%d", i), map[string]any{"email": fmt.Sprintf("p%d@acme-corp.com", i)}))
	}
	grp := leadscore.Message{Kind: leadscore.MsgGroup, MessageID: "g", UserID: "u0", GroupID: "acme-corp.com",
		Traits: map[string]any{"industry": "Software"}, Timestamp: start, ReceivedAt: start, Source: "test"}
	if _, err := f.svc.Ingest(context.Background(), []leadscore.Message{grp}); err != nil {
		t.Fatal(err)
	}
	// No Settle: the account's re-scoring is still queued or running. Close
	// must still return (a hang fails the test by its timeout).
	if err := f.svc.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestInterruptedActivationResumesAfterRestart: an activation job a stop
// interrupted continues, after a restart, from the last page it committed
// (leads before its cursor are not re-scored again), and a job whose
// version a later activation superseded is closed as failed.
func TestInterruptedActivationResumesAfterRestart(t *testing.T) {
	f := newFixture(t)
	version := f.seedAndUploadEdit(30)
	old := f.score("u0", "b2b-saas").Version
	if err := f.svc.Close(); err != nil {
		t.Fatal(err)
	}
	// What a stop half-way through activating version leaves behind.
	resumed, superseded, firstHalf, rest := f.interruptJobs(jobActivate, version, func(ctx context.Context, tx leadscore.Tx) error {
		return tx.ActivateModel(ctx, "b2b-saas", version)
	})
	f.start()
	if j := f.waitJob(resumed.ID); j.State != leadscore.JobSucceeded || j.Done != 30 || j.Total != 30 {
		t.Fatalf("resumed job %+v", j)
	}
	if j := f.waitJob(superseded.ID); j.State != leadscore.JobFailed || !strings.Contains(j.Error, "superseded") {
		t.Fatalf("superseded job %+v", j)
	}
	for _, id := range rest {
		if v := f.score(id, "b2b-saas").Version; v != version {
			t.Errorf("lead %s after the cursor is on version %s, want the activated %s", id, v, version)
		}
	}
	for _, id := range firstHalf {
		if v := f.score(id, "b2b-saas").Version; v != old {
			t.Errorf("lead %s before the cursor was re-scored again (version %s)", id, v)
		}
	}
}

// countingPredictor predicts from the number of events a lead has, so that
// a test sees a predictive score move on ingest.
type countingPredictor struct{ version string }

func (p countingPredictor) Version() string { return p.version }

func (countingPredictor) Predict(_ *leadscore.Lead, _ *leadscore.Account, events iter.Seq[*leadscore.Event], _ time.Time) scoring.Prediction {
	n := 0
	for range events {
		n++
	}
	prob := min(0.9, 0.1+0.2*float64(n))
	return scoring.Prediction{Probability: prob, Base: 0.1,
		Factors: []scoring.PredictionFactor{{Name: "events", Text: fmt.Sprintf("%d events", n), Effect: float64(n)}}}
}

// TestPredictiveModelScoresOnIngest: a predictive model uploaded to the
// service loads its artefact, gets a version that names the artefact too,
// and scores leads as their events arrive.
func TestPredictiveModelScoresOnIngest(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ls.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	artefactVersion := "trained-1"
	load := func(path string) (scoring.Predictor, error) {
		if path != "/models/learned.json" {
			return nil, fmt.Errorf("no such artefact")
		}
		return countingPredictor{version: artefactVersion}, nil
	}
	c := &clock{t: start}
	svc := startTestService(t, Config{Store: st, Clock: c.Now, DueInterval: time.Hour, LoadPredictor: load})
	f := &fixture{t: t, svc: svc, clock: c, store: st}

	src := []byte("name: learned\nkind: predictive\nartifact: /models/learned.json\nbands: {hot: 50, warm: 20}\n")
	up, err := svc.UploadModel(ctx, "learned.yaml", src, "test")
	if err != nil {
		t.Fatalf("upload: %v %+v", err, up)
	}
	first := up.Versions[0].Version
	f.activate("learned", first)
	f.ingest(identify("p1", "u1", map[string]any{"email": "ana@acme-corp.com"}),
		track("p2", "u1", "page.viewed", nil), track("p3", "u1", "demo.requested", nil))
	sc := f.score("u1", "learned")
	if sc.Score != 50 || sc.Band != "hot" || sc.Evaluation == nil {
		t.Fatalf("predictive score after two events: %+v", sc)
	}

	// The same file over a retrained artefact is another version.
	artefactVersion = "trained-2"
	again, err := svc.UploadModel(ctx, "learned.yaml", src, "test")
	if err != nil {
		t.Fatal(err)
	}
	if again.Versions[0].Version == first {
		t.Errorf("a retrained artefact kept the version %s", first)
	}
	// A missing artefact is refused at upload, naming the field.
	bad := []byte("name: other\nkind: predictive\nartifact: /models/missing.json\n")
	if _, err := svc.UploadModel(ctx, "other.yaml", bad, "test"); leadscore.CodeOf(err) != leadscore.CodeInvalid ||
		!strings.Contains(err.Error(), "artifact") {
		t.Errorf("a missing artefact: %v", err)
	}
}

// scoredCounter counts the leads the service evaluated.
type scoredCounter struct {
	noMetrics
	n atomic.Int64
}

func (c *scoredCounter) LeadsScored(n int, _ time.Duration) { c.n.Add(int64(n)) }

// TestColleaguesAreEvaluatedOnlyWhenTheirConditionsDecide: when a person
// becomes active, the account's other people are evaluated again only if
// a condition on account.active_people decides differently: the third
// active person forms a buying committee for everyone, the fourth
// changes nothing for the others and evaluates no one but himself.
func TestColleaguesAreEvaluatedOnlyWhenTheirConditionsDecide(t *testing.T) {
	f := newFixture(t)
	counter := &scoredCounter{}
	f.restart(func(c *Config) { c.Metrics = counter })
	people := f.acmePeople(2)
	counter.n.Store(0)
	f.clock.Add(time.Minute)
	f.ingest(track("e-cy", "cy", "page.viewed", map[string]any{"path": "/docs"}))
	if got := counter.n.Load(); got != 4 {
		t.Errorf("the third active person: %d leads evaluated, want 4 (cy, and everyone else for the committee)", got)
	}
	committee := f.score("dan", "b2b-saas")
	counter.n.Store(0)
	f.clock.Add(time.Minute)
	f.ingest(track("e-dan", "dan", "page.viewed", map[string]any{"path": "/docs"}))
	if got := counter.n.Load(); got != 1 {
		t.Errorf("the fourth active person: %d leads evaluated, want 1 (dan alone)", got)
	}
	if got := f.score("dan", "b2b-saas"); got.Score <= committee.Score {
		t.Errorf("dan's own page view must count: %v, before %v", got.Score, committee.Score)
	}
	for _, p := range people[:3] {
		evs, err := f.svc.ScoreAsOf(context.Background(), p, f.clock.Now(), "b2b-saas", "")
		if err != nil {
			t.Fatal(err)
		}
		if stored := f.score(p, "b2b-saas"); stored.Evaluation.Digest() != evs[0].Digest() {
			t.Errorf("%s: the stored evaluation must tell a fresh evaluation's story\nstored %+v\nfresh %+v", p, stored.Evaluation, evs[0])
		}
	}
}

// TestUnchangedColleaguesKeepTheirStoredScore: a colleague's activity
// re-scores the account's people, but a person whose evaluation tells the
// same story keeps the stored one (same updated time, no ledger row),
// while a real change is written with the account as its cause.
func TestUnchangedColleaguesKeepTheirStoredScore(t *testing.T) {
	t.Run("states in memory", func(t *testing.T) { testUnchangedColleagues(t, false) })
	// After a restart the states are rebuilt from the store, and the
	// stored digests say what the stored evaluations tell.
	t.Run("after a restart", func(t *testing.T) { testUnchangedColleagues(t, true) })
}

func testUnchangedColleagues(t *testing.T, restart bool) {
	f := newFixture(t)
	people := f.acmePeople(3)
	formed := f.clock.Now()
	ledger := func(lead string) []leadscore.LedgerEntry {
		t.Helper()
		entries, err := f.svc.LeadHistory(context.Background(), lead, "b2b-saas", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		return entries
	}
	last := ledger("ana")[len(ledger("ana"))-1]
	if last.Cause != leadscore.CauseAttribute || last.CauseRef != "account acme-corp.com" {
		t.Fatalf("the committee reached ana through her account: %+v", last)
	}
	before := map[string]int{}
	for _, p := range people[:3] {
		if got := f.score(p, "b2b-saas").UpdatedAt; !got.Equal(formed) {
			t.Fatalf("%s: score updated at %v, want %v (the committee formed then)", p, got, formed)
		}
		before[p] = len(ledger(p))
	}
	if restart {
		f.restart()
	}

	f.clock.Add(time.Minute)
	f.ingest(track("e-dan", "dan", "page.viewed", map[string]any{"path": "/docs"}))
	if got := f.score("dan", "b2b-saas").UpdatedAt; !got.Equal(f.clock.Now()) {
		t.Fatalf("dan's own event must rewrite his score: updated at %v", got)
	}
	for _, p := range people[:3] {
		stored := f.score(p, "b2b-saas")
		if !stored.UpdatedAt.Equal(formed) {
			t.Errorf("%s: a fourth active colleague changes nothing of %s's score, yet it was rewritten at %v", p, p, stored.UpdatedAt)
		}
		if n := len(ledger(p)); n != before[p] {
			t.Errorf("%s: %d ledger rows, want %d", p, n, before[p])
		}
		evs, err := f.svc.ScoreAsOf(context.Background(), p, f.clock.Now(), "b2b-saas", "")
		if err != nil {
			t.Fatal(err)
		}
		if stored.Score != evs[0].Score || stored.Evaluation.Digest() != evs[0].Digest() {
			t.Errorf("%s: the stored evaluation must still tell the fresh one's story: %v vs %v", p, stored.Score, evs[0].Score)
		}
	}
}
