package modelfile

import (
	"fmt"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
	"go.yaml.in/yaml/v3"
)

// maxCategoryDepth bounds nesting. Real models use two or three levels; the
// bound keeps a malformed or hostile file from recursing without end.
const maxCategoryDepth = 16

var categoryKeys = []string{"label", "max", "min", "half_life", "expire", "rules", "categories"}

var ruleKeys = []string{
	"name", "label", "when", "event", "events", "where", "points", "count", "per", "skip_first",
	"max_times", "max_points", "within", "at_least", "then", "half_life", "expire",
}

// categoryAlias and ruleAlias map words people reach for to the key the
// format spells differently.
func categoryAlias(key string) string {
	switch key {
	case "cap", "limit", "maximum":
		return "max"
	case "minimum", "floor":
		return "min"
	case "rule":
		return "rules"
	case "subcategories", "children":
		return "categories"
	case "halflife":
		return "half_life"
	case "description", "title":
		return "label"
	}
	return ""
}

func ruleAlias(key string) string {
	switch key {
	case "score", "value", "weight", "point":
		return "points"
	case "if", "condition":
		return "when"
	case "filter":
		return "where"
	case "window":
		return "within"
	case "type", "event_type":
		return "event"
	case "times", "limit":
		return "max_times"
	case "cap":
		return "max_points"
	case "description", "title":
		return "label"
	case "frequency":
		return "count"
	case "halflife":
		return "half_life"
	case "id":
		return "name"
	}
	return ""
}

func categoryHint(key string, val *yaml.Node) string {
	if a := categoryAlias(key); a != "" {
		return fmt.Sprintf("did you mean %q?", a)
	}
	if contains(ruleKeys, key) && !contains(categoryKeys, key) {
		return "rule keys go in a list under rules:"
	}
	if looksLikeCategory(val) {
		return "sub-categories go under categories:"
	}
	return ""
}

func ruleHint(key string, _ *yaml.Node) string {
	if a := ruleAlias(key); a != "" {
		return fmt.Sprintf("did you mean %q?", a)
	}
	return ""
}

// categoryMap reads an ordered mapping of category names to categories; the
// YAML order is the order of the model (explanations list categories in it).
func (d *docState) categoryMap(n *yaml.Node, p at, parent string, depth int) []leadscore.CategorySpec {
	ps, ok := d.pairs(n, p, "a mapping of category names to categories")
	if !ok {
		return nil
	}
	out := make([]leadscore.CategorySpec, 0, len(ps))
	for i, e := range ps {
		name := e.key.Value
		full := joinPath(parent, name)
		pc := at{y: p.y + "." + name, s: fmt.Sprintf("%s[%d]", p.s, i), label: fmt.Sprintf("category %q", full)}
		d.record(e.key, pc)
		d.record(e.key, pc.key("name"))
		switch {
		case strings.TrimSpace(name) == "":
			d.errorf(e.key, pc, "a category needs a name")
		case strings.Contains(name, "."):
			d.errorf(e.key, pc, "%s: category names cannot contain a dot, which separates the levels of a path", pc.label)
		}
		out = append(out, d.category(e, pc, full, depth))
	}
	return out
}

func (d *docState) category(e kv, p at, full string, depth int) leadscore.CategorySpec {
	c := leadscore.CategorySpec{Name: e.key.Value}
	if depth >= maxCategoryDepth {
		d.errorf(e.key, p, "%s: categories nest more than %d levels deep", p.label, maxCategoryDepth)
		return c
	}
	if isNull(e.val) {
		d.errorf(e.key, p, "%s: is empty; give it rules or categories", p.label)
		return c
	}
	f, ok := d.fields(e.val, p, "a category (a mapping with max, rules or categories)", categoryKeys, categoryHint)
	if !ok {
		return c
	}
	if v, ok := f["label"]; ok {
		c.Label, _ = d.str(v.val, p.key("label"))
	}
	if v, ok := f["max"]; ok {
		d.record(v.val, p.key("max"))
		if x, ok := d.number(v.val, p.key("max")); ok {
			if x < 0 {
				d.errorf(resolve(v.val), p.key("max"), "%s: a cap cannot be below zero (max: %g)", p.label, x)
			}
			c.Max = &x
		}
	}
	if v, ok := f["min"]; ok {
		d.record(v.val, p.key("min"))
		if x, ok := d.number(v.val, p.key("min")); ok {
			if c.Max != nil && x > *c.Max {
				d.errorf(resolve(v.val), p.key("min"), "%s: min (%g) is above max (%g)", p.label, x, *c.Max)
			}
			c.Min = &x
		}
	}
	if v, ok := f["half_life"]; ok {
		c.HalfLife, _ = d.duration(v.val, p.key("half_life"))
	}
	if v, ok := f["expire"]; ok {
		c.Expire, _ = d.duration(v.val, p.key("expire"))
	}
	if v, ok := f["rules"]; ok {
		pr := p.key("rules")
		d.record(v.key, pr)
		items, _ := d.list(v.val, pr, "a list of rules")
		for j, it := range items {
			c.Rules = append(c.Rules, d.rule(it, pr.index(j), full, j))
		}
	}
	if v, ok := f["categories"]; ok {
		pk := p.key("categories")
		d.record(v.key, pk)
		c.Categories = d.categoryMap(v.val, pk, full, depth+1)
	}
	if len(c.Rules) == 0 && len(c.Categories) == 0 {
		d.warnf(e.key, p, "%s: has no rules, so it never earns points", p.label)
	}
	return c
}

// rule reads one rule. The rule is returned even when it has errors, so
// that positions of later rules keep their index.
func (d *docState) rule(n *yaml.Node, p at, category string, idx int) leadscore.RuleSpec {
	var r leadscore.RuleSpec
	label := ownerLabel(n, "rule", idx)
	if !strings.HasPrefix(label, `rule "`) {
		label = fmt.Sprintf("rule #%d of category %q", idx+1, category)
	}
	p = p.owner(label)
	d.record(n, p)
	if isNull(n) {
		d.errorf(resolve(n), p, "%s: is empty; a rule needs name, points and when or event", label)
		return r
	}
	f, ok := d.fields(n, p, "a rule (a mapping with name, points and when or event)", ruleKeys, ruleHint)
	if !ok {
		return r
	}
	n = resolve(n)
	val := func(k string) (*yaml.Node, at, bool) {
		e, ok := f[k]
		pk := p.key(k)
		if ok {
			d.record(e.val, pk)
		}
		return e.val, pk, ok
	}

	if v, pk, ok := val("name"); ok {
		if name, ok := d.name(v, pk); ok {
			r.Name = name
			if prev, dup := d.ruleNames[name]; dup {
				d.errorf(resolve(v), pk, "%s: duplicate rule name (first used at line %d); rule names must be unique across the model", label, prev.Line)
			} else {
				d.ruleNames[name] = resolve(v)
			}
		}
	} else if !d.typoFor(n, ruleKeys, "name") {
		d.errorf(n, p, "%s: needs a name", label)
	}
	if v, pk, ok := val("label"); ok {
		r.Label, _ = d.str(v, pk)
	}

	var eventKey string
	r.Events, eventKey = d.events(f, p)
	behaviour := eventKey != ""

	if v, pk, ok := val("when"); ok {
		r.When = d.condition(v, pk, scoring.LeadEnv)
	}
	if v, pk, ok := val("where"); ok {
		r.Where = d.condition(v, pk, scoring.EventEnv)
	}
	if v, pk, ok := val("points"); ok {
		r.Points, _ = d.number(v, pk)
	} else if !d.typoFor(n, ruleKeys, "points") {
		what := "the points it adds (negative to take points away)"
		if behaviour {
			what = "the points each matching event adds (negative to take points away)"
		}
		d.errorf(n, p, "%s: needs points, %s", label, what)
	}

	countNode, countKey := (*yaml.Node)(nil), ""
	if v, pk, ok := val("count"); ok {
		if c, ok := d.enum(v, pk, "count", "every", "once", "day", "week", "month"); ok {
			r.Count = leadscore.CountMode(c)
		}
		countNode, countKey = resolve(v), "count"
	}
	if v, pk, ok := val("per"); ok {
		d.record(v, at{y: pk.y, s: p.s + ".count", label: p.label})
		if countNode != nil {
			d.errorf(resolve(v), pk, "%s: give count or per, not both", label)
		} else if c, ok := d.enum(v, pk, "period", "day", "week", "month"); ok {
			r.Count = leadscore.CountMode(c)
		}
		countNode, countKey = resolve(v), "per"
	}
	if v, pk, ok := val("skip_first"); ok {
		r.SkipFirst, _ = d.nonNegInt(v, pk)
	}
	if v, pk, ok := val("max_times"); ok {
		r.MaxTimes, _ = d.nonNegInt(v, pk)
		if r.MaxTimes == 0 && resolve(v).ShortTag() == "!!int" {
			d.errorf(resolve(v), pk, "%s: max_times: 0 would never count; remove the rule or raise the limit", label)
		}
	}
	if v, pk, ok := val("max_points"); ok {
		if x, ok := d.number(v, pk); ok {
			if x < 0 {
				d.errorf(resolve(v), pk, "%s: max_points cannot be negative; limit a penalty with max_times instead", label)
			}
			r.MaxPoints = &x
		}
	}
	var within *yaml.Node
	if v, pk, ok := val("within"); ok {
		r.Within, _ = d.duration(v, pk)
		within = resolve(v)
	}
	if v, pk, ok := val("at_least"); ok {
		r.AtLeast, _ = d.nonNegInt(v, pk)
		if behaviour && within == nil {
			d.errorf(resolve(v), pk, "%s: at_least needs within, the window the events must fall in (such as within: 7d)", label)
		}
	}
	if v, pk, ok := val("then"); ok {
		r.Then = d.then(v, pk)
		if _, both := f["at_least"]; both && behaviour {
			d.errorf(resolve(v), pk, "%s: a rule can be a sequence (then) or a count (at_least), not both", label)
		}
	}
	if v, pk, ok := val("half_life"); ok {
		r.HalfLife, _ = d.duration(v, pk)
	}
	if v, pk, ok := val("expire"); ok {
		r.Expire, _ = d.duration(v, pk)
	}

	if !behaviour && !d.typoFor(n, ruleKeys, "event") && !d.typoFor(n, ruleKeys, "events") {
		if _, ok := f["when"]; !ok && !d.typoFor(n, ruleKeys, "when") {
			d.errorf(n, p, "%s: needs when (a condition on the lead or account) or event (something the lead does)", label)
		}
		var extra []string
		var first *yaml.Node
		for _, k := range []string{"where", countKey, "skip_first", "max_times", "max_points", "within", "at_least", "then", "half_life", "expire"} {
			if e, ok := f[k]; ok && k != "" {
				extra = append(extra, k)
				if first == nil {
					first = e.key
				}
			}
		}
		if len(extra) > 0 {
			d.errorf(first, p, "%s: %s only apply to rules with event; a rule without event scores the lead once when its condition holds", label, orList(extra))
		}
	}
	return r
}

func (d *docState) then(n *yaml.Node, p at) *leadscore.SequenceStep {
	st := &leadscore.SequenceStep{}
	f, ok := d.fields(n, p, "a step such as {event: demo.requested, within: 14d}", []string{"event", "events", "where", "within"}, nil)
	if !ok {
		return st
	}
	var eventKey string
	st.Events, eventKey = d.events(f, p)
	if eventKey == "" {
		d.errorf(resolve(n), p, "%sneeds the event that must follow (event: ...)", p.prefix())
	}
	if e, ok := f["where"]; ok {
		st.Where = d.condition(e.val, p.key("where"), scoring.EventEnv)
	}
	if e, ok := f["within"]; ok {
		d.record(e.val, p.key("within"))
		if v, ok := d.duration(e.val, p.key("within")); ok {
			if v == 0 {
				d.errorf(resolve(e.val), p.key("within"), "%swithin must be longer than zero", p.prefix())
			}
			st.Within = v
		}
	} else {
		d.errorf(resolve(n), p, "%sneeds within, how soon the follow-up must happen (such as within: 14d)", p.prefix())
	}
	return st
}

// typoFor reports whether the mapping has an unknown key that was taken for
// a misspelling of want; "needs points" next to "unknown field pointz (did
// you mean points?)" would say the same thing twice.
func (d *docState) typoFor(n *yaml.Node, known []string, want string) bool {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if contains(known, k) {
			continue
		}
		if ruleAlias(k) == want || suggest(k, known) == want {
			return true
		}
	}
	return false
}

// events reads the event patterns of a rule or sequence step, and which key
// gave them. event and events are the same key; the plural reads better for
// lists.
func (d *docState) events(f map[string]kv, p at) ([]string, string) {
	var events []string
	var given string
	for _, k := range []string{"event", "events"} {
		e, ok := f[k]
		if !ok {
			continue
		}
		pk := p.key(k)
		d.record(e.val, at{y: pk.y, s: p.s + ".events", label: p.label})
		if given != "" {
			d.errorf(e.key, pk, "%sgive event or events, not both", p.prefix())
			continue
		}
		given = k
		events, _ = d.patterns(e.val, pk)
	}
	return events, given
}
