package modelfile

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

func TestParseTests(t *testing.T) {
	src := `as_of: 2026-11-01
cases:
  - name: relative times and custom fields
    lead: {id: l1, email: jane@acme.com, age: 34, fields: {plan: pro}, created_at: 2026-01-15}
    account: {domain: acme.com, employees: 450, revenue: 1.5e6, priority: true, lists: [target], tier: gold}
    account_scores: {fit: 40}
    peers: [{lead_id: l2, activity: [-3d, 2026-10-01T12:00:00Z]}]
    events:
      - {type: page.viewed, at: -36h, properties: {path: /pricing, n: 2}}
      - {id: x9, type: email.clicked, at: +1h, bot: true, bot_reason: scanner, source: hubspot, user_agent: curl}
    expect:
      score: 65
      display: 2065
      band: warm
      grade: B
      qualified: false
      disqualified: true
      reasons: []
      rules: senior-title
      not_rules: [a, b]
      categories: {interest.engagement: 12.5}
  - name: own as_of and model
    model: other
    as_of: 2026-10-01T08:30:00+02:00
    expect: {score: 0}
`
	cases, diags := ParseTests("t.tests.yaml", []byte(src))
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics: %v", diagStrings(diags))
	}
	if len(cases) != 2 {
		t.Fatalf("want 2 cases, got %d", len(cases))
	}
	c := cases[0]
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if !c.AsOf.Equal(asOf) || c.Line != 3 || c.File != "t.tests.yaml" {
		t.Errorf("file-level as_of as a date: got %v at line %d", c.AsOf, c.Line)
	}
	l := c.Input.Lead
	if l.ID != "l1" || l.Email != "jane@acme.com" || l.AccountID != "acme.com" || !l.CreatedAt.Equal(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("lead standard fields: got %+v", l)
	}
	if l.Fields["age"] != 34.0 || l.Fields["plan"] != "pro" {
		t.Errorf("unknown lead keys and fields: are custom fields, numbers as float64: got %#v", l.Fields)
	}
	a := c.Input.Account
	if a.ID != "acme.com" || a.Employees == nil || *a.Employees != 450 || a.Revenue == nil || *a.Revenue != 1.5e6 ||
		!a.Priority || !slices.Equal(a.Lists, []string{"target"}) || a.Fields["tier"] != "gold" {
		t.Errorf("account: got %+v", a)
	}
	if c.Input.AccountScores["fit"] != 40 {
		t.Errorf("account_scores: got %v", c.Input.AccountScores)
	}
	if len(c.Input.Peers) != 1 || !c.Input.Peers[0].Activity[0].Equal(asOf.Add(-72*time.Hour)) {
		t.Errorf("peer activity relative to as_of: got %+v", c.Input.Peers)
	}
	evs := c.Input.Events
	if len(evs) != 2 {
		t.Fatalf("want 2 events, got %d", len(evs))
	}
	if evs[0].ID != "e1" || evs[0].LeadID != "l1" || !evs[0].At.Equal(asOf.Add(-36*time.Hour)) || evs[0].Properties["path"] != "/pricing" || evs[0].Properties["n"] != 2.0 {
		t.Errorf("first event: got %+v", evs[0])
	}
	if e := evs[1]; e.ID != "x9" || !e.At.Equal(asOf.Add(time.Hour)) || !e.Bot || e.BotReason != "scanner" || e.Source != "hubspot" || e.UserAgent != "curl" {
		t.Errorf("second event: got %+v", e)
	}
	x := c.Expect
	if x.Score == nil || *x.Score != 65 || x.Display == nil || *x.Display != 2065 || *x.Band != "warm" || *x.Grade != "B" ||
		*x.Qualified || !*x.Disqualified {
		t.Errorf("scalar expectations: got %+v", x)
	}
	if x.Reasons == nil || len(x.Reasons) != 0 {
		t.Errorf("reasons: [] expects no reasons (empty, not nil): got %#v", x.Reasons)
	}
	if !slices.Equal(x.Rules, []string{"senior-title"}) || !slices.Equal(x.NotRules, []string{"a", "b"}) {
		t.Errorf("rules: a single name or a list: got %v, %v", x.Rules, x.NotRules)
	}
	if !slices.Equal(x.Categories, []CategoryExpect{{"interest.engagement", 12.5}}) {
		t.Errorf("categories: got %v", x.Categories)
	}
	c = cases[1]
	if c.Model != "other" || !c.AsOf.Equal(time.Date(2026, 10, 1, 6, 30, 0, 0, time.UTC)) || c.Input.Lead == nil {
		t.Errorf("second case: model %q, as_of %v, lead %v", c.Model, c.AsOf, c.Input.Lead)
	}
	if c.Expect.Band != nil || c.Expect.Reasons != nil {
		t.Errorf("expectations not written are not checked: got %+v", c.Expect)
	}
}

func TestParseTestsProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"no cases", "as_of: 2026-01-01\n", []string{"t.yaml:1:1: error: a fixture file needs cases: (a list of cases)"}},
		{"empty file", "", []string{"t.yaml:1:1: error: the file is empty; it needs cases:"}},
		{"missing as_of", "cases:\n  - {name: a, expect: {score: 1}}\n", []string{
			"t.yaml:2:5: error: case \"a\": needs as_of, the instant to score at (or set as_of: at the top of the file)",
		}},
		{"relative as_of", "cases:\n  - {name: a, as_of: -1d, expect: {}}\n", []string{
			"t.yaml:2:22: error: case \"a\": as_of: a relative time needs as_of",
		}},
		{"bad time", "as_of: 2026-01-01\ncases:\n  - {name: a, events: [{type: x, at: yesterday}], expect: {}}\n", []string{
			`t.yaml:3:38: error: case "a": events[0].at: expected a time such as 2026-11-01T09:00:00Z, a date such as 2026-11-01, or a time relative to as_of such as -2d; got "yesterday"`,
		}},
		{"event without type", "as_of: 2026-01-01\ncases:\n  - {name: a, events: [{at: -1d}], expect: {}}\n", []string{
			`t.yaml:3:24: error: case "a": events[0]: an event needs a type`,
		}},
		{"unknown event key", "as_of: 2026-01-01\ncases:\n  - {name: a, events: [{type: x, at: -1d, propertys: {}}], expect: {}}\n", []string{
			`t.yaml:3:43: error: case "a": events[0]: unknown field "propertys" (did you mean "properties"?)`,
		}},
		{"unknown expect key", "as_of: 2026-01-01\ncases:\n  - {name: a, expect: {scroe: 1}}\n", []string{
			`t.yaml:3:24: error: case "a": expect: unknown field "scroe" (did you mean "score"?)`,
		}},
		{"missing expect", "as_of: 2026-01-01\ncases:\n  - {name: a}\n", []string{
			`t.yaml:3:5: error: case "a": needs expect: (what the score should be)`,
		}},
		{"duplicate names", "as_of: 2026-01-01\ncases:\n  - {name: a, expect: {}}\n  - {name: a, expect: {}}\n", []string{
			`t.yaml:4:5: error: case "a": the name is also used by the case at line 3`,
		}},
		{"employees must be whole", "as_of: 2026-01-01\ncases:\n  - {name: a, account: {employees: many}, expect: {}}\n", []string{
			`t.yaml:3:36: error: case "a": account.employees: expected a whole number, got "many"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParseTests("t.yaml", []byte(tt.src))
			if got := diagStrings(diags); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestCompare(t *testing.T) {
	ev := &leadscore.Evaluation{
		Score: 60, Display: 2060, Band: "warm", Grade: "B", Qualified: false, Disqualified: true,
		Reasons:       []string{"under 18", "bad email"},
		Contributions: []leadscore.Contribution{{Rule: "vp", Points: 10}, {Rule: "opens", Points: 0}, {Rule: "unsub", Points: -20}},
		Categories:    []leadscore.CategoryResult{{Path: "fit", Points: 30}, {Path: "interest.engagement", Points: 12.504}},
	}
	tests := []struct {
		name string
		x    Expect
		want []string
	}{
		{"nothing expected", Expect{}, nil},
		{"all match", Expect{
			Score: ptr(60.0), Display: ptr(int64(2060)), Band: ptr("warm"), Grade: ptr("B"), Qualified: ptr(false),
			Disqualified: ptr(true), Reasons: []string{"bad email", "under 18"}, Rules: []string{"vp", "unsub"},
			NotRules: []string{"opens", "other"}, Categories: []CategoryExpect{{"fit", 30}, {"interest.engagement", 12.5}},
		}, nil},
		{"score", Expect{Score: ptr(65.0)}, []string{"score 60, want 65"}},
		{"display", Expect{Display: ptr(int64(1060))}, []string{"display 2060, want 1060"}},
		{"band and grade", Expect{Band: ptr("hot"), Grade: ptr("")}, []string{"band warm, want hot", "grade B, want (none)"}},
		{"flags", Expect{Qualified: ptr(true), Disqualified: ptr(false)}, []string{"qualified false, want true", "disqualified true, want false"}},
		{"reasons", Expect{Reasons: []string{}}, []string{`reasons ["under 18", "bad email"], want []`}},
		{"a rule with zero points did not fire", Expect{Rules: []string{"opens"}}, []string{"rule opens did not earn points"}},
		{"a negative rule fired", Expect{NotRules: []string{"unsub"}}, []string{"rule unsub earned -20 points, want none"}},
		{"categories", Expect{Categories: []CategoryExpect{{"fit", 25}, {"nope", 1}}}, []string{"category fit 30, want 25", "category nope not in the evaluation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compare(ev, &tt.x); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// fakeSet evaluates with a function, to test the runner apart from the
// engine. It keeps the real set's models so model selection is real.
type fakeSet struct {
	*scoring.Set
	eval func(in *scoring.Input, asOf time.Time) []*leadscore.Evaluation
}

func (f fakeSet) Evaluate(in *scoring.Input, asOf time.Time) []*leadscore.Evaluation {
	return f.eval(in, asOf)
}

func compileSet(t *testing.T, src string) *scoring.Set {
	t.Helper()
	r := Parse("m.yaml", []byte(src))
	set, err := r.Compile(scoring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestRunTestsModelChoice(t *testing.T) {
	one := compileSet(t, "name: a\nfields: {lead.trial_end: time}\ncategories: {fit: {rules: [{name: r, when: 'true', points: 1}]}}\n")
	two := compileSet(t, "name: a\ncategories: {fit: {rules: [{name: r, when: 'true', points: 1}]}}\n---\n"+
		"name: b\ncategories: {fit: {rules: [{name: s, when: 'true', points: 1}]}}\n")
	var seen *scoring.Input
	fake := func(set *scoring.Set) fakeSet {
		return fakeSet{set, func(in *scoring.Input, asOf time.Time) []*leadscore.Evaluation {
			seen = in
			return []*leadscore.Evaluation{{Model: "a", Score: 10}, {Model: "b", Score: 20}}
		}}
	}
	asOf := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		set   Evaluator
		model string
		score float64
		want  []string
	}{
		{"the only rule model is the default", fake(one), "", 10, nil},
		{"a named model", fake(two), "b", 20, nil},
		{"several models need a name", fake(two), "", 0, []string{"the set has several models (a or b); say which with model:"}},
		{"an unknown model", fake(one), "zzz", 0, []string{`no model named "zzz" (the set has a)`}},
		{"a model without evaluation", fakeSet{two, func(*scoring.Input, time.Time) []*leadscore.Evaluation { return nil }}, "a", 0,
			[]string{`model "a" returned no evaluation`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := TestCase{Name: "c", Model: tt.model, AsOf: asOf, Expect: Expect{Score: ptr(tt.score)},
				Input: scoring.Input{Lead: &leadscore.Lead{ID: "l"}}}
			res := RunTests(tt.set, []TestCase{c})
			if len(res) != 1 {
				t.Fatalf("want one result, got %d", len(res))
			}
			if !slices.Equal(res[0].Failures, tt.want) || res[0].Passed() != (tt.want == nil) {
				t.Errorf("failures %q, want %q", res[0].Failures, tt.want)
			}
		})
	}
	seen = nil
	typed := []TestCase{{Name: "c", AsOf: asOf,
		Input: scoring.Input{Lead: &leadscore.Lead{ID: "l", Fields: map[string]any{"trial_end": "2026-02-01"}}}}}
	RunTests(fake(one), typed)
	if _, ok := typed[0].Input.Lead.Fields["trial_end"].(string); !ok {
		t.Error("converting declared types must not change the caller's case")
	}
	if seen == nil {
		t.Fatal("the evaluator was never called")
	}
	if _, ok := seen.Lead.Fields["trial_end"].(time.Time); !ok {
		t.Errorf("a field declared as time reaches the engine as time.Time, got %T", seen.Lead.Fields["trial_end"])
	}
}

// TestRunTestsEngine runs the reference fixtures against the real engine.
func TestRunTestsEngine(t *testing.T) {
	r, err := Load("testdata/valid/b2b-saas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := r.Compile(scoring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(TestFileName("testdata/valid/b2b-saas.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases, diags := ParseTests("b2b-saas.tests.yaml", data)
	if len(diags) > 0 {
		t.Fatal(diagStrings(diags))
	}
	results := RunTests(set, cases)
	for _, res := range results {
		if !res.Passed() {
			t.Errorf("%s: %s\n%s", res.Case.Name, strings.Join(res.Failures, "; "), strings.Join(res.Explanation, "\n"))
		}
		if res.Evaluation == nil || len(res.Explanation) == 0 {
			t.Errorf("%s: a result carries its evaluation and explanation", res.Case.Name)
		}
	}

	// A wrong expectation fails with the difference named.
	cases[0].Expect.Score = ptr(99.0)
	res := RunTests(set, cases[:1])
	if res[0].Passed() || !slices.Contains(res[0].Failures, "score 70, want 99") {
		t.Errorf("a wrong score fails: got %q", res[0].Failures)
	}
}

func TestTestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"b2b-saas.yaml":      "b2b-saas.tests.yaml",
		"dir/model.yml":      "dir/model.tests.yaml",
		"no-extension":       "no-extension.tests.yaml",
		"x.tests.yaml":       "x.tests.tests.yaml",
		"models/fit.v2.yaml": "models/fit.v2.tests.yaml",
	} {
		if got := TestFileName(in); got != want {
			t.Errorf("TestFileName(%q) = %q, want %q", in, got, want)
		}
	}
	if !IsRoutingFile("examples/routing.yaml") || !IsRoutingFile("routing-emea.yml") || IsRoutingFile("b2b-saas.yaml") || IsRoutingFile("routing.txt") {
		t.Error("routing files are told apart from models by name")
	}
	if !IsTestFile("a/b.tests.yml") || IsTestFile("a/b.yaml") {
		t.Error("IsTestFile")
	}
}
