package service

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
	"github.com/leadscore/leadscore/scoring"
)

// The analytics questions over the stored leads: what the analytics package
// computes over files, computed over this workspace's store.

var _ analytics.Reporter = (*Service)(nil)

const (
	// defaultReportLeads bounds the leads one report reads unless the
	// caller asks for fewer: a request must end in bounded time.
	defaultReportLeads = 200_000
	// reportPage is how many leads are read per round of bulk reads.
	reportPage = 500
	// reportTimeout bounds one report's computation.
	reportTimeout = 2 * time.Minute
)

// storeSource pages through the workspace's leads in id order, reading each
// page's leads, events, lifecycle states and outcomes in a few statements.
type storeSource struct {
	ws        leadscore.WorkspaceStore
	bulk      leadscore.BulkReader
	auto      leadscore.AutomationReader
	asOf      time.Time
	lostAfter time.Duration
	limit     int
	read      int
	// page is how many leads a read asks for (reportPage).
	page int
}

func (s *Service) newStoreSource(ctx context.Context, q *analytics.Query) (*storeSource, analytics.Scope, error) {
	bulk, ok := s.ws.(leadscore.BulkReader)
	if !ok {
		return nil, analytics.Scope{}, leadscore.Errorf(leadscore.CodeInternal, "the store does not support bulk reads")
	}
	auto, err := s.autoReader()
	if err != nil {
		return nil, analytics.Scope{}, err
	}
	if q.AsOf.IsZero() {
		q.AsOf = s.now()
	}
	if q.MaxLeads <= 0 || q.MaxLeads > defaultReportLeads {
		q.MaxLeads = defaultReportLeads
	}
	stored, err := s.ws.CountLeads(ctx)
	if err != nil {
		return nil, analytics.Scope{}, err
	}
	scope := analytics.Scope{AsOf: q.AsOf, StoredLeads: stored, Limit: q.MaxLeads, Limited: stored > int64(q.MaxLeads)}
	if q.LostAfter > 0 {
		scope.LostAfter = q.LostAfter.String()
	}
	if q.Horizon > 0 {
		scope.Horizon = q.Horizon.String()
	}
	return &storeSource{ws: s.ws, bulk: bulk, auto: auto, asOf: q.AsOf, lostAfter: q.LostAfter, limit: q.MaxLeads, page: reportPage}, scope, nil
}

func (src *storeSource) Stages() []string { return analytics.StoreStages() }

// Each hands out the stored leads account by account, so that each lead
// sees its colleagues' activity (account.active_people) as of any date
// without a second read: a page never splits an account, except one larger
// than maxAccountPage, which is read in parts.
func (src *storeSource) Each(ctx context.Context, fn func(*analytics.Record) error) error {
	src.read = 0
	var after leadscore.LeadKey
	var held []leadscore.LeadKey // the last account of a page, read whole with the next
	for src.read < src.limit {
		if err := ctx.Err(); err != nil {
			return err
		}
		keys, err := src.ws.LeadKeysByAccount(ctx, after, src.page)
		if err != nil {
			return err
		}
		end := len(keys) < src.page
		if len(keys) > 0 {
			after = keys[len(keys)-1]
		}
		page := append(held, keys...)
		held = nil
		if !end {
			last := page[len(page)-1].AccountID
			cut := len(page)
			for cut > 0 && page[cut-1].AccountID == last {
				cut--
			}
			if last != "" && (cut > 0 || len(page) < maxAccountPage) {
				if cut == 0 {
					// One account so far: read on until it ends.
					held = page
					continue
				}
				held = slices.Clone(page[cut:])
				page = page[:cut]
			}
		}
		if len(page) > src.limit-src.read {
			page = page[:src.limit-src.read]
		}
		if len(page) > 0 {
			if err := src.emit(ctx, page, fn); err != nil {
				return err
			}
		}
		if end {
			return nil
		}
	}
	return nil
}

// maxAccountPage bounds the leads of one account read together.
const maxAccountPage = 20000

// emit reads one page of leads with their events, lifecycle stages,
// outcomes and accounts, and hands them out in order.
func (src *storeSource) emit(ctx context.Context, keys []leadscore.LeadKey, fn func(*analytics.Record) error) error {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	leads, err := src.bulk.LeadsByID(ctx, ids)
	if err != nil {
		return err
	}
	events, err := src.bulk.EventsOf(ctx, ids)
	if err != nil {
		return err
	}
	autos, err := src.auto.LeadAutomations(ctx, ids)
	if err != nil {
		return err
	}
	outcomes, err := src.auto.OutcomesOf(ctx, ids)
	if err != nil {
		return err
	}
	accounts := map[string]*leadscore.Account{}
	page := make([]analytics.StoreLead, 0, len(ids))
	for _, id := range ids {
		lead := leads[id]
		if lead == nil {
			continue
		}
		sl := analytics.StoreLead{Lead: lead, Events: events[id], Outcome: outcomes[id]}
		if a := autos[id]; a != nil {
			sl.Stage = a.Stage
		}
		if lead.AccountID != "" {
			acct, seen := accounts[lead.AccountID]
			if !seen {
				if acct, err = accountWithLists(ctx, src.ws, lead.AccountID); err != nil {
					return err
				}
				accounts[lead.AccountID] = acct
			}
			sl.Account = acct
		}
		page = append(page, sl)
	}
	analytics.LinkPeers(page)
	for i := range page {
		src.read++
		if err := fn(analytics.StoreRecord(page[i], src.asOf, src.lostAfter)); err != nil {
			return err
		}
	}
	return nil
}

// bounded turns running out of reportTimeout into an answer the caller can
// act on; a caller that went away keeps its own error.
func bounded(err error, src *storeSource) error {
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if src == nil {
		return leadscore.Errorf(leadscore.CodeInvalid, "the computation ran out of time before reading any lead; ask for fewer leads (max_leads)")
	}
	return leadscore.Errorf(leadscore.CodeInvalid, "the computation was stopped after %s, having read %d of at most %d leads; ask for fewer leads (max_leads)",
		reportTimeout, src.read, src.limit)
}

// modelSet is the set that holds the queried model: the active set, or the
// active set with the model replaced by a stored version.
func (s *Service) modelSet(ctx context.Context, q analytics.Query) (*scoring.Set, error) {
	if q.Model == "" {
		return nil, leadscore.Invalid("model", "say which model to measure")
	}
	set, err := s.setFor(ctx, q.Model, q.Version)
	if err != nil {
		return nil, err
	}
	if _, ok := set.Model(q.Model); !ok {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "no active model %q", q.Model)
	}
	return set, nil
}

// analyze scores the stored leads under the queried model.
func (s *Service) analyze(ctx context.Context, q analytics.Query) (*analytics.Analysis, analytics.Scope, error) {
	set, err := s.modelSet(ctx, q)
	if err != nil {
		return nil, analytics.Scope{}, err
	}
	src, scope, err := s.newStoreSource(ctx, &q)
	if err != nil {
		return nil, analytics.Scope{}, bounded(err, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, reportTimeout)
	defer cancel()
	a, err := analytics.Analyze(ctx, src, analytics.Options{Set: set, Model: q.Model, AsOf: q.AsOf, Horizon: q.Horizon})
	if err != nil {
		return nil, analytics.Scope{}, bounded(err, src)
	}
	scope.Read = src.read
	return a, scope, nil
}

// CalibrationReport measures a model against the recorded outcomes.
func (s *Service) CalibrationReport(ctx context.Context, q analytics.Query) (*analytics.CalibrationResult, error) {
	a, scope, err := s.analyze(ctx, q)
	if err != nil {
		return nil, err
	}
	return &analytics.CalibrationResult{Scope: scope, Report: a.Report()}, nil
}

// ThresholdAdvice suggests an MQL threshold for a target.
func (s *Service) ThresholdAdvice(ctx context.Context, q analytics.Query, t analytics.Target) (*analytics.AdviceResult, error) {
	a, scope, err := s.analyze(ctx, q)
	if err != nil {
		return nil, err
	}
	adv, err := a.Advise(t, 0)
	if err != nil {
		return nil, err
	}
	return &analytics.AdviceResult{Scope: scope, Advice: adv}, nil
}

// Dashboard computes the calibration report, threshold advice and rule
// lift from one pass over the stored leads.
func (s *Service) Dashboard(ctx context.Context, q analytics.Query, t analytics.Target) (*analytics.DashboardResult, error) {
	a, scope, err := s.analyze(ctx, q)
	if err != nil {
		return nil, err
	}
	res := &analytics.DashboardResult{Scope: scope, Report: a.Report(), Lift: liftOf(a, scope)}
	if res.Advice, err = a.Advise(t, 0); err != nil {
		if leadscore.CodeOf(err) != leadscore.CodeInvalid {
			return nil, err
		}
		res.AdviceError = err.Error()
	}
	return res, nil
}

func liftOf(a *analytics.Analysis, scope analytics.Scope) *analytics.LiftResult {
	res := &analytics.LiftResult{Scope: scope, Model: a.Model, Version: a.Version, Rules: a.Lift()}
	sug, err := a.SuggestPoints(res.Rules, 0)
	if err != nil {
		res.SuggestionError = err.Error()
	} else {
		res.Suggestion = sug
	}
	return res
}

// RuleLift measures each rule of a model against the recorded outcomes and
// fits points to them.
func (s *Service) RuleLift(ctx context.Context, q analytics.Query) (*analytics.LiftResult, error) {
	a, scope, err := s.analyze(ctx, q)
	if err != nil {
		return nil, err
	}
	return liftOf(a, scope), nil
}

// PreviewVersion scores every stored lead as of one instant under a stored
// version of a model and under its active version: who would newly qualify,
// who would drop out, and the score distribution before and after.
func (s *Service) PreviewVersion(ctx context.Context, q analytics.Query) (*analytics.PreviewResult, error) {
	if q.Model == "" || q.Version == "" {
		return nil, leadscore.Invalid("version", "a preview needs a model name and one of its versions")
	}
	versions, err := s.ws.ModelVersions(ctx, q.Model)
	if err != nil {
		return nil, err
	}
	var draft, active *leadscore.ModelVersion
	for i := range versions {
		v := &versions[i]
		if v.Version == q.Version {
			draft = v
		}
		if v.Active {
			active = v
		}
	}
	if draft == nil {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "model %s has no version %s", q.Model, q.Version)
	}
	if active == nil {
		return nil, leadscore.Errorf(leadscore.CodeConflict, "model %s has no active version to compare with; activate one first", q.Model)
	}
	// Both versions share a name; the draft gets its own within the
	// comparison so that the set can hold both.
	draftSpec := *draft.Spec
	draftSpec.Name = q.Model + "-draft"
	specs := []*leadscore.ModelSpec{&draftSpec, active.Spec}
	if act := s.active(); act != nil && act.set != nil {
		for _, m := range act.set.Models() {
			if m.Name() != q.Model {
				spec := m.Spec()
				specs = append(specs, &spec)
			}
		}
	}
	set, err := scoring.CompileSet(specs, s.scoringOptions())
	if err != nil {
		return nil, err
	}
	src, scope, err := s.newStoreSource(ctx, &q)
	if err != nil {
		return nil, bounded(err, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, reportTimeout)
	defer cancel()
	bt, err := analytics.RunBacktest(ctx, src, analytics.BacktestOptions{Set: set, Model: draftSpec.Name, Against: q.Model,
		From: q.AsOf, To: q.AsOf})
	if err != nil {
		return nil, bounded(err, src)
	}
	scope.Read = src.read
	return &analytics.PreviewResult{Scope: scope, Model: q.Model, Version: q.Version, Active: active.Version, Backtest: bt}, nil
}
