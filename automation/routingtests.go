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
	"github.com/leadscore/leadscore/internal/yamlfile"
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
	if err := yamlfile.CheckAliases(top); err != nil {
		return nil, []modelfile.Diagnostic{{File: filename, Line: top.Line, Column: top.Column, Severity: modelfile.Error, Message: err.Error()}}
	}
	f, ok := d.Fields(top, yamlfile.Path{}, "a mapping with cases:", routingTestKeys, func(k string, _ *yaml.Node) string {
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
		now, _ = d.instant(e.Val, yamlfile.Path{}.Key("now"))
	}
	e, ok := f["cases"]
	if !ok {
		d.errorf(top, yamlfile.Path{}, "a fixture file needs cases: (a list of cases)")
		return nil, d.sorted()
	}
	items, _ := d.List(e.Val, yamlfile.Path{}.Key("cases"), "a list of cases")
	if len(items) == 0 {
		d.errorf(e.Val, yamlfile.Path{}.Key("cases"), "cases: the list is empty")
	}
	var cases []RoutingCase
	names := map[string]int{}
	for i, it := range items {
		p := yamlfile.Path{}.Key("cases").Index(i)
		label := fmt.Sprintf("case %d", i+1)
		if v := yamlfile.Resolve(it); v != nil && v.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(v.Content); k += 2 {
				if v.Content[k].Value == "name" && yamlfile.Resolve(v.Content[k+1]).Kind == yaml.ScalarNode {
					label = fmt.Sprintf("case %q", yamlfile.Resolve(v.Content[k+1]).Value)
				}
			}
		}
		before := d.errors
		c := d.routingCase(it, p.Owner(label), now)
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

func (d *doc) routingCase(n *yaml.Node, p yamlfile.Path, now time.Time) RoutingCase {
	c := RoutingCase{File: d.src.Name}
	if v := yamlfile.Resolve(n); v != nil {
		c.Line = v.Line
	}
	f, ok := d.Fields(n, p, "a case (a mapping with name, lead, score and expect)", routingCaseKeys, nil)
	if !ok {
		return c
	}
	in := &c.Input
	in.Qualified = true
	in.Now = now
	in.Lead = &leadscore.Lead{ID: "test-lead"}
	if e, ok := f["name"]; ok {
		c.Name, _ = d.Name(e.Val, p.Key("name"))
	} else {
		d.errorf(n, p, "%sneeds a name", p.Prefix())
	}
	if e, ok := f["now"]; ok {
		in.Now, _ = d.instant(e.Val, p.Key("now"))
	} else if now.IsZero() {
		d.errorf(n, p, "%sneeds now, the instant of routing (or set now: at the top of the file)", p.Prefix())
	}
	if e, ok := f["lead"]; ok {
		d.Lead(e.Val, p.Key("lead"), "a lead (a mapping such as {country: DE, title: VP})", in.Lead, d.instant)
	}
	if e, ok := f["account"]; ok {
		in.Account = d.testAccount(e.Val, p.Key("account"))
		if in.Lead.AccountID == "" {
			in.Lead.AccountID = in.Account.ID
		}
	}
	if e, ok := f["model"]; ok {
		in.Model, _ = d.Name(e.Val, p.Key("model"))
	}
	if e, ok := f["score"]; ok {
		in.Score, _ = d.Number(e.Val, p.Key("score"))
	}
	if e, ok := f["band"]; ok {
		in.Band, _ = d.Str(e.Val, p.Key("band"))
	}
	if e, ok := f["qualified"]; ok {
		in.Qualified, _ = d.Boolean(e.Val, p.Key("qualified"))
	}
	if e, ok := f["account_owner"]; ok {
		in.AccountOwner, _ = d.Name(e.Val, p.Key("account_owner"))
	}
	if e, ok := f["account_scores"]; ok {
		ps, _ := d.Pairs(e.Val, p.Key("account_scores"), "a mapping of model names to scores")
		in.AccountScores = map[string]float64{}
		for _, s := range ps {
			if v, ok := d.Number(s.Val, p.Key("account_scores").Key(s.Key.Value)); ok {
				in.AccountScores[s.Key.Value] = v
			}
		}
	}
	if e, ok := f["load"]; ok {
		ps, _ := d.Pairs(e.Val, p.Key("load"), "a mapping of owners to their open MQLs, such as {alice: 20}")
		in.Load = map[string]int{}
		for _, s := range ps {
			if v, ok := d.NonNegInt(s.Val, p.Key("load").Key(s.Key.Value)); ok {
				in.Load[s.Key.Value] = v
			}
		}
	}
	if e, ok := f["round_robin"]; ok {
		ps, _ := d.Pairs(e.Val, p.Key("round_robin"), "a mapping of teams to the owner who had the last turn, such as {sdr: alice}")
		in.RoundRobin = map[string]string{}
		for _, s := range ps {
			if v, ok := d.Name(s.Val, p.Key("round_robin").Key(s.Key.Value)); ok {
				in.RoundRobin[s.Key.Value] = v
			}
		}
	}
	if e, ok := f["expect"]; ok {
		c.Expect = d.routingExpect(e.Val, p.Key("expect"))
	} else {
		d.errorf(n, p, "%sneeds expect: (who should get the lead)", p.Prefix())
	}
	return c
}

func (d *doc) routingExpect(n *yaml.Node, p yamlfile.Path) RoutingExpect {
	var x RoutingExpect
	f, ok := d.Fields(n, p, "a mapping such as {owner: alice, rule: emea}", routingExpectKeys, nil)
	if !ok {
		return x
	}
	text := func(k string) *string {
		e, ok := f[k]
		if !ok {
			return nil
		}
		v, ok := d.Str(e.Val, p.Key(k))
		if !ok {
			return nil
		}
		return &v
	}
	x.Owner, x.Team, x.Rule, x.Via, x.Area = text("owner"), text("team"), text("rule"), text("via"), text("area")
	if x.Via != nil && !slices.Contains([]string{"owner", "round_robin", "territory", "account_owner", "overflow", "fallback"}, *x.Via) {
		d.errorf(f["via"].Val, p.Key("via"), "%sunknown via %q (use owner, round_robin, territory, account_owner, overflow or fallback)", p.Key("via").Prefix(), *x.Via)
	}
	if e, ok := f["assigned"]; ok {
		if v, ok := d.Boolean(e.Val, p.Key("assigned")); ok {
			x.Assigned = &v
		}
	}
	if e, ok := f["sla_due"]; ok {
		var t time.Time
		if v := yamlfile.Resolve(e.Val); v == nil || v.Value != "none" {
			t, _ = d.instant(e.Val, p.Key("sla_due"))
		}
		x.SLADue = &t
	}
	if e, ok := f["owners"]; ok {
		items, _ := d.List(e.Val, p.Key("owners"), "a list of owners, one per routing (none for no owner)")
		for i, it := range items {
			if v, ok := d.Name(it, p.Key("owners").Index(i)); ok {
				if v == "none" {
					v = ""
				}
				x.Owners = append(x.Owners, v)
			}
		}
		if len(items) == 0 {
			d.errorf(e.Val, p.Key("owners"), "%sthe list is empty", p.Key("owners").Prefix())
		}
	}
	return x
}

// instant reads an RFC 3339 time or a date (midnight UTC).
func (d *doc) instant(n *yaml.Node, p yamlfile.Path) (time.Time, bool) {
	s, ok := d.Str(n, p)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	d.errorf(n, p, "%sexpected a time such as 2026-11-06T16:00:00+01:00 or a date such as 2026-11-06, got %q", p.Prefix(), s)
	return time.Time{}, false
}

func (d *doc) testAccount(n *yaml.Node, p yamlfile.Path) *leadscore.Account {
	a := &leadscore.Account{Fields: map[string]any{}}
	ps, ok := d.Pairs(n, p, "an account (a mapping such as {domain: acme.com, priority: true})")
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
			if v, ok := d.NonNegInt(e.Val, pk); ok {
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
			a.Lists, _ = d.words(e.Val, pk, "a list of list names")
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
