package fakesvc

import (
	"context"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
)

// The analytics methods record the query they were given and answer with a
// small fixed result naming the model, so that the HTTP layer's tests can
// check parameters, status codes and encodings; the numbers themselves are
// the service's tests' concern.

var _ analytics.Reporter = (*Service)(nil)

func (s *Service) scope(q analytics.Query) analytics.Scope {
	sc := analytics.Scope{AsOf: q.AsOf, StoredLeads: int64(len(s.leads)), Read: len(s.leads), Limit: q.MaxLeads}
	if q.LostAfter > 0 {
		sc.LostAfter = q.LostAfter.String()
	}
	if q.Horizon > 0 {
		sc.Horizon = q.Horizon.String()
	}
	return sc
}

// knownModel is not_found unless a version of the model was uploaded.
func (s *Service) knownModel(name string) error {
	for _, v := range s.models {
		if v.Name == name {
			return nil
		}
	}
	return notFound("model", name)
}

func (s *Service) CalibrationReport(ctx context.Context, q analytics.Query) (*analytics.CalibrationResult, error) {
	err := s.begin("CalibrationReport", q)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := s.knownModel(q.Model); err != nil {
		return nil, err
	}
	return &analytics.CalibrationResult{Scope: s.scope(q), Report: &analytics.Report{Model: q.Model, AsOf: q.AsOf,
		Leads: len(s.leads), ScaleMax: 100}}, nil
}

func (s *Service) ThresholdAdvice(ctx context.Context, q analytics.Query, t analytics.Target) (*analytics.AdviceResult, error) {
	err := s.begin("ThresholdAdvice", q, t)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := s.knownModel(q.Model); err != nil {
		return nil, err
	}
	row := analytics.TradeOff{Threshold: 50}
	return &analytics.AdviceResult{Scope: s.scope(q), Advice: &analytics.Advice{Target: t, Met: true, Threshold: 50, Weeks: 1,
		Table: []analytics.TradeOff{row}, Suggest: row}}, nil
}

func (s *Service) RuleLift(ctx context.Context, q analytics.Query) (*analytics.LiftResult, error) {
	err := s.begin("RuleLift", q)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := s.knownModel(q.Model); err != nil {
		return nil, err
	}
	return &analytics.LiftResult{Scope: s.scope(q), Model: q.Model, Rules: []analytics.RuleLift{}}, nil
}

func (s *Service) PreviewVersion(ctx context.Context, q analytics.Query) (*analytics.PreviewResult, error) {
	err := s.begin("PreviewVersion", q)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var draft, active *leadscore.ModelVersion
	for i := range s.models {
		v := &s.models[i]
		if v.Name == q.Model && v.Version == q.Version {
			draft = v
		}
		if v.Name == q.Model && v.Active {
			active = v
		}
	}
	if draft == nil {
		return nil, notFound("model version", q.Model+" "+q.Version)
	}
	if active == nil {
		return nil, leadscore.Errorf(leadscore.CodeConflict, "model %s has no active version to compare with", q.Model)
	}
	return &analytics.PreviewResult{Scope: s.scope(q), Model: q.Model, Version: q.Version, Active: active.Version,
		Backtest: &analytics.Backtest{Model: q.Model + "-draft", Against: q.Model, Leads: len(s.leads)}}, nil
}

func (s *Service) Dashboard(ctx context.Context, q analytics.Query, t analytics.Target) (*analytics.DashboardResult, error) {
	err := s.begin("Dashboard", q, t)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := s.knownModel(q.Model); err != nil {
		return nil, err
	}
	sc := s.scope(q)
	return &analytics.DashboardResult{Scope: sc, Report: &analytics.Report{Model: q.Model, AsOf: q.AsOf, Leads: len(s.leads), ScaleMax: 100},
		AdviceError: "no lead with a known outcome converted", Lift: &analytics.LiftResult{Scope: sc, Model: q.Model, Rules: []analytics.RuleLift{}}}, nil
}
