package analytics

import (
	"context"
	"slices"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

// Options say which model to measure and as of when.
type Options struct {
	Set *scoring.Set
	// Model is the name of the model to measure; empty means the first
	// model of the set.
	Model string
	// AsOf is the instant leads are scored as of. With Horizon, a lead
	// whose outcome has a date is scored as of that date minus Horizon
	// instead (what the score said before the outcome was known); AsOf
	// stays the instant for leads without one.
	AsOf    time.Time
	Horizon time.Duration
	// Workers bounds parallelism (0: GOMAXPROCS).
	Workers int
	// Cases is how many leads each list of surprising leads holds
	// (default 20).
	Cases int
}

// Analysis is every lead of a source scored under one model, reduced to
// what the report, the threshold advice and the rule lift need. It holds a
// few dozen bytes per lead, so a million leads fit easily.
type Analysis struct {
	Model   string
	Version string
	Spec    leadscore.ModelSpec
	AsOf    time.Time
	Horizon time.Duration
	Stages  []string
	// Rules are the model's rules in model order; a lead's Fired bits are
	// indexed by position here.
	Rules []RuleRef
	Leads []LeadResult
	// lowConverted and highLost are the most surprising leads, with their
	// explanations.
	lowConverted, highLost []Case
}

// RuleRef names one rule of the model.
type RuleRef struct {
	Name     string  `json:"name"`
	Label    string  `json:"label,omitempty"`
	Category string  `json:"category"`
	Points   float64 `json:"points"`
	// Behaviour is true for rules driven by events.
	Behaviour bool `json:"behaviour,omitempty"`
}

// LeadResult is one lead's score and outcome.
type LeadResult struct {
	Score     float64
	Qualified bool
	// Band is the index of the lead's band in the model's bands (-1: the
	// model has none).
	Band    int
	Outcome Outcome
	// Created is when the lead was created (zero when unknown): threshold
	// advice counts MQLs per week by it.
	Created time.Time
	// Fired has bit i set when rule i counted for the lead.
	Fired []uint64
}

// Case is one lead worth studying, with the engine's explanation.
type Case struct {
	LeadID      string    `json:"lead_id"`
	Line        int       `json:"line,omitempty"`
	Score       float64   `json:"score"`
	Band        string    `json:"band,omitempty"`
	AsOf        time.Time `json:"as_of"`
	Explanation []string  `json:"explanation"`
	seq         int
}

func (l *LeadResult) fired(i int) bool { return l.Fired[i/64]&(1<<(i%64)) != 0 }

// pickModel returns the index of the model named name in the set's
// evaluation order.
func pickModel(set *scoring.Set, name string) (int, *scoring.Model, error) {
	models := set.Models()
	if name == "" {
		return 0, models[0], nil
	}
	for i, m := range models {
		if m.Name() == name {
			return i, m, nil
		}
	}
	return 0, nil, leadscore.Errorf(leadscore.CodeInvalid, "no model named %q (the files hold %v)", name, set.Names())
}

// subset compiles a set holding only the named models and the parts they
// combine, so that a file with several models costs only what is measured.
// Index i of the result's evaluation order is returned for names[i].
func subset(set *scoring.Set, names ...string) (*scoring.Set, []int, error) {
	var specs []*leadscore.ModelSpec
	seen := map[string]bool{}
	var add func(name string) error
	add = func(name string) error {
		if seen[name] {
			return nil
		}
		m, ok := set.Model(name)
		if !ok {
			return leadscore.Errorf(leadscore.CodeInvalid, "no model named %q (the files hold %v)", name, set.Names())
		}
		seen[name] = true
		spec := m.Spec()
		specs = append(specs, &spec)
		if spec.Combine != nil {
			for _, p := range spec.Combine.Parts {
				if err := add(p.Model); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, n := range names {
		if err := add(n); err != nil {
			return nil, nil, err
		}
	}
	small, err := scoring.CompileSet(specs, scoring.Options{})
	if err != nil {
		return nil, nil, err
	}
	idx := make([]int, len(names))
	for i, n := range names {
		for k, m := range small.Models() {
			if m.Name() == n {
				idx[i] = k
			}
		}
	}
	return small, idx, nil
}

// modelRules lists a model's rules in model order.
func modelRules(spec leadscore.ModelSpec) []RuleRef {
	var out []RuleRef
	var walk func(cs []leadscore.CategorySpec, parent string)
	walk = func(cs []leadscore.CategorySpec, parent string) {
		for _, c := range cs {
			p := c.Name
			if parent != "" {
				p = parent + "." + c.Name
			}
			for _, r := range c.Rules {
				out = append(out, RuleRef{Name: r.Name, Label: r.Label, Category: p, Points: r.Points, Behaviour: r.IsBehaviour()})
			}
			walk(c.Categories, p)
		}
	}
	walk(spec.Categories, "")
	return out
}

// Analyze scores every lead of src under the chosen model.
func Analyze(ctx context.Context, src Source, opt Options) (*Analysis, error) {
	if opt.Set == nil {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no model")
	}
	if opt.AsOf.IsZero() {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no as-of time")
	}
	if opt.Cases <= 0 {
		opt.Cases = 20
	}
	_, model, err := pickModel(opt.Set, opt.Model)
	if err != nil {
		return nil, err
	}
	set, idx, err := subset(opt.Set, model.Name())
	if err != nil {
		return nil, err
	}
	mi := idx[0]
	spec := model.Spec()
	a := &Analysis{Model: model.Name(), Version: model.Version(), Spec: spec, AsOf: opt.AsOf, Horizon: opt.Horizon,
		Stages: src.Stages(), Rules: modelRules(spec)}
	ruleIndex := map[string]int{}
	for i, r := range a.Rules {
		ruleIndex[r.Name] = i
	}
	bandIndex := map[string]int{}
	for i, b := range spec.Bands {
		bandIndex[b.Name] = i
	}
	words := (len(a.Rules) + 63) / 64
	workers := opt.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	low := make([]caseList, workers)
	high := make([]caseList, workers)
	for w := range workers {
		low[w] = caseList{max: opt.Cases, worse: lowerScoreFirst}
		high[w] = caseList{max: opt.Cases, worse: higherScoreFirst}
	}
	results, err := eachParallel(ctx, src, workers, func(w, seq int, rec *Record) LeadResult {
		asOf := opt.AsOf
		if opt.Horizon > 0 && !rec.Outcome.At.IsZero() {
			asOf = rec.Outcome.At.Add(-opt.Horizon)
		}
		ev := set.Evaluate(&rec.Input, asOf)[mi]
		res := LeadResult{Score: ev.Score, Qualified: ev.Qualified, Band: -1, Outcome: rec.Outcome, Created: rec.Input.Lead.CreatedAt,
			Fired: make([]uint64, words)}
		res.Outcome.StageAt = nil
		if res.Created.IsZero() {
			res.Created = rec.Outcome.At
		}
		if b, ok := bandIndex[ev.Band]; ok {
			res.Band = b
		}
		for _, c := range ev.Contributions {
			if c.Points == 0 && c.Count == 0 {
				continue
			}
			if i, ok := ruleIndex[c.Rule]; ok {
				res.Fired[i/64] |= 1 << (i % 64)
			}
		}
		if rec.Outcome.Known {
			list := &high[w]
			if rec.Outcome.Converted {
				list = &low[w]
			}
			c := Case{LeadID: rec.Input.Lead.ID, Line: rec.Line, Score: ev.Score, Band: ev.Band, AsOf: asOf, seq: seq}
			if list.wants(c) {
				c.Explanation = scoring.Explain(ev)
				list.add(c)
			}
		}
		return res
	})
	if err != nil {
		return nil, err
	}
	a.Leads = results
	a.lowConverted = mergeCases(low, opt.Cases)
	a.highLost = mergeCases(high, opt.Cases)
	return a, nil
}

// caseList keeps the max most surprising cases seen by one worker, most
// surprising first. Ties go to the earlier lead in the file (then in the
// source, for sources without lines), so the lists depend neither on
// scheduling nor on the order a source hands leads out.
type caseList struct {
	max   int
	worse func(a, b Case) int
	cases []Case
}

func lowerScoreFirst(a, b Case) int {
	if a.Score != b.Score {
		if a.Score < b.Score {
			return -1
		}
		return 1
	}
	return earlier(a, b)
}

func higherScoreFirst(a, b Case) int {
	if a.Score != b.Score {
		if a.Score > b.Score {
			return -1
		}
		return 1
	}
	return earlier(a, b)
}

func earlier(a, b Case) int {
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	return a.seq - b.seq
}

func (l *caseList) wants(c Case) bool {
	return len(l.cases) < l.max || l.worse(c, l.cases[len(l.cases)-1]) < 0
}

func (l *caseList) add(c Case) {
	i, _ := slices.BinarySearchFunc(l.cases, c, l.worse)
	l.cases = slices.Insert(l.cases, i, c)
	if len(l.cases) > l.max {
		l.cases = l.cases[:l.max]
	}
}

func mergeCases(lists []caseList, n int) []Case {
	var all []Case
	for _, l := range lists {
		all = append(all, l.cases...)
	}
	if len(lists) > 0 {
		slices.SortFunc(all, lists[0].worse)
	}
	if len(all) > n {
		all = all[:n]
	}
	return all
}
