package automation

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/yamlfile"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/scoring"
	"go.yaml.in/yaml/v3"
)

// RoutingResult is a routing file read and checked: the specification
// (also when it has errors, so tools can still show it) and every
// diagnostic, sorted by position.
type RoutingResult struct {
	Spec        *RoutingSpec
	Diagnostics []modelfile.Diagnostic
}

// HasErrors reports whether any diagnostic is an error.
func (r *RoutingResult) HasErrors() bool {
	for _, d := range r.Diagnostics {
		if d.Severity == modelfile.Error {
			return true
		}
	}
	return false
}

// Compile builds the router; it fails when the file had errors, with the
// first of them in the message.
func (r *RoutingResult) Compile(opts RouterOptions) (*Router, error) {
	var errs []modelfile.Diagnostic
	for _, d := range r.Diagnostics {
		if d.Severity == modelfile.Error {
			errs = append(errs, d)
		}
	}
	if len(errs) > 0 {
		msg := errs[0].String()
		if len(errs) > 1 {
			msg += fmt.Sprintf(" (and %d more errors)", len(errs)-1)
		}
		return nil, &leadscore.Error{Code: leadscore.CodeInvalid, Message: msg}
	}
	return NewRouter(r.Spec, opts)
}

var (
	routingTopKeys   = []string{"name", "description", "fields", "calendars", "owners", "teams", "territories", "sla", "rules", "fallback"}
	calendarKeys     = []string{"timezone", "days", "hours", "holidays"}
	ownerKeys        = []string{"email", "capacity", "calendar"}
	territoryKeys    = []string{"areas", "fallback"}
	areaKeys         = []string{"countries", "regions", "owner", "team"}
	targetKeys       = []string{"owner", "team"}
	slaKeys          = []string{"within", "calendar", "reassign"}
	routeRuleKeys    = []string{"name", "description", "when", "priority", "assign", "overflow", "sla"}
	assignKeys       = []string{"owner", "team", "territory", "account_owner"}
	fieldTypeChoices = []string{"string", "number", "bool", "time", "list"}
)

func routingTopHint(key string, _ *yaml.Node) string {
	switch key {
	case "rule", "routes", "routing":
		return "write the ordered rules under rules:"
	case "cases", "now":
		return "this looks like a fixture file; run it by giving leadscore routing test the routing file it belongs to"
	case "categories", "qualify", "bands", "mql":
		return "this looks like a model file; validate it with leadscore model validate"
	case "team", "owner", "calendar", "territory":
		return fmt.Sprintf("definitions go under %ss:", key)
	}
	return ""
}

// routingReader reads one routing document.
type routingReader struct {
	*doc
	spec *RoutingSpec
	// names of what the file defines, in order, for references and
	// suggestions.
	calendars, owners, teams, territories []string
	declared                              map[string]leadscore.FieldType
	capacity                              map[string]*int
	used                                  map[string]bool // "team:x", "territory:x", "calendar:x"
	defNode                               map[string]*yaml.Node
}

// ParseRouting reads and checks a routing file. Every problem is reported
// with its position; a file without errors compiles.
func ParseRouting(filename string, data []byte) *RoutingResult {
	d := newDoc(filename, data)
	res := &RoutingResult{Spec: &RoutingSpec{}}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var root yaml.Node
	err := dec.Decode(&root)
	switch {
	case errors.Is(err, io.EOF):
		d.report(modelfile.Error, 1, 1, "", "the file is empty; a routing file needs owners: and rules:")
		res.Diagnostics = d.diags
		return res
	case err != nil:
		res.Diagnostics = []modelfile.Diagnostic{syntaxDiagnostic(filename, err)}
		return res
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	d.root = top
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil && len(extra.Content) > 0 && !yamlfile.IsNull(extra.Content[0]) {
		d.errorf(extra.Content[0], yamlfile.Path{}, "a routing file holds one document; this one starts a second")
	} else if err != nil && !errors.Is(err, io.EOF) {
		d.diags = append(d.diags, syntaxDiagnostic(filename, err))
		d.errors++
	}
	if err := yamlfile.CheckAliases(top); err != nil {
		d.report(modelfile.Error, top.Line, top.Column, "", err.Error())
		res.Diagnostics = d.sorted()
		return res
	}
	r := &routingReader{
		doc: d, spec: res.Spec, declared: map[string]leadscore.FieldType{}, capacity: map[string]*int{},
		used: map[string]bool{}, defNode: map[string]*yaml.Node{},
	}
	r.read(top)
	if d.errors == 0 {
		if _, err := NewRouter(res.Spec, RouterOptions{}); err != nil {
			for _, p := range asProblems(err) {
				d.errorAt(p.Field, p.Message)
			}
		}
	}
	res.Diagnostics = d.sorted()
	return res
}

func (r *routingReader) read(top *yaml.Node) {
	f, ok := r.Fields(top, yamlfile.Path{}, "a routing file (a mapping with owners, teams and rules)", routingTopKeys, routingTopHint)
	if !ok {
		return
	}
	s := r.spec
	if e, ok := f["name"]; ok {
		s.Name, _ = r.Name(e.Val, yamlfile.Path{}.Key("name"))
	}
	if e, ok := f["description"]; ok {
		s.Description, _ = r.Str(e.Val, yamlfile.Path{}.Key("description"))
	}
	if e, ok := f["fields"]; ok {
		r.declaredFields(e.Val, yamlfile.Path{}.Key("fields"))
	}
	if e, ok := f["calendars"]; ok {
		r.readCalendars(e.Val, yamlfile.Path{}.Key("calendars"))
	}
	if e, ok := f["owners"]; ok {
		r.readOwners(e.Val, yamlfile.Path{}.Key("owners"))
	} else {
		r.errorf(top, yamlfile.Path{}, "a routing file needs owners: (the people leads are assigned to)")
	}
	if e, ok := f["teams"]; ok {
		r.readTeams(e.Val, yamlfile.Path{}.Key("teams"))
	}
	if e, ok := f["territories"]; ok {
		r.readTerritories(e.Val, yamlfile.Path{}.Key("territories"))
	}
	if e, ok := f["sla"]; ok {
		s.SLA = r.readSLA(e.Val, yamlfile.Path{}.Key("sla").Owner("sla"))
	}
	if e, ok := f["rules"]; ok {
		r.readRules(e.Val, yamlfile.Path{}.Key("rules"))
	} else {
		r.errorf(top, yamlfile.Path{}, "a routing file needs rules: (the ordered assignment rules)")
	}
	if e, ok := f["fallback"]; ok {
		s.Fallback = r.readTarget(e.Val, yamlfile.Path{}.Key("fallback").Owner("fallback"))
		r.record(e.Val, yamlfile.Path{Y: "fallback"})
	}
	r.lintUnused()
}

func (r *routingReader) declaredFields(n *yaml.Node, p yamlfile.Path) {
	ps, _ := r.Pairs(n, p, "a mapping of fields to types, such as {lead.segment: string}")
	for _, e := range ps {
		k := e.Key.Value
		obj, field, ok := strings.Cut(k, ".")
		if !ok || (obj != "lead" && obj != "account") || field == "" {
			r.errorf(e.Key, p.Key(k), "%sa field is written lead.<name> or account.<name>, got %q", p.Prefix(), k)
			continue
		}
		if scoring.IsStandardField(obj, field) {
			r.errorf(e.Key, p.Key(k), "%s%s is a standard field; only custom fields are declared", p.Prefix(), k)
			continue
		}
		t, ok := r.Name(e.Val, p.Key(k))
		if !ok {
			continue
		}
		if !slices.Contains(fieldTypeChoices, t) {
			r.errorf(e.Val, p.Key(k), "%s%s: unknown type %q (use %s)", p.Prefix(), k, t, yamlfile.OrList(fieldTypeChoices))
			continue
		}
		if r.spec.Fields == nil {
			r.spec.Fields = map[string]leadscore.FieldType{}
		}
		r.spec.Fields[k] = leadscore.FieldType(t)
		r.declared[k] = leadscore.FieldType(t)
	}
}

func (r *routingReader) readCalendars(n *yaml.Node, p yamlfile.Path) {
	ps, _ := r.Pairs(n, p, "a mapping of calendar names to calendars")
	for _, e := range ps {
		name := e.Key.Value
		cp := p.Key(name).Owner(fmt.Sprintf("calendar %q", name))
		spec := CalendarSpec{Name: name}
		idx := len(r.spec.Calendars)
		r.record(e.Key, yamlfile.Path{Y: fmt.Sprintf("calendars[%d]", idx)})
		r.defNode["calendar:"+name] = e.Key
		f, ok := r.Fields(e.Val, cp, "a calendar such as {timezone: Europe/Berlin, hours: 09:00-17:00}", calendarKeys, nil)
		if !ok {
			continue
		}
		if v, ok := f["timezone"]; ok {
			if tz, ok := r.Name(v.Val, cp.Key("timezone")); ok {
				if _, err := NewCalendar(CalendarSpec{Timezone: tz}); err != nil {
					r.errorf(v.Val, cp.Key("timezone"), "%s%s", cp.Key("timezone").Prefix(), asProblems(err)[0].Message)
				}
				spec.Timezone = tz
			}
		} else {
			r.errorf(e.Key, cp, "%sneeds a timezone such as Europe/Berlin or UTC", cp.Prefix())
		}
		if v, ok := f["days"]; ok {
			days, nodes := r.words(v.Val, cp.Key("days"), "a list of days such as [mon, tue, wed, thu, fri]")
			for i, day := range days {
				if _, err := parseWeekday(day); err != nil {
					r.errorf(nodes[i], cp.Key("days"), "%s%v", cp.Key("days").Prefix(), err)
				}
			}
			if len(days) == 0 {
				r.errorf(v.Val, cp.Key("days"), "%sa calendar needs at least one working day", cp.Key("days").Prefix())
			}
			spec.Days = days
		}
		if v, ok := f["hours"]; ok {
			hours, nodes := r.words(v.Val, cp.Key("hours"), "working hours such as 09:00-17:00, or a list of them")
			var spans []span
			for i, h := range hours {
				sp, err := parseSpan(h)
				if err != nil {
					r.errorf(nodes[i], cp.Key("hours"), "%s%v", cp.Key("hours").Prefix(), err)
					continue
				}
				for _, prev := range spans {
					if sp.from < prev.to && prev.from < sp.to {
						r.errorf(nodes[i], cp.Key("hours"), "%s%s overlaps %s", cp.Key("hours").Prefix(), sp, prev)
					}
				}
				spans = append(spans, sp)
			}
			if len(hours) == 0 {
				r.errorf(v.Val, cp.Key("hours"), "%sa calendar needs working hours", cp.Key("hours").Prefix())
			}
			spec.Hours = hours
		}
		if v, ok := f["holidays"]; ok {
			days, nodes := r.words(v.Val, cp.Key("holidays"), "a list of dates such as [2026-12-24, 12-25]")
			for i, h := range days {
				if _, _, err := parseHoliday(h); err != nil {
					r.errorf(nodes[i], cp.Key("holidays"), "%s%v", cp.Key("holidays").Prefix(), err)
				}
			}
			spec.Holidays = days
		}
		r.spec.Calendars = append(r.spec.Calendars, spec)
		r.calendars = append(r.calendars, name)
	}
}

func (r *routingReader) calendarRef(n *yaml.Node, p yamlfile.Path) string {
	name, ok := r.ref(n, p, "calendar", r.calendars)
	if ok {
		r.used["calendar:"+name] = true
		return name
	}
	return ""
}

func (r *routingReader) readOwners(n *yaml.Node, p yamlfile.Path) {
	ps, _ := r.Pairs(n, p, "a mapping of owner names to their settings, such as {alice: {capacity: 20}}")
	for _, e := range ps {
		name := e.Key.Value
		op := p.Key(name).Owner(fmt.Sprintf("owner %q", name))
		o := OwnerSpec{Name: name}
		r.record(e.Key, yamlfile.Path{Y: fmt.Sprintf("owners[%d]", len(r.spec.Owners))})
		if strings.TrimSpace(name) == "" {
			r.errorf(e.Key, op, "owner names cannot be blank")
		}
		f, _ := r.Fields(e.Val, op, "an owner's settings, such as {email: alice@example.com, capacity: 20}", ownerKeys, nil)
		if v, ok := f["email"]; ok {
			o.Email, _ = r.Name(v.Val, op.Key("email"))
		}
		if v, ok := f["capacity"]; ok {
			if c, ok := r.NonNegInt(v.Val, op.Key("capacity")); ok {
				o.Capacity = &c
			}
		}
		if v, ok := f["calendar"]; ok {
			o.Calendar = r.calendarRef(v.Val, op.Key("calendar"))
		}
		r.spec.Owners = append(r.spec.Owners, o)
		r.owners = append(r.owners, name)
		r.capacity[name] = o.Capacity
	}
	if yamlfile.IsNull(n) || (yamlfile.Resolve(n).Kind == yaml.MappingNode && len(ps) == 0) {
		r.errorf(n, p, "owners: the mapping is empty; name at least one owner")
	}
}

func (r *routingReader) ownerRef(n *yaml.Node, p yamlfile.Path) string {
	name, ok := r.ref(n, p, "owner", r.owners)
	if ok {
		return name
	}
	return ""
}

func (r *routingReader) teamRef(n *yaml.Node, p yamlfile.Path) string {
	name, ok := r.ref(n, p, "team", r.teams)
	if ok {
		r.used["team:"+name] = true
		return name
	}
	return ""
}

func (r *routingReader) readTeams(n *yaml.Node, p yamlfile.Path) {
	ps, _ := r.Pairs(n, p, "a mapping of team names to their members, such as {sdr: [alice, bob]}")
	for _, e := range ps {
		name := e.Key.Value
		tp := p.Key(name).Owner(fmt.Sprintf("team %q", name))
		r.record(e.Key, yamlfile.Path{Y: fmt.Sprintf("teams[%d]", len(r.spec.Teams))})
		r.defNode["team:"+name] = e.Key
		list := e.Val
		if v := yamlfile.Resolve(e.Val); v != nil && v.Kind == yaml.MappingNode {
			f, _ := r.Fields(v, tp, "a team: a list of owners, or {members: [...]}", []string{"members"}, nil)
			list = nil
			if m, ok := f["members"]; ok {
				list = m.Val
				tp = tp.Key("members")
			}
		}
		t := TeamSpec{Name: name}
		members, nodes := r.words(list, tp, "a list of owners such as [alice, bob]")
		full := 0
		for i, m := range members {
			ip := tp.Index(i)
			if !slices.Contains(r.owners, m) {
				r.unknown(nodes[i], yamlfile.Path{Y: ip.Y, Label: tp.Label}, "owner", m, r.owners)
				continue
			}
			if slices.Contains(t.Members, m) {
				r.errorf(nodes[i], ip, "%s%s is listed twice", yamlfile.Path{Label: tp.Label}.Prefix(), m)
				continue
			}
			if c := r.capacity[m]; c != nil && *c == 0 {
				full++
			}
			t.Members = append(t.Members, m)
		}
		if len(members) == 0 {
			r.errorf(e.Key, tp, "%sa team needs at least one member", tp.Prefix())
		} else if full == len(t.Members) && full > 0 {
			r.warnf(e.Key, tp, "%severy member has capacity 0, so the team never takes a lead", tp.Prefix())
		}
		r.spec.Teams = append(r.spec.Teams, t)
		r.teams = append(r.teams, name)
	}
}

// readTarget reads {owner: x} or {team: y}.
func (r *routingReader) readTarget(n *yaml.Node, p yamlfile.Path) *Target {
	before := r.errors
	f, ok := r.Fields(n, p, "an owner or a team, such as {team: sdr} or {owner: alice}", targetKeys, nil)
	if !ok {
		return nil
	}
	t := &Target{}
	r.targetFields(n, p, f, t, r.errors > before)
	return t
}

// targetFields reads owner or team from a mapping's fields; misspelt says
// an unknown key was reported already, which then stands for the missing
// target.
func (r *routingReader) targetFields(n *yaml.Node, p yamlfile.Path, f map[string]yamlfile.Entry, t *Target, misspelt bool) {
	o, hasOwner := f["owner"]
	tm, hasTeam := f["team"]
	switch {
	case hasOwner && hasTeam:
		r.errorf(tm.Key, p, "%sgive an owner or a team, not both", p.Prefix())
	case !hasOwner && !hasTeam:
		if !misspelt {
			r.errorf(n, p, "%sneeds an owner or a team", p.Prefix())
		}
	case hasOwner:
		t.Owner = r.ownerRef(o.Val, p.Key("owner"))
	default:
		t.Team = r.teamRef(tm.Val, p.Key("team"))
	}
}

func (r *routingReader) readTerritories(n *yaml.Node, p yamlfile.Path) {
	ps, _ := r.Pairs(n, p, "a mapping of territory names to territories")
	for _, e := range ps {
		name := e.Key.Value
		tp := p.Key(name).Owner(fmt.Sprintf("territory %q", name))
		r.record(e.Key, yamlfile.Path{Y: fmt.Sprintf("territories[%d]", len(r.spec.Territories))})
		r.defNode["territory:"+name] = e.Key
		t := TerritorySpec{Name: name}
		f, ok := r.Fields(e.Val, tp, "a territory with areas: and fallback:", territoryKeys, nil)
		if ok {
			if v, ok := f["areas"]; ok {
				t.Areas = r.readAreas(v.Val, tp.Key("areas"))
			} else {
				r.errorf(e.Key, tp, "%sneeds areas: (which countries go to whom)", tp.Prefix())
			}
			if v, ok := f["fallback"]; ok {
				t.Fallback = r.readTarget(v.Val, tp.Key("fallback"))
			} else {
				r.warnf(e.Key, tp, "%shas no fallback: leads from places no area lists (or with no country) go on to the next rule", tp.Prefix())
			}
		}
		r.spec.Territories = append(r.spec.Territories, t)
		r.territories = append(r.territories, name)
	}
}

func (r *routingReader) readAreas(n *yaml.Node, p yamlfile.Path) []AreaSpec {
	ps, _ := r.Pairs(n, p, "a mapping of area names to {countries: [...], team: ...}")
	var out []AreaSpec
	countries, regions := map[string]string{}, map[string]string{}
	for _, e := range ps {
		ap := p.Key(e.Key.Value).Owner(fmt.Sprintf("area %q", e.Key.Value))
		a := AreaSpec{Name: e.Key.Value}
		before := r.errors
		f, ok := r.Fields(e.Val, ap, "an area such as {countries: [DE, AT], team: dach}", areaKeys, nil)
		if !ok {
			continue
		}
		r.targetFields(e.Key, ap, f, &a.Target, r.errors > before)
		check := func(key string, seen map[string]string, into *[]string) {
			v, ok := f[key]
			if !ok {
				return
			}
			words, nodes := r.words(v.Val, ap.Key(key), "a list of codes such as [DE, AT]")
			for i, w := range words {
				norm := normPlace(w)
				if key == "regions" && !strings.Contains(norm, "-") {
					r.errorf(nodes[i], ap.Key(key), "%sa region is written country-state, such as US-CA (got %q)", ap.Key(key).Prefix(), w)
					continue
				}
				if prev, dup := seen[norm]; dup {
					r.errorf(nodes[i], ap.Key(key), "%s%s is already in area %q", ap.Key(key).Prefix(), w, prev)
					continue
				}
				seen[norm] = a.Name
				*into = append(*into, w)
			}
		}
		check("countries", countries, &a.Countries)
		check("regions", regions, &a.Regions)
		if _, c := f["countries"]; !c {
			if _, rg := f["regions"]; !rg {
				r.errorf(e.Key, ap, "%sneeds countries or regions", ap.Prefix())
			}
		}
		out = append(out, a)
	}
	if len(ps) == 0 {
		r.errorf(n, p, "%sthe territory has no areas", p.Prefix())
	}
	return out
}

func (r *routingReader) readSLA(n *yaml.Node, p yamlfile.Path) *SLASpec {
	f, ok := r.Fields(n, p, "an SLA such as {within: 4h, calendar: emea}", slaKeys, nil)
	if !ok {
		return nil
	}
	s := &SLASpec{}
	if v, ok := f["within"]; ok {
		if dur, ok := r.Duration(v.Val, p.Key("within")); ok {
			if dur <= 0 {
				r.errorf(v.Val, p.Key("within"), "%smust be more than zero", p.Key("within").Prefix())
			}
			s.Within = dur
		}
		if _, cal := f["calendar"]; cal && strings.ContainsAny(yamlfile.Resolve(v.Val).Value, "dw") {
			r.warnf(v.Val, p.Key("within"), "%swith a calendar, %s counts working time, so 1d is 24 working hours (three 8-hour days); write working hours, such as 16h for two days", p.Key("within").Prefix(), yamlfile.Resolve(v.Val).Value)
		}
	} else {
		r.errorf(n, p, "%sneeds within: (the working time sales has, such as 4h)", p.Prefix())
	}
	if v, ok := f["calendar"]; ok {
		s.Calendar = r.calendarRef(v.Val, p.Key("calendar"))
	}
	if v, ok := f["reassign"]; ok {
		s.Reassign = r.readTarget(v.Val, p.Key("reassign"))
	}
	return s
}

func (r *routingReader) readRules(n *yaml.Node, p yamlfile.Path) {
	items, ok := r.List(n, p, "a list of rules")
	if ok && len(items) == 0 {
		r.errorf(n, p, "rules: the list is empty; a routing file needs at least one rule")
	}
	names := map[string]int{}
	var catchAll string
	for i, it := range items {
		rp := p.Index(i)
		label := fmt.Sprintf("rule %d", i+1)
		if v := yamlfile.Resolve(it); v != nil && v.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(v.Content); k += 2 {
				if v.Content[k].Value == "name" && yamlfile.Resolve(v.Content[k+1]).Kind == yaml.ScalarNode {
					label = fmt.Sprintf("rule %q", yamlfile.Resolve(v.Content[k+1]).Value)
				}
			}
		}
		rp = rp.Owner(label)
		r.record(it, rp)
		rule := r.readRule(it, rp)
		if rule.Name != "" {
			if line, dup := names[rule.Name]; dup {
				r.errorf(it, rp, "%sthe name is also used by the rule at line %d", rp.Prefix(), line)
			}
			names[rule.Name] = yamlfile.Resolve(it).Line
		}
		if catchAll != "" {
			r.warnf(it, rp, "%sis never reached: rule %q before it matches every qualified lead and always finds an owner", rp.Prefix(), catchAll)
		} else if r.catchesAll(&rule) {
			catchAll = rule.Name
		}
		r.spec.Rules = append(r.spec.Rules, rule)
	}
}

// catchesAll reports whether a rule takes every qualified lead: no
// condition, not limited to priority accounts, and unable to fall through.
func (r *routingReader) catchesAll(rule *RouteRule) bool {
	if rule.When != "" || rule.Priority || rule.Name == "" {
		return false
	}
	if rule.Overflow != "" {
		return rule.Assign.Owner != "" || rule.Assign.Team != ""
	}
	switch {
	case rule.Assign.Owner != "":
		return r.capacity[rule.Assign.Owner] == nil
	case rule.Assign.Team != "":
		for _, t := range r.spec.Teams {
			if t.Name == rule.Assign.Team {
				for _, m := range t.Members {
					if r.capacity[m] == nil {
						return true
					}
				}
			}
		}
	}
	return false
}

func (r *routingReader) readRule(n *yaml.Node, p yamlfile.Path) RouteRule {
	var rule RouteRule
	f, ok := r.Fields(n, p, "a rule (a mapping with name, when and assign)", routeRuleKeys, func(k string, _ *yaml.Node) string {
		switch k {
		case "owner", "team", "territory", "account_owner":
			return fmt.Sprintf("write assign: {%s: ...}", k)
		case "condition", "if", "match":
			return "write the condition as when:"
		}
		return ""
	})
	if !ok {
		return rule
	}
	if v, ok := f["name"]; ok {
		rule.Name, _ = r.Name(v.Val, p.Key("name"))
	} else {
		r.errorf(n, p, "%sneeds a name", p.Prefix())
	}
	if v, ok := f["description"]; ok {
		rule.Description, _ = r.Str(v.Val, p.Key("description"))
	}
	if v, ok := f["priority"]; ok {
		rule.Priority, _ = r.Boolean(v.Val, p.Key("priority"))
	}
	if v, ok := f["when"]; ok {
		rule.When = r.condition(v.Val, p.Key("when"))
	}
	if v, ok := f["assign"]; ok {
		rule.Assign = r.readAssign(v.Val, p.Key("assign"))
	} else {
		r.errorf(n, p, "%sneeds assign: (owner, team, territory or account_owner)", p.Prefix())
	}
	if v, ok := f["overflow"]; ok {
		rule.Overflow = r.ownerRef(v.Val, p.Key("overflow"))
		if rule.Assign.Owner != "" && rule.Assign.Owner == rule.Overflow {
			r.warnf(v.Val, p.Key("overflow"), "%sis the rule's own owner, who is at capacity when overflow applies", p.Key("overflow").Prefix())
		}
	}
	if v, ok := f["sla"]; ok {
		rule.SLA = r.readSLA(v.Val, p.Key("sla"))
	}
	return rule
}

func (r *routingReader) readAssign(n *yaml.Node, p yamlfile.Path) AssignSpec {
	var a AssignSpec
	before := r.errors
	f, ok := r.Fields(n, p, "an assignment such as {team: sdr}, {owner: alice}, {territory: world} or {account_owner: true}", assignKeys, nil)
	if !ok {
		return a
	}
	// An unknown key is already reported (with its likely spelling), so
	// "got nothing" would only repeat it.
	misspelt := r.errors > before
	var given []string
	for _, k := range assignKeys {
		if _, ok := f[k]; ok {
			given = append(given, k)
		}
	}
	if len(given) > 1 || (len(given) == 0 && !misspelt) {
		what := "nothing"
		if len(given) > 1 {
			what = yamlfile.OrList(given)
			what = strings.Replace(what, " or ", " and ", 1)
		}
		r.errorf(n, p, "%sgive exactly one of owner, team, territory or account_owner (got %s)", p.Prefix(), what)
	}
	if v, ok := f["owner"]; ok {
		a.Owner = r.ownerRef(v.Val, p.Key("owner"))
	}
	if v, ok := f["team"]; ok {
		a.Team = r.teamRef(v.Val, p.Key("team"))
	}
	if v, ok := f["territory"]; ok {
		if name, ok := r.ref(v.Val, p.Key("territory"), "territory", r.territories); ok {
			a.Territory = name
			r.used["territory:"+name] = true
		}
	}
	if v, ok := f["account_owner"]; ok {
		if b, ok := r.Boolean(v.Val, p.Key("account_owner")); ok {
			if !b {
				r.errorf(v.Val, p.Key("account_owner"), "%sonly true makes sense here; choose another assignment instead", p.Key("account_owner").Prefix())
			}
			a.AccountOwner = b
		}
	}
	return a
}

// condition reads a rule's when and reports errors at the offending token.
func (r *routingReader) condition(n *yaml.Node, p yamlfile.Path) string {
	src, ok := r.Str(n, p)
	if !ok {
		return ""
	}
	n = yamlfile.Resolve(n)
	if strings.TrimSpace(src) == "" {
		r.errorf(n, p, "%sthe condition is empty", p.Prefix())
		return ""
	}
	prog, err := compileRoutingCondition(src)
	if err != nil {
		line, col := n.Line, n.Column
		if l, c, ok := scoring.ConditionErrorPosition(err); ok {
			line, col = r.src.ScalarPos(n, yamlfile.ValueOffset(src, l, c))
		}
		msg := scoring.ConditionErrorMessage(err)
		if strings.Contains(msg, "unknown name") {
			msg += fmt.Sprintf(" (routing conditions can use %s)", yamlfile.OrList(routingVars))
		}
		r.report(modelfile.Error, line, col, p.Y, p.Prefix()+msg)
		return src
	}
	warned := map[string]bool{}
	for _, ref := range conditionRefs(prog) {
		full := ref.object + "." + ref.field
		if warned[full] || scoring.IsStandardField(ref.object, ref.field) {
			continue
		}
		if _, ok := r.declared[full]; ok {
			continue
		}
		warned[full] = true
		msg := fmt.Sprintf("%s%s: not a standard %s field and not declared under fields: — a typo?", p.Prefix(), full, ref.object)
		known := scoring.LeadFields()
		if ref.object == "account" {
			known = scoring.AccountFields()
		}
		for k := range r.declared {
			if o, fl, _ := strings.Cut(k, "."); o == ref.object {
				known = append(known, fl)
			}
		}
		if s := yamlfile.Suggest(ref.field, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %s.%s?)", ref.object, s)
		}
		line, col := r.src.ScalarPos(n, refStart(src, ref))
		r.report(modelfile.Warning, line, col, p.Y, msg)
	}
	return src
}

// refStart moves a reference's offset from the member access back to the
// start of "lead.x" when the text is there.
func refStart(src string, ref fieldRef) int {
	rs := []rune(src)
	obj := []rune(ref.object)
	for _, dot := range []int{ref.offset, ref.offset - 1} {
		start := dot - len(obj)
		if start >= 0 && dot < len(rs) && rs[dot] == '.' && string(rs[start:dot]) == ref.object {
			return start
		}
	}
	return ref.offset
}

func (r *routingReader) lintUnused() {
	for _, kind := range []string{"team", "territory", "calendar"} {
		var names []string
		switch kind {
		case "team":
			names = r.teams
		case "territory":
			names = r.territories
		case "calendar":
			names = r.calendars
		}
		for _, name := range names {
			if !r.used[kind+":"+name] {
				n := r.defNode[kind+":"+name]
				r.warnf(n, yamlfile.Path{Y: kind + "s." + name}, "%s %q is not used by any rule, SLA or owner", kind, name)
			}
		}
	}
}
