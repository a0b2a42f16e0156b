package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
	"github.com/leadscore/leadscore/scoring"
)

// Champion/challenger. A stored, inactive version of a model can run in
// shadow beside the model's active version: every lead the committer scores
// (an event, an attribute change, the time job, an activation) is also
// evaluated by it, and its score, band, qualified flag and evaluation go to
// the shadow scores, never to the scores, the ledger or automation.
//
// The shadow versions are compiled, under names of their own, into one set
// with the active models, and the cached lead states are built for that
// set: a new event is applied once and both versions see it, so a shadow
// costs its own rule matching and evaluation and no extra reads. The active
// set itself (activeSet.set) stays the active models only, for every
// reader that is not the committer.

var _ analytics.ShadowService = (*Service)(nil)

const jobShadow = "shadow-model"

// shadowSet is the active models with the shadow versions, compiled
// together; runs are the shadows by the name they have in the set.
type shadowSet struct {
	set  *scoring.Set
	runs map[string]leadscore.Shadow
}

// stateSet is the set the committer builds lead states for.
func (a *activeSet) stateSet() *scoring.Set {
	if a.shadow != nil {
		return a.shadow.set
	}
	return a.set
}

func (s *Service) shadowReader() (leadscore.ShadowReader, error) {
	r, ok := s.ws.(leadscore.ShadowReader)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "this store cannot run shadow versions")
	}
	return r, nil
}

// shadowSpecName is a name for a shadow version that no model of the set
// has.
func shadowSpecName(model string, taken map[string]bool) string {
	name := model + "~shadow"
	for taken[name] {
		name += "~"
	}
	return name
}

// loadShadows compiles the running shadows with the active models. A
// shadow without an active version to compare with (none, or its own
// version was activated since) does not run; one that does not compile is
// left out with a warning rather than stopping the active models.
func (s *Service) loadShadows(ctx context.Context, actives []leadscore.ModelVersion) *shadowSet {
	r, ok := s.ws.(leadscore.ShadowReader)
	if !ok || len(actives) == 0 {
		return nil
	}
	shadows, err := r.Shadows(ctx)
	if err != nil {
		s.log.Warn("reading the shadow versions; none runs", "err", err)
		return nil
	}
	if len(shadows) == 0 {
		return nil
	}
	active := map[string]string{}
	taken := map[string]bool{}
	specs := make([]*leadscore.ModelSpec, 0, len(actives)+len(shadows))
	for _, v := range actives {
		active[v.Name] = v.Version
		taken[v.Name] = true
		specs = append(specs, v.Spec)
	}
	out := &shadowSet{runs: map[string]leadscore.Shadow{}}
	for _, sh := range shadows {
		if v, ok := active[sh.Model]; !ok || v == sh.Version {
			continue
		}
		spec, err := s.shadowSpec(ctx, sh.Model, sh.Version)
		if err != nil {
			s.log.Warn("a shadow version cannot run", "model", sh.Model, "version", sh.Version, "err", err)
			continue
		}
		name := shadowSpecName(sh.Model, taken)
		taken[name] = true
		spec.Name = name
		trial := append(slices.Clone(specs), spec)
		if _, err := scoring.CompileSet(trial, s.scoringOptions()); err != nil {
			s.log.Warn("a shadow version does not compile with the active models", "model", sh.Model, "version", sh.Version, "err", err)
			continue
		}
		specs = trial
		out.runs[name] = sh
	}
	if len(out.runs) == 0 {
		return nil
	}
	set, err := scoring.CompileSet(specs, s.scoringOptions())
	if err != nil {
		s.log.Warn("compiling the shadow versions; none runs", "err", err)
		return nil
	}
	out.set = set
	// The set's own pass over shadow scores that change with time; it ends
	// when a reload replaces the set.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.shadowDueLoop(out)
	}()
	return out
}

// shadowDueLoop re-evaluates, every DueInterval, the leads whose shadow
// score changes with time alone (decay, windows). Shadow scores keep their
// own next change time, so a shadow never makes the active version's score
// due, nor waits for it.
func (s *Service) shadowDueLoop(set *shadowSet) {
	t := time.NewTicker(s.cfg.DueInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		if a := s.active(); a == nil || a.shadow != set {
			// A reload replaced this set (and started the pass of its own)
			// or stopped the shadows.
			return
		}
		s.runShadowDue(context.Background())
	}
}

// runShadowDue re-scores, with their shadow versions only, the leads whose
// shadow score is due now, a page per transaction, and reports how many.
func (s *Service) runShadowDue(ctx context.Context) int {
	r, ok := s.ws.(leadscore.ShadowReader)
	a := s.active()
	if !ok || a == nil || a.shadow == nil {
		return 0
	}
	total := 0
	for _, run := range a.shadow.runs {
		n, ok := s.drainDue(ctx, "leads whose shadow score of "+run.Model+" is due", func() ([]string, error) {
			return r.ShadowDueLeads(ctx, run.Model, s.now().UTC(), s.cfg.DueBatch)
		}, func(ids []string) error {
			return s.write(ctx, func(ctx context.Context, b *batch) error { return b.scoreShadowOnly(ctx, ids, run) })
		})
		total += n
		if !ok {
			break
		}
	}
	return total
}

// shadowSpec is a copy of a stored version's specification.
func (s *Service) shadowSpec(ctx context.Context, model, version string) (*leadscore.ModelSpec, error) {
	versions, err := s.ws.ModelVersions(ctx, model)
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		if v.Version == version && v.Spec != nil {
			spec := *v.Spec
			return &spec, nil
		}
	}
	return nil, leadscore.Errorf(leadscore.CodeNotFound, "model %s has no version %s", model, version)
}

// splitShadow takes the shadow versions' evaluations out of a lead's
// evaluations, keeping them for putShadowScores, and returns the active
// models' evaluations, which go on as if no shadow ran.
func (b *batch) splitShadow(evs []*leadscore.Evaluation) []*leadscore.Evaluation {
	sh := b.set.shadow
	if sh == nil {
		return evs
	}
	kept := make([]*leadscore.Evaluation, 0, len(evs))
	for _, ev := range evs {
		if run, ok := sh.runs[ev.Model]; ok {
			b.shadowScores = append(b.shadowScores, shadowScoreOf(run, ev, b))
		} else {
			kept = append(kept, ev)
		}
	}
	return kept
}

func shadowScoreOf(run leadscore.Shadow, ev *leadscore.Evaluation, b *batch) *leadscore.ShadowScore {
	e := *ev
	// The set knows the version under a name of its own; the
	// evaluation names the stored version.
	e.Model, e.Version = run.Model, run.Version
	return &leadscore.ShadowScore{LeadID: ev.LeadID, Model: run.Model, Version: run.Version, StartedAt: run.StartedAt,
		Score: ev.Score, Band: ev.Band, Qualified: ev.Qualified, Disqualified: ev.Disqualified, Evaluation: &e,
		NextChangeAt: ev.NextChangeAt, UpdatedAt: b.now}
}

// putShadowScores writes the shadow scores the batch gathered.
func (b *batch) putShadowScores(ctx context.Context) error {
	if len(b.shadowScores) == 0 {
		return nil
	}
	tx, ok := b.tx.(leadscore.ShadowTx)
	if !ok {
		return leadscore.Errorf(leadscore.CodeInternal, "the store cannot keep shadow scores")
	}
	err := tx.PutShadowScores(ctx, b.shadowScores)
	b.shadowScores = b.shadowScores[:0]
	return err
}

// scoreShadowOnly evaluates leads for one shadow run and stores only its
// scores: the active models' scores, ledger and automation are left as
// they are. It runs in the committer, so it sees the same lead states as
// live scoring.
func (b *batch) scoreShadowOnly(ctx context.Context, ids []string, run leadscore.Shadow) error {
	if !b.scoring() || b.set.shadow == nil {
		return nil
	}
	name := ""
	for n, r := range b.set.shadow.runs {
		if r.Model == run.Model && r.Version == run.Version && r.StartedAt.Equal(run.StartedAt) {
			name = n
		}
	}
	if name == "" {
		return nil
	}
	ids = slices.DeleteFunc(slices.Clone(ids), isAnonymous)
	if len(ids) == 0 {
		return nil
	}
	entries, err := b.loadStates(ctx, ids)
	if err != nil {
		return err
	}
	peers, err := b.readPeers(ctx, entries)
	if err != nil {
		return err
	}
	counted := map[string]bool{}
	for _, id := range ids {
		entry := entries[id]
		if entry == nil {
			continue
		}
		b.setPeers(entry, peers, counted)
		for _, ev := range entry.st.Evaluate(b.now) {
			if ev.Model == name {
				b.shadowScores = append(b.shadowScores, shadowScoreOf(run, ev, b))
			}
		}
	}
	return b.putShadowScores(ctx)
}

// StartShadow runs a stored version of a model in shadow beside its active
// version, replacing the model's running shadow, and scores the stored
// leads with it in the background.
func (s *Service) StartShadow(ctx context.Context, model, version, by string) (*leadscore.Shadow, *leadscore.Job, *leadscore.Shadow, error) {
	if strings.TrimSpace(model) == "" {
		return nil, nil, nil, leadscore.Invalid("name", "say which model")
	}
	if strings.TrimSpace(version) == "" {
		return nil, nil, nil, leadscore.Invalid("version", "say which version runs in shadow")
	}
	if _, err := s.shadowReader(); err != nil {
		return nil, nil, nil, err
	}
	now := s.now().UTC()
	run := &leadscore.Shadow{Model: model, Version: version, StartedAt: now, StartedBy: by}
	job := &leadscore.Job{ID: newID("job"), Kind: jobShadow, State: leadscore.JobQueued, Detail: model + "@" + version,
		CreatedAt: now, UpdatedAt: now}
	run.Job = job.ID
	var replaced *leadscore.Shadow
	err := s.write(ctx, func(ctx context.Context, b *batch) error {
		tx, ok := b.tx.(leadscore.ShadowTx)
		if !ok {
			return leadscore.Errorf(leadscore.CodeInternal, "the store cannot keep shadow scores")
		}
		versions, err := b.tx.ModelVersions(ctx, model)
		if err != nil && leadscore.CodeOf(err) != leadscore.CodeNotFound {
			return err
		}
		var shadow, active *leadscore.ModelVersion
		for i := range versions {
			if versions[i].Version == version {
				shadow = &versions[i]
			}
			if versions[i].Active {
				active = &versions[i]
			}
		}
		switch {
		case shadow == nil:
			return leadscore.Errorf(leadscore.CodeNotFound, "model %s has no version %s", model, version)
		case active == nil:
			return leadscore.Errorf(leadscore.CodeConflict, "model %s has no active version to run a shadow beside; activate one first", model)
		case active.Version == version:
			return leadscore.Errorf(leadscore.CodeConflict, "version %s is the active version of %s; a shadow runs an inactive version", version, model)
		}
		actives, err := b.tx.ActiveModels(ctx)
		if err != nil {
			return err
		}
		specs := []*leadscore.ModelSpec{}
		taken := map[string]bool{}
		for _, v := range actives {
			specs = append(specs, v.Spec)
			taken[v.Name] = true
		}
		spec := *shadow.Spec
		spec.Name = shadowSpecName(model, taken)
		if _, err := scoring.CompileSet(append(specs, &spec), s.scoringOptions()); err != nil {
			return &leadscore.Error{Code: leadscore.CodeConflict, Message: "this version cannot run beside the active models", Err: err}
		}
		prev, err := tx.Shadow(ctx, model)
		switch {
		case err == nil:
			replaced = prev
		case leadscore.CodeOf(err) != leadscore.CodeNotFound:
			return err
		}
		if err := tx.PutShadow(ctx, run); err != nil {
			return err
		}
		if job.Total, err = b.tx.CountLeads(ctx); err != nil {
			return err
		}
		return b.tx.PutJob(ctx, job)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.reloadModels(ctx); err != nil {
		return nil, nil, nil, err
	}
	if replaced != nil {
		s.log.Info("shadow replaced", "model", model, "version", version, "replaced", replaced.Version, "job", job.ID)
	} else {
		s.log.Info("shadow started", "model", model, "version", version, "job", job.ID, "leads", job.Total)
	}
	running, started := *job, *run
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runShadowScoring(&running, started)
	}()
	return run, job, replaced, nil
}

// errShadowGone ends a scoring job whose shadow was stopped or replaced.
var errShadowGone = errors.New("the shadow was stopped or replaced before every lead was scored")

// runShadowScoring scores every stored lead with a shadow version, a page
// per transaction with the job's progress and cursor, as an activation
// does, so that after a restart it continues where it stopped.
func (s *Service) runShadowScoring(job *leadscore.Job, run leadscore.Shadow) {
	done := s.pageJob(job, func(ctx context.Context, ids []string, next *leadscore.Job) error {
		return s.write(ctx, func(ctx context.Context, b *batch) error {
			tx, ok := b.tx.(leadscore.ShadowTx)
			if !ok {
				return leadscore.Errorf(leadscore.CodeInternal, "the store cannot keep shadow scores")
			}
			cur, err := tx.Shadow(ctx, run.Model)
			if leadscore.CodeOf(err) == leadscore.CodeNotFound || (err == nil && !cur.StartedAt.Equal(run.StartedAt)) {
				return errShadowGone
			}
			if err != nil {
				return err
			}
			if err := b.scoreShadowOnly(ctx, ids, run); err != nil {
				return err
			}
			return b.tx.PutJob(ctx, next)
		})
	})
	if done {
		s.log.Info("shadow scoring finished", "model", run.Model, "version", run.Version, "leads", job.Done)
	}
}

// resumeShadowJob continues a shadow-scoring job a stop interrupted, from
// the last page it committed, when its shadow still runs; a job whose
// shadow was stopped or replaced meanwhile is closed as failed.
func (s *Service) resumeShadowJob(ctx context.Context, job *leadscore.Job, model, version string) {
	r, err := s.shadowReader()
	if err != nil {
		s.failJob(job, err)
		return
	}
	run, err := r.Shadow(ctx, model)
	switch {
	case leadscore.CodeOf(err) == leadscore.CodeNotFound || (err == nil && (run.Job != job.ID || run.Version != version)):
		s.failJob(job, fmt.Errorf("interrupted by a restart and %w", errShadowGone))
		return
	case err != nil:
		s.failJob(job, err)
		return
	}
	s.log.Info("resuming shadow scoring", "job", job.ID, "model", job.Detail, "done", job.Done, "total", job.Total)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runShadowScoring(job, *run)
	}()
}

// StopShadow stops a model's shadow and deletes its scores.
func (s *Service) StopShadow(ctx context.Context, model string) error {
	if _, err := s.shadowReader(); err != nil {
		return err
	}
	err := s.write(ctx, func(ctx context.Context, b *batch) error {
		tx, ok := b.tx.(leadscore.ShadowTx)
		if !ok {
			return leadscore.Errorf(leadscore.CodeInternal, "the store cannot keep shadow scores")
		}
		err := tx.DeleteShadow(ctx, model)
		if leadscore.CodeOf(err) == leadscore.CodeNotFound {
			return leadscore.Errorf(leadscore.CodeNotFound, "model %s has no shadow running", model)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.log.Info("shadow stopped", "model", model)
	return s.reloadModels(ctx)
}

// Shadows lists the running shadows.
func (s *Service) Shadows(ctx context.Context) ([]leadscore.Shadow, error) {
	r, err := s.shadowReader()
	if err != nil {
		return nil, err
	}
	return r.Shadows(ctx)
}

// ShadowReport compares a model's active version with its shadow version
// on the leads both scored, using the scores the service stored.
func (s *Service) ShadowReport(ctx context.Context, q analytics.ShadowQuery) (*analytics.ShadowComparison, error) {
	if q.Model == "" {
		return nil, leadscore.Invalid("name", "say which model")
	}
	r, err := s.shadowReader()
	if err != nil {
		return nil, err
	}
	bulk, ok := s.ws.(leadscore.BulkReader)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeInternal, "the store does not support bulk reads")
	}
	auto, err := s.autoReader()
	if err != nil {
		return nil, err
	}
	run, err := r.Shadow(ctx, q.Model)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "model %s has no shadow running; start one first", q.Model)
	}
	if err != nil {
		return nil, err
	}
	versions, err := s.ws.ModelVersions(ctx, q.Model)
	if err != nil {
		return nil, err
	}
	var champion, challenger *leadscore.ModelVersion
	for i := range versions {
		if versions[i].Active {
			champion = &versions[i]
		}
		if versions[i].Version == run.Version {
			challenger = &versions[i]
		}
	}
	switch {
	case challenger == nil:
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "model %s has no version %s", q.Model, run.Version)
	case champion == nil:
		return nil, leadscore.Errorf(leadscore.CodeConflict, "model %s has no active version to compare with", q.Model)
	case champion.Version == run.Version:
		return nil, leadscore.Errorf(leadscore.CodeConflict,
			"version %s of %s was activated after it ran in shadow, so there is nothing to compare; stop the shadow or start another", run.Version, q.Model)
	}
	if q.MaxLeads <= 0 || q.MaxLeads > defaultReportLeads {
		q.MaxLeads = defaultReportLeads
	}
	ctx, cancel := context.WithTimeout(ctx, reportTimeout)
	defer cancel()
	asOf := s.now().UTC()
	var pairs []analytics.ShadowPair
	after := ""
	limited := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "the comparison ran out of time after %d leads; ask for fewer (max_leads)", len(pairs))
		}
		page, err := r.ShadowScores(ctx, q.Model, after, reportPage)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].LeadID
		ids := make([]string, 0, len(page))
		for _, sc := range page {
			if sc.Version == run.Version && sc.StartedAt.Equal(run.StartedAt) {
				ids = append(ids, sc.LeadID)
			}
		}
		champs, err := bulk.ScoreSummariesOf(ctx, ids)
		if err != nil {
			return nil, err
		}
		leads, err := bulk.LeadsByID(ctx, ids)
		if err != nil {
			return nil, err
		}
		outcomes, err := auto.OutcomesOf(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, sc := range page {
			lead := leads[sc.LeadID]
			if lead == nil {
				continue // deleted since
			}
			var champ *leadscore.ScoreRecord
			for i := range champs[sc.LeadID] {
				if c := &champs[sc.LeadID][i]; c.Model == q.Model {
					champ = c
				}
			}
			if champ == nil {
				continue
			}
			if len(pairs) == q.MaxLeads {
				limited = true
				break
			}
			out := analytics.Outcome{}
			switch o := outcomes[sc.LeadID]; {
			case o != nil:
				out = analytics.Outcome{Known: true, Converted: o.Result == leadscore.OutcomeWon, At: o.At}
			case q.LostAfter > 0 && !lead.CreatedAt.IsZero() && lead.CreatedAt.Before(asOf.Add(-q.LostAfter)):
				out.Known = true
			}
			pairs = append(pairs, analytics.ShadowPair{LeadID: sc.LeadID, Created: lead.CreatedAt, Outcome: out,
				Champion:   analytics.ShadowSide{Score: champ.Score, Band: champ.Band, Qualified: champ.Qualified},
				Challenger: analytics.ShadowSide{Score: sc.Score, Band: sc.Band, Qualified: sc.Qualified}})
		}
		if limited || len(page) < reportPage {
			break
		}
	}
	c := analytics.CompareShadow(*run, champion, challenger, pairs, asOf)
	c.Limited = limited
	if q.LostAfter > 0 {
		c.LostAfter = q.LostAfter.String()
	}
	return c, nil
}

// ShadowScore returns a lead's score under its model's running shadow, or
// not_found.
func (s *Service) ShadowScore(ctx context.Context, model, lead string) (*leadscore.ShadowScore, error) {
	r, err := s.shadowReader()
	if err != nil {
		return nil, err
	}
	id, err := s.resolve(ctx, lead)
	if err != nil {
		return nil, err
	}
	run, err := r.Shadow(ctx, model)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "model %s has no shadow running", model)
	}
	if err != nil {
		return nil, err
	}
	got, err := r.ShadowScoresOf(ctx, model, []string{id})
	if err != nil {
		return nil, err
	}
	// A batch committed just as the shadow stopped may have written a
	// score of the run that ended; only the running one's count.
	if sc := got[id]; sc != nil && (sc.Version != run.Version || !sc.StartedAt.Equal(run.StartedAt)) {
		delete(got, id)
	}
	if got[id] == nil {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "lead %s has no shadow score under %s", lead, model)
	}
	return got[id], nil
}
