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
	"github.com/leadscore/leadscore/scoring"
	"go.yaml.in/yaml/v3"
)

// TestCase is one fixture: a lead with its account and events, the instant
// to score it at, and what the score should be. Fixtures turn "the model
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
	src := &source{name: filename, data: data}
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
	if err := checkAliases(top); err != nil {
		return nil, []Diagnostic{{File: filename, Line: top.Line, Column: top.Column, Severity: Error, Message: err.Error()}}
	}
	d := newDocState(src, top)
	f, ok := d.fields(top, at{}, "a mapping with cases:", testFileKeys, nil)
	if !ok {
		return nil, d.diags
	}
	var defaultAsOf time.Time
	if e, ok := f["as_of"]; ok {
		defaultAsOf, _ = d.instant(e.val, at{}.key("as_of"), time.Time{})
	}
	defaultModel := ""
	if e, ok := f["model"]; ok {
		defaultModel, _ = d.name(e.val, at{}.key("model"))
	}
	e, ok := f["cases"]
	if !ok {
		d.errorf(top, at{}, "a fixture file needs cases: (a list of cases)")
		return nil, d.diags
	}
	items, _ := d.list(e.val, at{}.key("cases"), "a list of cases")
	var cases []TestCase
	names := map[string]int{}
	for i, it := range items {
		before := d.errors
		c := d.testCase(it, at{}.key("cases").index(i).owner(ownerLabel(it, "case", i)), defaultAsOf)
		if c.Model == "" {
			c.Model = defaultModel
		}
		if prev, dup := names[c.Name]; dup && c.Name != "" {
			d.errorf(resolve(it), at{}.key("cases").index(i), "case %q: the name is also used by the case at line %d", c.Name, prev)
		}
		names[c.Name] = c.Line
		if d.errors == before {
			cases = append(cases, c)
		}
	}
	if len(items) == 0 {
		d.errorf(resolve(e.val), at{}.key("cases"), "cases: the list is empty")
	}
	sortDiagnostics(d.diags, nil)
	return cases, d.diags
}

func (d *docState) testCase(n *yaml.Node, p at, defaultAsOf time.Time) TestCase {
	c := TestCase{File: d.src.name}
	n = resolve(n)
	if n != nil {
		c.Line = n.Line
	}
	f, ok := d.fields(n, p, "a case (a mapping with name, lead, events and expect)", caseKeys, nil)
	if !ok {
		return c
	}
	if e, ok := f["name"]; ok {
		c.Name, _ = d.name(e.val, p.key("name"))
	} else {
		d.errorf(n, p, "%sneeds a name", p.prefix())
	}
	if e, ok := f["model"]; ok {
		c.Model, _ = d.name(e.val, p.key("model"))
	}
	c.AsOf = defaultAsOf
	if e, ok := f["as_of"]; ok {
		c.AsOf, _ = d.instant(e.val, p.key("as_of"), time.Time{})
	} else if defaultAsOf.IsZero() {
		d.errorf(n, p, "%sneeds as_of, the instant to score at (or set as_of: at the top of the file)", p.prefix())
	}
	c.Input.Lead = &leadscore.Lead{ID: "test-lead"}
	if e, ok := f["lead"]; ok {
		d.testLead(e.val, p.key("lead"), c.Input.Lead)
	}
	if e, ok := f["account"]; ok {
		c.Input.Account = d.testAccount(e.val, p.key("account"))
		if c.Input.Lead.AccountID == "" {
			c.Input.Lead.AccountID = c.Input.Account.ID
		}
	}
	if e, ok := f["account_scores"]; ok {
		ps, _ := d.pairs(e.val, p.key("account_scores"), "a mapping of model names to scores")
		c.Input.AccountScores = map[string]float64{}
		for _, s := range ps {
			if v, ok := d.number(s.val, p.key("account_scores").key(s.key.Value)); ok {
				c.Input.AccountScores[s.key.Value] = v
			}
		}
	}
	if e, ok := f["peers"]; ok {
		items, _ := d.list(e.val, p.key("peers"), "a list of peers such as {lead_id: l2, activity: [-3d]}")
		for i, it := range items {
			c.Input.Peers = append(c.Input.Peers, d.testPeer(it, p.key("peers").index(i), c.AsOf))
		}
	}
	if e, ok := f["events"]; ok {
		items, _ := d.list(e.val, p.key("events"), "a list of events such as {type: page.viewed, at: -2d}")
		for i, it := range items {
			ev := d.testEvent(it, p.key("events").index(i), c.AsOf)
			if ev.ID == "" {
				ev.ID = "e" + strconv.Itoa(i+1)
			}
			ev.LeadID = c.Input.Lead.ID
			c.Input.Events = append(c.Input.Events, ev)
		}
	}
	if e, ok := f["expect"]; ok {
		c.Expect = d.testExpect(e.val, p.key("expect"))
	} else {
		d.errorf(n, p, "%sneeds expect: (what the score should be)", p.prefix())
	}
	return c
}

// instant reads an RFC 3339 time, a date (midnight UTC), or, when base is
// set, a duration relative to it: -2d is two days before as_of.
func (d *docState) instant(n *yaml.Node, p at, base time.Time) (time.Time, bool) {
	s, ok := d.str(n, p)
	if !ok {
		return time.Time{}, false
	}
	n = resolve(n)
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		if base.IsZero() {
			d.errorf(n, p, "%sa relative time needs as_of", p.prefix())
			return time.Time{}, false
		}
		dur, err := leadscore.ParseDuration(s[1:])
		if err != nil {
			d.errorf(n, p, "%s%v", p.prefix(), err)
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
	d.errorf(n, p, "%sexpected a time such as 2026-11-01T09:00:00Z, a date such as 2026-11-01, or a time relative to as_of such as -2d; got %q", p.prefix(), s)
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

// anyValue decodes a free-form value the way JSON ingestion would deliver
// it (numbers as float64), so a fixture sees the same types as production.
func (d *docState) anyValue(n *yaml.Node, p at) (any, bool) {
	var v any
	if err := resolve(n).Decode(&v); err != nil {
		d.errorf(resolve(n), p, "%s%v", p.prefix(), err)
		return nil, false
	}
	return jsonLike(v), true
}

func jsonLike(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case []any:
		for i := range x {
			x[i] = jsonLike(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = jsonLike(x[k])
		}
		return x
	}
	return v
}

func (d *docState) freeFields(n *yaml.Node, p at, into map[string]any) {
	ps, _ := d.pairs(n, p, "a mapping of custom fields")
	for _, e := range ps {
		if v, ok := d.anyValue(e.val, p.key(e.key.Value)); ok {
			into[e.key.Value] = v
		}
	}
}

// testLead fills a lead from its JSON field names; other keys are custom
// fields, so `age: 34` and `fields: {age: 34}` mean the same.
func (d *docState) testLead(n *yaml.Node, p at, l *leadscore.Lead) {
	ps, ok := d.pairs(n, p, "a lead (a mapping such as {email: jane@acme.com, title: VP})")
	if !ok {
		return
	}
	set := map[string]*string{
		"id": &l.ID, "email": &l.Email, "first_name": &l.FirstName, "last_name": &l.LastName, "title": &l.Title,
		"phone": &l.Phone, "country": &l.Country, "state": &l.State, "city": &l.City, "source": &l.Source,
		"account_id": &l.AccountID,
	}
	l.Fields = map[string]any{}
	for _, e := range ps {
		k := e.key.Value
		pk := p.key(k)
		switch {
		case set[k] != nil:
			*set[k], _ = d.str(e.val, pk)
		case k == "created_at":
			l.CreatedAt, _ = d.instant(e.val, pk, time.Time{})
		case k == "fields":
			d.freeFields(e.val, pk, l.Fields)
		default:
			if v, ok := d.anyValue(e.val, pk); ok {
				l.Fields[k] = v
			}
		}
	}
}

func (d *docState) testAccount(n *yaml.Node, p at) *leadscore.Account {
	a := &leadscore.Account{Fields: map[string]any{}}
	ps, ok := d.pairs(n, p, "an account (a mapping such as {domain: acme.com, employees: 450})")
	if !ok {
		return a
	}
	set := map[string]*string{"id": &a.ID, "domain": &a.Domain, "name": &a.Name, "industry": &a.Industry, "country": &a.Country}
	for _, e := range ps {
		k := e.key.Value
		pk := p.key(k)
		switch {
		case set[k] != nil:
			*set[k], _ = d.str(e.val, pk)
		case k == "employees":
			if v, ok := d.integer(e.val, pk); ok {
				n := int64(v)
				a.Employees = &n
			}
		case k == "revenue":
			if v, ok := d.number(e.val, pk); ok {
				a.Revenue = &v
			}
		case k == "priority":
			a.Priority, _ = d.boolean(e.val, pk)
		case k == "lists":
			items, _ := d.list(e.val, pk, "a list of list names")
			for i, it := range items {
				if s, ok := d.str(it, pk.index(i)); ok {
					a.Lists = append(a.Lists, s)
				}
			}
		case k == "fields":
			d.freeFields(e.val, pk, a.Fields)
		default:
			if v, ok := d.anyValue(e.val, pk); ok {
				a.Fields[k] = v
			}
		}
	}
	if a.ID == "" {
		a.ID = a.Domain
	}
	return a
}

func (d *docState) testPeer(n *yaml.Node, p at, asOf time.Time) leadscore.Peer {
	var peer leadscore.Peer
	f, ok := d.fields(n, p, "a peer such as {lead_id: l2, activity: [-3d]}", peerKeys, nil)
	if !ok {
		return peer
	}
	if e, ok := f["lead_id"]; ok {
		peer.LeadID, _ = d.name(e.val, p.key("lead_id"))
	}
	if e, ok := f["activity"]; ok {
		items, _ := d.list(e.val, p.key("activity"), "a list of times")
		for i, it := range items {
			if t, ok := d.instant(it, p.key("activity").index(i), asOf); ok {
				peer.Activity = append(peer.Activity, t)
			}
		}
	}
	return peer
}

func (d *docState) testEvent(n *yaml.Node, p at, asOf time.Time) leadscore.Event {
	var ev leadscore.Event
	f, ok := d.fields(n, p, "an event such as {type: page.viewed, at: -2d}", eventKeys, nil)
	if !ok {
		return ev
	}
	if e, ok := f["id"]; ok {
		ev.ID, _ = d.name(e.val, p.key("id"))
	}
	if e, ok := f["type"]; ok {
		ev.Type, _ = d.name(e.val, p.key("type"))
	} else {
		d.errorf(resolve(n), p, "%san event needs a type", p.prefix())
	}
	if e, ok := f["at"]; ok {
		ev.At, _ = d.instant(e.val, p.key("at"), asOf)
	} else {
		d.errorf(resolve(n), p, "%san event needs at (a time, or relative to as_of such as -2d)", p.prefix())
	}
	if e, ok := f["properties"]; ok {
		ev.Properties = map[string]any{}
		d.freeFields(e.val, p.key("properties"), ev.Properties)
	}
	if e, ok := f["source"]; ok {
		ev.Source, _ = d.str(e.val, p.key("source"))
	}
	if e, ok := f["user_agent"]; ok {
		ev.UserAgent, _ = d.str(e.val, p.key("user_agent"))
	}
	if e, ok := f["bot"]; ok {
		ev.Bot, _ = d.boolean(e.val, p.key("bot"))
	}
	if e, ok := f["bot_reason"]; ok {
		ev.BotReason, _ = d.str(e.val, p.key("bot_reason"))
	}
	return ev
}

func (d *docState) stringList(n *yaml.Node, p at) []string {
	out := []string{} // not nil: an empty list is a check ("none")
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && !isNull(n) {
		return append(out, n.Value)
	}
	items, _ := d.list(n, p, "a list of names")
	for i, it := range items {
		if s, ok := d.str(it, p.index(i)); ok {
			out = append(out, s)
		}
	}
	return out
}

func (d *docState) testExpect(n *yaml.Node, p at) Expect {
	var x Expect
	f, ok := d.fields(n, p, "a mapping such as {score: 65, band: warm}", expectKeys, nil)
	if !ok {
		return x
	}
	if e, ok := f["score"]; ok {
		if v, ok := d.number(e.val, p.key("score")); ok {
			x.Score = &v
		}
	}
	if e, ok := f["display"]; ok {
		if v, ok := d.integer(e.val, p.key("display")); ok {
			n := int64(v)
			x.Display = &n
		}
	}
	if e, ok := f["band"]; ok {
		if v, ok := d.str(e.val, p.key("band")); ok {
			x.Band = &v
		}
	}
	if e, ok := f["grade"]; ok {
		if v, ok := d.str(e.val, p.key("grade")); ok {
			x.Grade = &v
		}
	}
	if e, ok := f["qualified"]; ok {
		if v, ok := d.boolean(e.val, p.key("qualified")); ok {
			x.Qualified = &v
		}
	}
	if e, ok := f["disqualified"]; ok {
		if v, ok := d.boolean(e.val, p.key("disqualified")); ok {
			x.Disqualified = &v
		}
	}
	if e, ok := f["reasons"]; ok {
		x.Reasons = d.stringList(e.val, p.key("reasons"))
	}
	if e, ok := f["rules"]; ok {
		x.Rules = d.stringList(e.val, p.key("rules"))
	}
	if e, ok := f["not_rules"]; ok {
		x.NotRules = d.stringList(e.val, p.key("not_rules"))
	}
	if e, ok := f["categories"]; ok {
		ps, _ := d.pairs(e.val, p.key("categories"), "a mapping of category paths to points, such as {interest.engagement: 25}")
		for _, ce := range ps {
			if v, ok := d.number(ce.val, p.key("categories").key(ce.key.Value)); ok {
				x.Categories = append(x.Categories, CategoryExpect{Path: ce.key.Value, Points: v})
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
			res.Failures = append(res.Failures, fmt.Sprintf("no model named %q (the set has %s)", res.Model, orList(all)))
		case res.Model == "" && len(ruleModels) == 1:
			res.Model = ruleModels[0]
		case res.Model == "":
			res.Failures = append(res.Failures, fmt.Sprintf("the set has several models (%s); say which with model:", orList(all)))
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
