package modelfile

import (
	"strings"
	"testing"
)

// cleanModel has none of the weaknesses the lints look for; each case
// below changes one thing.
const cleanModel = `name: clean
qualify: {mql: 60}
fields: {lead.age: number}
categories:
  fit:
    max: 50
    rules:
      - {name: vp, when: 'lead.title contains "VP"', points: 20}
      - {name: big, when: "account.employees > 500", points: 15}
      - {name: adult, when: "lead.age >= 18", points: 5}
      - {name: freemail, when: lead.email_free, points: -10}
  interest:
    max: 50
    rules:
      - {name: demo, event: demo.requested, points: 30, count: once}
      - {name: opens, event: email.opened, points: 1, skip_first: 2, max_points: 5}
      - {name: pricing, event: page.viewed, points: 5, per: day, max_times: 4}
`

func TestLints(t *testing.T) {
	tests := []struct {
		name    string
		edits   [][2]string // replacements in cleanModel: {old, new}
		warning string      // "" means no warning at all
	}{
		{name: "clean model", warning: ""},
		{
			name: "no fit rules",
			edits: [][2]string{{`      - {name: vp, when: 'lead.title contains "VP"', points: 20}
      - {name: big, when: "account.employees > 500", points: 15}
      - {name: adult, when: "lead.age >= 18", points: 5}
      - {name: freemail, when: lead.email_free, points: -10}`, `      - {name: vp, event: form.submitted, points: 20, count: once}
      - {name: big, event: webinar.attended, points: 15, count: once}
      - {name: adult, event: trial.started, points: 5, count: once}
      - {name: freemail, event: email.bounced, points: -10, count: once}`}},
			warning: `m.yaml:4:1: warning: no fit rules (rules without event)`,
		},
		{
			name: "no behaviour rules",
			edits: [][2]string{{`      - {name: demo, event: demo.requested, points: 30, count: once}
      - {name: opens, event: email.opened, points: 1, skip_first: 2, max_points: 5}
      - {name: pricing, event: page.viewed, points: 5, per: day, max_times: 4}`, `      - {name: demo, when: 'lead.country == "US"', points: 30}
      - {name: opens, when: 'lead.state == "CA"', points: 1}
      - {name: pricing, when: 'lead.city == "SF"', points: 5}`}},
			warning: `m.yaml:4:1: warning: no behaviour rules (rules with event)`,
		},
		{
			name: "too few rules",
			edits: [][2]string{
				{"      - {name: pricing, event: page.viewed, points: 5, per: day, max_times: 4}\n", ""},
				{"      - {name: adult, when: \"lead.age >= 18\", points: 5}\n", ""},
			},
			warning: `m.yaml:4:1: warning: only 5 rules`,
		},
		{
			name:    "budgets far apart",
			edits:   [][2]string{{"  interest:\n    max: 50", "  interest:\n    max: 20"}},
			warning: `m.yaml:13:10: warning: category "interest" can earn at most 20 but "fit" 50`,
		},
		{
			name:    "budgets twice apart are fine",
			edits:   [][2]string{{"  interest:\n    max: 50", "  interest:\n    max: 25"}},
			warning: "",
		},
		{
			name: "one rule reaches the threshold",
			edits: [][2]string{
				{"    max: 50\n    rules:\n      - {name: demo, event: demo.requested, points: 30", "    max: 60\n    rules:\n      - {name: demo, event: demo.requested, points: 60"},
			},
			warning: `m.yaml:15:53: warning: rule "demo" alone can reach the MQL threshold (60) through its points`,
		},
		{
			name:    "a category cap keeps a big rule below the threshold",
			edits:   [][2]string{{"{name: vp, when: 'lead.title contains \"VP\"', points: 20}", "{name: vp, when: 'lead.title contains \"VP\"', points: 70}"}},
			warning: "",
		},
		{
			name:    "limited rules in a larger budget stay below the threshold",
			edits:   [][2]string{{"  interest:\n    max: 50", "  interest:\n    max: 90"}},
			warning: "", // the interest rules are capped at 30, 5 and 20
		},
		{
			name:    "repeated points reaching the threshold",
			edits:   [][2]string{{"  interest:\n    max: 50\n    rules:\n", "  interest:\n    max: 80\n    rules:\n      - {name: visits, event: page.viewed, points: 10, max_points: 60}\n"}},
			warning: `m.yaml:15:52: warning: rule "visits" alone can reach the MQL threshold (60) through its repeated matches`,
		},
		{
			name:    "positive rules only and no decay",
			edits:   [][2]string{{"      - {name: freemail, when: lead.email_free, points: -10}\n", "      - {name: freemail, when: lead.email_free, points: 10}\n"}},
			warning: `m.yaml:4:1: warning: every rule adds points and nothing takes them away`,
		},
		{
			name:    "positive rules with a half-life are fine",
			edits:   [][2]string{{"      - {name: freemail, when: lead.email_free, points: -10}\n  interest:\n", "      - {name: freemail, when: lead.email_free, points: 10}\n  interest:\n    half_life: 30d\n"}},
			warning: "",
		},
		{
			name:    "points for every email open",
			edits:   [][2]string{{"{name: opens, event: email.opened, points: 1, skip_first: 2, max_points: 5}", "{name: opens, event: email.opened, points: 1}"}},
			warning: `m.yaml:16:30: warning: rule "opens" gives points for every email open`,
		},
		{
			name:    "a wildcard counts every open too",
			edits:   [][2]string{{"{name: opens, event: email.opened, points: 1, skip_first: 2, max_points: 5}", "{name: opens, event: \"email.*\", points: 1}"}},
			warning: `m.yaml:16:30: warning: rule "opens" gives points for every email open`,
		},
		{
			name:    "a window limits opens",
			edits:   [][2]string{{"{name: opens, event: email.opened, points: 1, skip_first: 2, max_points: 5}", "{name: opens, event: email.opened, points: 1, within: 14d}"}},
			warning: "",
		},
		{
			name:    "undeclared field",
			edits:   [][2]string{{`lead.title contains "VP"`, `lead.job contains "VP"`}},
			warning: `m.yaml:8:27: warning: rule "vp": when: lead.job: not a standard lead field and not declared under fields: — a typo?`,
		},
		{
			name:    "declared field",
			edits:   [][2]string{{`fields: {lead.age: number}`, `fields: {lead.age: number, lead.job: string}`}},
			warning: "",
		},
		{
			name: "threshold out of reach",
			edits: [][2]string{
				{"qualify: {mql: 60}", "qualify: {mql: 95}"},
				{"  interest:\n    max: 50", "  interest:\n    max: 40"},
			},
			warning: `m.yaml:2:16: warning: the top-level categories can earn at most 90 in total, below the MQL threshold 95`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := cleanModel
			for _, e := range tt.edits {
				if !strings.Contains(src, e[0]) {
					t.Fatalf("the clean model does not contain %q", e[0])
				}
				src = strings.Replace(src, e[0], e[1], 1)
			}
			r := Parse("m.yaml", []byte(src))
			if r.HasErrors() {
				t.Fatalf("the model should be valid: %v", diagStrings(r.Errors()))
			}
			got := diagStrings(r.Warnings())
			if tt.warning == "" {
				if len(got) > 0 {
					t.Errorf("want no warnings, got %q", got)
				}
				return
			}
			found := false
			for _, g := range got {
				found = found || strings.HasPrefix(g, tt.warning)
			}
			if !found {
				t.Errorf("want a warning starting %q, got %q", tt.warning, got)
			}
		})
	}
}
