package modelfile

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

func parseString(t *testing.T, src string) *Result {
	t.Helper()
	return Parse("m.yaml", []byte(src))
}

func diagStrings(ds []Diagnostic) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func TestParseValidModel(t *testing.T) {
	data, err := os.ReadFile("testdata/valid/b2b-saas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := Parse("b2b-saas.yaml", data)
	if len(r.Diagnostics) > 0 {
		t.Fatalf("the reference model should be clean, got:\n%s", strings.Join(diagStrings(r.Diagnostics), "\n"))
	}
	if len(r.Specs) != 1 || r.Sources[0].Version == "" {
		t.Fatalf("want one compiled spec, got %d specs, sources %+v", len(r.Specs), r.Sources)
	}
	spec := r.Specs[0]
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(spec); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "b2b-saas.spec.json", out.String())

	// The golden file pins everything; these spell out the transformations
	// the format defines, so a regression names what broke.
	if got := spec.Bands; !slices.Equal(got, []leadscore.Band{{Name: "hot", Min: 70}, {Name: "warm", Min: 40}, {Name: "cold", Min: 0}}) {
		t.Errorf("bands sorted highest first with cold added at the bottom: got %v", got)
	}
	if got := spec.Grade; got == nil || got.Category != "fit" || len(got.Levels) != 4 || got.Levels[0].Grade != "A" || got.Levels[3].Grade != "D" {
		t.Errorf("grade levels best first: got %+v", got)
	}
	interest := spec.Categories[1]
	if interest.Name != "interest" || interest.Categories[1].Name != "engagement" {
		t.Fatalf("categories keep YAML order: got %s, %s", interest.Name, interest.Categories[1].Name)
	}
	eng := interest.Categories[1]
	if eng.HalfLife != 45*leadscore.Day || eng.Expire != 90*leadscore.Day {
		t.Errorf("decay.half_life and decay.expire set the engagement category: got %s, %s", eng.HalfLife, eng.Expire)
	}
	pricing := eng.Rules[0]
	if pricing.Name != "pricing-page" || pricing.Count != leadscore.CountDay || !slices.Equal(pricing.Events, []string{"page.viewed"}) {
		t.Errorf("per: day is count: day, event is Events: got %+v", pricing)
	}
	if spec.MQL == nil || *spec.MQL != 70 || spec.Decay.Category != "interest" {
		t.Errorf("qualify.mql and decay.category: got %v, %q", spec.MQL, spec.Decay.Category)
	}
	if spec.Fields["lead.age"] != leadscore.FieldNumber {
		t.Errorf("declared fields: got %v", spec.Fields)
	}
}

// TestParseProblems checks single problems: each snippet must produce
// exactly the listed errors (warnings are ignored here; lint_test.go covers
// them).
func TestParseProblems(t *testing.T) {
	const head = "name: m\ncategories:\n  fit:\n    rules:\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "unknown rule key with suggestion",
			src:  head + "      - {name: a, when: 'true', pointz: 10}\n",
			want: []string{`m.yaml:5:33: error: rule "a": unknown field "pointz" (did you mean "points"?)`},
		},
		{
			name: "alias hint for a rule key",
			src:  head + "      - {name: a, when: 'true', score: 10}\n",
			want: []string{`m.yaml:5:33: error: rule "a": unknown field "score" (did you mean "points"?)`},
		},
		{
			name: "event rule without points",
			src:  head + "      - {name: a, event: page.viewed}\n",
			want: []string{`m.yaml:5:9: error: rule "a": needs points, the points each matching event adds (negative to take points away)`},
		},
		{
			name: "fit rule without condition",
			src:  head + "      - {name: a, points: 5}\n",
			want: []string{`m.yaml:5:9: error: rule "a": needs when (a condition on the lead or account) or event (something the lead does)`},
		},
		{
			name: "rule without a name is named by position",
			src:  head + "      - {when: 'true', points: 5}\n",
			want: []string{`m.yaml:5:9: error: rule #1 of category "fit": needs a name`},
		},
		{
			name: "duplicate rule names across categories",
			src:  head + "      - {name: a, when: 'true', points: 5}\n  other:\n    rules:\n      - {name: a, event: x, points: 1}\n",
			want: []string{`m.yaml:8:16: error: rule "a": duplicate rule name (first used at line 5); rule names must be unique across the model`},
		},
		{
			name: "cap below zero",
			src:  "name: m\ncategories:\n  fit:\n    max: -1\n    rules: [{name: a, when: 'true', points: 5}]\n",
			want: []string{`m.yaml:4:10: error: category "fit": a cap cannot be below zero (max: -1)`},
		},
		{
			name: "min above max",
			src:  "name: m\ncategories:\n  fit:\n    max: 5\n    min: 10\n    rules: [{name: a, when: 'true', points: 5}]\n",
			want: []string{`m.yaml:5:10: error: category "fit": min (10) is above max (5)`},
		},
		{
			name: "bad duration",
			src:  head + "      - {name: a, event: x, points: 1, within: 3 days}\n",
			want: []string{`m.yaml:5:48: error: rule "a": within: duration "3 days": unknown unit " days" (use w, d, h, m or s)`},
		},
		{
			name: "number without unit is not a duration",
			src:  head + "      - {name: a, event: x, points: 1, within: 30}\n",
			want: []string{`m.yaml:5:48: error: rule "a": within: duration "30": missing unit (use w, d, h, m or s)`},
		},
		{
			name: "unknown count",
			src:  head + "      - {name: a, event: x, points: 1, count: twice}\n",
			want: []string{`m.yaml:5:47: error: rule "a": count: unknown count "twice" (use every, once, day, week or month)`},
		},
		{
			name: "count and per together",
			src:  head + "      - {name: a, event: x, points: 1, count: once, per: day}\n",
			want: []string{`m.yaml:5:58: error: rule "a": give count or per, not both`},
		},
		{
			name: "quoted number is text",
			src:  head + "      - {name: a, when: 'true', points: \"10\"}\n",
			want: []string{`m.yaml:5:41: error: rule "a": points: expected a number, got "10"`},
		},
		{
			name: "not-a-number is rejected",
			src:  head + "      - {name: a, when: 'true', points: .nan}\n",
			want: []string{`m.yaml:5:41: error: rule "a": points: .nan is not a usable number`},
		},
		{
			name: "counting options on a fit rule",
			src:  head + "      - {name: a, when: 'true', points: 1, skip_first: 2, half_life: 7d}\n",
			want: []string{`m.yaml:5:44: error: rule "a": skip_first or half_life only apply to rules with event; a rule without event scores the lead once when its condition holds`},
		},
		{
			name: "negative skip_first",
			src:  head + "      - {name: a, event: x, points: 1, skip_first: -1}\n",
			want: []string{`m.yaml:5:52: error: rule "a": skip_first: cannot be negative (got -1)`},
		},
		{
			name: "max_times zero",
			src:  head + "      - {name: a, event: x, points: 1, max_times: 0}\n",
			want: []string{`m.yaml:5:51: error: rule "a": max_times: 0 would never count; remove the rule or raise the limit`},
		},
		{
			name: "sequence and at_least",
			src:  head + "      - {name: a, event: x, points: 1, at_least: 2, within: 7d, then: {event: y, within: 1d}}\n",
			want: []string{`m.yaml:5:71: error: rule "a": a rule can be a sequence (then) or a count (at_least), not both`},
		},
		{
			name: "event and events",
			src:  head + "      - {name: a, event: x, events: [y], points: 1}\n",
			want: []string{`m.yaml:5:29: error: rule "a": give event or events, not both`},
		},
		{
			name: "bad event pattern",
			src:  head + "      - {name: a, event: \"page[\", points: 1}\n",
			want: []string{`m.yaml:5:26: error: rule "a": event: bad event type pattern "page["`},
		},
		{
			name: "rule that is not a mapping",
			src:  head + "      - senior-title\n",
			want: []string{`m.yaml:5:9: error: rule #1 of category "fit": expected a rule (a mapping with name, points and when or event), got "senior-title"`},
		},
		{
			name: "duplicate key",
			src:  head + "      - {name: a, when: 'true', points: 1, points: 2}\n",
			want: []string{`m.yaml:5:44: error: rule "a": "points" is given twice (first at line 5)`},
		},
		{
			name: "condition error position counts characters, not bytes",
			src:  head + "      - {name: a, when: 'lead.title == \"Général\" &&& true', points: 1}\n",
			want: []string{`m.yaml:5:52: error: rule "a": when: unexpected token Operator("&")`},
		},
		{
			name: "bad prefix digit",
			src:  "name: m\nprefix:\n  - {digit: 10}\n",
			want: []string{`m.yaml:3:13: error: prefix #1: digit must be 0 to 9, got 10`},
		},
		{
			name: "bands not distinct",
			src:  "name: m\nbands: {hot: 70, warm: 70}\n",
			want: []string{`m.yaml:2:24: error: bands: hot and warm both start at 70; each band needs its own minimum`},
		},
		{
			name: "no band at the bottom and cold taken",
			src:  "name: m\nbands: {hot: 70, cold: 20}\n",
			want: []string{`m.yaml:2:8: error: bands: no band starts at the bottom of the scale (0); start the lowest band there`},
		},
		{
			name: "band outside the scale",
			src:  "name: m\nscale: {max: 10}\nbands: {hot: 70}\n",
			want: []string{`m.yaml:3:14: error: bands: hot starts at 70, outside the scale 0..10`},
		},
		{
			name: "scale upside down",
			src:  "name: m\nscale: {min: 10, max: 5}\n",
			want: []string{`m.yaml:2:8: error: scale: max (5) must be greater than min (10)`},
		},
		{
			name: "half_life set twice",
			src:  "name: m\ncategories:\n  eng:\n    half_life: 10d\n    rules: [{name: a, event: x, points: 1}]\ndecay: {half_life: {eng: 45d}}\n",
			want: []string{`m.yaml:6:21: error: decay.half_life: category "eng" already sets half_life itself; set it in one place`},
		},
		{
			name: "ambiguous category name",
			src: "name: m\ncategories:\n  a: {categories: {x: {rules: [{name: r1, event: e, points: 1}]}}}\n" +
				"  b: {categories: {x: {rules: [{name: r2, event: e, points: 1}]}}}\ndecay: {category: x}\n",
			want: []string{`m.yaml:5:19: error: decay.category: category name "x" is used more than once; write its full path (a.x or b.x)`},
		},
		{
			name: "category name with a dot",
			src:  "name: m\ncategories:\n  a.b: {rules: [{name: r1, event: e, points: 1}]}\n",
			want: []string{`m.yaml:3:3: error: category "a.b": category names cannot contain a dot, which separates the levels of a path`},
		},
		{
			name: "decay step without effect",
			src:  "name: m\ndecay: {inactivity: [{after: 30d}]}\n",
			want: []string{`m.yaml:2:22: error: decay step #1: needs points (such as -10) or reset: true`},
		},
		{
			name: "combined model with categories",
			src:  "name: m\nkind: combined\ncombine: {parts: {a: 1}}\ncategories:\n  fit: {rules: [{name: r, when: 'true', points: 1}]}\n",
			want: []string{
				`m.yaml:3:19: error: combine: no model named "a" in this set`,
				`m.yaml:4:1: error: a combined model takes its points from the models it combines and cannot have categories`,
			},
		},
		{
			name: "combined model with requirements, decay and a graded category",
			src: "name: a\ncategories: {fit: {rules: [{name: r, when: 'true', points: 1}]}}\n---\n" +
				"name: m\nkind: combined\ncombine: {parts: {a: 1}}\nrequirements: [{name: x, when: 'true'}]\n" +
				"decay: {inactivity: [{after: 30d, points: -5}]}\ngrade: {category: fit, levels: {A: 50, B: 0}}\n",
			want: []string{
				`m.yaml:7:1: error: a combined model is disqualified when one of its parts is; put requirements in the models it combines`,
				`m.yaml:8:1: error: a combined model follows the scores of its parts; put decay in the models it combines`,
				`m.yaml:9:9: error: grade: a combined model has no categories; leave out category to grade the whole score`,
			},
		},
		{
			name: "combined model graded on its whole score",
			src:  "name: a\ncategories: {fit: {rules: [{name: r, when: 'true', points: 1}]}}\n---\nname: m\nkind: combined\ncombine: {parts: {a: 1}}\ngrade: {levels: {A: 50, B: 0}}\n",
			want: nil,
		},
		{
			name: "combined model without combine",
			src:  "name: m\nkind: combined\n",
			want: []string{`m.yaml:1:1: error: a combined model needs combine: {parts: {model: weight, ...}}`},
		},
		{
			name: "combine on a rules model",
			src:  "name: m\ncombine: {parts: {a: 1}}\n",
			want: []string{`m.yaml:2:1: error: combine is only for combined models: add kind: combined, or remove combine`},
		},
		{
			name: "weights adding up to zero",
			src:  "name: a\n---\nname: m\nkind: combined\ncombine: {parts: [{model: a, weight: 0}]}\n",
			want: []string{`m.yaml:5:18: error: combine.parts: the weights add up to zero, so a weighted mean is undefined`},
		},
		{
			name: "declared field reusing a standard name",
			src:  "name: m\nfields: {account.industry: string}\n",
			want: []string{`m.yaml:2:10: error: fields: account.industry is a standard field; declare only custom fields`},
		},
		{
			name: "mql outside the scale",
			src:  "name: m\nqualify: {mql: 101}\n",
			want: []string{`m.yaml:2:16: error: qualify.mql: 101 is outside the scale 0..100`},
		},
		{
			name: "unknown top-level key with advice",
			src:  "name: m\nmql: 70\n",
			want: []string{`m.yaml:2:1: error: unknown field "mql" (write qualify: {mql: N})`},
		},
		{
			name: "category written at the top level",
			src:  "name: m\nfit: {max: 50}\n",
			want: []string{`m.yaml:2:1: error: unknown field "fit" (categories go under categories:)`},
		},
		{
			name: "rule keys directly in a category",
			src:  "name: m\ncategories:\n  fit: {points: 5}\n",
			want: []string{`m.yaml:3:9: error: category "fit": unknown field "points" (rule keys go in a list under rules:)`},
		},
		{
			name: "empty category",
			src:  "name: m\ncategories:\n  fit:\n",
			want: []string{`m.yaml:3:3: error: category "fit": is empty; give it rules or categories`},
		},
		{
			name: "model without a name",
			src:  "description: x\n",
			want: []string{`m.yaml:1:1: error: a model needs a name (name: ...)`},
		},
		{
			name: "extension keys are ignored",
			src:  "name: m\nx-note: anything\n",
			want: nil,
		},
		{
			name: "empty file",
			src:  "# nothing\n",
			want: []string{`m.yaml:1:1: error: the file holds no model`},
		},
		{
			name: "YAML syntax error",
			src:  "name: m\ncategories:\n  fit: {max: 10\n",
			want: []string{`m.yaml:3: error: YAML syntax: did not find expected ',' or '}'`},
		},
		{
			name: "two models with one name",
			src:  "name: m\n---\nname: m\n",
			want: []string{`m.yaml:3:7: error: two models are named "m" (the other is at m.yaml:1)`},
		},
		{
			name: "merge keys copy rule settings",
			src:  "name: m\nx-base: &b {event: page.viewed, per: day}\ncategories:\n  fit:\n    rules:\n      - {<<: *b, name: a, points: 1, per: week}\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseString(t, tt.src)
			got := diagStrings(r.Errors())
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n  got  %q\n  want %q", got, tt.want)
			}
			if r.HasErrors() != (len(tt.want) > 0) {
				t.Errorf("HasErrors() = %v with errors %q", r.HasErrors(), got)
			}
		})
	}
}

func TestMergeKeysResolve(t *testing.T) {
	r := parseString(t, "name: m\nx-base: &b {event: page.viewed, per: day}\ncategories:\n  fit:\n    rules:\n      - {<<: *b, name: a, points: 1, per: week}\n")
	if r.HasErrors() {
		t.Fatal(r.Errors())
	}
	rule := r.Specs[0].Categories[0].Rules[0]
	if !slices.Equal(rule.Events, []string{"page.viewed"}) || rule.Count != leadscore.CountWeek {
		t.Errorf("merged event with the explicit per winning: got events %v, count %q", rule.Events, rule.Count)
	}
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "m.yaml", Line: 12, Column: 7, Severity: Error, Message: "boom"}, "m.yaml:12:7: error: boom"},
		{Diagnostic{File: "m.yaml", Line: 3, Severity: Warning, Message: "hm"}, "m.yaml:3: warning: hm"},
		{Diagnostic{File: "m.yaml", Severity: Error, Message: "no line"}, "m.yaml: error: no line"},
		{Diagnostic{Severity: Error, Message: "nowhere"}, "error: nowhere"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("fit.yaml", "name: fit\ncategories:\n  fit: {rules: [{name: a, when: 'true', points: 1}]}\n")
	write("overall.yml", "name: overall\nkind: combined\ncombine: {parts: {fit: 1}}\n")
	write("fit.tests.yaml", "cases: []\n")
	write("notes.txt", "not yaml")
	write("sub/other.yaml", "name: other\n")

	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range r.Specs {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"fit", "overall"}) {
		t.Errorf("a directory holds its *.yaml and *.yml models, not fixtures or subdirectories: got %v", names)
	}
	if r.HasErrors() {
		t.Errorf("a combined model finds its part in another file of the set: %v", r.Errors())
	}
	if _, err := r.Compile(scoring.Options{}); err != nil {
		t.Errorf("Compile: %v", err)
	}

	// The same file named twice is read once.
	r, err = Load(filepath.Join(dir, "fit.yaml"), filepath.Join(dir, ".", "fit.yaml"))
	if err != nil || len(r.Specs) != 1 {
		t.Errorf("a repeated path is read once: %d specs, %v", len(r.Specs), err)
	}

	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file is an I/O error, got %v", err)
	}

	r, err = Load(filepath.Join(dir, "sub", "other.yaml"), filepath.Join(dir, "overall.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(r.Errors(), func(d Diagnostic) bool { return strings.Contains(d.Message, `no model named "fit"`) }) {
		t.Errorf("a combined model without its part is an error: %v", r.Errors())
	}
}

func TestCompileRefusesErrors(t *testing.T) {
	r := parseString(t, "name: m\nkind: nope\n")
	_, err := r.Compile(scoring.Options{})
	if err == nil || leadscore.CodeOf(err) != leadscore.CodeInvalid || !strings.Contains(err.Error(), `unknown kind "nope"`) {
		t.Errorf("Compile with errors: got %v", err)
	}
}

// TestCompileProblemsMapping checks that problems only the engine finds land
// at the place their path was written.
func TestCompileProblemsMapping(t *testing.T) {
	data, err := os.ReadFile("testdata/valid/b2b-saas.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := Parse("b2b-saas.yaml", data)
	tests := []struct {
		field string
		want  string
	}{
		{"categories[1].categories[1].rules[0].where", `b2b-saas.yaml:65:20: error: rule "pricing-page": boom`},
		{"categories[1].categories[1].rules[2]", `b2b-saas.yaml:69:13: error: rule "busy-week": boom`},
		{"categories[0].categories[0].max", `b2b-saas.yaml:33:14: error: category "fit.role": boom`},
		{"requirements[1].when", `b2b-saas.yaml:18:11: error: requirement "real-email": boom`},
		{"prefix[2].digit", `b2b-saas.yaml:24:13: error: prefix #3: boom`},
		{"bands[2]", `b2b-saas.yaml:7:8: error: bands.cold: boom`},
		{"decay.inactivity[1].after", `b2b-saas.yaml:75:15: error: decay step #2: boom`},
		{"grade.category", `b2b-saas.yaml:26:19: error: grade.category: boom`},
		{"categories[1].categories[1].rules[0].events[0]", `b2b-saas.yaml:64:20: error: rule "pricing-page": boom`},
		{"categories[1].categories[9].rules[0]", `b2b-saas.yaml:51:5: error: category "interest": boom`},
		{"no.such.path", `b2b-saas.yaml:3:1: error: no.such.path: boom`},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			ds := r.docs[0]
			ds.diags = nil
			ds.compileProblems(leadscore.Problems{leadscore.Invalid(tt.field, "boom")}, "")
			if len(ds.diags) != 1 || ds.diags[0].String() != tt.want {
				t.Errorf("got %q, want %q", diagStrings(ds.diags), tt.want)
			}
		})
	}
}

func TestParsePredictiveModel(t *testing.T) {
	r := Parse("models/learned.yaml", []byte("name: learned\nkind: predictive\nartifact: learned.json\nbands: {hot: 40}\n"))
	if len(r.Diagnostics) > 0 || r.Specs[0].Artifact != filepath.Join("models", "learned.json") {
		t.Fatalf("diagnostics %v, artifact %q", diagStrings(r.Diagnostics), r.Specs[0].Artifact)
	}
	for src, want := range map[string]string{
		"name: p\nkind: predictive\n": "a predictive model needs artifact",
		"name: p\nartifact: m.json\n": "artifact is only for predictive models",
		"name: p\nkind: predictive\nartifact: m.json\ncategories: {fit: {rules: [{name: a, when: 'true', points: 1}]}}\n": "cannot have categories",
	} {
		got := strings.Join(diagStrings(parseString(t, src).Errors()), "\n")
		if !strings.Contains(got, want) {
			t.Errorf("%q: errors %q, want %q", src, got, want)
		}
	}
}
