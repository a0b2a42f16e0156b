package scoring

import (
	"fmt"
	"sort"
	"time"

	"github.com/leadscore/leadscore"
)

// Set is the models that score a lead together: rule models first, then
// combined models made from them. It is immutable and safe for concurrent use.
type Set struct {
	models []*Model // rule models, then combined models in dependency order
	byName map[string]*Model
}

// CompileSet compiles several specifications and checks that combined models
// refer to models of the set without cycles.
func CompileSet(specs []*leadscore.ModelSpec, opts Options) (*Set, error) {
	var probs leadscore.Problems
	set := &Set{byName: map[string]*Model{}}
	var compiled []*Model
	for _, spec := range specs {
		m, err := Compile(spec, opts)
		if err != nil {
			if ps, ok := err.(leadscore.Problems); ok {
				for _, p := range ps {
					p.Field = spec.Name + ": " + p.Field
				}
				probs = append(probs, ps...)
				continue
			}
			return nil, err
		}
		if _, dup := set.byName[m.Name()]; dup {
			probs = append(probs, leadscore.Invalid(m.Name(), "two models are named %q", m.Name()))
			continue
		}
		set.byName[m.Name()] = m
		compiled = append(compiled, m)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	// Order: a model comes after every model it combines.
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var visit func(m *Model) error
	visit = func(m *Model) error {
		switch state[m.Name()] {
		case 1:
			return leadscore.Invalid(m.Name()+": combine", "combined models form a cycle through %q", m.Name())
		case 2:
			return nil
		}
		state[m.Name()] = 1
		if m.spec.Combine != nil {
			for i, p := range m.spec.Combine.Parts {
				dep, ok := set.byName[p.Model]
				if !ok {
					return leadscore.Invalid(fmt.Sprintf("%s: combine.parts[%d].model", m.Name(), i), "no model named %q in this set", p.Model)
				}
				m.partScale[p.Model] = dep.spec.Scale
				if err := visit(dep); err != nil {
					return err
				}
			}
		}
		state[m.Name()] = 2
		set.models = append(set.models, m)
		return nil
	}
	for _, m := range compiled {
		if err := visit(m); err != nil {
			return nil, leadscore.Problems{err.(*leadscore.Error)}
		}
	}
	return set, nil
}

// UsesAccountActivity reports whether any model reads
// account.active_people, so that a colleague's activity can change a score.
func (s *Set) UsesAccountActivity() bool {
	for _, m := range s.models {
		if m.usesActivePeople {
			return true
		}
	}
	return false
}

// Models returns the models in evaluation order.
func (s *Set) Models() []*Model { return append([]*Model(nil), s.models...) }

// Model returns a model by name.
func (s *Set) Model(name string) (*Model, bool) {
	m, ok := s.byName[name]
	return m, ok
}

// Names returns the model names, sorted.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.byName))
	for n := range s.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Evaluate scores one lead under every model of the set as of asOf, in
// evaluation order. The lead's facts are prepared once and shared.
func (s *Set) Evaluate(in *Input, asOf time.Time) []*leadscore.Evaluation {
	return s.NewState(in).Evaluate(asOf)
}
