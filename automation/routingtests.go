package automation

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/modelfile"
	"go.yaml.in/yaml/v3"
)

// RoutingCase is one fixture of a routing file: a lead, the facts routing
// depends on, and who should get it. With several expected owners the same
// lead is routed that many times in a row, each assignment adding to the
// owner's workload and taking the team's turn, which is how fixtures show
// round-robin order and capacity limits.
type RoutingCase struct {
	Name   string
	File   string
	Line   int
	Input  Input
	Expect RoutingExpect
}

// RoutingExpect holds what a case checks; nil means "not checked".
type RoutingExpect struct {
	Assigned *bool
	Owner    *string
	Team     *string
	Rule     *string
	Via      *string
	Area     *string
	// SLADue is the expected deadline; the zero time (written none)
	// expects no SLA.
	SLADue *time.Time
	// Owners is the sequence of owners of repeated routings ("" for
	// none); other expectations check the first routing.
	Owners []string
}

var (
	routingTestKeys   = []string{"cases", "now"}
	routingCaseKeys   = []string{"name", "now", "lead", "account", "model", "score", "band", "qualified", "account_owner", "account_scores", "load", "round_robin", "expect"}
	routingExpectKeys = []string{"assigned", "owner", "team", "rule", "via", "area", "sla_due", "owners"}
	testLeadStrings   = []string{"id", "email", "first_name", "last_name", "title", "phone", "country", "state", "city", "source", "account_id"}
	testAccountKeys   = []string{"id", "domain", "name", "industry", "country"}
)

// ParseRoutingTests reads a routing fixture file (routing.tests.yaml).
// Every problem is reported with its position; cases with problems are
// left out.
func ParseRoutingTests(filename string, data []byte) ([]RoutingCase, []modelfile.Diagnostic) {
	d := newDoc(filename, data)
	var root yaml.Node
	err := yaml.NewDecoder(strings.NewReader(string(data))).Decode(&root)
	if errors.Is(err, io.EOF) {
		return nil, []modelfile.Diagnostic{{File: filename, Line: 1, Column: 1, Severity: modelfile.Error, Message: "the file is empty; it needs cases:"}}
	}
	if err != nil {
		return nil, []modelfile.Diagnostic{syntaxDiagnostic(filename, err)}
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	d.root = top
	if err := checkAliases(top); err != nil {
		return nil, []modelfile.Diagnostic{{File: filename, Line: top.Line, Column: top.Column, Severity: modelfile.Error, Message: err.Error()}}
	}
	f, ok := d.fields(top, at{}, "a mapping with cases:", routingTestKeys, func(k string) string {
		if slices.Contains(routingTopKeys, k) {
			return "this looks like a routing file; test it with leadscore routing test FILE, which reads FILE's .tests.yaml"
		}
		return ""
	})
	if !ok {
		return nil, d.sorted()
	}
	var now time.Time
	if e, ok := f["now"]; ok {
		now, _ = d.instant(e.val, at{}.key("now"))
	}
	e, ok := f["cases"]
	if !ok {
		d.errorf(top, at{}, "a fixture file needs cases: (a list of cases)")
		return nil, d.sorted()
	}
	items, _ := d.list(e.val, at{}.key("cases"), "a list of cases")
	if len(items) == 0 {
		d.errorf(e.val, at{}.key("cases"), "cases: the list is empty")
	}
	var cases []RoutingCase
	names := map[string]int{}
	for i, it := range items {
		p := at{}.key("cases").index(i)
		label := fmt.Sprintf("case %d", i+1)
		if v := resolve(it); v != nil && v.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(v.Content); k += 2 {
				if v.Content[k].Value == "name" && resolve(v.Content[k+1]).Kind == yaml.ScalarNode {
					label = fmt.Sprintf("case %q", resolve(v.Content[k+1]).Value)
				}
			}
		}
		before := d.errors
		c := d.routingCase(it, p.owner(label), now)
		if line, dup := names[c.Name]; dup && c.Name != "" {
			d.errorf(it, p, "case %q: the name is also used by the case at line %d", c.Name, line)
		}
		names[c.Name] = c.Line
		if d.errors == before {
			cases = append(cases, c)
		}
	}
	return cases, d.sorted()
}

func (d *doc) routingCase(n *yaml.Node, p at, now time.Time) RoutingCase {
	c := RoutingCase{File: d.file}
	if v := resolve(n); v != nil {
		c.Line = v.Line
	}
	f, ok := d.fields(n, p, "a case (a mapping with name, lead, score and expect)", routingCaseKeys, nil)
	if !ok {
		return c
	}
	in := &c.Input
	in.Qualified = true
	in.Now = now
	in.Lead = &leadscore.Lead{ID: "test-lead"}
	if e, ok := f["name"]; ok {
		c.Name, _ = d.name(e.val, p.key("name"))
	} else {
		d.errorf(n, p, "%sneeds a name", p.prefix())
	}
	if e, ok := f["now"]; ok {
		in.Now, _ = d.instant(e.val, p.key("now"))
	} else if now.IsZero() {
		d.errorf(n, p, "%sneeds now, the instant of routing (or set now: at the top of the file)", p.prefix())
	}
	if e, ok := f["lead"]; ok {
		d.testLead(e.val, p.key("lead"), in.Lead)
	}
	if e, ok := f["account"]; ok {
		in.Account = d.testAccount(e.val, p.key("account"))
		if in.Lead.AccountID == "" {
			in.Lead.AccountID = in.Account.ID
		}
	}
	if e, ok := f["model"]; ok {
		in.Model, _ = d.name(e.val, p.key("model"))
	}
	if e, ok := f["score"]; ok {
		in.Score, _ = d.number(e.val, p.key("score"))
	}
	if e, ok := f["band"]; ok {
		in.Band, _ = d.str(e.val, p.key("band"))
	}
	if e, ok := f["qualified"]; ok {
		in.Qualified, _ = d.boolean(e.val, p.key("qualified"))
	}
	if e, ok := f["account_owner"]; ok {
		in.AccountOwner, _ = d.name(e.val, p.key("account_owner"))
	}
	if e, ok := f["account_scores"]; ok {
		ps, _ := d.pairs(e.val, p.key("account_scores"), "a mapping of model names to scores")
		in.AccountScores = map[string]float64{}
		for _, s := range ps {
			if v, ok := d.number(s.val, p.key("account_scores").key(s.key.Value)); ok {
				in.AccountScores[s.key.Value] = v
			}
		}
	}
	if e, ok := f["load"]; ok {
		ps, _ := d.pairs(e.val, p.key("load"), "a mapping of owners to their open MQLs, such as {alice: 20}")
		in.Load = map[string]int{}
		for _, s := range ps {
			if v, ok := d.nonNegInt(s.val, p.key("load").key(s.key.Value)); ok {
				in.Load[s.key.Value] = v
			}
		}
	}
	if e, ok := f["round_robin"]; ok {
		ps, _ := d.pairs(e.val, p.key("round_robin"), "a mapping of teams to the owner who had the last turn, such as {sdr: alice}")
		in.RoundRobin = map[string]string{}
		for _, s := range ps {
			if v, ok := d.name(s.val, p.key("round_robin").key(s.key.Value)); ok {
				in.RoundRobin[s.key.Value] = v
			}
		}
	}
	if e, ok := f["expect"]; ok {
		c.Expect = d.routingExpect(e.val, p.key("expect"))
	} else {
		d.errorf(n, p, "%sneeds expect: (who should get the lead)", p.prefix())
	}
	return c
}

func (d *doc) routingExpect(n *yaml.Node, p at) RoutingExpect {
	var x RoutingExpect
	f, ok := d.fields(n, p, "a mapping such as {owner: alice, rule: emea}", routingExpectKeys, nil)
	if !ok {
		return x
	}
	text := func(k string) *string {
		e, ok := f[k]
		if !ok {
			return nil
		}
		v, ok := d.str(e.val, p.key(k))
		if !ok {
			return nil
		}
		return &v
	}
	x.Owner, x.Team, x.Rule, x.Via, x.Area = text("owner"), text("team"), text("rule"), text("via"), text("area")
	if x.Via != nil && !slices.Contains([]string{"owner", "round_robin", "territory", "account_owner", "overflow", "fallback"}, *x.Via) {
		d.errorf(f["via"].val, p.key("via"), "%sunknown via %q (use owner, round_robin, territory, account_owner, overflow or fallback)", p.key("via").prefix(), *x.Via)
	}
	if e, ok := f["assigned"]; ok {
		if v, ok := d.boolean(e.val, p.key("assigned")); ok {
			x.Assigned = &v
		}
	}
	if e, ok := f["sla_due"]; ok {
		var t time.Time
		if v := resolve(e.val); v == nil || v.Value != "none" {
			t, _ = d.instant(e.val, p.key("sla_due"))
		}
		x.SLADue = &t
	}
	if e, ok := f["owners"]; ok {
		items, _ := d.list(e.val, p.key("owners"), "a list of owners, one per routing (none for no owner)")
		for i, it := range items {
			if v, ok := d.name(it, p.key("owners").index(i)); ok {
				if v == "none" {
					v = ""
				}
				x.Owners = append(x.Owners, v)
			}
		}
		if len(items) == 0 {
			d.errorf(e.val, p.key("owners"), "%sthe list is empty", p.key("owners").prefix())
		}
	}
	return x
}

// instant reads an RFC 3339 time or a date (midnight UTC).
func (d *doc) instant(n *yaml.Node, p at) (time.Time, bool) {
	s, ok := d.str(n, p)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	d.errorf(n, p, "%sexpected a time such as 2026-11-06T16:00:00+01:00 or a date such as 2026-11-06, got %q", p.prefix(), s)
	return time.Time{}, false
}

// anyValue decodes a free-form value as JSON ingestion would deliver it
// (numbers as float64), so fixtures see production's types.
func (d *doc) anyValue(n *yaml.Node, p at) (any, bool) {
	var v any
	if err := resolve(n).Decode(&v); err != nil {
		d.errorf(n, p, "%s%v", p.prefix(), err)
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
	case map[string]any:
		for k := range x {
			x[k] = jsonLike(x[k])
		}
	}
	return v
}

// testLead reads a lead by its JSON field names; other keys are custom
// fields, as in model fixtures.
func (d *doc) testLead(n *yaml.Node, p at, l *leadscore.Lead) {
	ps, ok := d.pairs(n, p, "a lead (a mapping such as {country: DE, title: VP})")
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
		switch {
		case set[k] != nil:
			*set[k], _ = d.str(e.val, p.key(k))
		case k == "created_at":
			l.CreatedAt, _ = d.instant(e.val, p.key(k))
		case k == "fields":
			d.freeFields(e.val, p.key(k), l.Fields)
		default:
			if v, ok := d.anyValue(e.val, p.key(k)); ok {
				l.Fields[k] = v
			}
		}
	}
}

func (d *doc) freeFields(n *yaml.Node, p at, into map[string]any) {
	ps, _ := d.pairs(n, p, "a mapping of custom fields")
	for _, e := range ps {
		if v, ok := d.anyValue(e.val, p.key(e.key.Value)); ok {
			into[e.key.Value] = v
		}
	}
}

func (d *doc) testAccount(n *yaml.Node, p at) *leadscore.Account {
	a := &leadscore.Account{Fields: map[string]any{}}
	ps, ok := d.pairs(n, p, "an account (a mapping such as {domain: acme.com, priority: true})")
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
			if v, ok := d.nonNegInt(e.val, pk); ok {
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
			a.Lists, _ = d.words(e.val, pk, "a list of list names")
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

// RoutingTestResult is the outcome of one case.
type RoutingTestResult struct {
	Case *RoutingCase
	// Decisions holds one decision per routing of the case.
	Decisions []Decision
	// Failures are the expectations that did not hold, as short phrases
	// ("owner bob, want alice"); empty means the case passed.
	Failures []string
}

// Passed reports whether every expectation held.
func (r *RoutingTestResult) Passed() bool { return len(r.Failures) == 0 }

// RunRoutingTests routes each case and compares the decisions with its
// expectations. It never stops early.
func RunRoutingTests(r *Router, cases []RoutingCase) []RoutingTestResult {
	out := make([]RoutingTestResult, 0, len(cases))
	for i := range cases {
		c := &cases[i]
		res := RoutingTestResult{Case: c}
		in := c.Input
		in.Load = cloneLoad(in.Load)
		runs := max(1, len(c.Expect.Owners))
		for range runs {
			d := r.Route(in)
			res.Decisions = append(res.Decisions, d)
			if d.Assigned {
				in.RoundRobin = d.RoundRobin
				if in.Qualified {
					in.Load[d.Owner]++
				}
			}
		}
		res.Failures = compareDecision(&res.Decisions[0], &c.Expect)
		if len(c.Expect.Owners) > 0 {
			got := make([]string, len(res.Decisions))
			for k, d := range res.Decisions {
				got[k] = d.Owner
			}
			if !slices.Equal(got, c.Expect.Owners) {
				res.Failures = append(res.Failures, fmt.Sprintf("owners %s, want %s", ownerList(got), ownerList(c.Expect.Owners)))
			}
		}
		out = append(out, res)
	}
	return out
}

func ownerList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = orNone(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func compareDecision(d *Decision, x *RoutingExpect) []string {
	var fails []string
	check := func(what string, want *string, got string) {
		if want != nil && *want != got {
			fails = append(fails, fmt.Sprintf("%s %s, want %s", what, orNone(got), orNone(*want)))
		}
	}
	if x.Assigned != nil && *x.Assigned != d.Assigned {
		fails = append(fails, "assigned "+strconv.FormatBool(d.Assigned)+", want "+strconv.FormatBool(*x.Assigned))
	}
	check("owner", x.Owner, d.Owner)
	check("team", x.Team, d.Team)
	check("rule", x.Rule, d.Rule)
	check("via", x.Via, string(d.Via))
	check("area", x.Area, d.Area)
	if x.SLADue != nil {
		var got time.Time
		if d.SLA != nil {
			got = d.SLA.Due
		}
		if !got.Equal(*x.SLADue) {
			fails = append(fails, fmt.Sprintf("sla_due %s, want %s", formatDue(got, *x.SLADue), formatDue(*x.SLADue, *x.SLADue)))
		}
	}
	return fails
}

// formatDue prints a deadline in the offset the fixture wrote, so that a
// failure reads in the same local time as the expectation.
func formatDue(t, like time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.In(like.Location()).Format(time.RFC3339)
}
