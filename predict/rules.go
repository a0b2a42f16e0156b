package predict

import (
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
)

// RuleInputs offers the rules of a rule model as features: one 0/1 column
// per rule, "the rule fired for this lead as of its cut-off". A team's
// rules encode what it knows about its buyers (a pricing-page visit, a
// senior title); as features the learner weighs them by what actually
// converted, and the factors name them by their labels. The model's spec
// travels in the artefact, so scoring evaluates the same rules.
type RuleInputs struct {
	Model string               `json:"model"`
	Spec  *leadscore.ModelSpec `json:"spec"`

	compiled *scoring.Model
	rules    []RuleRef
}

// RuleRef is one rule offered as a feature.
type RuleRef struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// ruleScope prefixes a rule feature's name: rule.pricing-page.
const ruleScope = "rule."

// NewRuleInputs compiles a rule model for use as features. Only a model of
// kind rules has rules of its own.
func NewRuleInputs(spec *leadscore.ModelSpec, checker *quality.Checker) (*RuleInputs, error) {
	if spec == nil {
		return nil, leadscore.Invalid("rules", "no rule model given")
	}
	r := &RuleInputs{Model: spec.Name, Spec: spec}
	if err := r.compile(checker); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *RuleInputs) compile(checker *quality.Checker) error {
	if r.Spec.Kind != "" && r.Spec.Kind != leadscore.KindRules {
		return leadscore.Invalid("rules", "model %s is of kind %s; rules as features need a rule model", r.Spec.Name, r.Spec.Kind)
	}
	set, err := scoring.CompileSet([]*leadscore.ModelSpec{r.Spec}, scoring.Options{Checker: checker})
	if err != nil {
		return leadscore.Errorf(leadscore.CodeInvalid, "rule model %s: %v", r.Spec.Name, err)
	}
	m, ok := set.Model(r.Spec.Name)
	if !ok {
		return leadscore.Errorf(leadscore.CodeInvalid, "rule model %s did not compile", r.Spec.Name)
	}
	r.compiled = m
	r.rules = nil
	var walk func(cs []leadscore.CategorySpec)
	walk = func(cs []leadscore.CategorySpec) {
		for _, c := range cs {
			for _, rule := range c.Rules {
				label := rule.Label
				if label == "" {
					label = strings.ReplaceAll(rule.Name, "-", " ")
				}
				r.rules = append(r.rules, RuleRef{Name: rule.Name, Label: label})
			}
			walk(c.Categories)
		}
	}
	walk(r.Spec.Categories)
	if len(r.rules) == 0 {
		return leadscore.Invalid("rules", "rule model %s has no rules", r.Spec.Name)
	}
	return nil
}

// Rules lists the rules in the model's order.
func (r *RuleInputs) Rules() []RuleRef { return r.rules }

// sources are the rules as feature sources.
func (r *RuleInputs) sources() []source {
	out := make([]source, len(r.rules))
	for i, rule := range r.rules {
		out[i] = source{Name: ruleScope + rule.Name, Label: rule.Label, key: rule.Name, rule: true}
	}
	return out
}

// Fired evaluates the model for a lead as of asOf with its events before
// asOf and reports which rules fired (earned points, or matched for a
// rule whose points a cap took away).
func (r *RuleInputs) Fired(l *leadscore.Lead, a *leadscore.Account, events []leadscore.Event, asOf time.Time) map[string]bool {
	before := make([]leadscore.Event, 0, len(events))
	for _, e := range events {
		if e.At.Before(asOf) {
			before = append(before, e)
		}
	}
	ev := r.compiled.Evaluate(&scoring.Input{Lead: l, Account: a, Events: before}, asOf)
	fired := map[string]bool{}
	for _, c := range ev.Contributions {
		if c.Count > 0 || c.Points != 0 {
			fired[c.Rule] = true
		}
	}
	return fired
}

// ruleValue is a rule feature's value for a lead.
func ruleValue(fired map[string]bool, rule string) any {
	if fired[rule] {
		return 1.0
	}
	return 0.0
}

// hasRules reports whether any input is a rule.
func (e *Encoder) hasRules() bool {
	for k := range e.Inputs {
		if e.Inputs[k].src.rule {
			return true
		}
	}
	return false
}
