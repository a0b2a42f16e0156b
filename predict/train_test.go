package predict

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
)

var cutoff = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// plantedLeads writes a lead file and an event file with known effects:
//   - title (senior titles convert more) and employees (bigger converts
//     more) are planted fit effects;
//   - pricing page views in the 30 days before the cut-off are a planted
//     behaviour effect;
//   - plan is noise;
//   - won_reason only has a value for converted leads, and crm_stage
//     almost equals the outcome: both are leaks;
//   - every converted lead has a deal.won event after the cut-off, which
//     must never become a feature.
func plantedLeads(t testing.TB, dir string, n int, seed uint64) (leadsPath, eventsPath string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	var lb, eb bytes.Buffer
	w := csv.NewWriter(&lb)
	_ = w.Write([]string{"id", "email", "title", "employees", "plan", "created_at", "won_reason", "crm_stage", "converted"})
	titles := []string{"VP Engineering", "Director of IT", "Engineer", "Analyst", "Intern"}
	lift := []float64{1.2, 0.8, 0, -0.4, -1}
	plans := []string{"free", "team", "pro"}
	ev := 0
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("L%05d", i)
		ti := rng.IntN(len(titles))
		emp := math.Round(math.Exp(rng.Float64() * 8))
		views := rng.IntN(6)
		z := -2.2 + lift[ti] + 0.35*math.Log(emp)/2 + 0.35*float64(views) - 0.6
		conv := rng.Float64() < learn.Sigmoid(z)
		created := cutoff.Add(-time.Duration(200-rng.IntN(100)) * 24 * time.Hour).Add(time.Duration(i) * time.Second)
		won, stage := "", "open"
		if conv {
			won = []string{"price", "fit", "timing"}[rng.IntN(3)]
			stage = "closed"
		}
		if rng.Float64() < 0.01 {
			stage = "closed"
		}
		email := fmt.Sprintf("p%d@company%d.com", i, i%700)
		if rng.IntN(5) == 0 {
			email = fmt.Sprintf("p%d@gmail.com", i)
		}
		_ = w.Write([]string{id, email, titles[ti], strconv.FormatFloat(emp, 'f', -1, 64), plans[rng.IntN(3)],
			created.Format(time.RFC3339), won, stage, strconv.FormatBool(conv)})
		for v := 0; v < views; v++ {
			at := cutoff.Add(-time.Duration(1+rng.IntN(29*24)) * time.Hour)
			ev++
			fmt.Fprintf(&eb, `{"id":"e%d","lead_id":%q,"type":"page.viewed","timestamp":%q,"properties":{"path":"/pricing"}}`+"\n", ev, id, at.Format(time.RFC3339))
		}
		for v := rng.IntN(4); v > 0; v-- {
			at := cutoff.Add(-time.Duration(1+rng.IntN(80*24)) * time.Hour)
			ev++
			fmt.Fprintf(&eb, `{"id":"e%d","lead_id":%q,"type":"email.opened","timestamp":%q}`+"\n", ev, id, at.Format(time.RFC3339))
		}
		if conv {
			ev++
			fmt.Fprintf(&eb, `{"id":"e%d","lead_id":%q,"type":"deal.won","timestamp":%q}`+"\n", ev, id, cutoff.Add(48*time.Hour).Format(time.RFC3339))
		}
	}
	w.Flush()
	leadsPath, eventsPath = filepath.Join(dir, "leads.csv"), filepath.Join(dir, "events.jsonl")
	if err := os.WriteFile(leadsPath, lb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(eventsPath, eb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return leadsPath, eventsPath
}

func readPlanted(t testing.TB, leads, events string) *Table {
	t.Helper()
	tab, err := ReadLeads(context.Background(), leads, ReadOptions{Target: "converted"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.ReadEvents(context.Background(), events, cutoff); err != nil {
		t.Fatal(err)
	}
	return tab
}

func checkOf(rep *Report, name string) FeatureCheck {
	for _, c := range rep.Features {
		if c.Name == name {
			return c
		}
	}
	return FeatureCheck{}
}

func TestTrainRecoversPlantedEffectsAndCatchesLeaks(t *testing.T) {
	dir := t.TempDir()
	leads, events := plantedLeads(t, dir, 6000, 1)
	for _, learner := range []string{LearnerGBDT, LearnerLogistic} {
		t.Run(learner, func(t *testing.T) {
			tab := readPlanted(t, leads, events)
			if tab.Stats.EventsAfterCut == 0 {
				t.Fatal("no event was after the cut-off: the test data lost its post-outcome events")
			}
			m, rep, err := Train(context.Background(), tab, TrainOptions{Learner: learner, Seed: 3, Folds: 2, AsOf: cutoff, Now: fixedNow,
				GBDT: GBDTOptions{LearningRate: 0.2}})
			if err != nil {
				t.Fatal(err)
			}
			if c := checkOf(rep, "lead.won_reason"); c.Status != "leak" || !strings.Contains(c.Reason, "only has a value for leads that converted") {
				t.Errorf("won_reason: %+v, want a leak for being present only when converted", c)
			}
			if c := checkOf(rep, "lead.crm_stage"); c.Status != "leak" || c.AUC < leakAUC {
				t.Errorf("crm_stage: %+v, want a leak for its AUC", c)
			}
			if c := checkOf(rep, "events deal.won"); c.Name != "" {
				t.Errorf("deal.won happened after the cut-off but became a candidate feature: %+v", c)
			}
			for _, c := range rep.Features {
				if c.Status == "used" && c.AUC >= leakAUC {
					t.Errorf("feature %s used with AUC %.3f", c.Name, c.AUC)
				}
			}
			if rep.CV.Mean < 0.70 || rep.OutOfTime.AUC < 0.68 {
				t.Errorf("CV AUC %.3f, out-of-time %.3f: the planted effects were not learned", rep.CV.Mean, rep.OutOfTime.AUC)
			}
			imp := map[string]float64{}
			for _, s := range m.Importance(tab, 2000) {
				imp[s.Name] = s.Share
			}
			t.Logf("importance: %v", imp)
			for _, planted := range []string{"lead.title", "events page.viewed", "account.employees"} {
				if imp[planted] < 3*imp["lead.plan"] || imp[planted] < 0.08 {
					t.Errorf("planted %s has share %.3f (noise lead.plan %.3f)", planted, imp[planted], imp["lead.plan"])
				}
			}
			if imp["lead.plan"] > 0.04 {
				t.Errorf("noise feature lead.plan has share %.3f, want ~0", imp["lead.plan"])
			}
		})
	}
}

func TestAllowFeatureKeepsAFlaggedLeak(t *testing.T) {
	dir := t.TempDir()
	leads, events := plantedLeads(t, dir, 1500, 2)
	tab := readPlanted(t, leads, events)
	_, rep, err := Train(context.Background(), tab, TrainOptions{Learner: LearnerLogistic, Folds: 2, AsOf: cutoff, Now: fixedNow,
		Selection: Selection{Allow: []string{"crm_stage"}, Drop: []string{"won_reason"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c := checkOf(rep, "lead.crm_stage"); c.Status != "used" || c.Warning == "" {
		t.Errorf("crm_stage: %+v, want used with a warning", c)
	}
	if c := checkOf(rep, "lead.won_reason"); c.Status != "dropped" {
		t.Errorf("won_reason: %+v, want dropped by request", c)
	}
	if _, _, err := Train(context.Background(), tab, TrainOptions{Selection: Selection{Drop: []string{"no_such"}}}); leadscore.CodeOf(err) != leadscore.CodeInvalid || !strings.Contains(err.Error(), "candidates") {
		t.Errorf("dropping an unknown feature: %v", err)
	}
}

// TestCalibratedOnHeldOutLeads trains on one sample and scores another,
// lead by lead through the scoring path: predicted probabilities match
// observed conversion rates by decile.
func TestCalibratedOnHeldOutLeads(t *testing.T) {
	dir := t.TempDir()
	leads, events := plantedLeads(t, dir, 8000, 4)
	tab := readPlanted(t, leads, events)
	m, _, err := Train(context.Background(), tab, TrainOptions{Seed: 1, Folds: 1, AsOf: cutoff, Now: fixedNow,
		Selection: Selection{Drop: []string{"won_reason", "crm_stage"}}})
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	leads2, events2 := plantedLeads(t, other, 8000, 5)
	probs, ys := scoreFiles(t, m, leads2, events2)
	var worst float64
	for _, b := range learn.Calibration(probs, ys, 10) {
		worst = max(worst, math.Abs(b.MeanPredicted-b.Observed))
	}
	if worst > 0.06 {
		t.Errorf("largest gap between predicted and observed rate by decile %.3f, want <= 0.06", worst)
	}
	if auc := learn.AUC(probs, ys); auc < 0.70 {
		t.Errorf("held-out AUC %.3f", auc)
	}
}

// scoreFiles scores every lead of a planted file through Scorer, as the
// engine would, with its events.
func scoreFiles(t testing.TB, m *Model, leads, events string) ([]float64, []bool) {
	t.Helper()
	data, err := os.ReadFile(leads)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	byLead := eventsByLead(t, events)
	s := m.NewScorer()
	var probs []float64
	var ys []bool
	for _, r := range rows[1:] {
		emp, _ := strconv.ParseFloat(r[3], 64)
		n := int64(emp)
		l := &leadscore.Lead{ID: r[0], Email: r[1], Title: r[2], Fields: map[string]any{"plan": r[4], "won_reason": r[6], "crm_stage": r[7]}}
		a := &leadscore.Account{Employees: &n}
		p := s.Score(l, a, byLead[r[0]], cutoff, 0)
		probs = append(probs, p.Probability)
		ys = append(ys, r[8] == "true")
	}
	return probs, ys
}

func eventsByLead(t testing.TB, path string) map[string][]leadscore.Event {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]leadscore.Event{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var lead, typ, ts string
		for _, part := range strings.Split(strings.Trim(line, "{}"), ",") {
			k, v, _ := strings.Cut(part, ":")
			v = strings.Trim(v, `"`)
			switch strings.Trim(k, `"`) {
			case "lead_id":
				lead = v
			case "type":
				typ = v
			case "timestamp":
				ts = strings.TrimPrefix(part, `"timestamp":`)
				ts = strings.Trim(ts, `"`)
			}
		}
		at, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out[lead] = append(out[lead], leadscore.Event{LeadID: lead, Type: typ, At: at})
	}
	return out
}

func TestSameSeedSameArtefact(t *testing.T) {
	dir := t.TempDir()
	leads, events := plantedLeads(t, dir, 2000, 6)
	train := func(learner string) []byte {
		tab := readPlanted(t, leads, events)
		m, _, err := Train(context.Background(), tab, TrainOptions{Learner: learner, Seed: 9, Folds: 2, AsOf: cutoff, Now: fixedNow,
			DataHash: "sha256:test", Target: "converted", GBDT: GBDTOptions{LearningRate: 0.2}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.JSON()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, learner := range []string{LearnerGBDT, LearnerLogistic} {
		a, b := train(learner), train(learner)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the same seed gave different artefacts", learner)
		}
	}
}

// TestArtefactRoundTrip: a model read back from its JSON predicts exactly
// what the trained one does, and its factors add up to the raw score.
func TestArtefactRoundTrip(t *testing.T) {
	dir := t.TempDir()
	leads, events := plantedLeads(t, dir, 2000, 7)
	for _, learner := range []string{LearnerGBDT, LearnerLogistic} {
		tab := readPlanted(t, leads, events)
		m, _, err := Train(context.Background(), tab, TrainOptions{Learner: learner, Folds: 1, AsOf: cutoff, Now: fixedNow,
			Selection: Selection{Drop: []string{"won_reason", "crm_stage"}}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := m.JSON()
		back, err := Parse(b, "model.json")
		if err != nil {
			t.Fatal(err)
		}
		byLead := eventsByLead(t, events)
		n := int64(250)
		lead := &leadscore.Lead{ID: "L00001", Email: "ann@gmail.com", Title: "VP Engineering", Fields: map[string]any{"plan": "pro"}}
		acct := &leadscore.Account{Employees: &n}
		s1, s2 := m.NewScorer(), back.NewScorer()
		p1 := s1.Score(lead, acct, byLead["L00001"], cutoff, 100)
		p2 := s2.Score(lead, acct, byLead["L00001"], cutoff, 100)
		if p1.Probability != p2.Probability || len(p1.Factors) != len(p2.Factors) {
			t.Fatalf("%s: %+v read back as %+v", learner, p1, p2)
		}
		sum := back.expectedRaw()
		for _, f := range p2.Factors {
			sum += f.Effect
		}
		raw := back.Raw(s2.row)
		// Tables of boosted trees hold single-precision values.
		if math.Abs(sum-raw) > 1e-5 {
			t.Errorf("%s: average + factors = %.12f, raw score %.12f", learner, sum, raw)
		}
		var texts []string
		for _, f := range p2.Factors {
			texts = append(texts, f.Text)
		}
		joined := strings.Join(texts, "\n")
		for _, want := range []string{"job title: vp engineering", "page.viewed"} {
			if !strings.Contains(joined, want) {
				t.Errorf("%s: factors do not mention %q:\n%s", learner, want, joined)
			}
		}
	}
}

func TestMinimumDataGuard(t *testing.T) {
	dir := t.TempDir()
	leads, events := plantedLeads(t, dir, 250, 8)
	tab := readPlanted(t, leads, events)
	m, rep, err := Train(context.Background(), tab, TrainOptions{Learner: LearnerLogistic, Folds: 2, AsOf: cutoff, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if m.Activatable || rep.Activatable || len(m.NotActivatable) == 0 || !strings.Contains(m.NotActivatable[0], "conversions") {
		t.Fatalf("%d conversions: activatable=%v %v", tab.Stats.Converted, m.Activatable, m.NotActivatable)
	}
	path := filepath.Join(dir, "m.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPredictor(path); err == nil || !strings.Contains(err.Error(), "not activatable") {
		t.Errorf("loading a model below the minimum: %v", err)
	}
}

func TestReadLeadsKeepsGoodRows(t *testing.T) {
	in := "id,title,converted\n1,VP,yes\n2,CTO,maybe\n3,Dev,\n\"4,Dev,no\n"
	tab, err := readLeads(context.Background(), strings.NewReader(in), "leads.csv", ReadOptions{Target: "Converted"})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows() != 1 || tab.Stats.NoOutcome != 1 || tab.Stats.Rejected != 2 {
		t.Fatalf("rows %d, stats %+v", tab.Rows(), tab.Stats)
	}
	if want := `leads.csv:3: column "converted": cannot read "maybe" as an outcome`; !strings.HasPrefix(tab.Stats.Problems[0], want) {
		t.Errorf("problem %q, want it to start with %q", tab.Stats.Problems[0], want)
	}
	if _, err := readLeads(context.Background(), strings.NewReader(in), "leads.csv", ReadOptions{Target: "won"}); err == nil || !strings.Contains(err.Error(), `no column "won"`) {
		t.Errorf("unknown target: %v", err)
	}
}

func TestLeaveOutDecided(t *testing.T) {
	in := "id,converted,converted_at\n1,yes,2026-09-01\n2,yes,2026-10-05\n3,no,\n4,yes,\n"
	tab, err := readLeads(context.Background(), strings.NewReader(in), "leads.csv", ReadOptions{Target: "converted", OutcomeAt: "converted_at"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tab.Sources {
		if s.Name == "lead.converted_at" {
			t.Error("the outcome-time column became a candidate feature")
		}
	}
	tab.LeaveOutDecided(cutoff)
	if got := strings.Join(tab.IDs, ","); got != "2,3,4" || tab.Stats.DecidedBeforeCut != 1 || tab.Stats.Converted != 2 {
		t.Errorf("kept %s, stats %+v", got, tab.Stats)
	}
}
