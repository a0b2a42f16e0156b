package service

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
	"github.com/leadscore/leadscore/learn"
)

// reportFixture is the simple model over ten leads with outcomes recorded
// through the service:
//
//	a0..a3: two demo requests (60, hot, MQL): won, won, won, lost
//	b0..b2: one demo request (30, warm):      won, lost, lost
//	c0..c2: none (0, cold):                   lost, no outcome, no outcome
func reportFixture(t *testing.T, open func() leadscore.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	st := open()
	c := &clock{t: start}
	svc := startTestService(t, Config{Store: st, Clock: c.Now, DueInterval: time.Hour})
	f := &fixture{t: t, svc: svc, clock: c, store: st}
	up, err := svc.UploadModel(ctx, "simple.yaml", []byte(simpleModel), "test")
	if err != nil {
		t.Fatalf("upload: %v %v", err, up)
	}
	f.activate("simple", up.Versions[0].Version)

	outcomes := map[string]leadscore.OutcomeResult{"a0": "won", "a1": "won", "a2": "won", "a3": "lost",
		"b0": "won", "b1": "lost", "b2": "lost", "c0": "lost"}
	demos := map[byte]int{'a': 2, 'b': 1, 'c': 0}
	for _, group := range []byte("abc") {
		for i := range 4 {
			id := fmt.Sprintf("%c%d", group, i)
			if group != 'a' && i == 3 {
				continue
			}
			f.ingest(identify("id-"+id, id, map[string]any{"email": id + "@example.com", "title": "Analyst"}))
			for d := range demos[group] {
				f.ingest(track(fmt.Sprintf("demo-%s-%d", id, d), id, "demo.requested", nil))
			}
		}
	}
	c.Add(time.Hour)
	for id, res := range outcomes {
		if _, err := svc.RecordOutcome(ctx, leadscore.Outcome{LeadID: id, Result: res}); err != nil {
			t.Fatal(err)
		}
	}
	c.Add(time.Hour)
	return f
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCalibrationReportSQLite(t *testing.T)   { testCalibrationReport(t, sqliteOpener(t)) }
func TestCalibrationReportPostgres(t *testing.T) { testCalibrationReport(t, postgresOpener(t)) }

func testCalibrationReport(t *testing.T, open func() leadscore.Store) {
	f := reportFixture(t, open)
	ctx := context.Background()
	res, err := f.svc.CalibrationReport(ctx, analytics.Query{Model: "simple"})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	if res.Scope.StoredLeads != 10 || res.Scope.Read != 10 || res.Scope.Limited {
		t.Errorf("scope %+v, want 10 leads read of 10", res.Scope)
	}
	// By hand: eight outcomes, four won; converters score 60,60,60,30 and
	// the others 60,30,30,0.
	if r.Leads != 10 || r.WithOutcome != 8 || r.Converted != 4 || !near(r.BaseRate, 0.5) {
		t.Errorf("leads %d, with outcome %d, converted %d, base rate %g; want 10, 8, 4, 0.5", r.Leads, r.WithOutcome, r.Converted, r.BaseRate)
	}
	if !near(r.MeanScoreConverted, 52.5) || !near(r.MeanScoreNotConverted, 30) {
		t.Errorf("mean scores %g / %g, want 52.5 / 30", r.MeanScoreConverted, r.MeanScoreNotConverted)
	}
	// Of the 16 converter/non-converter pairs, the converter scores higher
	// in 11 and ties in 3: (11 + 3/2) / 16.
	if !near(r.AUC, 12.5/16) {
		t.Errorf("AUC %g, want %g", r.AUC, 12.5/16)
	}
	if r.AtMQL == nil || r.AtMQL.Confusion != (learn.Confusion{TP: 3, FP: 1, TN: 3, FN: 1}) {
		t.Errorf("at MQL: %+v, want TP 3, FP 1, TN 3, FN 1", r.AtMQL)
	}
	want := map[string][3]int{"hot": {4, 4, 3}, "warm": {3, 3, 1}, "cold": {3, 1, 0}}
	for _, b := range r.Bands {
		if got := [3]int{b.Leads, b.Known, b.Converted}; got != want[b.Name] {
			t.Errorf("band %s: leads, with outcome, converted = %v, want %v", b.Name, got, want[b.Name])
		}
	}
	// The four MQLs are at the MQL stage or beyond; a won lead reached
	// every stage.
	funnel := map[string]int{}
	for _, s := range r.Funnel {
		funnel[s.Name] = s.Reached
	}
	if funnel["marketingqualifiedlead"] != 5 || funnel["customer"] != 4 {
		t.Errorf("funnel %+v, want 5 MQLs (four qualified and b0, won) and 4 customers", r.Funnel)
	}

	// Counting old leads without an outcome as lost adds c1 and c2.
	res, err = f.svc.CalibrationReport(ctx, analytics.Query{Model: "simple", LostAfter: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.WithOutcome != 10 || res.Report.Converted != 4 || res.Scope.LostAfter != "1h0m0s" {
		t.Errorf("lost after 1h: with outcome %d, converted %d, scope %+v; want 10, 4", res.Report.WithOutcome, res.Report.Converted, res.Scope)
	}

	// A limit reads the first leads by id and says so.
	res, err = f.svc.CalibrationReport(ctx, analytics.Query{Model: "simple", MaxLeads: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Leads != 4 || !res.Scope.Limited || res.Scope.Read != 4 {
		t.Errorf("limit 4: %d leads, scope %+v", res.Report.Leads, res.Scope)
	}

	if _, err := f.svc.CalibrationReport(ctx, analytics.Query{Model: "nope"}); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Errorf("unknown model: %v, want not_found", err)
	}
	if _, err := f.svc.CalibrationReport(ctx, analytics.Query{}); leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("no model: %v, want invalid", err)
	}
}

func TestThresholdAdviceAndLiftFromTheStore(t *testing.T) {
	f := reportFixture(t, sqliteOpener(t))
	ctx := context.Background()
	adv, err := f.svc.ThresholdAdvice(ctx, analytics.Query{Model: "simple"}, analytics.Target{BestF1: true})
	if err != nil {
		t.Fatal(err)
	}
	// F1 at 60: 0.75; at 30: 8/11; at 0: 2/3.
	if adv.Advice.Threshold != 60 || !near(adv.Advice.Suggest.F1, 0.75) {
		t.Errorf("best F1: threshold %g, F1 %g; want 60, 0.75", adv.Advice.Threshold, adv.Advice.Suggest.F1)
	}
	adv, err = f.svc.ThresholdAdvice(ctx, analytics.Query{Model: "simple"}, analytics.Target{MinRate: 0.55})
	if err != nil {
		t.Fatal(err)
	}
	// At 30 the MQLs convert 4 of 7 times (57%), the lowest threshold
	// reaching 55%.
	if adv.Advice.Threshold != 30 || !adv.Advice.Met {
		t.Errorf("min rate 55%%: threshold %g, met %v; want 30, true", adv.Advice.Threshold, adv.Advice.Met)
	}

	lift, err := f.svc.RuleLift(ctx, analytics.Query{Model: "simple"})
	if err != nil {
		t.Fatal(err)
	}
	var demo *analytics.RuleLift
	for i := range lift.Rules {
		if lift.Rules[i].Name == "demo" {
			demo = &lift.Rules[i]
		}
	}
	// demo fired for the seven a and b leads: 4 of 7 known converted; of
	// the one c lead with an outcome, none.
	if demo == nil || demo.Fired != 7 || demo.FiredKnown != 7 || demo.FiredConverted != 4 || demo.NotFiredKnown != 1 || demo.NotConverted != 0 {
		t.Errorf("demo lift %+v", demo)
	}
}

func TestPreviewOfADraftVersion(t *testing.T) {
	f := reportFixture(t, sqliteOpener(t))
	ctx := context.Background()
	// Half the points: two demos make 30, below the MQL.
	draft := strings.Replace(simpleModel, "points: 30", "points: 15", 1)
	up, err := f.svc.UploadModel(ctx, "simple.yaml", []byte(draft), "test")
	if err != nil {
		t.Fatalf("upload: %v %v", err, up)
	}
	res, err := f.svc.PreviewVersion(ctx, analytics.Query{Model: "simple", Version: up.Versions[0].Version})
	if err != nil {
		t.Fatal(err)
	}
	bt := res.Backtest
	if bt.NewlyQualify != 0 || bt.DropOut != 4 || bt.Leads != 10 {
		t.Errorf("newly %d, drop out %d, leads %d; want 0, 4, 10", bt.NewlyQualify, bt.DropOut, bt.Leads)
	}
	if bt.Current == nil || !near(bt.Current.FinalMean, 33) || !near(bt.Draft.FinalMean, 16.5) {
		t.Errorf("means: draft %g, active %+v; want 16.5 and 33", bt.Draft.FinalMean, bt.Current)
	}
	if res.Active == res.Version {
		t.Errorf("compared %s with itself", res.Version)
	}
	// Nothing was activated.
	act, _ := f.svc.ActiveModels(ctx)
	if len(act) != 1 || act[0].Version == up.Versions[0].Version {
		t.Errorf("active after preview: %+v", act)
	}
	if _, err := f.svc.PreviewVersion(ctx, analytics.Query{Model: "simple", Version: "nope"}); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Errorf("unknown version: %v, want not_found", err)
	}
}

// TestReportsAreBounded: a report out of time ends with a message saying
// what to do, not an internal error.
func TestReportsAreBounded(t *testing.T) {
	f := reportFixture(t, sqliteOpener(t))
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(-time.Hour))
	defer cancel()
	_, err := f.svc.CalibrationReport(ctx, analytics.Query{Model: "simple"})
	if leadscore.CodeOf(err) != leadscore.CodeInvalid || !strings.Contains(err.Error(), "max_leads") {
		t.Errorf("out of time: %v, want invalid naming max_leads", err)
	}
}

// TestStoredLeadsSeeTheirColleagues: a report over the stored leads reads
// them account by account, so each lead sees its colleagues' activity
// (account.active_people) even when an account spans a page boundary,
// and the buying-committee rule fires in the report as it did live.
func TestStoredLeadsSeeTheirColleagues(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, p := range []string{"ana", "ben", "cy"} {
		f.ingest(identify("id-"+p, p, map[string]any{"email": p + "@acme-corp.com"}))
		f.ingest(track("e-"+p, p, "page.viewed", map[string]any{"path": "/docs"}))
	}
	f.ingest(identify("id-dan", "dan", map[string]any{"email": "dan@beta-labs.io"}),
		identify("id-eve", "eve", map[string]any{"email": "eve@gmail.com"}),
		identify("id-fay", "fay", map[string]any{"email": "fay@acme-corp.com"}))
	f.ingest(track("e-dan", "dan", "page.viewed", map[string]any{"path": "/docs"}))

	q := analytics.Query{Model: "b2b-saas", AsOf: f.clock.Now()}
	set, err := f.svc.modelSet(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []int{2, 3, 500} {
		src, _, err := f.svc.newStoreSource(ctx, &q)
		if err != nil {
			t.Fatal(err)
		}
		src.page = page
		peers := map[string]string{}
		committee := map[string]bool{}
		var order []string
		err = src.Each(ctx, func(r *analytics.Record) error {
			order = append(order, r.Input.Lead.ID)
			var names []string
			for _, p := range r.Input.Peers {
				names = append(names, p.LeadID)
			}
			peers[r.Input.Lead.ID] = strings.Join(names, " ")
			for _, ev := range set.Evaluate(&r.Input, q.AsOf) {
				for _, c := range ev.Contributions {
					if ev.Model == "b2b-saas" && c.Rule == "buying-committee" {
						committee[r.Input.Lead.ID] = true
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(order) != 6 {
			t.Fatalf("page %d: %d leads handed out (%v), want 6", page, len(order), order)
		}
		want := map[string]string{"ana": "ben cy", "ben": "ana cy", "cy": "ana ben", "fay": "ana ben cy", "dan": "", "eve": ""}
		for id, w := range want {
			if peers[id] != w {
				t.Errorf("page %d: %s sees active colleagues %q, want %q", page, id, peers[id], w)
			}
		}
		for _, id := range []string{"ana", "ben", "cy", "fay"} {
			if !committee[id] {
				t.Errorf("page %d: three active people at acme-corp.com are a buying committee for %s", page, id)
			}
		}
		if committee["dan"] || committee["eve"] {
			t.Errorf("page %d: dan and eve have no committee: %v", page, committee)
		}
	}
}
