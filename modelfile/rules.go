package modelfile

import (
	"fmt"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/yamlfile"
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
func (d *docState) categoryMap(n *yaml.Node, p yamlfile.Path, parent string, depth int) []leadscore.CategorySpec {
	ps, ok := d.Pairs(n, p, "a mapping of category names to categories")
	if !ok {
		return nil
	}
	out := make([]leadscore.CategorySpec, 0, len(ps))
	for i, e := range ps {
		name := e.Key.Value
		full := yamlfile.JoinPath(parent, name)
		pc := yamlfile.Path{Y: p.Y + "." + name, S: fmt.Sprintf("%s[%d]", p.S, i), Label: fmt.Sprintf("category %q", full)}
		d.record(e.Key, pc)
		d.record(e.Key, pc.Key("name"))
		switch {
		case strings.TrimSpace(name) == "":
			d.errorf(e.Key, pc, "a category needs a name")
		case strings.Contains(name, "."):
			d.errorf(e.Key, pc, "%s: category names cannot contain a dot, which separates the levels of a path", pc.Label)
		}
		out = append(out, d.category(e, pc, full, depth))
	}
	return out
}

func (d *docState) category(e yamlfile.Entry, p yamlfile.Path, full string, depth int) leadscore.CategorySpec {
	c := leadscore.CategorySpec{Name: e.Key.Value}
	if depth >= maxCategoryDepth {
		d.errorf(e.Key, p, "%s: categories nest more than %d levels deep", p.Label, maxCategoryDepth)
		return c
	}
	if yamlfile.IsNull(e.Val) {
		d.errorf(e.Key, p, "%s: is empty; give it rules or categories", p.Label)
		return c
	}
	f, ok := d.Fields(e.Val, p, "a category (a mapping with max, rules or categories)", categoryKeys, categoryHint)
	if !ok {
		return c
	}
	if v, ok := f["label"]; ok {
		c.Label, _ = d.Str(v.Val, p.Key("label"))
	}
	if v, ok := f["max"]; ok {
		d.record(v.Val, p.Key("max"))
		if x, ok := d.Number(v.Val, p.Key("max")); ok {
			if x < 0 {
				d.errorf(yamlfile.Resolve(v.Val), p.Key("max"), "%s: a cap cannot be below zero (max: %g)", p.Label, x)
			}
			c.Max = &x
		}
	}
	if v, ok := f["min"]; ok {
		d.record(v.Val, p.Key("min"))
		if x, ok := d.Number(v.Val, p.Key("min")); ok {
			if c.Max != nil && x > *c.Max {
				d.errorf(yamlfile.Resolve(v.Val), p.Key("min"), "%s: min (%g) is above max (%g)", p.Label, x, *c.Max)
			}
			c.Min = &x
		}
	}
	if v, ok := f["half_life"]; ok {
		c.HalfLife, _ = d.Duration(v.Val, p.Key("half_life"))
	}
	if v, ok := f["expire"]; ok {
		c.Expire, _ = d.Duration(v.Val, p.Key("expire"))
	}
	if v, ok := f["rules"]; ok {
		pr := p.Key("rules")
		d.record(v.Key, pr)
		items, _ := d.List(v.Val, pr, "a list of rules")
		for j, it := range items {
			c.Rules = append(c.Rules, d.rule(it, pr.Index(j), full, j))
		}
	}
	if v, ok := f["categories"]; ok {
		pk := p.Key("categories")
		d.record(v.Key, pk)
		c.Categories = d.categoryMap(v.Val, pk, full, depth+1)
	}
	if len(c.Rules) == 0 && len(c.Categories) == 0 {
		d.warnf(e.Key, p, "%s: has no rules, so it never earns points", p.Label)
	}
	return c
}

// rule reads one rule. The rule is returned even when it has errors, so
// that positions of later rules keep their index.
func (d *docState) rule(n *yaml.Node, p yamlfile.Path, category string, idx int) leadscore.RuleSpec {
	var r leadscore.RuleSpec
	label := ownerLabel(n, "rule", idx)
	if !strings.HasPrefix(label, `rule "`) {
		label = fmt.Sprintf("rule #%d of category %q", idx+1, category)
	}
	p = p.Owner(label)
	d.record(n, p)
	if yamlfile.IsNull(n) {
		d.errorf(yamlfile.Resolve(n), p, "%s: is empty; a rule needs name, points and when or event", label)
		return r
	}
	f, ok := d.Fields(n, p, "a rule (a mapping with name, points and when or event)", ruleKeys, ruleHint)
	if !ok {
		return r
	}
	n = yamlfile.Resolve(n)
	val := func(k string) (*yaml.Node, yamlfile.Path, bool) {
		e, ok := f[k]
		pk := p.Key(k)
		if ok {
			d.record(e.Val, pk)
		}
		return e.Val, pk, ok
	}

	if v, pk, ok := val("name"); ok {
		if name, ok := d.Name(v, pk); ok {
			r.Name = name
			if prev, dup := d.ruleNames[name]; dup {
				d.errorf(yamlfile.Resolve(v), pk, "%s: duplicate rule name (first used at line %d); rule names must be unique across the model", label, prev.Line)
			} else {
				d.ruleNames[name] = yamlfile.Resolve(v)
			}
		}
	} else if !d.typoFor(n, ruleKeys, "name") {
		d.errorf(n, p, "%s: needs a name", label)
	}
	if v, pk, ok := val("label"); ok {
		r.Label, _ = d.Str(v, pk)
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
		r.Points, _ = d.Number(v, pk)
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
		countNode, countKey = yamlfile.Resolve(v), "count"
	}
	if v, pk, ok := val("per"); ok {
		d.record(v, yamlfile.Path{Y: pk.Y, S: p.S + ".count", Label: p.Label})
		if countNode != nil {
			d.errorf(yamlfile.Resolve(v), pk, "%s: give count or per, not both", label)
		} else if c, ok := d.enum(v, pk, "period", "day", "week", "month"); ok {
			r.Count = leadscore.CountMode(c)
		}
		countNode, countKey = yamlfile.Resolve(v), "per"
	}
	if v, pk, ok := val("skip_first"); ok {
		r.SkipFirst, _ = d.NonNegInt(v, pk)
	}
	if v, pk, ok := val("max_times"); ok {
		r.MaxTimes, _ = d.NonNegInt(v, pk)
		if r.MaxTimes == 0 && yamlfile.Resolve(v).ShortTag() == "!!int" {
			d.errorf(yamlfile.Resolve(v), pk, "%s: max_times: 0 would never count; remove the rule or raise the limit", label)
		}
	}
	if v, pk, ok := val("max_points"); ok {
		if x, ok := d.Number(v, pk); ok {
			if x < 0 {
				d.errorf(yamlfile.Resolve(v), pk, "%s: max_points cannot be negative; limit a penalty with max_times instead", label)
			}
			r.MaxPoints = &x
		}
	}
	var within *yaml.Node
	if v, pk, ok := val("within"); ok {
		r.Within, _ = d.Duration(v, pk)
		within = yamlfile.Resolve(v)
	}
	if v, pk, ok := val("at_least"); ok {
		r.AtLeast, _ = d.NonNegInt(v, pk)
		if behaviour && within == nil {
			d.errorf(yamlfile.Resolve(v), pk, "%s: at_least needs within, the window the events must fall in (such as within: 7d)", label)
		}
	}
	if v, pk, ok := val("then"); ok {
		r.Then = d.then(v, pk)
		if _, both := f["at_least"]; both && behaviour {
			d.errorf(yamlfile.Resolve(v), pk, "%s: a rule can be a sequence (then) or a count (at_least), not both", label)
		}
	}
	if v, pk, ok := val("half_life"); ok {
		r.HalfLife, _ = d.Duration(v, pk)
	}
	if v, pk, ok := val("expire"); ok {
		r.Expire, _ = d.Duration(v, pk)
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
					first = e.Key
				}
			}
		}
		if len(extra) > 0 {
			d.errorf(first, p, "%s: %s only apply to rules with event; a rule without event scores the lead once when its condition holds", label, yamlfile.OrList(extra))
		}
	}
	return r
}

func (d *docState) then(n *yaml.Node, p yamlfile.Path) *leadscore.SequenceStep {
	st := &leadscore.SequenceStep{}
	f, ok := d.Fields(n, p, "a step such as {event: demo.requested, within: 14d}", []string{"event", "events", "where", "within"}, nil)
	if !ok {
		return st
	}
	var eventKey string
	st.Events, eventKey = d.events(f, p)
	if eventKey == "" {
		d.errorf(yamlfile.Resolve(n), p, "%sneeds the event that must follow (event: ...)", p.Prefix())
	}
	if e, ok := f["where"]; ok {
		st.Where = d.condition(e.Val, p.Key("where"), scoring.EventEnv)
	}
	if e, ok := f["within"]; ok {
		d.record(e.Val, p.Key("within"))
		if v, ok := d.Duration(e.Val, p.Key("within")); ok {
			if v == 0 {
				d.errorf(yamlfile.Resolve(e.Val), p.Key("within"), "%swithin must be longer than zero", p.Prefix())
			}
			st.Within = v
		}
	} else {
		d.errorf(yamlfile.Resolve(n), p, "%sneeds within, how soon the follow-up must happen (such as within: 14d)", p.Prefix())
	}
	return st
}

// typoFor reports whether the mapping has an unknown key that was taken for
// a misspelling of want; "needs points" next to "unknown field pointz (did
// you mean points?)" would say the same thing twice.
func (d *docState) typoFor(n *yaml.Node, known []string, want string) bool {
	n = yamlfile.Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if contains(known, k) {
			continue
		}
		if ruleAlias(k) == want || yamlfile.Suggest(k, known) == want {
			return true
		}
	}
	return false
}

// events reads the event patterns of a rule or sequence step, and which key
// gave them. event and events are the same key; the plural reads better for
// lists.
func (d *docState) events(f map[string]yamlfile.Entry, p yamlfile.Path) ([]string, string) {
	var events []string
	var given string
	for _, k := range []string{"event", "events"} {
		e, ok := f[k]
		if !ok {
			continue
		}
		pk := p.Key(k)
		d.record(e.Val, yamlfile.Path{Y: pk.Y, S: p.S + ".events", Label: p.Label})
		if given != "" {
			d.errorf(e.Key, pk, "%sgive event or events, not both", p.Prefix())
			continue
		}
		given = k
		events, _ = d.patterns(e.Val, pk)
	}
	return events, given
}
