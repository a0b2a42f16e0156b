package modelfile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/yamlfile"
	"github.com/leadscore/leadscore/scoring"
	"go.yaml.in/yaml/v3"
)

// TestCase is one fixture: a lead with its account and events, the instant
// to score it yamlfile.Path, and what the score should be. Fixtures turn "the model
// looks right" into checks that fail when an edit changes a score.
type TestCase struct {
	Name string
	// File and Line locate the case, for messages.
	File string
	Line int
	// Model is the model the expectations are about; empty means the only
	// rule model of the set.
	Model  string
	AsOf   time.Time
	Input  scoring.Input
	Expect Expect
}

// Expect holds what a case checks. Every field is optional: nil (or an
// empty Categories) means "not checked", so a case can focus on one thing.
type Expect struct {
	Score        *float64
	Display      *int64
	Band         *string
	Grade        *string
	Qualified    *bool
	Disqualified *bool
	// Reasons, when not nil, must equal the disqualification reasons in any
	// order; an empty, non-nil list expects none.
	Reasons []string
	// Rules must all have earned points (non-zero); NotRules must not.
	Rules      []string
	NotRules   []string
	Categories []CategoryExpect
}

// CategoryExpect is the expected points of one category, by dotted path.
type CategoryExpect struct {
	Path   string
	Points float64
}

// TestFileName is the fixture file that belongs to a model file:
// b2b-saas.yaml -> b2b-saas.tests.yaml.
func TestFileName(modelFile string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(modelFile, ".yaml"), ".yml")
	return base + ".tests.yaml"
}

var (
	testFileKeys = []string{"cases", "as_of", "model"}
	caseKeys     = []string{"name", "model", "as_of", "lead", "account", "account_scores", "peers", "events", "expect"}
	leadKeys     = []string{"id", "email", "first_name", "last_name", "title", "phone", "country", "state", "city", "source", "account_id", "created_at", "fields"}
	accountKeys  = []string{"id", "domain", "name", "industry", "country", "employees", "revenue", "priority", "lists", "fields"}
	eventKeys    = []string{"id", "type", "at", "properties", "source", "user_agent", "bot", "bot_reason"}
	peerKeys     = []string{"lead_id", "activity"}
	expectKeys   = []string{"score", "display", "band", "grade", "qualified", "disqualified", "reasons", "rules", "not_rules", "categories"}
)

// ParseTests reads a fixture file. Every problem is reported, with its
// position; cases with problems are left out of the returned list.
func ParseTests(filename string, data []byte) ([]TestCase, []Diagnostic) {
	src := &yamlfile.Source{Name: filename, Data: data}
	var root yaml.Node
	err := yaml.NewDecoder(strings.NewReader(string(data))).Decode(&root)
	if errors.Is(err, io.EOF) {
		return nil, []Diagnostic{{File: filename, Line: 1, Column: 1, Severity: Error, Message: "the file is empty; it needs cases:"}}
	}
	if err != nil {
		return nil, []Diagnostic{syntaxDiagnostic(filename, err)}
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	if err := yamlfile.CheckAliases(top); err != nil {
		return nil, []Diagnostic{{File: filename, Line: top.Line, Column: top.Column, Severity: Error, Message: err.Error()}}
	}
	d := newDocState(src, top)
	f, ok := d.Fields(top, yamlfile.Path{}, "a mapping with cases:", testFileKeys, nil)
	if !ok {
		return nil, d.diags
	}
	var defaultAsOf time.Time
	if e, ok := f["as_of"]; ok {
		defaultAsOf, _ = d.instant(e.Val, yamlfile.Path{}.Key("as_of"), time.Time{})
	}
	defaultModel := ""
	if e, ok := f["model"]; ok {
		defaultModel, _ = d.Name(e.Val, yamlfile.Path{}.Key("model"))
	}
	e, ok := f["cases"]
	if !ok {
		d.errorf(top, yamlfile.Path{}, "a fixture file needs cases: (a list of cases)")
		return nil, d.diags
	}
	items, _ := d.List(e.Val, yamlfile.Path{}.Key("cases"), "a list of cases")
	var cases []TestCase
	names := map[string]int{}
	for i, it := range items {
		before := d.errors
		c := d.testCase(it, yamlfile.Path{}.Key("cases").Index(i).Owner(ownerLabel(it, "case", i)), defaultAsOf)
		if c.Model == "" {
			c.Model = defaultModel
		}
		if prev, dup := names[c.Name]; dup && c.Name != "" {
			d.errorf(yamlfile.Resolve(it), yamlfile.Path{}.Key("cases").Index(i), "case %q: the name is also used by the case at line %d", c.Name, prev)
		}
		names[c.Name] = c.Line
		if d.errors == before {
			cases = append(cases, c)
		}
	}
	if len(items) == 0 {
		d.errorf(yamlfile.Resolve(e.Val), yamlfile.Path{}.Key("cases"), "cases: the list is empty")
	}
	sortDiagnostics(d.diags, nil)
	return cases, d.diags
}

func (d *docState) testCase(n *yaml.Node, p yamlfile.Path, defaultAsOf time.Time) TestCase {
	c := TestCase{File: d.src.Name}
	n = yamlfile.Resolve(n)
	if n != nil {
		c.Line = n.Line
	}
	f, ok := d.Fields(n, p, "a case (a mapping with name, lead, events and expect)", caseKeys, nil)
	if !ok {
		return c
	}
	if e, ok := f["name"]; ok {
		c.Name, _ = d.Name(e.Val, p.Key("name"))
	} else {
		d.errorf(n, p, "%sneeds a name", p.Prefix())
	}
	if e, ok := f["model"]; ok {
		c.Model, _ = d.Name(e.Val, p.Key("model"))
	}
	c.AsOf = defaultAsOf
	if e, ok := f["as_of"]; ok {
		c.AsOf, _ = d.instant(e.Val, p.Key("as_of"), time.Time{})
	} else if defaultAsOf.IsZero() {
		d.errorf(n, p, "%sneeds as_of, the instant to score at (or set as_of: at the top of the file)", p.Prefix())
	}
	c.Input.Lead = &leadscore.Lead{ID: "test-lead"}
	if e, ok := f["lead"]; ok {
		d.Lead(e.Val, p.Key("lead"), "a lead (a mapping such as {email: jane@acme.com, title: VP})", c.Input.Lead, func(n *yaml.Node, p yamlfile.Path) (time.Time, bool) {
			return d.instant(n, p, time.Time{})
		})
	}
	if e, ok := f["account"]; ok {
		c.Input.Account = d.testAccount(e.Val, p.Key("account"))
		if c.Input.Lead.AccountID == "" {
			c.Input.Lead.AccountID = c.Input.Account.ID
		}
	}
	if e, ok := f["account_scores"]; ok {
		ps, _ := d.Pairs(e.Val, p.Key("account_scores"), "a mapping of model names to scores")
		c.Input.AccountScores = map[string]float64{}
		for _, s := range ps {
			if v, ok := d.Number(s.Val, p.Key("account_scores").Key(s.Key.Value)); ok {
				c.Input.AccountScores[s.Key.Value] = v
			}
		}
	}
	if e, ok := f["peers"]; ok {
		items, _ := d.List(e.Val, p.Key("peers"), "a list of peers such as {lead_id: l2, activity: [-3d]}")
		for i, it := range items {
			c.Input.Peers = append(c.Input.Peers, d.testPeer(it, p.Key("peers").Index(i), c.AsOf))
		}
	}
	if e, ok := f["events"]; ok {
		items, _ := d.List(e.Val, p.Key("events"), "a list of events such as {type: page.viewed, at: -2d}")
		for i, it := range items {
			ev := d.testEvent(it, p.Key("events").Index(i), c.AsOf)
			if ev.ID == "" {
				ev.ID = "e" + strconv.Itoa(i+1)
			}
			ev.LeadID = c.Input.Lead.ID
			c.Input.Events = append(c.Input.Events, ev)
		}
	}
	if e, ok := f["expect"]; ok {
		c.Expect = d.testExpect(e.Val, p.Key("expect"))
	} else {
		d.errorf(n, p, "%sneeds expect: (what the score should be)", p.Prefix())
	}
	return c
}

// instant reads an RFC 3339 time, a date (midnight UTC), or, when base is
// set, a duration relative to it: -2d is two days before as_of.
func (d *docState) instant(n *yaml.Node, p yamlfile.Path, base time.Time) (time.Time, bool) {
	s, ok := d.Str(n, p)
	if !ok {
		return time.Time{}, false
	}
	n = yamlfile.Resolve(n)
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		if base.IsZero() {
			d.errorf(n, p, "%sa relative time needs as_of", p.Prefix())
			return time.Time{}, false
		}
		dur, err := leadscore.ParseDuration(s[1:])
		if err != nil {
			d.errorf(n, p, "%s%v", p.Prefix(), err)
			return time.Time{}, false
		}
		if s[0] == '-' {
			return base.Add(-dur.Std()), true
		}
		return base.Add(dur.Std()), true
	}
	if t, ok := parseTime(s); ok {
		return t, true
	}
	d.errorf(n, p, "%sexpected a time such as 2026-11-01T09:00:00Z, a date such as 2026-11-01, or a time relative to as_of such as -2d; got %q", p.Prefix(), s)
	return time.Time{}, false
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func (d *docState) testAccount(n *yaml.Node, p yamlfile.Path) *leadscore.Account {
	a := &leadscore.Account{Fields: map[string]any{}}
	ps, ok := d.Pairs(n, p, "an account (a mapping such as {domain: acme.com, employees: 450})")
	if !ok {
		return a
	}
	set := map[string]*string{"id": &a.ID, "domain": &a.Domain, "name": &a.Name, "industry": &a.Industry, "country": &a.Country}
	for _, e := range ps {
		k := e.Key.Value
		pk := p.Key(k)
		switch {
		case set[k] != nil:
			*set[k], _ = d.Str(e.Val, pk)
		case k == "employees":
			if v, ok := d.Integer(e.Val, pk); ok {
				n := int64(v)
				a.Employees = &n
			}
		case k == "revenue":
			if v, ok := d.Number(e.Val, pk); ok {
				a.Revenue = &v
			}
		case k == "priority":
			a.Priority, _ = d.Boolean(e.Val, pk)
		case k == "lists":
			items, _ := d.List(e.Val, pk, "a list of list names")
			for i, it := range items {
				if s, ok := d.Str(it, pk.Index(i)); ok {
					a.Lists = append(a.Lists, s)
				}
			}
		case k == "fields":
			d.FreeFields(e.Val, pk, a.Fields)
		default:
			if v, ok := d.AnyValue(e.Val, pk); ok {
				a.Fields[k] = v
			}
		}
	}
	if a.ID == "" {
		a.ID = a.Domain
	}
	return a
}

func (d *docState) testPeer(n *yaml.Node, p yamlfile.Path, asOf time.Time) leadscore.Peer {
	var peer leadscore.Peer
	f, ok := d.Fields(n, p, "a peer such as {lead_id: l2, activity: [-3d]}", peerKeys, nil)
	if !ok {
		return peer
	}
	if e, ok := f["lead_id"]; ok {
		peer.LeadID, _ = d.Name(e.Val, p.Key("lead_id"))
	}
	if e, ok := f["activity"]; ok {
		items, _ := d.List(e.Val, p.Key("activity"), "a list of times")
		for i, it := range items {
			if t, ok := d.instant(it, p.Key("activity").Index(i), asOf); ok {
				peer.Activity = append(peer.Activity, t)
			}
		}
	}
	return peer
}

func (d *docState) testEvent(n *yaml.Node, p yamlfile.Path, asOf time.Time) leadscore.Event {
	var ev leadscore.Event
	f, ok := d.Fields(n, p, "an event such as {type: page.viewed, at: -2d}", eventKeys, nil)
	if !ok {
		return ev
	}
	if e, ok := f["id"]; ok {
		ev.ID, _ = d.Name(e.Val, p.Key("id"))
	}
	if e, ok := f["type"]; ok {
		ev.Type, _ = d.Name(e.Val, p.Key("type"))
	} else {
		d.errorf(yamlfile.Resolve(n), p, "%san event needs a type", p.Prefix())
	}
	if e, ok := f["at"]; ok {
		ev.At, _ = d.instant(e.Val, p.Key("at"), asOf)
	} else {
		d.errorf(yamlfile.Resolve(n), p, "%san event needs at (a time, or relative to as_of such as -2d)", p.Prefix())
	}
	if e, ok := f["properties"]; ok {
		ev.Properties = map[string]any{}
		d.FreeFields(e.Val, p.Key("properties"), ev.Properties)
	}
	if e, ok := f["source"]; ok {
		ev.Source, _ = d.Str(e.Val, p.Key("source"))
	}
	if e, ok := f["user_agent"]; ok {
		ev.UserAgent, _ = d.Str(e.Val, p.Key("user_agent"))
	}
	if e, ok := f["bot"]; ok {
		ev.Bot, _ = d.Boolean(e.Val, p.Key("bot"))
	}
	if e, ok := f["bot_reason"]; ok {
		ev.BotReason, _ = d.Str(e.Val, p.Key("bot_reason"))
	}
	return ev
}

func (d *docState) stringList(n *yaml.Node, p yamlfile.Path) []string {
	out := []string{} // not nil: an empty list is a check ("none")
	n = yamlfile.Resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && !yamlfile.IsNull(n) {
		return append(out, n.Value)
	}
	items, _ := d.List(n, p, "a list of names")
	for i, it := range items {
		if s, ok := d.Str(it, p.Index(i)); ok {
			out = append(out, s)
		}
	}
	return out
}

func (d *docState) testExpect(n *yaml.Node, p yamlfile.Path) Expect {
	var x Expect
	f, ok := d.Fields(n, p, "a mapping such as {score: 65, band: warm}", expectKeys, nil)
	if !ok {
		return x
	}
	if e, ok := f["score"]; ok {
		if v, ok := d.Number(e.Val, p.Key("score")); ok {
			x.Score = &v
		}
	}
	if e, ok := f["display"]; ok {
		if v, ok := d.Integer(e.Val, p.Key("display")); ok {
			n := int64(v)
			x.Display = &n
		}
	}
	if e, ok := f["band"]; ok {
		if v, ok := d.Str(e.Val, p.Key("band")); ok {
			x.Band = &v
		}
	}
	if e, ok := f["grade"]; ok {
		if v, ok := d.Str(e.Val, p.Key("grade")); ok {
			x.Grade = &v
		}
	}
	if e, ok := f["qualified"]; ok {
		if v, ok := d.Boolean(e.Val, p.Key("qualified")); ok {
			x.Qualified = &v
		}
	}
	if e, ok := f["disqualified"]; ok {
		if v, ok := d.Boolean(e.Val, p.Key("disqualified")); ok {
			x.Disqualified = &v
		}
	}
	if e, ok := f["reasons"]; ok {
		x.Reasons = d.stringList(e.Val, p.Key("reasons"))
	}
	if e, ok := f["rules"]; ok {
		x.Rules = d.stringList(e.Val, p.Key("rules"))
	}
	if e, ok := f["not_rules"]; ok {
		x.NotRules = d.stringList(e.Val, p.Key("not_rules"))
	}
	if e, ok := f["categories"]; ok {
		ps, _ := d.Pairs(e.Val, p.Key("categories"), "a mapping of category paths to points, such as {interest.engagement: 25}")
		for _, ce := range ps {
			if v, ok := d.Number(ce.Val, p.Key("categories").Key(ce.Key.Value)); ok {
				x.Categories = append(x.Categories, CategoryExpect{Path: ce.Key.Value, Points: v})
			}
		}
	}
	return x
}

// Evaluator is what RunTests needs from a compiled set; *scoring.Set is
// one.
type Evaluator interface {
	Models() []*scoring.Model
	Evaluate(in *scoring.Input, asOf time.Time) []*leadscore.Evaluation
}

// TestResult is the outcome of one case.
type TestResult struct {
	Case  *TestCase
	Model string
	// Failures are the expectations that did not hold, each a short
	// phrase such as "score 60, want 65"; empty means the case passed.
	Failures []string
	// Explanation is the evaluation in words, for showing next to a failure.
	Explanation []string
	Evaluation  *leadscore.Evaluation
}

// Passed reports whether every expectation held.
func (r *TestResult) Passed() bool { return len(r.Failures) == 0 }

// RunTests evaluates each case and compares the result with its
// expectations. It never stops early: one report shows every case.
func RunTests(set Evaluator, cases []TestCase) []TestResult {
	models := set.Models()
	var ruleModels, all []string
	declared := map[string]leadscore.FieldType{}
	for _, m := range models {
		spec := m.Spec()
		all = append(all, m.Name())
		if spec.Kind != leadscore.KindCombined {
			ruleModels = append(ruleModels, m.Name())
		}
		for k, t := range spec.Fields {
			declared[k] = t
		}
	}
	out := make([]TestResult, 0, len(cases))
	for i := range cases {
		c := &cases[i]
		res := TestResult{Case: c, Model: c.Model}
		switch {
		case res.Model != "" && !contains(all, res.Model):
			res.Failures = append(res.Failures, fmt.Sprintf("no model named %q (the set has %s)", res.Model, yamlfile.OrList(all)))
		case res.Model == "" && len(ruleModels) == 1:
			res.Model = ruleModels[0]
		case res.Model == "":
			res.Failures = append(res.Failures, fmt.Sprintf("the set has several models (%s); say which with model:", yamlfile.OrList(all)))
		}
		if len(res.Failures) == 0 {
			in := withDeclaredTypes(c.Input, declared)
			for _, ev := range set.Evaluate(&in, c.AsOf) {
				if ev != nil && ev.Model == res.Model {
					res.Evaluation = ev
				}
			}
			if res.Evaluation == nil {
				res.Failures = append(res.Failures, fmt.Sprintf("model %q returned no evaluation", res.Model))
			} else {
				res.Failures = compare(res.Evaluation, &c.Expect)
				res.Explanation = scoring.Explain(res.Evaluation)
			}
		}
		out = append(out, res)
	}
	return out
}

// withDeclaredTypes converts custom fields declared as time from text to
// time.Time, as ingestion does, so that conditions such as
// `lead.trial_ends < now` behave as they would in production.
func withDeclaredTypes(in scoring.Input, declared map[string]leadscore.FieldType) scoring.Input {
	conv := func(object string, fields map[string]any) map[string]any {
		if fields == nil {
			return nil
		}
		out := make(map[string]any, len(fields))
		for k, v := range fields {
			if s, ok := v.(string); ok && declared[object+"."+k] == leadscore.FieldTime {
				if t, ok := parseTime(s); ok {
					v = t
				}
			}
			out[k] = v
		}
		return out
	}
	if in.Lead != nil {
		l := *in.Lead
		l.Fields = conv("lead", l.Fields)
		in.Lead = &l
	}
	if in.Account != nil {
		a := *in.Account
		a.Fields = conv("account", a.Fields)
		in.Account = &a
	}
	return in
}

// pointsTolerance is how close a score or category must be to its expected
// value; fixtures are written with two decimals at most.
const pointsTolerance = 0.005

func near(a, b float64) bool { return math.Abs(a-b) <= pointsTolerance }

func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// compare lists the expectations the evaluation does not meet.
func compare(ev *leadscore.Evaluation, x *Expect) []string {
	var fails []string
	failf := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }
	if x.Score != nil && !near(ev.Score, *x.Score) {
		failf("score %s, want %s", num(ev.Score), num(*x.Score))
	}
	if x.Display != nil && ev.Display != *x.Display {
		failf("display %d, want %d", ev.Display, *x.Display)
	}
	if x.Band != nil && ev.Band != *x.Band {
		failf("band %s, want %s", orNone(ev.Band), orNone(*x.Band))
	}
	if x.Grade != nil && ev.Grade != *x.Grade {
		failf("grade %s, want %s", orNone(ev.Grade), orNone(*x.Grade))
	}
	if x.Qualified != nil && ev.Qualified != *x.Qualified {
		failf("qualified %t, want %t", ev.Qualified, *x.Qualified)
	}
	if x.Disqualified != nil && ev.Disqualified != *x.Disqualified {
		failf("disqualified %t, want %t", ev.Disqualified, *x.Disqualified)
	}
	if x.Reasons != nil && !sameSet(ev.Reasons, x.Reasons) {
		failf("reasons %s, want %s", quoteList(ev.Reasons), quoteList(x.Reasons))
	}
	fired := map[string]float64{}
	for _, c := range ev.Contributions {
		if c.Points != 0 {
			fired[c.Rule] += c.Points
		}
	}
	for _, r := range x.Rules {
		if _, ok := fired[r]; !ok {
			failf("rule %s did not earn points", r)
		}
	}
	for _, r := range x.NotRules {
		if p, ok := fired[r]; ok {
			failf("rule %s earned %s points, want none", r, signed(p))
		}
	}
	for _, want := range x.Categories {
		got, ok := categoryPoints(ev, want.Path)
		switch {
		case !ok:
			failf("category %s not in the evaluation", want.Path)
		case !near(got, want.Points):
			failf("category %s %s, want %s", want.Path, num(got), num(want.Points))
		}
	}
	return fails
}

func categoryPoints(ev *leadscore.Evaluation, path string) (float64, bool) {
	for _, c := range ev.Categories {
		if c.Path == path {
			return c.Points, true
		}
	}
	return 0, false
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func signed(v float64) string {
	if v > 0 {
		return "+" + num(v)
	}
	return num(v)
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, x := range a {
		count[x]++
	}
	for _, x := range b {
		count[x]--
		if count[x] < 0 {
			return false
		}
	}
	return true
}
