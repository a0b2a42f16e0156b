package modelfile

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/yamlfile"
	"github.com/leadscore/leadscore/scoring"
	"go.yaml.in/yaml/v3"
)

var topKeys = []string{
	"name", "description", "kind", "artifact", "scale", "qualify", "bands", "disqualified", "fields",
	"requirements", "prefix", "grade", "categories", "decay", "signals", "quality", "combine", "account_score",
}

// topHint gives advice for keys people put at the top level by mistake.
func topHint(key string, val *yaml.Node) string {
	switch key {
	case "mql", "threshold":
		return "write qualify: {mql: N}"
	case "rules":
		return "rules belong to a category: categories: {fit: {rules: [...]}}"
	case "cases":
		return "this looks like a fixture file; run it with leadscore model test"
	case "half_life", "expire", "inactivity":
		return "it belongs under decay:"
	}
	if looksLikeCategory(val) {
		return "categories go under categories:"
	}
	return ""
}

func looksLikeCategory(n *yaml.Node) bool {
	n = yamlfile.Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "rules", "categories", "max":
			return true
		}
	}
	return false
}

// model reads one document into a specification. Sections are read in an
// order that lets later ones use earlier ones (bands need the scale,
// conditions need the declared fields, grade and decay name categories);
// diagnostics are sorted by position afterwards, so the order is invisible.
func (d *docState) model(root *yaml.Node) *leadscore.ModelSpec {
	s := d.spec
	defer func() {
		for i := range d.diags {
			d.diags[i].Model = s.Name
		}
	}()
	top := yamlfile.Path{}
	f, ok := d.Fields(root, top, "a model (a mapping with name, categories and so on)", topKeys, topHint)
	if !ok {
		return s
	}
	get := func(k string) (yamlfile.Entry, yamlfile.Path, bool) {
		e, ok := f[k]
		p := top.Key(k)
		if ok {
			d.record(e.Key, p)
		}
		return e, p, ok
	}

	if e, p, ok := get("name"); ok {
		d.record(e.Val, p)
		if v, ok := d.Name(e.Val, p); ok {
			s.Name = v
		}
	} else {
		d.errorf(root, p, "a model needs a name (name: ...)")
	}
	if e, p, ok := get("description"); ok {
		if v, ok := d.Str(e.Val, p); ok {
			s.Description = v
		}
	}
	s.Kind = leadscore.KindRules
	if e, p, ok := get("kind"); ok {
		d.record(e.Val, p)
		if v, ok := d.enum(e.Val, p, "kind", "rules", "combined", "predictive"); ok {
			s.Kind = leadscore.ModelKind(v)
		}
	}
	if e, p, ok := get("artifact"); ok {
		d.record(e.Val, p)
		if s.Kind != leadscore.KindPredictive {
			d.errorf(e.Key, p, "artifact is only for predictive models: add kind: predictive, or remove artifact")
		} else if v, ok := d.Str(e.Val, p); ok {
			s.Artifact = resolveArtifact(d.src.Name, v)
		}
	} else if s.Kind == leadscore.KindPredictive {
		d.errorf(root, p, "a predictive model needs artifact: the model file written by leadscore train")
	}
	s.Scale = leadscore.Scale{Min: 0, Max: 100}
	if e, p, ok := get("scale"); ok {
		d.scale(e.Val, p)
	}
	if e, p, ok := get("fields"); ok {
		d.declaredFields(e.Val, p)
	}
	if e, p, ok := get("qualify"); ok {
		d.qualify(e.Val, p)
	}
	if e, p, ok := get("bands"); ok {
		d.bands(e.Val, p)
	}
	if e, p, ok := get("disqualified"); ok {
		if v, ok := d.enum(e.Val, p, "disqualified mode", "zero", "keep"); ok {
			s.Disqualified = leadscore.DisqualifyMode(v)
		}
	}
	if e, p, ok := get("requirements"); ok {
		d.requirements(e.Val, p)
		if s.Kind == leadscore.KindCombined && len(s.Requirements) > 0 {
			d.errorf(e.Key, p, "a combined model is disqualified when one of its parts is; put requirements in the models it combines")
		}
	}
	if e, p, ok := get("prefix"); ok {
		d.prefix(e.Val, p)
	}
	if e, p, ok := get("categories"); ok {
		s.Categories = d.categoryMap(e.Val, p, "", 0)
		if s.Kind == leadscore.KindCombined && len(s.Categories) > 0 {
			d.errorf(e.Key, p, "a combined model takes its points from the models it combines and cannot have categories")
		}
		if s.Kind == leadscore.KindPredictive && len(s.Categories) > 0 {
			d.errorf(e.Key, p, "a predictive model learns its points from outcomes and cannot have categories; combine it with a rule model instead")
		}
	}
	if e, p, ok := get("grade"); ok {
		d.grade(e, p)
	}
	if e, p, ok := get("decay"); ok {
		d.decay(e.Val, p)
		if s.Kind == leadscore.KindCombined {
			d.errorf(e.Key, p, "a combined model follows the scores of its parts; put decay in the models it combines")
		}
	}
	if e, p, ok := get("signals"); ok {
		d.signals(e.Val, p)
	}
	if e, p, ok := get("quality"); ok {
		d.quality(e.Val, p)
	}
	e, p, ok := get("combine")
	switch {
	case ok && s.Kind != leadscore.KindCombined:
		d.errorf(e.Key, p, "combine is only for combined models: add kind: combined, or remove combine")
	case ok:
		d.combine(e.Val, p)
	case s.Kind == leadscore.KindCombined:
		d.errorf(root, p, "a combined model needs combine: {parts: {model: weight, ...}}")
	}
	if e, p, ok := get("account_score"); ok {
		d.accountScore(e.Val, p)
	}
	// Lints judge the design of a model; on a model that does not parse
	// cleanly they would judge something the author did not write.
	if d.errors == 0 {
		d.lint()
	}
	return s
}

// resolveArtifact reads an artefact path relative to the model file that
// names it, so a model and its artefact can move together. A reference to
// the database (store:NAME, store:NAME@VERSION) is not a path.
func resolveArtifact(modelFile, artifact string) string {
	if artifact == "" || filepath.IsAbs(artifact) || modelFile == "" || strings.HasPrefix(artifact, "store:") {
		return artifact
	}
	return filepath.Join(filepath.Dir(modelFile), artifact)
}

func (d *docState) scale(n *yaml.Node, p yamlfile.Path) {
	f, ok := d.Fields(n, p, "a mapping such as {min: 0, max: 100}", []string{"min", "max"}, nil)
	if !ok {
		return
	}
	sc := d.spec.Scale
	good := true
	if e, ok := f["min"]; ok {
		sc.Min, ok = d.Number(e.Val, p.Key("min"))
		good = good && ok
	}
	if e, ok := f["max"]; ok {
		sc.Max, ok = d.Number(e.Val, p.Key("max"))
		good = good && ok
	}
	if good && sc.Max <= sc.Min {
		d.errorf(yamlfile.Resolve(n), p, "scale: max (%g) must be greater than min (%g)", sc.Max, sc.Min)
		return
	}
	if good {
		d.spec.Scale = sc
	}
}

func (d *docState) inScale(v float64) bool {
	return v >= d.spec.Scale.Min && v <= d.spec.Scale.Max
}

func (d *docState) qualify(n *yaml.Node, p yamlfile.Path) {
	f, ok := d.Fields(n, p, "a mapping such as {mql: 70}", []string{"mql"}, nil)
	if !ok {
		return
	}
	if e, ok := f["mql"]; ok {
		pm := p.Key("mql")
		d.record(e.Val, pm)
		if v, ok := d.Number(e.Val, pm); ok {
			if !d.inScale(v) {
				d.errorf(yamlfile.Resolve(e.Val), pm, "qualify.mql: %g is outside the scale %g..%g", v, d.spec.Scale.Min, d.spec.Scale.Max)
				return
			}
			d.spec.MQL = &v
		}
	}
}

// bands reads name -> minimum. Bands are sorted highest first, and a "cold"
// band is added at the bottom of the scale when no band starts there, so
// that every score has a band.
func (d *docState) bands(n *yaml.Node, p yamlfile.Path) {
	ps, ok := d.Pairs(n, p, "a mapping of band names to minimum scores, such as {hot: 70, warm: 40}")
	if !ok {
		return
	}
	type band struct {
		leadscore.Band
		node *yaml.Node
	}
	var bs []band
	for _, e := range ps {
		pb := p.Key(e.Key.Value)
		name := e.Key.Value
		if strings.TrimSpace(name) == "" {
			d.errorf(e.Key, pb, "bands: a band needs a name")
			continue
		}
		v, ok := d.Number(e.Val, pb)
		if !ok {
			continue
		}
		if !d.inScale(v) {
			d.errorf(yamlfile.Resolve(e.Val), pb, "bands: %s starts at %g, outside the scale %g..%g", name, v, d.spec.Scale.Min, d.spec.Scale.Max)
			continue
		}
		bs = append(bs, band{leadscore.Band{Name: name, Min: v}, yamlfile.Resolve(e.Val)})
	}
	slices.SortStableFunc(bs, func(a, b band) int {
		switch {
		case a.Min > b.Min:
			return -1
		case a.Min < b.Min:
			return 1
		}
		return 0
	})
	for i := 1; i < len(bs); i++ {
		if bs[i].Min == bs[i-1].Min {
			d.errorf(bs[i].node, p.Key(bs[i].Name), "bands: %s and %s both start at %g; each band needs its own minimum", bs[i-1].Name, bs[i].Name, bs[i].Min)
		}
	}
	if len(bs) > 0 && bs[len(bs)-1].Min > d.spec.Scale.Min {
		if slices.ContainsFunc(bs, func(b band) bool { return b.Name == "cold" }) {
			d.errorf(yamlfile.Resolve(n), p, "bands: no band starts at the bottom of the scale (%g); start the lowest band there", d.spec.Scale.Min)
		} else {
			bs = append(bs, band{leadscore.Band{Name: "cold", Min: d.spec.Scale.Min}, yamlfile.Resolve(n)})
		}
	}
	for i, b := range bs {
		d.spec.Bands = append(d.spec.Bands, b.Band)
		d.record(b.node, yamlfile.Path{Y: p.Key(b.Name).Y, S: fmt.Sprintf("bands[%d]", i)})
	}
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (d *docState) declaredFields(n *yaml.Node, p yamlfile.Path) {
	ps, ok := d.Pairs(n, p, `a mapping of fields to types, such as {lead.age: number}`)
	if !ok {
		return
	}
	types := []string{"string", "number", "bool", "time", "list"}
	for _, e := range ps {
		key := e.Key.Value
		pf := p.Key(key)
		object, field, _ := strings.Cut(key, ".")
		switch {
		case object != "lead" && object != "account":
			d.errorf(e.Key, pf, "fields: %q must start with lead. or account.", key)
			continue
		case !identRE.MatchString(field):
			d.errorf(e.Key, pf, "fields: %q is not a usable field name (letters, digits and _, not starting with a digit)", key)
			continue
		case scoring.IsStandardField(object, field):
			d.errorf(e.Key, pf, "fields: %s is a standard field; declare only custom fields", key)
			continue
		}
		if t, ok := d.enum(e.Val, pf, "field type", types...); ok {
			d.declared[key] = leadscore.FieldType(t)
			if d.spec.Fields == nil {
				d.spec.Fields = map[string]leadscore.FieldType{}
			}
			d.spec.Fields[key] = leadscore.FieldType(t)
		}
	}
}

// ownerLabel names an item of a list by its name: key when it has one, so
// that messages say `requirement "adult"` rather than "requirements[0]".
func ownerLabel(n *yaml.Node, kind string, i int) string {
	n = yamlfile.Resolve(n)
	if n != nil && n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			k, v := n.Content[j], yamlfile.Resolve(n.Content[j+1])
			if k.Value == "name" && v != nil && v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) != "" {
				return fmt.Sprintf("%s %q", kind, v.Value)
			}
		}
	}
	return fmt.Sprintf("%s #%d", kind, i+1)
}

func (d *docState) requirements(n *yaml.Node, p yamlfile.Path) {
	items, ok := d.List(n, p, "a list of requirements")
	if !ok {
		return
	}
	seen := map[string]*yaml.Node{}
	for i, it := range items {
		pi := p.Index(i).Owner(ownerLabel(it, "requirement", i))
		d.record(it, pi)
		f, ok := d.Fields(it, pi, "a requirement {name, when, reason}", []string{"name", "when", "reason"}, nil)
		if !ok {
			d.spec.Requirements = append(d.spec.Requirements, leadscore.Requirement{})
			continue
		}
		var r leadscore.Requirement
		if e, ok := f["name"]; ok {
			if v, ok := d.Name(e.Val, pi.Key("name")); ok {
				r.Name = v
				if prev, dup := seen[v]; dup {
					d.errorf(yamlfile.Resolve(e.Val), pi.Key("name"), "%sduplicate requirement name (first used at line %d)", pi.Prefix(), prev.Line)
				}
				seen[v] = yamlfile.Resolve(e.Val)
			}
		} else {
			d.errorf(yamlfile.Resolve(it), pi, "%sneeds a name", pi.Prefix())
		}
		if e, ok := f["when"]; ok {
			r.When = d.condition(e.Val, pi.Key("when"), scoring.LeadEnv)
		} else {
			d.errorf(yamlfile.Resolve(it), pi, "%sneeds a condition (when: ...) that a lead must meet", pi.Prefix())
		}
		if e, ok := f["reason"]; ok {
			r.Reason, _ = d.Str(e.Val, pi.Key("reason"))
		}
		d.spec.Requirements = append(d.spec.Requirements, r)
	}
}

func (d *docState) prefix(n *yaml.Node, p yamlfile.Path) {
	items, ok := d.List(n, p, "a list of prefix rules")
	if !ok {
		return
	}
	var catchAll *yaml.Node
	for i, it := range items {
		pi := p.Index(i).Owner(fmt.Sprintf("prefix #%d", i+1))
		d.record(it, pi)
		var r leadscore.PrefixRule
		f, ok := d.Fields(it, pi, "a prefix rule {digit, when, label}", []string{"digit", "when", "label"}, nil)
		if !ok {
			d.spec.Prefix = append(d.spec.Prefix, r)
			continue
		}
		if catchAll != nil {
			d.warnf(yamlfile.Resolve(it), pi, "%sis never used: prefix #%d at line %d has no condition and always wins", pi.Prefix(), i, catchAll.Line)
		}
		if e, ok := f["digit"]; ok {
			d.record(e.Val, pi.Key("digit"))
			if v, ok := d.Integer(e.Val, pi.Key("digit")); ok {
				if v < 0 || v > 9 {
					d.errorf(yamlfile.Resolve(e.Val), pi.Key("digit"), "%sdigit must be 0 to 9, got %d", pi.Prefix(), v)
				}
				r.Digit = v
			}
		} else {
			d.errorf(yamlfile.Resolve(it), pi, "%sneeds a digit (0 to 9)", pi.Prefix())
		}
		if e, ok := f["when"]; ok {
			r.When = d.condition(e.Val, pi.Key("when"), scoring.LeadEnv)
		} else if catchAll == nil {
			catchAll = yamlfile.Resolve(it)
		}
		if e, ok := f["label"]; ok {
			r.Label, _ = d.Str(e.Val, pi.Key("label"))
		}
		d.spec.Prefix = append(d.spec.Prefix, r)
	}
}

func (d *docState) grade(e yamlfile.Entry, p yamlfile.Path) {
	f, ok := d.Fields(e.Val, p, "a mapping such as {category: fit, levels: {A: 40, B: 25, C: 10, D: 0}}", []string{"category", "levels"}, nil)
	if !ok {
		return
	}
	g := &leadscore.GradeSpec{}
	if c, ok := f["category"]; ok && d.spec.Kind == leadscore.KindCombined {
		d.errorf(c.Key, p.Key("category"), "grade: a combined model has no categories; leave out category to grade the whole score")
	} else if ok {
		pc := p.Key("category")
		d.record(c.Val, pc)
		if v, ok := d.Name(c.Val, pc); ok {
			if _, full := d.findCategory(c.Val, pc, v); full != "" {
				g.Category = full
			}
		}
	}
	if lv, ok := f["levels"]; ok {
		pl := p.Key("levels")
		d.record(lv.Val, pl)
		ps, ok := d.Pairs(lv.Val, pl, "a mapping of grades to minimum points, such as {A: 40, B: 25}")
		type level struct {
			leadscore.GradeLevel
			node *yaml.Node
		}
		var ls []level
		for _, le := range ps {
			if v, ok := d.Number(le.Val, pl.Key(le.Key.Value)); ok {
				ls = append(ls, level{leadscore.GradeLevel{Grade: le.Key.Value, Min: v}, yamlfile.Resolve(le.Val)})
			}
		}
		slices.SortStableFunc(ls, func(a, b level) int {
			switch {
			case a.Min > b.Min:
				return -1
			case a.Min < b.Min:
				return 1
			}
			return 0
		})
		for i, l := range ls {
			if i > 0 && l.Min == ls[i-1].Min {
				d.errorf(l.node, pl.Key(l.Grade), "grade: %s and %s both start at %g; each grade needs its own minimum", ls[i-1].Grade, l.Grade, l.Min)
			}
			g.Levels = append(g.Levels, l.GradeLevel)
			d.record(l.node, yamlfile.Path{Y: pl.Key(l.Grade).Y, S: fmt.Sprintf("grade.levels[%d]", i)})
		}
		if ok && len(ls) == 0 && len(ps) == 0 {
			d.errorf(yamlfile.Resolve(lv.Val), pl, "grade: levels cannot be empty")
		}
	} else {
		d.errorf(e.Key, p, "grade: needs levels, such as {A: 40, B: 25, C: 10, D: 0}")
	}
	d.spec.Grade = g
}

// findCategory resolves a category reference by dotted path, or by its own
// name when only one category has it, and reports the reference when it
// finds nothing or more than one. It returns the category and its full path.
func (d *docState) findCategory(n *yaml.Node, p yamlfile.Path, ref string) (*leadscore.CategorySpec, string) {
	var exact *leadscore.CategorySpec
	var exactPath string
	var byName []*leadscore.CategorySpec
	var byNamePaths, all []string
	var walk func(cs []leadscore.CategorySpec, parent string)
	walk = func(cs []leadscore.CategorySpec, parent string) {
		for i := range cs {
			c := &cs[i]
			full := yamlfile.JoinPath(parent, c.Name)
			all = append(all, full)
			if full == ref {
				exact, exactPath = c, full
			}
			if c.Name == ref {
				byName = append(byName, c)
				byNamePaths = append(byNamePaths, full)
			}
			walk(c.Categories, full)
		}
	}
	walk(d.spec.Categories, "")
	switch {
	case exact != nil:
		return exact, exactPath
	case len(byName) == 1:
		return byName[0], byNamePaths[0]
	case len(byName) > 1:
		d.errorf(yamlfile.Resolve(n), p, "%scategory name %q is used more than once; write its full path (%s)", p.Prefix(), ref, yamlfile.OrList(byNamePaths))
		return nil, ""
	}
	msg := fmt.Sprintf("%sno category %q", p.Prefix(), ref)
	if s := yamlfile.Suggest(ref, all); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	d.errorf(yamlfile.Resolve(n), p, "%s", msg)
	return nil, ""
}

func (d *docState) decay(n *yaml.Node, p yamlfile.Path) {
	f, ok := d.Fields(n, p, "a mapping with inactivity, activity, category, half_life or expire",
		[]string{"inactivity", "activity", "category", "half_life", "expire"}, nil)
	if !ok {
		return
	}
	ds := &d.spec.Decay
	if e, ok := f["inactivity"]; ok {
		pi := p.Key("inactivity")
		items, _ := d.List(e.Val, pi, "a list of steps such as {after: 30d, points: -10}")
		var prev leadscore.Duration
		for i, it := range items {
			ps := pi.Index(i).Owner(fmt.Sprintf("decay step #%d", i+1))
			d.record(it, ps)
			var st leadscore.DecayStep
			sf, ok := d.Fields(it, ps, "a step such as {after: 30d, points: -10}", []string{"after", "points", "reset"}, nil)
			if !ok {
				ds.Inactivity = append(ds.Inactivity, st)
				continue
			}
			if a, ok := sf["after"]; ok {
				d.record(a.Val, ps.Key("after"))
				if v, ok := d.Duration(a.Val, ps.Key("after")); ok {
					switch {
					case v <= 0:
						d.errorf(yamlfile.Resolve(a.Val), ps.Key("after"), "%safter must be longer than zero", ps.Prefix())
					case v <= prev:
						d.errorf(yamlfile.Resolve(a.Val), ps.Key("after"), "%ssteps must be in increasing order of after (%s is not after %s)", ps.Prefix(), v, prev)
					}
					st.After, prev = v, max(prev, v)
				}
			} else {
				d.errorf(yamlfile.Resolve(it), ps, "%sneeds after (how long without activity, such as 30d)", ps.Prefix())
			}
			pts, hasPoints := sf["points"]
			if hasPoints {
				d.record(pts.Val, ps.Key("points"))
				if v, ok := d.Number(pts.Val, ps.Key("points")); ok {
					if v > 0 {
						d.errorf(yamlfile.Resolve(pts.Val), ps.Key("points"), "%spoints must be zero or negative (a step takes points away), got %g", ps.Prefix(), v)
					}
					st.Points = v
				}
			}
			rs, hasReset := sf["reset"]
			if hasReset {
				st.Reset, _ = d.Boolean(rs.Val, ps.Key("reset"))
			}
			if !hasPoints && !hasReset {
				d.errorf(yamlfile.Resolve(it), ps, "%sneeds points (such as -10) or reset: true", ps.Prefix())
			}
			ds.Inactivity = append(ds.Inactivity, st)
		}
	}
	if e, ok := f["activity"]; ok {
		ds.Activity, _ = d.patterns(e.Val, p.Key("activity"))
	}
	if e, ok := f["category"]; ok {
		pc := p.Key("category")
		d.record(e.Val, pc)
		if v, ok := d.Name(e.Val, pc); ok {
			if _, full := d.findCategory(e.Val, pc, v); full != "" {
				ds.Category = full
			}
		}
	}
	for _, key := range []string{"half_life", "expire"} {
		e, ok := f[key]
		if !ok {
			continue
		}
		pk := p.Key(key)
		ps, _ := d.Pairs(e.Val, pk, "a mapping of categories to durations, such as {engagement: 45d}")
		for _, ce := range ps {
			pc := pk.Key(ce.Key.Value)
			v, ok := d.Duration(ce.Val, pc)
			if !ok {
				continue
			}
			c, full := d.findCategory(ce.Key, pc, ce.Key.Value)
			if c == nil {
				continue
			}
			target := &c.HalfLife
			if key == "expire" {
				target = &c.Expire
			}
			if *target != 0 {
				d.errorf(ce.Key, pc, "decay.%s: category %q already sets %s itself; set it in one place", key, full, key)
				continue
			}
			*target = v
		}
	}
}

func (d *docState) signals(n *yaml.Node, p yamlfile.Path) {
	f, ok := d.Fields(n, p, "a mapping such as {stakeholder_window: 30d}", []string{"stakeholder_window"}, nil)
	if !ok {
		return
	}
	if e, ok := f["stakeholder_window"]; ok {
		if v, ok := d.Duration(e.Val, p.Key("stakeholder_window")); ok {
			if v == 0 {
				d.errorf(yamlfile.Resolve(e.Val), p.Key("stakeholder_window"), "signals.stakeholder_window: must be longer than zero")
			}
			d.spec.Signals.StakeholderWindow = v
		}
	}
}

func (d *docState) quality(n *yaml.Node, p yamlfile.Path) {
	f, ok := d.Fields(n, p, "a mapping with click_delay, burst_clicks, burst_window or disable",
		[]string{"click_delay", "burst_clicks", "burst_window", "disable"}, nil)
	if !ok {
		return
	}
	q := &d.spec.Quality
	if e, ok := f["click_delay"]; ok {
		q.ClickDelay, _ = d.Duration(e.Val, p.Key("click_delay"))
	}
	if e, ok := f["burst_clicks"]; ok {
		if v, ok := d.Integer(e.Val, p.Key("burst_clicks")); ok {
			// One or zero clicks is not a burst; accepting it would mark
			// every clicker a bot.
			if v < 2 {
				d.errorf(yamlfile.Resolve(e.Val), p.Key("burst_clicks"), "quality.burst_clicks: must be at least 2, got %d", v)
			}
			q.BurstClicks = v
		}
	}
	if e, ok := f["burst_window"]; ok {
		q.BurstWindow, _ = d.Duration(e.Val, p.Key("burst_window"))
	}
	if e, ok := f["disable"]; ok {
		q.Disable, _ = d.Boolean(e.Val, p.Key("disable"))
	}
}

func (d *docState) combine(n *yaml.Node, p yamlfile.Path) {
	f, ok := d.Fields(n, p, "a mapping such as {method: weighted_mean, parts: {fit: 0.4, engagement: 0.6}}", []string{"method", "parts"}, nil)
	if !ok {
		return
	}
	c := &leadscore.CombineSpec{}
	d.spec.Combine = c
	if e, ok := f["method"]; ok {
		d.record(e.Val, p.Key("method"))
		if v, ok := d.enum(e.Val, p.Key("method"), "method", "weighted_mean", "max", "min", "sum"); ok {
			c.Method = v
		}
	}
	e, ok := f["parts"]
	if !ok {
		d.errorf(yamlfile.Resolve(n), p, "combine: needs parts, the models to combine and their weights")
		return
	}
	pp := p.Key("parts")
	d.record(e.Val, pp)
	seen := map[string]bool{}
	add := func(model string, weight float64, modelNode *yaml.Node, weightNode *yaml.Node, pi yamlfile.Path) {
		i := len(c.Parts)
		d.record(modelNode, yamlfile.Path{Y: pi.Y, S: fmt.Sprintf("combine.parts[%d].model", i)})
		d.record(weightNode, yamlfile.Path{Y: pi.Y, S: fmt.Sprintf("combine.parts[%d].weight", i)})
		if seen[model] {
			d.errorf(modelNode, pi, "combine: model %q is listed twice", model)
		}
		seen[model] = true
		if weight < 0 {
			d.errorf(weightNode, pi, "combine: the weight of %q cannot be negative", model)
		}
		c.Parts = append(c.Parts, leadscore.CombinePart{Model: model, Weight: weight})
	}
	val := yamlfile.Resolve(e.Val)
	switch {
	case val != nil && val.Kind == yaml.MappingNode:
		ps, _ := d.Pairs(val, pp, "a mapping of models to weights")
		for _, pe := range ps {
			pi := pp.Key(pe.Key.Value)
			if w, ok := d.Number(pe.Val, pi); ok {
				add(pe.Key.Value, w, pe.Key, yamlfile.Resolve(pe.Val), pi)
			}
		}
	case val != nil && val.Kind == yaml.SequenceNode:
		for i, it := range val.Content {
			pi := pp.Index(i)
			pf, ok := d.Fields(it, pi, "a part such as {model: fit, weight: 0.4}", []string{"model", "weight"}, nil)
			if !ok {
				continue
			}
			me, ok := pf["model"]
			if !ok {
				d.errorf(yamlfile.Resolve(it), pi, "combine: a part needs a model")
				continue
			}
			model, ok := d.Name(me.Val, pi.Key("model"))
			if !ok {
				continue
			}
			weight, weightNode := 1.0, yamlfile.Resolve(me.Val)
			if we, ok := pf["weight"]; ok {
				if weight, ok = d.Number(we.Val, pi.Key("weight")); !ok {
					continue
				}
				weightNode = yamlfile.Resolve(we.Val)
			}
			add(model, weight, yamlfile.Resolve(me.Val), weightNode, pi)
		}
	default:
		d.errorf(val, pp, "combine.parts: expected a mapping of models to weights or a list of {model, weight}, got %s", yamlfile.DescribeBytes(val))
		return
	}
	if len(c.Parts) == 0 && !yamlfile.IsNull(val) && len(val.Content) == 0 {
		d.errorf(val, pp, "combine.parts: needs at least one model")
	}
	if (c.Method == "" || c.Method == "weighted_mean") && len(c.Parts) > 0 {
		total := 0.0
		for _, part := range c.Parts {
			total += part.Weight
		}
		if total == 0 {
			d.errorf(val, pp, "combine.parts: the weights add up to zero, so a weighted mean is undefined")
		}
	}
}

func (d *docState) accountScore(n *yaml.Node, p yamlfile.Path) {
	f, ok := d.Fields(n, p, "a mapping such as {method: max, top: 3}", []string{"method", "top"}, nil)
	if !ok {
		return
	}
	if e, ok := f["method"]; ok {
		d.record(e.Val, p.Key("method"))
		if v, ok := d.enum(e.Val, p.Key("method"), "method", "sum", "max", "avg"); ok {
			d.spec.AccountScore.Method = v
		}
	}
	if e, ok := f["top"]; ok {
		d.spec.AccountScore.Top, _ = d.NonNegInt(e.Val, p.Key("top"))
	}
}
