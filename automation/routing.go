package automation

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
)

// RoutingSpec is a routing file after parsing: who the owners are, how they
// are grouped, and the ordered rules that give a qualified lead an owner.
type RoutingSpec struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Fields declares custom lead and account fields, as in model files.
	Fields      map[string]leadscore.FieldType `json:"fields,omitempty"`
	Calendars   []CalendarSpec                 `json:"calendars,omitempty"`
	Owners      []OwnerSpec                    `json:"owners"`
	Teams       []TeamSpec                     `json:"teams,omitempty"`
	Territories []TerritorySpec                `json:"territories,omitempty"`
	// SLA applies to every rule that sets none.
	SLA   *SLASpec    `json:"sla,omitempty"`
	Rules []RouteRule `json:"rules"`
	// Fallback takes qualified leads no rule assigned (a queue owner or
	// team); capacity does not apply to it.
	Fallback *Target `json:"fallback,omitempty"`
}

// OwnerSpec is a person leads can be assigned to.
type OwnerSpec struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	// Capacity is the most open MQLs the owner takes; nil for no limit,
	// 0 to pause the owner.
	Capacity *int `json:"capacity,omitempty"`
	// Calendar is the owner's working hours, for SLAs that name none.
	Calendar string `json:"calendar,omitempty"`
}

// TeamSpec is a group of owners shared by round robin, in this order.
type TeamSpec struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// TerritorySpec maps where a lead is to who takes it.
type TerritorySpec struct {
	Name  string     `json:"name"`
	Areas []AreaSpec `json:"areas"`
	// Fallback takes leads from places no area lists (or with no country);
	// without one, such leads go on to the next rule.
	Fallback *Target `json:"fallback,omitempty"`
}

// AreaSpec is one part of a territory: countries (ISO codes such as DE, or
// whatever the data holds; compared without case) and regions written
// country-state (US-CA), which win over countries.
type AreaSpec struct {
	Name      string   `json:"name"`
	Countries []string `json:"countries,omitempty"`
	Regions   []string `json:"regions,omitempty"`
	Target
}

// Target is an owner or a team (exactly one).
type Target struct {
	Owner string `json:"owner,omitempty"`
	Team  string `json:"team,omitempty"`
}

func (t Target) String() string {
	if t.Team != "" {
		return "team " + t.Team
	}
	return "owner " + t.Owner
}

// RouteRule is one routing rule. Rules are tried in order; the first that
// matches and finds an owner with room wins.
type RouteRule struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// When is a condition (see the package documentation for its
	// variables); empty matches every lead.
	When string `json:"when,omitempty"`
	// Priority rules match only priority accounts and route them as soon
	// as they are known, qualified or not.
	Priority bool       `json:"priority,omitempty"`
	Assign   AssignSpec `json:"assign"`
	// Overflow takes the lead when the rule matches but every candidate is
	// at capacity; without it the lead goes on to the next rule.
	Overflow string   `json:"overflow,omitempty"`
	SLA      *SLASpec `json:"sla,omitempty"`
}

// AssignSpec says how a rule picks the owner: exactly one of the fields.
type AssignSpec struct {
	Owner        string `json:"owner,omitempty"`
	Team         string `json:"team,omitempty"` // round robin
	Territory    string `json:"territory,omitempty"`
	AccountOwner bool   `json:"account_owner,omitempty"`
}

// Via says how an owner was chosen.
type Via string

const (
	ViaOwner        Via = "owner"
	ViaRoundRobin   Via = "round_robin"
	ViaTerritory    Via = "territory"
	ViaAccountOwner Via = "account_owner"
	ViaOverflow     Via = "overflow"
	ViaFallback     Via = "fallback"
	ViaEscalation   Via = "escalation"
	ViaManual       Via = "manual"
)

// Router is a compiled routing file. It is immutable and safe for
// concurrent use.
type Router struct {
	spec        RoutingSpec
	owners      map[string]*OwnerSpec
	teams       map[string][]string
	territories map[string]*territory
	calendars   map[string]*Calendar
	rules       []compiledRule
	usesEmail   bool
	priority    bool
	// checker is built on first use when the caller gave none and a rule
	// reads email facts.
	checker     *quality.Checker
	checkerOnce sync.Once
}

type compiledRule struct {
	spec RouteRule
	when *vm.Program
	sla  *SLASpec
}

type territory struct {
	spec      *TerritorySpec
	countries map[string]*AreaSpec
	regions   map[string]*AreaSpec
}

// RouterOptions tune compilation.
type RouterOptions struct {
	// Checker supplies email facts (lead.email_free...); nil builds one
	// when a rule needs it.
	Checker *quality.Checker
}

func (r *Router) quality() *quality.Checker {
	r.checkerOnce.Do(func() {
		if r.checker == nil {
			r.checker = quality.NewChecker()
		}
	})
	return r.checker
}

// Spec returns the specification the router was compiled from.
func (r *Router) Spec() RoutingSpec { return r.spec }

// HasPriorityRules reports whether priority accounts are routed before
// they qualify, so the service knows to ask for them.
func (r *Router) HasPriorityRules() bool { return r != nil && r.priority }

// Calendar returns a calendar by name (nil, the plain clock, for "").
func (r *Router) Calendar(name string) *Calendar {
	if r == nil {
		return nil
	}
	return r.calendars[name]
}

// normPlace is how countries and regions are compared.
func normPlace(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// NewRouter checks a specification and compiles it. All problems are
// returned at once as leadscore.Problems whose Field is a path such as
// "rules[2].assign.team". ParseRouting reports the same problems with file
// positions; this is for specifications built in code.
func NewRouter(spec *RoutingSpec, opts RouterOptions) (*Router, error) {
	var probs leadscore.Problems
	bad := func(field, format string, args ...any) {
		probs = append(probs, leadscore.Invalid(field, format, args...))
	}
	r := &Router{
		spec: *spec, owners: map[string]*OwnerSpec{}, teams: map[string][]string{},
		territories: map[string]*territory{}, calendars: map[string]*Calendar{}, checker: opts.Checker,
	}
	s := &r.spec
	for i, c := range s.Calendars {
		f := fmt.Sprintf("calendars[%d]", i)
		if _, dup := r.calendars[c.Name]; dup || c.Name == "" {
			bad(f+".name", "calendar names must be unique and not blank (%q)", c.Name)
			continue
		}
		cal, err := NewCalendar(c)
		if err != nil {
			for _, p := range asProblems(err) {
				bad(f+"."+p.Field, "%s", p.Message)
			}
			continue
		}
		r.calendars[c.Name] = cal
	}
	for i := range s.Owners {
		o := &s.Owners[i]
		f := fmt.Sprintf("owners[%d]", i)
		if _, dup := r.owners[o.Name]; dup || strings.TrimSpace(o.Name) == "" {
			bad(f+".name", "owner names must be unique and not blank (%q)", o.Name)
			continue
		}
		if o.Capacity != nil && *o.Capacity < 0 {
			bad(f+".capacity", "cannot be negative")
		}
		if o.Calendar != "" && r.calendars[o.Calendar] == nil {
			bad(f+".calendar", "no calendar named %q", o.Calendar)
		}
		r.owners[o.Name] = o
	}
	target := func(f string, t *Target) {
		switch {
		case (t.Owner == "") == (t.Team == ""):
			bad(f, "give exactly one of owner or team")
		case t.Owner != "" && r.owners[t.Owner] == nil:
			bad(f+".owner", "no owner named %q", t.Owner)
		case t.Team != "" && r.teams[t.Team] == nil:
			bad(f+".team", "no team named %q", t.Team)
		}
	}
	for i, t := range s.Teams {
		f := fmt.Sprintf("teams[%d]", i)
		if _, dup := r.teams[t.Name]; dup || strings.TrimSpace(t.Name) == "" {
			bad(f+".name", "team names must be unique and not blank (%q)", t.Name)
			continue
		}
		if len(t.Members) == 0 {
			bad(f+".members", "a team needs at least one member")
		}
		seen := map[string]bool{}
		for j, m := range t.Members {
			if r.owners[m] == nil {
				bad(fmt.Sprintf("%s.members[%d]", f, j), "no owner named %q", m)
			}
			if seen[m] {
				bad(fmt.Sprintf("%s.members[%d]", f, j), "%q is listed twice", m)
			}
			seen[m] = true
		}
		r.teams[t.Name] = slices.Clone(t.Members)
	}
	for i := range s.Territories {
		t := &s.Territories[i]
		f := fmt.Sprintf("territories[%d]", i)
		if _, dup := r.territories[t.Name]; dup || strings.TrimSpace(t.Name) == "" {
			bad(f+".name", "territory names must be unique and not blank (%q)", t.Name)
			continue
		}
		tr := &territory{spec: t, countries: map[string]*AreaSpec{}, regions: map[string]*AreaSpec{}}
		for j := range t.Areas {
			a := &t.Areas[j]
			af := fmt.Sprintf("%s.areas[%d]", f, j)
			target(af, &a.Target)
			if len(a.Countries)+len(a.Regions) == 0 {
				bad(af, "an area needs countries or regions")
			}
			for k, c := range a.Countries {
				key := normPlace(c)
				if prev := tr.countries[key]; prev != nil {
					bad(fmt.Sprintf("%s.countries[%d]", af, k), "%s is already in area %q", c, prev.Name)
				}
				tr.countries[key] = a
			}
			for k, c := range a.Regions {
				key := normPlace(c)
				if !strings.Contains(key, "-") {
					bad(fmt.Sprintf("%s.regions[%d]", af, k), "a region is written country-state, such as US-CA (got %q)", c)
				}
				if prev := tr.regions[key]; prev != nil {
					bad(fmt.Sprintf("%s.regions[%d]", af, k), "%s is already in area %q", c, prev.Name)
				}
				tr.regions[key] = a
			}
		}
		if t.Fallback != nil {
			target(f+".fallback", t.Fallback)
		}
		r.territories[t.Name] = tr
	}
	sla := func(f string, sp *SLASpec) {
		if sp == nil {
			return
		}
		if sp.Within <= 0 {
			bad(f+".within", "needs a duration such as 4h")
		}
		if sp.Calendar != "" && r.calendars[sp.Calendar] == nil {
			bad(f+".calendar", "no calendar named %q", sp.Calendar)
		}
		if sp.Reassign != nil {
			target(f+".reassign", sp.Reassign)
		}
	}
	sla("sla", s.SLA)
	if s.Fallback != nil {
		target("fallback", s.Fallback)
	}
	names := map[string]bool{}
	for i, rule := range s.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		if names[rule.Name] || strings.TrimSpace(rule.Name) == "" {
			bad(f+".name", "rule names must be unique and not blank (%q)", rule.Name)
		}
		names[rule.Name] = true
		cr := compiledRule{spec: rule, sla: rule.SLA}
		if cr.sla == nil {
			cr.sla = s.SLA
		}
		if strings.TrimSpace(rule.When) != "" {
			p, err := compileRoutingCondition(rule.When)
			if err != nil {
				bad(f+".when", "%s", scoring.ConditionErrorMessage(err))
			} else {
				cr.when = p
				r.usesEmail = r.usesEmail || usesEmailFacts(p)
			}
		}
		a := rule.Assign
		n := 0
		for _, set := range []bool{a.Owner != "", a.Team != "", a.Territory != "", a.AccountOwner} {
			if set {
				n++
			}
		}
		switch {
		case n != 1:
			bad(f+".assign", "give exactly one of owner, team, territory or account_owner")
		case a.Owner != "" && r.owners[a.Owner] == nil:
			bad(f+".assign.owner", "no owner named %q", a.Owner)
		case a.Team != "" && r.teams[a.Team] == nil:
			bad(f+".assign.team", "no team named %q", a.Team)
		case a.Territory != "" && r.territories[a.Territory] == nil:
			bad(f+".assign.territory", "no territory named %q", a.Territory)
		}
		if rule.Overflow != "" && r.owners[rule.Overflow] == nil {
			bad(f+".overflow", "no owner named %q", rule.Overflow)
		}
		sla(f+".sla", rule.SLA)
		r.priority = r.priority || rule.Priority
		r.rules = append(r.rules, cr)
	}
	if len(s.Rules) == 0 {
		bad("rules", "a routing file needs at least one rule")
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return r, nil
}

func asProblems(err error) leadscore.Problems {
	switch e := err.(type) {
	case leadscore.Problems:
		return e
	case *leadscore.Error:
		return leadscore.Problems{e}
	}
	return leadscore.Problems{{Code: leadscore.CodeInvalid, Message: err.Error()}}
}

// Input is everything a routing decision depends on. The service reads the
// workload and cursors in the same transaction that stores the decision,
// so two leads routed concurrently cannot both take an owner's last slot.
type Input struct {
	Lead    *leadscore.Lead
	Account *leadscore.Account
	// Model, Score, Band and Qualified describe the evaluation that
	// triggered routing (Advance fills them in).
	Model     string
	Score     float64
	Band      string
	Qualified bool
	// AccountScores and ActivePeople feed account.scores and
	// account.active_people, when the caller has them.
	AccountScores map[string]float64
	ActivePeople  int
	// AccountOwner is the owner already assigned to the account's other
	// leads (the most recent one), or "".
	AccountOwner string
	// Load is each owner's number of open MQLs (LeadState.OpenMQL), not
	// counting the lead being routed.
	Load map[string]int
	// RoundRobin is each team's last chosen owner. Keeping the owner's name
	// rather than a position keeps turns fair when a team is edited.
	RoundRobin map[string]string
	Now        time.Time
}

// Decision is the outcome of routing one lead.
type Decision struct {
	Assigned bool   `json:"assigned"`
	Owner    string `json:"owner,omitempty"`
	Team     string `json:"team,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Via      Via    `json:"via,omitempty"`
	Area     string `json:"area,omitempty"`
	// SLA is the follow-up timer the assignment starts, with its deadline
	// computed; nil when the route sets none.
	SLA *SLATimer `json:"sla,omitempty"`
	// Trace explains the decision rule by rule, for people and tests.
	Trace []string `json:"trace,omitempty"`
	// RoundRobin is the input's cursors with this decision's turn taken;
	// the caller stores it.
	RoundRobin map[string]string `json:"round_robin,omitempty"`
}

// chooser holds the per-decision scratch state of Route and Reassign.
type chooser struct {
	r       *Router
	in      *Input
	rr      map[string]string
	exclude string
	trace   []string
	// prefix starts every note, naming the rule being tried.
	prefix string
}

func (c *chooser) note(format string, args ...any) {
	c.trace = append(c.trace, c.prefix+fmt.Sprintf(format, args...))
}

// fallThrough ends a rule that found nobody, on the line that says why
// when there is one.
func (c *chooser) fallThrough() {
	if n := len(c.trace); n > 0 && c.prefix != "" && strings.HasPrefix(c.trace[n-1], c.prefix) {
		c.trace[n-1] += "; trying the next rule"
		return
	}
	c.note("nobody available; trying the next rule")
}

func (c *chooser) full(owner string) bool {
	o := c.r.owners[owner]
	return o != nil && o.Capacity != nil && c.in.Load[owner] >= *o.Capacity
}

// owner checks one candidate.
func (c *chooser) owner(name string) bool {
	switch {
	case name == c.exclude:
		c.note("%s is the owner who missed the deadline", name)
		return false
	case c.full(name):
		c.note("%s is at capacity (%d of %d open MQLs)", name, c.in.Load[name], *c.r.owners[name].Capacity)
		return false
	}
	return true
}

// team takes the next member with room after the team's last choice.
func (c *chooser) team(name string) (string, bool) {
	members := c.r.teams[name]
	start := 0
	if last, ok := c.rr[name]; ok {
		if i := slices.Index(members, last); i >= 0 {
			start = i + 1
		}
	}
	for k := range members {
		m := members[(start+k)%len(members)]
		if c.owner(m) {
			c.rr[name] = m
			return m, true
		}
	}
	c.note("every member of team %s is unavailable", name)
	return "", false
}

func (c *chooser) target(t Target) (owner, team string, ok bool) {
	if t.Team != "" {
		o, ok := c.team(t.Team)
		return o, t.Team, ok
	}
	return t.Owner, "", c.owner(t.Owner)
}

// place finds the territory area of a lead: its region first, then its
// country, the lead's own before its account's.
func (t *territory) place(in *Input) (*AreaSpec, string) {
	var country, state string
	if in.Lead != nil {
		country, state = normPlace(in.Lead.Country), normPlace(in.Lead.State)
	}
	if country == "" && in.Account != nil {
		country = normPlace(in.Account.Country)
	}
	if country != "" && state != "" {
		if a := t.regions[country+"-"+state]; a != nil {
			return a, country + "-" + state
		}
	}
	return t.countries[country], country
}

// pick applies a rule's assignment.
func (c *chooser) pick(rule *compiledRule, d *Decision) bool {
	a := rule.spec.Assign
	switch {
	case a.Owner != "":
		d.Via = ViaOwner
		if c.owner(a.Owner) {
			d.Owner = a.Owner
			return true
		}
	case a.Team != "":
		d.Via = ViaRoundRobin
		if o, ok := c.team(a.Team); ok {
			d.Owner, d.Team = o, a.Team
			return true
		}
	case a.AccountOwner:
		d.Via = ViaAccountOwner
		if c.in.AccountOwner == "" {
			c.note("the account has no owner yet")
			return false
		}
		if c.owner(c.in.AccountOwner) {
			d.Owner = c.in.AccountOwner
			return true
		}
	case a.Territory != "":
		d.Via = ViaTerritory
		t := c.r.territories[a.Territory]
		area, where := t.place(c.in)
		tgt := Target{}
		switch {
		case area != nil:
			d.Area, tgt = area.Name, area.Target
			c.note("%s is in area %s", where, area.Name)
		case t.spec.Fallback != nil:
			tgt = *t.spec.Fallback
			c.note("%s is in no area of territory %s; using its fallback", orUnknown(where), t.spec.Name)
		default:
			c.note("%s is in no area of territory %s, which has no fallback", orUnknown(where), t.spec.Name)
			return false
		}
		if o, team, ok := c.target(tgt); ok {
			d.Owner, d.Team = o, team
			return true
		}
	}
	return false
}

func orUnknown(place string) string {
	if place == "" {
		return "an unknown country"
	}
	return place
}

// Route chooses an owner. A qualified lead is offered to every rule in
// order; a lead that is not qualified only to priority rules, and only when
// its account is a priority account. When no rule assigns a qualified lead
// the file's fallback takes it. The input is not modified; the new
// round-robin cursors are in the decision.
func (r *Router) Route(in Input) Decision {
	c := &chooser{r: r, in: &in, rr: maps.Clone(in.RoundRobin)}
	if c.rr == nil {
		c.rr = map[string]string{}
	}
	priorityAccount := in.Account != nil && in.Account.Priority
	var env map[string]any
	for i := range r.rules {
		rule := &r.rules[i]
		name := rule.spec.Name
		c.prefix = "rule " + name + ": "
		switch {
		case rule.spec.Priority && !priorityAccount:
			c.note("not a priority account")
			continue
		case !in.Qualified && !rule.spec.Priority:
			c.note("the lead is not qualified")
			continue
		}
		if rule.when != nil {
			if env == nil {
				env = r.env(&in)
			}
			ok, err := runRoutingCondition(rule.when, env)
			if err != nil {
				c.note("the condition could not be evaluated (%s), so it does not match", firstLine(err.Error()))
				continue
			}
			if !ok {
				c.note("the condition does not hold")
				continue
			}
		}
		d := Decision{Rule: name}
		if c.pick(rule, &d) {
			c.note("%s", chosen(&d))
			return r.decide(c, d, rule.sla, in.Now)
		}
		if rule.spec.Overflow != "" {
			d = Decision{Rule: name, Owner: rule.spec.Overflow, Via: ViaOverflow}
			c.note("overflow to %s", d.Owner)
			return r.decide(c, d, rule.sla, in.Now)
		}
		c.fallThrough()
	}
	c.prefix = ""
	if in.Qualified && r.spec.Fallback != nil {
		d := Decision{Via: ViaFallback}
		fb := *r.spec.Fallback
		if fb.Team != "" {
			d.Team = fb.Team
			// The fallback is the last resort: round robin over the team,
			// ignoring capacity, so a lead is never left without an owner.
			members := r.teams[fb.Team]
			start := 0
			if i := slices.Index(members, c.rr[fb.Team]); i >= 0 {
				start = i + 1
			}
			d.Owner = members[start%len(members)]
			c.rr[fb.Team] = d.Owner
		} else {
			d.Owner = fb.Owner
		}
		c.note("fallback: %s", chosen(&d))
		return r.decide(c, d, r.spec.SLA, in.Now)
	}
	if in.Qualified {
		c.note("no rule assigned the lead and the file has no fallback")
	}
	return Decision{Trace: c.trace, RoundRobin: in.RoundRobin}
}

func chosen(d *Decision) string {
	s := "assigned to " + d.Owner
	if d.Team != "" {
		s += " of team " + d.Team
	}
	return s + " (" + string(d.Via) + ")"
}

// decide completes a decision with its SLA timer.
func (r *Router) decide(c *chooser, d Decision, sla *SLASpec, now time.Time) Decision {
	d.Assigned = true
	d.Trace = c.trace
	d.RoundRobin = c.rr
	if sla != nil {
		d.SLA = r.timer(sla.Within, sla.Calendar, sla.Reassign, d, now)
	}
	return d
}

// timer starts an SLA on a decision's owner. The calendar is the SLA's, or
// else the owner's, or else the plain clock.
func (r *Router) timer(within leadscore.Duration, calendar string, onBreach *Target, d Decision, now time.Time) *SLATimer {
	if calendar == "" {
		if o := r.owners[d.Owner]; o != nil {
			calendar = o.Calendar
		}
	}
	t := &SLATimer{
		Rule: d.Rule, Owner: d.Owner, Team: d.Team, Start: now, Within: within, Calendar: calendar,
		Due: r.calendars[calendar].Deadline(now, within.Std()).UTC(),
	}
	if onBreach != nil {
		b := *onBreach
		t.OnBreach = &b
	}
	return t
}

// Reassign picks a new owner in target for a lead whose SLA was breached,
// never the owner who missed it. The new owner gets a fresh timer of the
// same length that only reports its own breach.
func (r *Router) Reassign(target Target, breached *SLATimer, in Input) Decision {
	c := &chooser{r: r, in: &in, rr: maps.Clone(in.RoundRobin)}
	if c.rr == nil {
		c.rr = map[string]string{}
	}
	d := Decision{Via: ViaEscalation}
	if breached != nil {
		c.exclude, d.Rule = breached.Owner, breached.Rule
	}
	c.prefix = "reassign: "
	if (target.Team != "" && r.teams[target.Team] == nil) || (target.Owner != "" && r.owners[target.Owner] == nil) {
		c.note("%s is not in the routing file", target)
		return Decision{Trace: c.trace, RoundRobin: in.RoundRobin}
	}
	owner, team, ok := c.target(target)
	if !ok {
		c.note("nobody available in %s", target)
		return Decision{Trace: c.trace, RoundRobin: in.RoundRobin}
	}
	d.Owner, d.Team, d.Assigned, d.RoundRobin = owner, team, true, c.rr
	c.note("%s", chosen(&d))
	d.Trace = c.trace
	if breached != nil {
		d.SLA = r.timer(breached.Within, breached.Calendar, nil, d, in.Now)
		d.SLA.Escalated = true
	}
	return d
}

// Assign records a routing decision in the lead's state: the owner and the
// SLA timer it starts. An unassigned decision changes nothing.
func Assign(prev *LeadState, d Decision, now time.Time) (LeadState, []Transition) {
	var st LeadState
	if prev != nil {
		st = prev.clone()
	}
	if !d.Assigned {
		return st, nil
	}
	t := Transition{
		Kind: KindAssigned, LeadID: st.LeadID, At: now, From: st.Owner(), To: d.Owner,
		Owner: d.Owner, Team: d.Team, Rule: d.Rule, Via: d.Via,
	}
	st.Assignment = &Assignment{Owner: d.Owner, Team: d.Team, Rule: d.Rule, Via: d.Via, Area: d.Area, At: now}
	st.SLA = nil
	if d.SLA != nil {
		timer := *d.SLA
		st.SLA = &timer
		t.Due = timer.Due
	}
	return st, []Transition{t}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
