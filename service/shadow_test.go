package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
)

// upload stores a model file and returns the version of its first model.
func (f *fixture) upload(src string) string {
	f.t.Helper()
	up, err := f.svc.UploadModel(context.Background(), "model.yaml", []byte(src), "test")
	if err != nil {
		f.t.Fatalf("upload: %v %v", err, up)
	}
	return up.Versions[0].Version
}

func (f *fixture) startShadow(model, version string) *leadscore.Shadow {
	f.t.Helper()
	sh, job, _, err := f.svc.StartShadow(context.Background(), model, version, "test")
	if err != nil {
		f.t.Fatal(err)
	}
	if j := f.waitJob(job.ID); j.State != leadscore.JobSucceeded {
		f.t.Fatalf("shadow scoring job: %+v", j)
	}
	return sh
}

func (f *fixture) shadowScore(model, lead string) (*leadscore.ShadowScore, error) {
	return f.svc.ShadowScore(context.Background(), model, lead)
}

func TestShadowSQLite(t *testing.T)   { testShadow(t, sqliteOpener(t)) }
func TestShadowPostgres(t *testing.T) { testShadow(t, postgresOpener(t)) }

// testShadow: a shadow version is scored on ingest beside the active one,
// but its scores never reach the ledger, the lead's scores, qualification,
// routing or webhooks; stopping it removes it; activating its version
// works as any activation.
func testShadow(t *testing.T, open func() leadscore.Store) {
	f := newAutoFixture(t, open)
	ctx := context.Background()
	champion := f.score0("simple")
	// One demo is 30 under the active version (below the MQL of 40) and
	// 50 under the challenger (an MQL).
	challenger := f.upload(strings.Replace(simpleModel, "points: 30", "points: 50", 1))

	f.demo("early", 1) // stored before the shadow starts: the job scores it
	sh := f.startShadow("simple", challenger)
	if sh.Version != challenger || sh.Model != "simple" || sh.StartedAt.IsZero() {
		t.Fatalf("started %+v", sh)
	}
	if got, err := f.shadowScore("simple", "early"); err != nil || got.Score != 50 || !got.Qualified {
		t.Fatalf("the job's shadow score of a lead stored before: %+v, %v", got, err)
	}

	f.demo("u1", 1)
	if s := f.score("u1", "simple"); s.Score != 30 || s.Qualified || s.Version != champion {
		t.Errorf("the lead's score is the active version's: %+v", s)
	}
	got, err := f.shadowScore("simple", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Score != 50 || got.Band != "hot" || !got.Qualified || got.Version != challenger || !got.StartedAt.Equal(sh.StartedAt) ||
		got.Evaluation == nil || got.Evaluation.Model != "simple" || got.Evaluation.Version != challenger {
		t.Errorf("shadow score %+v", got)
	}
	v, _ := f.svc.GetLead(ctx, "u1")
	if len(v.Scores) != 1 {
		t.Errorf("the lead shows %d scores, want only the active version's: %+v", len(v.Scores), v.Scores)
	}
	hist, err := f.svc.LeadHistory(ctx, "u1", "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hist {
		if h.Version != champion || h.Model != "simple" {
			t.Errorf("ledger entry of the shadow: %+v", h)
		}
	}
	if tl := f.timeline("u1"); len(tl) != 0 {
		t.Errorf("the shadow moved automation: %v", tl)
	}
	if view := f.view("u1"); view.Stage == "marketingqualifiedlead" || view.Owner != "" {
		t.Errorf("the shadow qualified or routed the lead: %+v", view)
	}
	f.settleDeliveries()
	if got := f.recv.types("u1"); len(got) != 0 {
		t.Errorf("webhooks for the shadow's MQL: %v", got)
	}

	// The time job re-evaluates a lead when the shadow's score changes
	// with time, although the active version's never does.
	decaying := f.upload(strings.Replace(simpleModel, "points: 30", "points: 50", 1) +
		"decay:\n  inactivity:\n    - {after: 1d, points: -10}\n")
	f.startShadow("simple", decaying)
	if got, _ := f.shadowScore("simple", "u1"); got == nil || got.Score != 50 {
		t.Fatalf("decaying shadow before a day: %+v", got)
	}
	f.clock.Add(48 * time.Hour)
	f.svc.RunDue(ctx)
	if n := f.svc.runShadowDue(ctx); n != 2 {
		t.Errorf("the shadow's due pass re-scored %d leads, want u1 and early", n)
	}
	if got, _ := f.shadowScore("simple", "u1"); got == nil || got.Score != 40 {
		t.Errorf("decaying shadow after two days: %+v, want 40", got)
	}
	if s := f.score("u1", "simple"); s.Score != 30 {
		t.Errorf("the active version's score moved: %+v", s)
	}

	// A second start replaces the first; the replaced one is returned.
	third := f.upload(strings.Replace(simpleModel, "points: 30", "points: 45", 1))
	_, job, replaced, err := f.svc.StartShadow(ctx, "simple", third, "test")
	if err != nil {
		t.Fatal(err)
	}
	f.waitJob(job.ID)
	if replaced == nil || replaced.Version != decaying {
		t.Errorf("replaced %+v, want the first shadow", replaced)
	}
	if got, err := f.shadowScore("simple", "u1"); err != nil || got.Score != 45 || got.Version != third {
		t.Errorf("after replacing: %+v, %v", got, err)
	}
	shadows, _ := f.svc.Shadows(ctx)
	if len(shadows) != 1 || shadows[0].Version != third {
		t.Errorf("shadows %+v, want one", shadows)
	}

	// Refusals.
	for _, tc := range []struct {
		model, version string
		code           leadscore.ErrorCode
	}{
		{"simple", champion, leadscore.CodeConflict},
		{"simple", "nope", leadscore.CodeNotFound},
		{"nope", "v1", leadscore.CodeNotFound},
		{"simple", "", leadscore.CodeInvalid},
	} {
		if _, _, _, err := f.svc.StartShadow(ctx, tc.model, tc.version, "test"); leadscore.CodeOf(err) != tc.code {
			t.Errorf("start %s@%s: %v, want %s", tc.model, tc.version, err, tc.code)
		}
	}

	// Stop removes it: no scores, no more scoring.
	if err := f.svc.StopShadow(ctx, "simple"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.StopShadow(ctx, "simple"); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Errorf("stop twice: %v, want not_found", err)
	}
	f.demo("u2", 1)
	if _, err := f.shadowScore("simple", "u2"); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Errorf("scored after stop: %v", err)
	}
	if _, err := f.shadowScore("simple", "u1"); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Errorf("scores kept after stop: %v", err)
	}
	if _, err := f.svc.ShadowReport(ctx, analytics.ShadowQuery{Model: "simple"}); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Errorf("report after stop: %v", err)
	}

	// Activating the shadow version is an ordinary activation: the lead
	// qualifies, is routed and announced.
	f.startShadow("simple", challenger)
	f.activate("simple", challenger)
	if s := f.score("u1", "simple"); s.Score != 50 || !s.Qualified || s.Version != challenger {
		t.Errorf("after activating the shadow version: %+v", s)
	}
	if tl := f.timeline("u1"); len(tl) < 2 || tl[0] != "lead.qualified" || tl[1] != "lead.assigned" {
		t.Errorf("timeline after activation: %v", tl)
	}
	if _, err := f.svc.ShadowReport(ctx, analytics.ShadowQuery{Model: "simple"}); leadscore.CodeOf(err) != leadscore.CodeConflict {
		t.Errorf("report once the shadow version is active: %v, want conflict", err)
	}
	f.demo("u3", 1)
	if _, err := f.shadowScore("simple", "u3"); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Errorf("the active version still runs in shadow: %v", err)
	}
}

// score0 is the active version of a model.
func (f *fixture) score0(model string) string {
	f.t.Helper()
	act, err := f.svc.ActiveModels(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, v := range act {
		if v.Name == model {
			return v.Version
		}
	}
	f.t.Fatalf("no active %s", model)
	return ""
}

// plantedModel scores one event type; the report must tell the version
// scoring the event that predicts the outcome from the one scoring noise.
func plantedModel(event string) string {
	return fmt.Sprintf(`name: planted
qualify: {mql: 40}
bands: {hot: 40, warm: 20}
categories:
  interest:
    max: 100
    rules:
      - {name: signal, event: %s, points: 50}
`, event)
}

// TestShadowReportFindsThePlantedBetterChallenger: outcomes follow the
// pricing event (70% of those with it convert, 10% of the others); the
// active version scores a noise event, the challenger the pricing event.
func TestShadowReportFindsThePlantedBetterChallenger(t *testing.T) {
	f := newAutoFixture(t, sqliteOpener(t))
	ctx := context.Background()
	f.activate("planted", f.upload(plantedModel("noise.seen")))
	challenger := f.upload(plantedModel("pricing.viewed"))
	rng := rand.New(rand.NewPCG(7, 11))
	var msgs []leadscore.Message
	won := map[string]bool{}
	const n = 300
	for i := range n {
		id := fmt.Sprintf("p%03d", i)
		msgs = append(msgs, identify("id-"+id, id, map[string]any{"email": id + "@example.com"}))
		signal := rng.Float64() < 0.5
		if signal {
			msgs = append(msgs, track("pr-"+id, id, "pricing.viewed", nil))
		}
		if rng.Float64() < 0.5 {
			msgs = append(msgs, track("no-"+id, id, "noise.seen", nil))
		}
		p := 0.1
		if signal {
			p = 0.7
		}
		won[id] = rng.Float64() < p
	}
	f.ingest(msgs...)

	// Too early: the shadow runs, but no outcome is recorded yet.
	f.startShadow("planted", challenger)
	rep, err := f.svc.ShadowReport(ctx, analytics.ShadowQuery{Model: "planted"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Leads != n || rep.Verdict.Kind != analytics.VerdictNotEnough || !strings.Contains(rep.Verdict.Text, "0 of the 100 needed") {
		t.Errorf("before outcomes: %d leads, verdict %+v", rep.Leads, rep.Verdict)
	}

	for i := range n {
		id := fmt.Sprintf("p%03d", i)
		res := leadscore.OutcomeLost
		if won[id] {
			res = leadscore.OutcomeWon
		}
		if _, err := f.svc.RecordOutcome(ctx, leadscore.Outcome{LeadID: id, Result: res}); err != nil {
			t.Fatal(err)
		}
	}
	// The receiver checks each signature's time against the clock: let the
	// webhooks of the qualified leads arrive before a week passes.
	f.settleDeliveries()
	f.clock.Add(7 * 24 * time.Hour)
	rep, err = f.svc.ShadowReport(ctx, analytics.ShadowQuery{Model: "planted"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict.Kind != analytics.VerdictBetter {
		t.Errorf("verdict %+v, want better", rep.Verdict)
	}
	if rep.Challenger.Report.AUC <= rep.Champion.Report.AUC+0.2 {
		t.Errorf("AUC challenger %.3f, champion %.3f", rep.Challenger.Report.AUC, rep.Champion.Report.AUC)
	}
	if rep.WithOutcome != n || rep.Days < 7 || rep.Days > 7.1 {
		t.Errorf("with outcome %d, days %.2f", rep.WithOutcome, rep.Days)
	}
	g := rep.Agreement
	if g.Both+g.OnlyChampion+g.OnlyChallenger+g.Neither != n || rep.Champion.MQLs != g.Both+g.OnlyChampion ||
		rep.Challenger.MQLs != g.Both+g.OnlyChallenger || g.OnlyChallenger == 0 || g.OnlyChampion == 0 {
		t.Errorf("agreement %+v, MQLs %d/%d", g, rep.Champion.MQLs, rep.Challenger.MQLs)
	}
	if rep.Challenger.Report.AtMQL == nil || rep.Challenger.Report.AtMQL.Precision <= rep.Champion.Report.AtMQL.Precision {
		t.Errorf("precision at the threshold: challenger %+v, champion %+v", rep.Challenger.Report.AtMQL, rep.Champion.Report.AtMQL)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "verdict: challenger better") {
		t.Errorf("text:\n%s", text.String())
	}

	// The other way round, the same data says worse.
	f.activate("planted", challenger)
	f.startShadow("planted", f.upload(plantedModel("noise.seen")))
	rep, err = f.svc.ShadowReport(ctx, analytics.ShadowQuery{Model: "planted"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict.Kind != analytics.VerdictWorse {
		t.Errorf("swapped: verdict %+v, want worse", rep.Verdict)
	}
}

// TestInterruptedShadowScoringResumesAfterRestart: the job scoring the
// stored leads with a shadow continues, after a restart, from the last
// page it committed; a job whose shadow was replaced meanwhile is closed
// as failed.
func TestInterruptedShadowScoringResumesAfterRestart(t *testing.T) {
	f := newFixture(t)
	version := f.seedAndUploadEdit(30)
	if err := f.svc.Close(); err != nil {
		t.Fatal(err)
	}
	// What a stop half-way through scoring the stored leads leaves behind.
	resumed, replaced, firstHalf, rest := f.interruptJobs(jobShadow, version, func(ctx context.Context, tx leadscore.Tx) error {
		return tx.(leadscore.ShadowTx).PutShadow(ctx, &leadscore.Shadow{Model: "b2b-saas", Version: version,
			StartedAt: f.clock.Now(), StartedBy: "test", Job: "job_resumed"})
	})
	f.start()
	if j := f.waitJob(resumed.ID); j.State != leadscore.JobSucceeded || j.Done != 30 || j.Total != 30 {
		t.Fatalf("resumed job %+v", j)
	}
	if j := f.waitJob(replaced.ID); j.State != leadscore.JobFailed || !strings.Contains(j.Error, "stopped or replaced") {
		t.Fatalf("replaced job %+v", j)
	}
	for _, id := range rest {
		if got, err := f.shadowScore("b2b-saas", id); err != nil || got.Version != version {
			t.Errorf("lead %s after the cursor: shadow score %+v, %v", id, got, err)
		}
	}
	for _, id := range firstHalf {
		if got, err := f.shadowScore("b2b-saas", id); leadscore.CodeOf(err) != leadscore.CodeNotFound {
			t.Errorf("lead %s before the cursor was scored again by the resumed job: %+v, %v", id, got, err)
		}
	}
}
