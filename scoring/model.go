// Package scoring is the engine: it compiles a model specification and
// evaluates a lead under it as of an instant, returning the score, the full
// explanation and the next time the score could change by itself.
//
// The engine is pure: no I/O, no clock, no goroutines. The same model
// version, lead, account, events, peers and as-of time always give the same
// evaluation, which is what makes explanations, ledgers, as-of queries and
// backtests trustworthy.
package scoring

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

// Input is everything known about one lead.
type Input struct {
	Lead    *leadscore.Lead
	Account *leadscore.Account
	// Events may be in any order; the engine sorts a copy when needed.
	Events []leadscore.Event
	// Peers are the other people of the lead's account, for
	// account.active_people.
	Peers []leadscore.Peer
	// AccountScores are the account's scores per model, when the caller
	// keeps them (readable as account.scores["model"]).
	AccountScores map[string]float64
}

// Model is a compiled rules or combined model. It is immutable and safe for
// concurrent use.
type Model struct {
	spec    leadscore.ModelSpec
	version string
	// checker is built on first use when the caller gave none: loading the
	// lists takes milliseconds that validating a model should not pay.
	checker     *quality.Checker
	checkerOnce sync.Once
	require     []compiledRequirement
	prefix      []compiledPrefix
	root        *compiledCategory
	byEvent     []*compiledRule // behaviour rules, in model order
	activity    []string
	// decayCategory is the category inactivity decay applies to (nil: total).
	decayCategory *compiledCategory
	stakeWindow   time.Duration
	patterns      *patternIndex
	// usesNow and usesActivePeople make time alone able to change a score
	// through a condition, which nextChangeAt must account for.
	usesNow          bool
	usesActivePeople bool
	// activityConds are the lead-level conditions that read
	// account.active_people; activityPerEvent says an event condition reads
	// it too. Together they say whether a change of the count can change a
	// score (State.ActivityDecides).
	activityConds    []*vm.Program
	activityPerEvent bool
	// partScale holds the scale of each part of a combined model, filled in
	// when its set is compiled.
	partScale map[string]leadscore.Scale
	// predictor scores a predictive model.
	predictor Predictor
}

// patternIndex answers "which rules can this event type reach" once per
// distinct type, so an event touches only the rules that can match it.
type patternIndex struct {
	lists [][]string
	cache sync.Map // event type -> []bool
	size  atomic.Int64
}

const patternCacheLimit = 4096

func (ix *patternIndex) add(patterns []string) int {
	ix.lists = append(ix.lists, patterns)
	return len(ix.lists) - 1
}

func (ix *patternIndex) matches(eventType string) []bool {
	if v, ok := ix.cache.Load(eventType); ok {
		return v.([]bool)
	}
	res := make([]bool, len(ix.lists))
	for i, l := range ix.lists {
		res[i] = matchAny(l, eventType)
	}
	// Event types come from outside; bound the cache so odd inputs cannot
	// grow it without limit.
	if ix.size.Add(1) <= patternCacheLimit {
		ix.cache.Store(eventType, res)
	}
	return res
}

type compiledRequirement struct {
	spec leadscore.Requirement
	prog *vm.Program
}

type compiledPrefix struct {
	spec leadscore.PrefixRule
	prog *vm.Program // nil: always holds
}

type compiledCategory struct {
	spec     *leadscore.CategorySpec
	path     string
	halfLife time.Duration
	expire   time.Duration
	rules    []*compiledRule
	children []*compiledCategory
}

type compiledRule struct {
	spec      *leadscore.RuleSpec
	category  *compiledCategory
	when      *vm.Program
	where     *vm.Program
	thenWhere *vm.Program
	// eventsList and thenList are this rule's pattern lists in the index.
	eventsList int
	thenList   int
	// index is the rule's position among the model's behaviour rules.
	index int
	// whereDynamic and thenDynamic mark where conditions that read the
	// clock or account activity, which must be checked at evaluation time.
	whereDynamic bool
	thenDynamic  bool
	// whereStd and thenStd mark where conditions reading the standard event
	// variables (type, at, source, user_agent, properties) or the event as a
	// whole, which need the full event map rather than its properties.
	whereStd bool
	thenStd  bool
	halfLife time.Duration
	expire   time.Duration
}

func (m *Model) qualityChecker() *quality.Checker {
	m.checkerOnce.Do(func() {
		if m.checker == nil {
			m.checker = quality.NewChecker()
		}
	})
	return m.checker
}

// Version is a content hash of the specification: two models with the same
// text-independent content share it, and any change of meaning changes it.
func (m *Model) Version() string { return m.version }

// Spec returns a copy of the specification the model was compiled from.
func (m *Model) Spec() leadscore.ModelSpec { return m.spec }

// Name is the model's name.
func (m *Model) Name() string { return m.spec.Name }

// Options tune compilation.
type Options struct {
	// Checker supplies email and bot facts; nil builds a default one.
	Checker *quality.Checker
	// LoadPredictor loads the artefact of a predictive model. The engine
	// reads no files, so without it predictive models do not compile
	// (unless ValidateOnly).
	LoadPredictor func(artifact string) (Predictor, error)
	// ValidateOnly compiles to check models, not to evaluate them: a
	// predictive model's artefact is not loaded, and evaluating it yields
	// the bottom of its scale with a note saying so.
	ValidateOnly bool
}

// Compile checks and compiles a specification. All problems are returned at
// once as leadscore.Problems whose Field is a dotted path into the spec.
func Compile(spec *leadscore.ModelSpec, opts Options) (*Model, error) {
	s := *spec
	applyDefaults(&s)
	var probs leadscore.Problems
	bad := func(field, format string, args ...any) {
		probs = append(probs, leadscore.Invalid(field, format, args...))
	}
	if strings.TrimSpace(s.Name) == "" {
		bad("name", "a model needs a name")
	}
	if s.Scale.Max <= s.Scale.Min {
		bad("scale", "max (%g) must be greater than min (%g)", s.Scale.Max, s.Scale.Min)
	}
	m := &Model{spec: s, checker: opts.Checker, patterns: &patternIndex{}, partScale: map[string]leadscore.Scale{}}
	cond := func(field string, kind EnvKind, src string) *vm.Program {
		if strings.TrimSpace(src) == "" {
			return nil
		}
		p, err := compileCondition(kind, src)
		if err != nil {
			bad(field, "%v", firstLine(err.Error()))
			return nil
		}
		uses := conditionUses(p)
		m.usesNow = m.usesNow || uses.now
		if uses.activePeople {
			m.usesActivePeople = true
			if kind == LeadEnv {
				m.activityConds = append(m.activityConds, p)
			} else {
				m.activityPerEvent = true
			}
		}
		return p
	}
	for i, r := range s.Requirements {
		f := fmt.Sprintf("requirements[%d]", i)
		if strings.TrimSpace(r.When) == "" {
			bad(f+".when", "a requirement needs a condition")
		}
		m.require = append(m.require, compiledRequirement{spec: r, prog: cond(f+".when", LeadEnv, r.When)})
	}
	for i, p := range s.Prefix {
		f := fmt.Sprintf("prefix[%d]", i)
		if p.Digit < 0 || p.Digit > 9 {
			bad(f+".digit", "digit must be 0-9, got %d", p.Digit)
		}
		m.prefix = append(m.prefix, compiledPrefix{spec: p, prog: cond(f+".when", LeadEnv, p.When)})
	}
	for i := 1; i < len(s.Bands); i++ {
		if s.Bands[i].Min >= s.Bands[i-1].Min {
			bad(fmt.Sprintf("bands[%d]", i), "bands must be ordered from the highest minimum down (%s %g is not below %s %g)",
				s.Bands[i].Name, s.Bands[i].Min, s.Bands[i-1].Name, s.Bands[i-1].Min)
		}
	}
	for i, st := range s.Decay.Inactivity {
		if st.After <= 0 {
			bad(fmt.Sprintf("decay.inactivity[%d].after", i), "a decay step needs a positive 'after'")
		}
		if i > 0 && st.After <= s.Decay.Inactivity[i-1].After {
			bad(fmt.Sprintf("decay.inactivity[%d].after", i), "decay steps must be in increasing order of 'after'")
		}
		if st.Points > 0 {
			bad(fmt.Sprintf("decay.inactivity[%d].points", i), "decay points must be zero or negative, got %g", st.Points)
		}
	}
	m.activity = s.Decay.Activity
	m.stakeWindow = s.Signals.StakeholderWindow.Std()

	names := map[string]string{}
	root := &leadscore.CategorySpec{Name: "", Categories: s.Categories}
	m.root = m.compileCategory(root, "", "", 0, 0, cond, bad, names)
	if s.Kind == leadscore.KindCombined {
		if s.Combine == nil || len(s.Combine.Parts) == 0 {
			bad("combine", "a combined model needs parts")
		} else {
			switch s.Combine.Method {
			case "weighted_mean", "max", "min", "sum":
			default:
				bad("combine.method", "unknown method %q (use weighted_mean, max, min or sum)", s.Combine.Method)
			}
			for i, p := range s.Combine.Parts {
				if p.Model == "" {
					bad(fmt.Sprintf("combine.parts[%d].model", i), "a part needs a model name")
				}
				if p.Weight < 0 {
					bad(fmt.Sprintf("combine.parts[%d].weight", i), "weights must not be negative")
				}
			}
		}
		if len(s.Categories) > 0 {
			bad("categories", "a combined model takes its points from its parts and cannot have rules")
		}
		if len(s.Requirements) > 0 {
			bad("requirements", "a combined model is disqualified when a part is; put requirements in the parts")
		}
		if len(s.Decay.Inactivity) > 0 {
			bad("decay", "a combined model decays through its parts; put decay in the parts")
		}
	} else if s.Kind == leadscore.KindPredictive {
		m.compilePredictive(&s, opts, bad)
	} else if s.Kind != leadscore.KindRules {
		bad("kind", "unknown model kind %q (use rules, combined or predictive)", s.Kind)
	}
	if s.Grade != nil {
		if s.Grade.Category != "" && m.findCategory(s.Grade.Category) == nil {
			bad("grade.category", "no category %q", s.Grade.Category)
		}
		if len(s.Grade.Levels) == 0 {
			bad("grade.levels", "a grade needs levels")
		}
		for i := 1; i < len(s.Grade.Levels); i++ {
			if s.Grade.Levels[i].Min >= s.Grade.Levels[i-1].Min {
				bad(fmt.Sprintf("grade.levels[%d]", i), "grade levels must be ordered best first")
			}
		}
	}
	if s.Grade == nil {
		// A model with a capped "fit" category gets the usual A-D grade
		// from the share of that budget a lead reaches.
		if fit := m.findCategory("fit"); fit != nil && fit.spec.Max != nil && *fit.spec.Max > 0 {
			mx := *fit.spec.Max
			m.spec.Grade = &leadscore.GradeSpec{Category: fit.path, Levels: []leadscore.GradeLevel{
				{Grade: "A", Min: 0.75 * mx}, {Grade: "B", Min: 0.5 * mx}, {Grade: "C", Min: 0.25 * mx}, {Grade: "D", Min: 0},
			}}
		}
	}
	if s.Decay.Category != "" {
		if m.decayCategory = m.findCategory(s.Decay.Category); m.decayCategory == nil {
			bad("decay.category", "no category %q", s.Decay.Category)
		}
	}
	switch s.AccountScore.Method {
	case "sum", "max", "avg":
	default:
		bad("account_score.method", "unknown method %q (use sum, max or avg)", s.AccountScore.Method)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	m.version = versionOf(&s)
	if m.predictor != nil {
		m.version = versionOfPredictive(m.version, m.predictor.Version())
	}
	return m, nil
}

func (m *Model) compileCategory(spec *leadscore.CategorySpec, catPath, field string, halfLife, expire time.Duration,
	cond func(string, EnvKind, string) *vm.Program, bad func(string, string, ...any), names map[string]string) *compiledCategory {
	c := &compiledCategory{spec: spec, path: catPath, halfLife: halfLife, expire: expire}
	if spec.HalfLife > 0 {
		c.halfLife = spec.HalfLife.Std()
	}
	if spec.Expire > 0 {
		c.expire = spec.Expire.Std()
	}
	if spec.Max != nil && spec.Min != nil && *spec.Max < *spec.Min {
		bad(field+".max", "max (%g) is below min (%g)", *spec.Max, *spec.Min)
	}
	if spec.Max != nil && *spec.Max < 0 {
		bad(field+".max", "a cap cannot be below zero (%g)", *spec.Max)
	}
	for i := range spec.Rules {
		r := &spec.Rules[i]
		f := fmt.Sprintf("%s.rules[%d]", field, i)
		if r.Name == "" {
			bad(f+".name", "a rule needs a name")
		} else if prev, dup := names[r.Name]; dup {
			bad(f+".name", "duplicate rule name %q (also at %s)", r.Name, prev)
		} else {
			names[r.Name] = f
		}
		cr := &compiledRule{spec: r, category: c, halfLife: c.halfLife, expire: c.expire}
		if r.HalfLife > 0 {
			cr.halfLife = r.HalfLife.Std()
		}
		if r.Expire > 0 {
			cr.expire = r.Expire.Std()
		}
		cr.when = cond(f+".when", LeadEnv, r.When)
		if r.IsBehaviour() {
			for j, pat := range r.Events {
				if _, err := path.Match(pat, ""); err != nil || strings.TrimSpace(pat) == "" {
					bad(fmt.Sprintf("%s.events[%d]", f, j), "bad event pattern %q", pat)
				}
			}
			cr.where = cond(f+".where", EventEnv, r.Where)
			cr.whereDynamic = isDynamic(cr.where)
			cr.whereStd = readsStandardEventVars(cr.where)
			cr.eventsList = m.patterns.add(r.Events)
			switch r.Count {
			case leadscore.CountEvery, leadscore.CountOnce, leadscore.CountDay, leadscore.CountWeek, leadscore.CountMonth:
			default:
				bad(f+".count", "unknown count %q (use every, once, day, week or month)", r.Count)
			}
			if r.SkipFirst < 0 {
				bad(f+".skip_first", "skip_first cannot be negative")
			}
			if r.MaxTimes < 0 {
				bad(f+".max_times", "max_times cannot be negative")
			}
			if r.MaxPoints != nil && *r.MaxPoints < 0 {
				bad(f+".max_points", "max_points cannot be negative (use negative points with max_times to limit a penalty)")
			}
			if r.AtLeast < 0 {
				bad(f+".at_least", "at_least cannot be negative")
			}
			if r.AtLeast > 0 && r.Within <= 0 {
				bad(f+".within", "at_least needs a window (within)")
			}
			if r.Then != nil {
				if len(r.Then.Events) == 0 {
					bad(f+".then.events", "a sequence step needs events")
				}
				if r.Then.Within <= 0 {
					bad(f+".then.within", "a sequence step needs a window (within)")
				}
				if r.AtLeast > 0 {
					bad(f+".then", "a rule cannot be both a sequence and at_least")
				}
				cr.thenWhere = cond(f+".then.where", EventEnv, r.Then.Where)
				cr.thenDynamic = isDynamic(cr.thenWhere)
				cr.thenStd = readsStandardEventVars(cr.thenWhere)
				cr.thenList = m.patterns.add(r.Then.Events)
			}
			cr.index = len(m.byEvent)
			m.byEvent = append(m.byEvent, cr)
		} else {
			if strings.TrimSpace(r.When) == "" {
				bad(f, "a rule needs a condition (when) or events")
			}
			if r.Where != "" {
				bad(f+".where", "'where' filters events; a fit rule without events uses 'when'")
			}
			if r.SkipFirst > 0 || r.MaxTimes > 0 || r.AtLeast > 0 || r.Within > 0 || r.Then != nil || r.MaxPoints != nil {
				bad(f, "counting options (skip_first, max_times, max_points, within, at_least, then) need events")
			}
		}
		c.rules = append(c.rules, cr)
	}
	seen := map[string]bool{}
	for i := range spec.Categories {
		sub := &spec.Categories[i]
		f := fmt.Sprintf("categories[%d]", i)
		if field != "" {
			f = field + "." + f
		}
		if sub.Name == "" {
			bad(f+".name", "a category needs a name")
		}
		if seen[sub.Name] {
			bad(f+".name", "duplicate category %q", sub.Name)
		}
		seen[sub.Name] = true
		p := sub.Name
		if catPath != "" {
			p = catPath + "." + sub.Name
		}
		c.children = append(c.children, m.compileCategory(sub, p, f, c.halfLife, c.expire, cond, bad, names))
	}
	return c
}

// findCategory finds a category by dotted path or, when unambiguous, by its
// own name.
func (m *Model) findCategory(name string) *compiledCategory {
	var byName []*compiledCategory
	var walk func(c *compiledCategory) *compiledCategory
	walk = func(c *compiledCategory) *compiledCategory {
		if c.path == name && c.path != "" {
			return c
		}
		if c.spec.Name == name && c.path != "" {
			byName = append(byName, c)
		}
		for _, ch := range c.children {
			if f := walk(ch); f != nil {
				return f
			}
		}
		return nil
	}
	if c := walk(m.root); c != nil {
		return c
	}
	if len(byName) == 1 {
		return byName[0]
	}
	return nil
}

func applyDefaults(s *leadscore.ModelSpec) {
	if s.Kind == "" {
		s.Kind = leadscore.KindRules
	}
	if s.Scale == (leadscore.Scale{}) {
		s.Scale = leadscore.Scale{Min: 0, Max: 100}
	}
	if s.Disqualified == "" {
		s.Disqualified = leadscore.DisqualifyZero
	}
	if s.Signals.StakeholderWindow == 0 {
		s.Signals.StakeholderWindow = 30 * leadscore.Day
	}
	if s.Quality.ClickDelay == 0 {
		s.Quality.ClickDelay = leadscore.Duration(5 * time.Second)
	}
	if s.Quality.BurstClicks == 0 {
		s.Quality.BurstClicks = 3
	}
	if s.Quality.BurstWindow == 0 {
		s.Quality.BurstWindow = leadscore.Duration(10 * time.Second)
	}
	if s.AccountScore.Method == "" {
		s.AccountScore.Method = "max"
	}
	if s.Combine != nil && s.Combine.Method == "" {
		s.Combine.Method = "weighted_mean"
	}
	var fix func(cs []leadscore.CategorySpec)
	fix = func(cs []leadscore.CategorySpec) {
		for i := range cs {
			for j := range cs[i].Rules {
				if cs[i].Rules[j].Count == "" {
					cs[i].Rules[j].Count = leadscore.CountEvery
				}
			}
			fix(cs[i].Categories)
		}
	}
	// Copy the category tree so defaults never write into the caller's spec.
	s.Categories = cloneCategories(s.Categories)
	fix(s.Categories)
}

func cloneCategories(cs []leadscore.CategorySpec) []leadscore.CategorySpec {
	if cs == nil {
		return nil
	}
	out := make([]leadscore.CategorySpec, len(cs))
	for i, c := range cs {
		out[i] = c
		out[i].Rules = append([]leadscore.RuleSpec(nil), c.Rules...)
		out[i].Categories = cloneCategories(c.Categories)
	}
	return out
}

func versionOf(s *leadscore.ModelSpec) string {
	b, _ := json.Marshal(s)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// MatchEventType reports whether an event type matches a pattern ("email.*").
func MatchEventType(pattern, eventType string) bool {
	if pattern == "*" || pattern == eventType {
		return true
	}
	ok, _ := path.Match(pattern, eventType)
	return ok
}

func isDynamic(p *vm.Program) bool {
	if p == nil {
		return false
	}
	u := conditionUses(p)
	return u.now || u.activePeople
}

func readsStandardEventVars(p *vm.Program) bool {
	if p == nil {
		return false
	}
	return conditionUses(p).eventStd
}
