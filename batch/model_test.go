package batch

import (
	"testing"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
)

func f64(v float64) *float64 { return &v }

// testSpecs is a small but complete model set: fit and behaviour rules,
// caps, a grade, a prefix, a requirement, decay, an account signal
// (active_people, which needs peers) and a combined model.
func testSpecs() []*leadscore.ModelSpec {
	b2b := &leadscore.ModelSpec{
		Name:  "b2b",
		MQL:   f64(50),
		Bands: []leadscore.Band{{Name: "hot", Min: 70}, {Name: "warm", Min: 40}, {Name: "cold", Min: 0}},
		Requirements: []leadscore.Requirement{
			{Name: "real-email", When: "lead.email_valid && !lead.email_disposable", Reason: "disposable or invalid email"},
		},
		Prefix: []leadscore.PrefixRule{
			{Digit: 3, When: "(account.employees ?? 0) >= 1000", Label: "large"},
			{Digit: 2, When: "(account.employees ?? 0) >= 100", Label: "mid"},
			{Digit: 1, Label: "small"},
		},
		Grade: &leadscore.GradeSpec{Category: "fit", Levels: []leadscore.GradeLevel{{Grade: "A", Min: 30}, {Grade: "B", Min: 15}, {Grade: "C", Min: 0}}},
		Categories: []leadscore.CategorySpec{
			{Name: "fit", Max: f64(50), Rules: []leadscore.RuleSpec{
				{Name: "senior-title", When: `lead.title matches "(?i)\\b(vp|director|head|chief|ceo|cto|cfo|coo|founder)\\b"`, Points: 15},
				{Name: "student", When: `lead.title matches "(?i)student|intern"`, Points: -15},
				{Name: "target-size", When: "(account.employees ?? 0) >= 50", Points: 10},
				{Name: "software", When: `account.industry == "Software"`, Points: 5},
				{Name: "free-email", When: "lead.email_free", Points: -10},
				{Name: "buying-committee", When: "account.active_people >= 2", Points: 10},
				{Name: "target-account", When: "account.priority", Points: 10},
			}},
			{Name: "interest", Max: f64(60), Categories: []leadscore.CategorySpec{
				{Name: "critical", Max: f64(30), Rules: []leadscore.RuleSpec{
					{Name: "demo", Events: []string{"demo.requested"}, Points: 25, Count: leadscore.CountOnce},
					{Name: "trial-then-demo", Events: []string{"trial.started"}, Points: 10,
						Then: &leadscore.SequenceStep{Events: []string{"demo.requested"}, Within: 14 * leadscore.Day}},
				}},
				{Name: "engagement", Max: f64(30), HalfLife: 45 * leadscore.Day, Rules: []leadscore.RuleSpec{
					{Name: "pricing", Events: []string{"page.viewed"}, Where: `event.path startsWith "/pricing"`, Points: 10, Count: leadscore.CountDay},
					{Name: "opens", Events: []string{"email.opened"}, SkipFirst: 3, Points: 1, MaxPoints: f64(5), Within: 30 * leadscore.Day},
					{Name: "clicks", Events: []string{"email.clicked"}, Points: 3, MaxTimes: 4},
					{Name: "busy-week", Events: []string{"session.started"}, AtLeast: 3, Within: 7 * leadscore.Day, Points: 10},
					{Name: "unsubscribed", Events: []string{"email.unsubscribed"}, Points: -20, Count: leadscore.CountOnce},
				}},
			}},
		},
		Decay: leadscore.DecaySpec{
			Inactivity: []leadscore.DecayStep{{After: 30 * leadscore.Day, Points: -10}, {After: 60 * leadscore.Day, Points: -10}},
			Category:   "interest",
		},
	}
	forms := &leadscore.ModelSpec{
		Name:  "forms",
		Bands: []leadscore.Band{{Name: "high", Min: 50}, {Name: "low", Min: 0}},
		Categories: []leadscore.CategorySpec{
			{Name: "forms", Rules: []leadscore.RuleSpec{
				{Name: "contact", Events: []string{"form.submitted"}, Where: `event.form == "contact"`, Points: 40, Count: leadscore.CountOnce},
				{Name: "content", Events: []string{"form.*", "webinar.*"}, Where: `event.type != "form.submitted" || event.form != "contact"`, Points: 5, MaxPoints: f64(30)},
			}},
		},
	}
	combined := &leadscore.ModelSpec{
		Name: "overall",
		Kind: leadscore.KindCombined,
		Combine: &leadscore.CombineSpec{Parts: []leadscore.CombinePart{
			{Model: "b2b", Weight: 2}, {Model: "forms", Weight: 1},
		}},
	}
	return []*leadscore.ModelSpec{b2b, forms, combined}
}

func testSet(t testing.TB, checker *quality.Checker) *scoring.Set {
	t.Helper()
	set, err := scoring.CompileSet(testSpecs(), scoring.Options{Checker: checker})
	if err != nil {
		t.Fatal(err)
	}
	return set
}
