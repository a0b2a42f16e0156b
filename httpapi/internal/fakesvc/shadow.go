package fakesvc

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
)

var _ analytics.ShadowService = (*Service)(nil)

// StartShadow runs a stored, inactive version in shadow; the comparison has
// no leads.
func (s *Service) StartShadow(ctx context.Context, model, version, by string) (*leadscore.Shadow, *leadscore.Job, *leadscore.Shadow, error) {
	err := s.begin("StartShadow", model, version, by)
	defer s.mu.Unlock()
	if err != nil {
		return nil, nil, nil, err
	}
	var found, active *leadscore.ModelVersion
	for i := range s.models {
		v := &s.models[i]
		if v.Name == model && v.Version == version {
			found = v
		}
		if v.Name == model && v.Active {
			active = v
		}
	}
	switch {
	case found == nil:
		return nil, nil, nil, notFound("model version", model+"@"+version)
	case active == nil:
		return nil, nil, nil, leadscore.Errorf(leadscore.CodeConflict, "model %s has no active version", model)
	case active.Version == version:
		return nil, nil, nil, leadscore.Errorf(leadscore.CodeConflict, "version %s is the active version of %s", version, model)
	}
	if s.shadows == nil {
		s.shadows = map[string]leadscore.Shadow{}
	}
	var replaced *leadscore.Shadow
	if prev, ok := s.shadows[model]; ok {
		replaced = &prev
	}
	j := &leadscore.Job{ID: "job" + strconv.Itoa(len(s.jobs)+1), Kind: "shadow-model", State: leadscore.JobQueued,
		Total: int64(len(s.leads)), CreatedAt: s.now, UpdatedAt: s.now, Detail: model + "@" + version}
	s.jobs[j.ID] = j
	sh := leadscore.Shadow{Model: model, Version: version, StartedAt: s.now, StartedBy: by, Job: j.ID}
	s.shadows[model] = sh
	c := *j
	return &sh, &c, replaced, nil
}

func (s *Service) StopShadow(ctx context.Context, model string) error {
	err := s.begin("StopShadow", model)
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if _, ok := s.shadows[model]; !ok {
		return notFound("shadow of model", model)
	}
	delete(s.shadows, model)
	return nil
}

func (s *Service) Shadows(ctx context.Context) ([]leadscore.Shadow, error) {
	err := s.begin("Shadows")
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []leadscore.Shadow
	for _, sh := range s.shadows {
		out = append(out, sh)
	}
	slices.SortFunc(out, func(a, b leadscore.Shadow) int { return strings.Compare(a.Model, b.Model) })
	return out, nil
}

// ShadowReport compares over no leads: the verdict asks for outcomes.
func (s *Service) ShadowReport(ctx context.Context, q analytics.ShadowQuery) (*analytics.ShadowComparison, error) {
	err := s.begin("ShadowReport", q)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	sh, ok := s.shadows[q.Model]
	if !ok {
		return nil, notFound("shadow of model", q.Model)
	}
	var champion, challenger *leadscore.ModelVersion
	for i := range s.models {
		v := &s.models[i]
		if v.Name == q.Model && v.Active {
			champion = v
		}
		if v.Name == q.Model && v.Version == sh.Version {
			challenger = v
		}
	}
	if champion == nil || challenger == nil || champion.Spec == nil || challenger.Spec == nil {
		return nil, leadscore.Errorf(leadscore.CodeConflict, "nothing to compare")
	}
	c := analytics.CompareShadow(sh, champion, challenger, nil, s.now)
	if q.LostAfter > 0 {
		c.LostAfter = q.LostAfter.String()
	}
	return c, nil
}
