package analytics

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/scoring"
)

var update = flag.Bool("update", false, "rewrite golden files")

func loadSet(t testing.TB, path string) *scoring.Set {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res := modelfile.Parse(path, data)
	if res.HasErrors() {
		t.Fatalf("%s: %v", path, res.Errors())
	}
	set, err := res.Compile(scoring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

var plantedStart = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// planted makes leads from a known process: "strong" multiplies the odds
// of converting by e^2, "backwards" divides them by e, "noise" does
// nothing, and a demo request (30% of leads) multiplies them by e^1.5.
// Leads are created over 10 weeks.
func planted(n int, seed uint64) *SliceSource {
	rng := rand.New(rand.NewPCG(seed, 7))
	src := &SliceSource{}
	for i := range n {
		strong, noise, backwards := rng.Float64() < 0.3, rng.Float64() < 0.5, rng.Float64() < 0.3
		created := plantedStart.Add(time.Duration(rng.Float64() * float64(70*24*time.Hour)))
		lead := &leadscore.Lead{ID: "p" + strconv.Itoa(i), CreatedAt: created,
			Fields: map[string]any{"strong": strong, "noise": noise, "backwards": backwards}}
		var events []leadscore.Event
		demo := rng.Float64() < 0.3
		if demo {
			events = append(events, leadscore.Event{ID: "e" + strconv.Itoa(i), LeadID: lead.ID, Type: "demo.requested", At: created.Add(24 * time.Hour)})
		}
		logit := -2.5 + 2*b2f(strong) - b2f(backwards) + 1.5*b2f(demo)
		conv := rng.Float64() < 1/(1+math.Exp(-logit))
		src.Records = append(src.Records, &Record{Line: i + 2, Input: scoringInput(lead, events),
			Outcome: Outcome{Known: true, Converted: conv, At: created.Add(40 * 24 * time.Hour)}})
	}
	return src
}

func scoringInput(l *leadscore.Lead, ev []leadscore.Event) scoring.Input {
	return scoring.Input{Lead: l, Events: ev}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var asOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func analyze(t testing.TB, src Source, workers int) *Analysis {
	t.Helper()
	a, err := Analyze(context.Background(), src, Options{Set: loadSet(t, "testdata/planted.yaml"), AsOf: asOf, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func liftOf(t *testing.T, lifts []RuleLift, name string) RuleLift {
	t.Helper()
	for _, l := range lifts {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no rule %s", name)
	return RuleLift{}
}

func TestLiftRecoversPlantedEffects(t *testing.T) {
	a := analyze(t, planted(6000, 1), 0)
	lifts := a.Lift()
	strong := liftOf(t, lifts, "strong")
	if strong.Lift < 1.5 || strong.RateFiredLow <= strong.RateNotFiredHi || len(strong.Flags) != 0 {
		t.Errorf("strong: lift %.2f, fired %.3f–%.3f, not fired up to %.3f, flags %v; want a clear positive effect",
			strong.Lift, strong.RateFiredLow, strong.RateFiredHigh, strong.RateNotFiredHi, strong.Flags)
	}
	if noise := liftOf(t, lifts, "noise"); !slices.Equal(noise.Flags, []string{FlagNoClearEffect}) {
		t.Errorf("noise: flags %v, lift %.2f; want only %q", noise.Flags, noise.Lift, FlagNoClearEffect)
	}
	if back := liftOf(t, lifts, "backwards"); !slices.Equal(back.Flags, []string{FlagSignDisagrees}) {
		t.Errorf("backwards: flags %v, lift %.2f; want %q", back.Flags, back.Lift, FlagSignDisagrees)
	}
	if unused := liftOf(t, lifts, "unused"); !slices.Equal(unused.Flags, []string{FlagNeverFires}) || unused.Fired != 0 {
		t.Errorf("unused: fired %d, flags %v; want never fires", unused.Fired, unused.Flags)
	}
	demo := liftOf(t, lifts, "demo")
	if demo.FiredShare < 0.25 || demo.FiredShare > 0.35 {
		t.Errorf("demo fired for %.2f of leads, planted 0.3", demo.FiredShare)
	}

	s, err := a.SuggestPoints(lifts, 0)
	if err != nil {
		t.Fatal(err)
	}
	sug := map[string]float64{}
	for _, r := range s.Rules {
		sug[r.Name] = *r.Suggested
	}
	if !(sug["strong"] > sug["demo"] && sug["demo"] > 0) {
		t.Errorf("suggested strong %g, demo %g: the planted weights are 2 and 1.5", sug["strong"], sug["demo"])
	}
	if math.Abs(sug["noise"]) > 0.2*sug["strong"] {
		t.Errorf("suggested noise %g against strong %g: noise should be near zero", sug["noise"], sug["strong"])
	}
	if sug["backwards"] >= 0 {
		t.Errorf("suggested backwards %g, want negative", sug["backwards"])
	}
	if sug["unused"] != 10 {
		t.Errorf("a rule that never fires keeps its points, got %g", sug["unused"])
	}
	// Positive points handed out by the fitted rules stay the author's:
	// strong 30 + noise 15 + backwards 15 + demo 30.
	var pos float64
	for _, name := range []string{"strong", "noise", "backwards", "demo"} {
		pos += max(sug[name], 0)
	}
	if math.Abs(pos-90) > 2 {
		t.Errorf("positive suggested points add up to %g, want about 90", pos)
	}
}

func TestDraftModelChangesOnlyPoints(t *testing.T) {
	a := analyze(t, planted(3000, 2), 0)
	s, err := a.SuggestPoints(a.Lift(), 0)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("testdata/planted.yaml")
	if err != nil {
		t.Fatal(err)
	}
	draft, err := DraftModel(src, "planted", s)
	if err != nil {
		t.Fatal(err)
	}
	res := modelfile.Parse("draft.yaml", draft)
	if res.HasErrors() {
		t.Fatalf("the draft does not validate: %v\n%s", res.Errors(), draft)
	}
	got := res.Specs[0]
	want := map[string]float64{}
	for _, r := range s.Rules {
		want[r.Name] = *r.Suggested
	}
	for _, r := range modelRules(*got) {
		if r.Points != want[r.Name] {
			t.Errorf("draft %s: %g points, suggested %g", r.Name, r.Points, want[r.Name])
		}
	}
	// Apart from the header comment, only points changed.
	orig := strings.Split(string(src), "\n")
	lines := strings.Split(string(draft), "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool {
		return strings.HasPrefix(l, "# Draft") || strings.HasPrefix(l, "# (") || l == "# activating it."
	})
	if len(lines) != len(orig) {
		t.Fatalf("draft has %d lines, original %d", len(lines), len(orig))
	}
	for i := range orig {
		if orig[i] != lines[i] && !strings.Contains(orig[i], "points:") {
			t.Errorf("line %d changed:\n  %s\n  %s", i+1, orig[i], lines[i])
		}
	}
	if _, err := DraftModel(src, "other", s); leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("a draft of a model not in the file: %v", err)
	}
}

func TestAdviseMeetsTarget(t *testing.T) {
	a := analyze(t, planted(4000, 3), 0)
	weeks := a.Weeks()
	if weeks < 9 || weeks > 10.1 {
		t.Fatalf("weeks %.2f, leads were created over 10 weeks", weeks)
	}
	// What a threshold gives, computed here from the leads directly.
	at := func(th float64) (mqls int, prec, f1 float64) {
		var tp, fp, pos int
		for _, l := range a.Leads {
			if l.Outcome.Converted {
				pos++
			}
			if l.Score >= th {
				mqls++
				if l.Outcome.Converted {
					tp++
				} else {
					fp++
				}
			}
		}
		if tp+fp > 0 {
			prec = float64(tp) / float64(tp+fp)
		}
		rec := float64(tp) / float64(pos)
		if prec+rec > 0 {
			f1 = 2 * prec * rec / (prec + rec)
		}
		return
	}
	var scores []float64
	for _, l := range a.Leads {
		scores = append(scores, l.Score)
	}
	slices.Sort(scores)
	scores = slices.Compact(scores)
	below := func(th float64) (float64, bool) {
		i, _ := slices.BinarySearch(scores, th)
		if i == 0 {
			return 0, false
		}
		return scores[i-1], true
	}
	cases := []struct {
		name   string
		target Target
		check  func(t *testing.T, th float64)
	}{
		{"capacity", Target{CapacityPerWeek: 150}, func(t *testing.T, th float64) {
			n, _, _ := at(th)
			if float64(n)/weeks > 150 {
				t.Errorf("threshold %g gives %.1f MQLs a week, over 150", th, float64(n)/weeks)
			}
			if lower, ok := below(th); ok {
				if n, _, _ := at(lower); float64(n)/weeks <= 150 {
					t.Errorf("the lower threshold %g also fits (%.1f a week); the advice should keep the most MQLs", lower, float64(n)/weeks)
				}
			}
		}},
		{"min rate", Target{MinRate: 0.45}, func(t *testing.T, th float64) {
			if _, p, _ := at(th); p < 0.45 {
				t.Errorf("threshold %g converts %.3f, under 0.45", th, p)
			}
			if lower, ok := below(th); ok {
				if _, p, _ := at(lower); p >= 0.45 {
					t.Errorf("the lower threshold %g also converts %.3f", lower, p)
				}
			}
		}},
		{"best F1", Target{BestF1: true}, func(t *testing.T, th float64) {
			_, _, best := at(th)
			for _, s := range scores {
				if _, _, f := at(s); f > best+1e-12 {
					t.Errorf("threshold %g has F1 %.4f, better than the advice %g with %.4f", s, f, th, best)
				}
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			adv, err := a.Advise(c.target, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !adv.Met {
				t.Fatalf("target %s not met", c.target)
			}
			c.check(t, adv.Threshold)
			if !slices.ContainsFunc(adv.Table, func(r TradeOff) bool { return r.Threshold == adv.Threshold }) || len(adv.Table) < 3 {
				t.Errorf("the trade-off table %v does not surround the suggestion %g", adv.Table, adv.Threshold)
			}
		})
	}
	if adv, err := a.Advise(Target{MinRate: 0.999}, 0); err != nil || adv.Met {
		t.Errorf("an unreachable rate: met %v, err %v", adv != nil && adv.Met, err)
	}
	if _, err := a.Advise(Target{MinRate: 0.2, BestF1: true}, 0); leadscore.CodeOf(err) != leadscore.CodeInvalid {
		t.Errorf("two targets: %v", err)
	}
}

func TestReportOnPlantedData(t *testing.T) {
	a := analyze(t, planted(5000, 4), 0)
	r := a.Report()
	if r.Leads != 5000 || r.WithOutcome != 5000 {
		t.Fatalf("leads %d, with outcome %d", r.Leads, r.WithOutcome)
	}
	if r.AUC < 0.7 {
		t.Errorf("AUC %.3f; the planted effects separate leads well", r.AUC)
	}
	if r.MeanScoreConverted <= r.MeanScoreNotConverted {
		t.Errorf("mean scores: converted %.1f, not %.1f", r.MeanScoreConverted, r.MeanScoreNotConverted)
	}
	// hot, warm, cold: conversion falls band by band.
	for i := 1; i < len(r.Bands); i++ {
		if r.Bands[i].Rate >= r.Bands[i-1].Rate {
			t.Errorf("band %s converts %.3f, not below %s at %.3f", r.Bands[i].Name, r.Bands[i].Rate, r.Bands[i-1].Name, r.Bands[i-1].Rate)
		}
	}
	if len(r.Deciles) != 10 || r.Deciles[0].Lift <= 1 || r.Deciles[9].CumPositives != 1 {
		t.Errorf("deciles: %+v", r.Deciles)
	}
	total := 0
	for _, h := range r.Histogram {
		total += h.Converted + h.NotConverted + h.Unknown
	}
	if total != 5000 {
		t.Errorf("histogram holds %d leads", total)
	}
	if len(r.LowScoreConverted) != 20 || len(r.HighScoreNotConverted) != 20 {
		t.Fatalf("cases: %d and %d", len(r.LowScoreConverted), len(r.HighScoreNotConverted))
	}
	for i := 1; i < 20; i++ {
		if r.LowScoreConverted[i].Score < r.LowScoreConverted[i-1].Score || r.HighScoreNotConverted[i].Score > r.HighScoreNotConverted[i-1].Score {
			t.Fatal("cases are not ordered most surprising first")
		}
	}
	top := r.HighScoreNotConverted[0]
	if len(top.Explanation) == 0 || !strings.Contains(strings.Join(top.Explanation, "\n"), "strong") {
		t.Errorf("the top non-converter's explanation %q does not name its rules", top.Explanation)
	}
}

func TestAnalyzeDoesNotDependOnWorkers(t *testing.T) {
	src := planted(3000, 5)
	one, _ := json.Marshal(analyze(t, src, 1).Report())
	many, _ := json.Marshal(analyze(t, src, 7).Report())
	if !bytes.Equal(one, many) {
		t.Error("the report differs between 1 and 7 workers")
	}
}

func TestBacktestIgnoresFutureEvents(t *testing.T) {
	set := loadSet(t, "testdata/planted.yaml")
	created := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	lead := func(id string, events ...leadscore.Event) *Record {
		l := &leadscore.Lead{ID: id, CreatedAt: created, Fields: map[string]any{"strong": true}}
		return &Record{Input: scoring.Input{Lead: l, Events: events}}
	}
	demoAt := time.Date(2026, 9, 20, 12, 0, 0, 0, time.UTC)
	future := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	run := func(src *SliceSource) *Backtest {
		bt, err := RunBacktest(context.Background(), src, BacktestOptions{Set: set, Model: "planted",
			From: time.Date(2026, 9, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		return bt
	}
	// With a demo on Sep 20, the lead qualifies (30 + 30 >= 50) on the
	// first date after it, Sep 27 (the dates are Sep 6, 13, 20, 27, Oct 4); a demo planted after the range must
	// change nothing.
	clean := run(&SliceSource{Records: []*Record{lead("x", leadscore.Event{ID: "d", Type: "demo.requested", At: demoAt})}})
	planted := run(&SliceSource{Records: []*Record{lead("x",
		leadscore.Event{ID: "d", Type: "demo.requested", At: demoAt},
		leadscore.Event{ID: "f", Type: "demo.requested", At: future},
		leadscore.Event{ID: "g", Type: "never.happens", At: future})}})
	futureOnly := run(&SliceSource{Records: []*Record{lead("x", leadscore.Event{ID: "f", Type: "demo.requested", At: future})}})
	var mqls []int
	for _, p := range clean.Periods {
		mqls = append(mqls, p.Draft.MQLs)
	}
	if !slices.Equal(mqls, []int{0, 0, 0, 1, 1}) {
		t.Errorf("MQLs per date %v, want [0 0 0 1 1] (qualified from Sep 27)", mqls)
	}
	cj, _ := json.Marshal(clean.Periods)
	pj, _ := json.Marshal(planted.Periods)
	if !bytes.Equal(cj, pj) {
		t.Errorf("a future event changed the backtest:\n%s\n%s", cj, pj)
	}
	for _, p := range futureOnly.Periods {
		if p.Draft.MQLs != 0 || p.Draft.MeanScore != 30 {
			t.Errorf("%s: a lead with only a future demo has %d MQLs, mean %g; want 0 and 30", p.At.Format(time.DateOnly), p.Draft.MQLs, p.Draft.MeanScore)
		}
	}
}

func TestBacktestComparesModels(t *testing.T) {
	draftSpec := mustSpec(t, "testdata/planted.yaml")
	draftSpec.Name = "draft"
	// The draft drops the MQL threshold from 50 to 30.
	mql := 30.0
	draftSpec.MQL = &mql
	set, err := scoring.CompileSet([]*leadscore.ModelSpec{draftSpec, mustSpec(t, "testdata/planted.yaml")}, scoring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := planted(2000, 6)
	bt, err := RunBacktest(context.Background(), src, BacktestOptions{Set: set, Model: "draft", Against: "planted",
		From: plantedStart, To: plantedStart.Add(12 * 7 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if bt.DropOut != 0 || bt.NewlyQualify == 0 {
		t.Errorf("a lower threshold: %d newly qualify, %d drop out", bt.NewlyQualify, bt.DropOut)
	}
	if len(bt.Periods) != 13 {
		t.Fatalf("%d periods, want 13 weekly dates", len(bt.Periods))
	}
	newTotal, newAgainst := 0, 0
	for _, p := range bt.Periods {
		if p.Draft.MQLs < p.Current.MQLs {
			t.Errorf("%s: draft %d MQLs below current %d", p.At, p.Draft.MQLs, p.Current.MQLs)
		}
		newTotal += p.Draft.NewMQLs
		newAgainst += p.Current.NewMQLs
	}
	if newTotal != bt.Draft.EverMQL || newAgainst != bt.Current.EverMQL {
		t.Errorf("new MQLs add up to %d and %d, ever MQL %d and %d", newTotal, newAgainst, bt.Draft.EverMQL, bt.Current.EverMQL)
	}
	if bt.NewlyQualify != bt.Draft.EverMQL-bt.Current.EverMQL {
		t.Errorf("newly qualify %d, ever MQL %d vs %d", bt.NewlyQualify, bt.Draft.EverMQL, bt.Current.EverMQL)
	}
	// Leads are created over the range: early dates see fewer of them.
	if bt.Periods[0].Evaluated >= bt.Periods[len(bt.Periods)-1].Evaluated {
		t.Errorf("evaluated %d at the start and %d at the end", bt.Periods[0].Evaluated, bt.Periods[len(bt.Periods)-1].Evaluated)
	}

	// Horizon mode: one evaluation per lead, 40 days before its outcome
	// minus the horizon.
	hz, err := RunBacktest(context.Background(), src, BacktestOptions{Set: set, Model: "draft", Against: "planted", Horizon: 14 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if hz.Evaluations != 2000 || hz.Skipped != 0 {
		t.Errorf("horizon mode: %d evaluations, %d skipped", hz.Evaluations, hz.Skipped)
	}
}

func mustSpec(t *testing.T, path string) *leadscore.ModelSpec {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res := modelfile.Parse(path, data)
	if res.HasErrors() {
		t.Fatal(res.Errors())
	}
	return res.Specs[0]
}

func TestFileSource(t *testing.T) {
	var probs []string
	src := &FileSource{Leads: "testdata/leads.csv", Events: []string{"testdata/events.jsonl"}, OutcomeColumn: "converted",
		OutcomeDateColumn: "converted_at", StageColumns: []string{"mql_at", "sql_at"},
		OnProblem: func(p Problem) { probs = append(probs, p.String()) }}
	var recs []*Record
	if err := src.Each(context.Background(), func(r *Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	// Leads come bucket by bucket; their lines give the file order back.
	slices.SortFunc(recs, func(a, b *Record) int { return a.Line - b.Line })
	// The lead file is read first, its problems in file order; then the
	// events.
	wantProbs := []string{
		`testdata/leads.csv:6: converted: "maybe" is not an outcome (use yes/no, true/false, 1/0 or won/lost); the lead is scored with its outcome unknown`,
		`testdata/leads.csv:9: duplicate lead id "a1" (first on line 2); row skipped`,
		"testdata/events.jsonl:5: not a JSON object",
	}
	if !slices.Equal(probs, wantProbs) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(probs, "\n"), strings.Join(wantProbs, "\n"))
	}
	if len(recs) != 7 {
		t.Fatalf("%d leads, want 7 (the duplicate skipped)", len(recs))
	}
	type got struct {
		id              string
		known, conv     bool
		stages          []bool
		events          int
		hasOutcomeField bool
	}
	var gots []got
	for _, r := range recs {
		_, leak := r.Input.Lead.Fields["converted"]
		gots = append(gots, got{r.Input.Lead.ID, r.Outcome.Known, r.Outcome.Converted, r.Outcome.Stages, len(r.Input.Events), leak})
	}
	want := []got{
		{"a1", true, true, []bool{true, true}, 1, false},
		{"a2", true, true, []bool{true, false}, 0, false},
		{"a3", true, false, []bool{false, false}, 1, false},
		{"a4", true, false, []bool{false, false}, 0, false},
		{"a5", false, false, []bool{false, false}, 0, false},
		{"a6", false, false, []bool{true, false}, 0, false},
		{"a7", true, true, []bool{true, true}, 1, false},
	}
	for i := range want {
		g, w := gots[i], want[i]
		if g.id != w.id || g.known != w.known || g.conv != w.conv || !slices.Equal(g.stages, w.stages) || g.events != w.events || g.hasOutcomeField {
			t.Errorf("lead %d: got %+v, want %+v", i, g, w)
		}
	}
	if at := recs[0].Outcome.At; !at.Equal(time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a1 outcome date %v", at)
	}
	if st := src.Stats(); st.EventsUnknown != 1 || st.EventsBad != 1 || st.OutcomesBad != 1 || st.Duplicates != 1 || st.OutcomesKnown != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestFileSourceWithoutIDColumn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bank.csv")
	data := "\"age\";\"job\";\"y\"\n58;\"management\";\"no\"\n44;\"technician\";\"yes\"\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	src := &FileSource{Leads: path, OutcomeColumn: "y"}
	var ids []string
	var conv []bool
	src.nBuckets = 1 // file order
	err := src.Each(context.Background(), func(r *Record) error {
		ids = append(ids, r.Input.Lead.ID)
		conv = append(conv, r.Outcome.Converted)
		if r.Input.Lead.Fields["job"] == nil || r.Input.Lead.Fields["age"] != 58.0 && r.Input.Lead.Fields["age"] != 44.0 {
			t.Errorf("fields %v", r.Input.Lead.Fields)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"line-2", "line-3"}) || !slices.Equal(conv, []bool{false, true}) || !src.Stats().LineIDs {
		t.Errorf("ids %v, outcomes %v, stats %+v", ids, conv, src.Stats())
	}
}

func TestParseOutcome(t *testing.T) {
	cases := []struct {
		in          any
		conv, known bool
		bad         bool
	}{
		{"yes", true, true, false}, {"No", false, true, false}, {"won", true, true, false}, {"lost", false, true, false},
		{"closed won", true, true, false}, {true, true, true, false}, {false, false, true, false},
		{1.0, true, true, false}, {0.0, false, true, false}, {"", false, false, false}, {nil, false, false, false},
		{"open", false, false, false}, {"maybe", false, false, true}, {2.0, false, false, true},
	}
	for _, c := range cases {
		conv, known, err := parseOutcome(c.in)
		if conv != c.conv || known != c.known || (err != nil) != c.bad {
			t.Errorf("parseOutcome(%#v) = %v, %v, %v", c.in, conv, known, err)
		}
	}
}

func FuzzParseOutcome(f *testing.F) {
	for _, s := range []string{"yes", "no", "won", "1", "", "maybe", "Closed Won"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		conv, known, err := parseOutcome(s)
		if err != nil && (conv || known) {
			t.Fatalf("%q: an error with an outcome", s)
		}
		if conv && !known {
			t.Fatalf("%q: converted but unknown", s)
		}
	})
}

func TestReportGolden(t *testing.T) {
	src := &FileSource{Leads: "testdata/leads.csv", Events: []string{"testdata/events.jsonl"}, OutcomeColumn: "converted",
		OutcomeDateColumn: "converted_at", StageColumns: []string{"mql_at", "sql_at"}}
	a, err := Analyze(context.Background(), src, Options{Set: loadSet(t, "testdata/planted.yaml"), AsOf: asOf})
	if err != nil {
		t.Fatal(err)
	}
	r := a.Report()
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/report.golden.txt", text.Bytes())
	golden(t, "testdata/report.golden.json", append(js, '\n'))

	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, want := range []string{`<svg id="chart-histogram"`, `<svg id="chart-bands"`, `<svg id="chart-roc"`, `<svg id="chart-gains"`, "a7", "demo (2026-09-20)"} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "<link"} {
		if strings.Contains(strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("the HTML report is not self-contained: it has %q", bad)
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, got)
	}
}

// A backtest carries scores forward while the engine says they cannot
// change; that must give exactly what evaluating every lead at every date
// gives. The example model has decay, half-lives, windows and account
// signals, and the generated leads have bots, colleagues and bursts.
func TestBacktestMatchesEvaluatingEveryDate(t *testing.T) {
	leads, events := generate(t, t.TempDir(), 300, 11)
	set := loadSet(t, "../examples/b2b-saas.yaml")
	src := &FileSource{Leads: leads, Events: []string{events}}
	from, to := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	bt, err := RunBacktest(context.Background(), src, BacktestOptions{Set: set, Model: "b2b-saas", Against: "engagement", From: from, To: to, Every: 3 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*Record
	if err := src.Each(context.Background(), func(r *Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	var full int64
	for d, p := range bt.Periods {
		var mqls, against, n int
		var sum int64
		for _, r := range recs {
			if r.Input.Lead.CreatedAt.After(p.At) {
				continue
			}
			evs := set.Evaluate(&r.Input, p.At)
			full++
			n++
			b, _ := set.Model("b2b-saas")
			e, _ := set.Model("engagement")
			for _, ev := range evs {
				switch ev.Model {
				case b.Name():
					sum += int64(math.Round(ev.Score * 100))
					if ev.Qualified {
						mqls++
					}
				case e.Name():
					if ev.Qualified {
						against++
					}
				}
			}
		}
		mean := math.Round(float64(sum)/float64(max(n, 1))) / 100
		if p.Evaluated != n || p.Draft.MQLs != mqls || p.Current.MQLs != against || p.Draft.MeanScore != mean {
			t.Errorf("date %d (%s): backtest %d leads, %d/%d MQLs, mean %g; every date %d leads, %d/%d MQLs, mean %g",
				d, p.At.Format(time.DateOnly), p.Evaluated, p.Draft.MQLs, p.Current.MQLs, p.Draft.MeanScore, n, mqls, against, mean)
		}
	}
	if bt.Evaluations >= full {
		t.Errorf("the backtest evaluated %d times, as many as evaluating every date (%d)", bt.Evaluations, full)
	}
	t.Logf("%d evaluations instead of %d", bt.Evaluations, full)
}

// DraftModel edits YAML text in place; whatever the file, it must either
// refuse or produce a file whose only changes are points values.
func FuzzDraftModel(f *testing.F) {
	src, err := os.ReadFile("testdata/planted.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(src)
	f.Add([]byte("name: planted\ncategories: {fit: {rules: [{name: strong, when: x, points: 3}]}}\n"))
	f.Add([]byte("name: planted\ncategories:\n  fit:\n    rules:\n      - name: strong\n        points: \"3\"\n"))
	s := &Suggestion{Rules: []RuleLift{{RuleRef: RuleRef{Name: "strong"}, Suggested: ptr(-12.0)}, {RuleRef: RuleRef{Name: "noise"}, Suggested: ptr(4.0)}}}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := DraftModel(src, "planted", s)
		if err != nil {
			return
		}
		body := out[bytes.Index(out, []byte("# activating it.\n"))+len("# activating it.\n"):]
		if len(body) < len(src)-4 || len(body) > len(src)+16 {
			t.Fatalf("the draft changed more than points:\n%s\n---\n%s", src, out)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// With a horizon, a lead with an outcome date is scored that long before
// it, so a demo requested after that instant does not count.
func TestReportHorizon(t *testing.T) {
	set := loadSet(t, "testdata/planted.yaml")
	outcome := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	rec := func(id string, demo time.Time, known bool) *Record {
		l := &leadscore.Lead{ID: id, Fields: map[string]any{"strong": true}}
		r := &Record{Input: scoring.Input{Lead: l, Events: []leadscore.Event{{ID: id + "-d", Type: "demo.requested", At: demo}}},
			Outcome: Outcome{Known: true, Converted: true}}
		if known {
			r.Outcome.At = outcome
		}
		return r
	}
	src := &SliceSource{Records: []*Record{
		rec("early", outcome.Add(-20*24*time.Hour), true), // before the horizon: counts
		rec("late", outcome.Add(-3*24*time.Hour), true),   // inside the horizon: does not
		rec("undated", outcome.Add(-3*24*time.Hour), false),
	}}
	a, err := Analyze(context.Background(), src, Options{Set: set, AsOf: asOf, Horizon: 14 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, l := range a.Leads {
		got = append(got, l.Score)
	}
	if !slices.Equal(got, []float64{60, 30, 60}) {
		t.Errorf("scores %v, want [60 30 60]: the late demo falls inside the horizon; the undated lead is scored as of %s", got, asOf.Format(time.DateOnly))
	}
	cases := a.Report().LowScoreConverted
	if len(cases) != 3 || cases[0].LeadID != "late" || !cases[0].AsOf.Equal(outcome.Add(-14*24*time.Hour)) || !cases[2].AsOf.Equal(asOf) {
		t.Errorf("cases %+v", cases)
	}
}
