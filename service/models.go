package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/scoring"
)

// reloadModels compiles the active model versions and swaps them in. The
// lead-state cache follows the swap: states carry the generation they were
// built for.
func (s *Service) reloadModels(ctx context.Context) error {
	actives, err := s.ws.ActiveModels(ctx)
	if err != nil {
		return err
	}
	set, window, err := s.compileActive(actives)
	if err != nil {
		return err
	}
	shadow := s.loadShadows(ctx, actives)
	gen := uint64(1)
	if prev := s.active(); prev != nil {
		gen = prev.gen + 1
	}
	versions := map[string]string{}
	mql := map[string]*float64{}
	for _, v := range actives {
		versions[v.Name] = v.Version
		if v.Spec != nil {
			mql[v.Name] = v.Spec.MQL
		}
	}
	if len(actives) == 0 {
		set = nil
	}
	s.models.Store(&activeSet{set: set, versions: versions, stakeWindow: window, gen: gen,
		usesActivity: set != nil && set.UsesAccountActivity(), mql: mql, shadow: shadow})
	return nil
}

func (s *Service) compileActive(actives []leadscore.ModelVersion) (*scoring.Set, time.Duration, error) {
	if len(actives) == 0 {
		return nil, 0, nil
	}
	specs := make([]*leadscore.ModelSpec, 0, len(actives))
	var window time.Duration
	for _, v := range actives {
		specs = append(specs, v.Spec)
		w := v.Spec.Signals.StakeholderWindow.Std()
		if w == 0 {
			w = 30 * 24 * time.Hour
		}
		window = max(window, w)
	}
	set, err := scoring.CompileSet(specs, s.scoringOptions())
	if err != nil {
		return nil, 0, err
	}
	return set, window, nil
}

// scoringOptions are the options every model set of the service is
// compiled with.
func (s *Service) scoringOptions() scoring.Options {
	return scoring.Options{Checker: s.check, LoadPredictor: s.cfg.LoadPredictor}
}

// predictiveVersion makes a predictive model's version name its trained
// artefact too: the same YAML over a retrained artefact scores
// differently, so it must be another version. A bad or missing artefact
// is refused here, at upload, rather than at activation.
func (s *Service) predictiveVersion(spec *leadscore.ModelSpec, version string) (string, error) {
	if spec.Kind != leadscore.KindPredictive {
		return version, nil
	}
	if s.cfg.LoadPredictor == nil {
		return "", leadscore.Invalid("artifact", "this server cannot load predictive models")
	}
	p, err := s.cfg.LoadPredictor(spec.Artifact)
	if err != nil {
		return "", leadscore.Invalid("artifact", "%s: %v", spec.Artifact, err)
	}
	sum := sha256.Sum256([]byte(version + "\x00" + p.Version()))
	return hex.EncodeToString(sum[:])[:len(version)], nil
}

// UploadModel validates a model file and stores each of its models as a
// new inactive version. Uploading the same content again changes nothing.
func (s *Service) UploadModel(ctx context.Context, filename string, source []byte, by string) (*leadscore.UploadResult, error) {
	if filename == "" {
		filename = "model.yaml"
	}
	res := modelfile.Parse(filename, source)
	out := &leadscore.UploadResult{}
	for _, d := range res.Diagnostics {
		out.Diagnostics = append(out.Diagnostics, leadscore.Diagnostic{Line: d.Line, Column: d.Column, Severity: string(d.Severity), Field: d.Field, Message: d.Message})
	}
	if res.HasErrors() {
		return out, &leadscore.Error{Code: leadscore.CodeInvalid, Message: fmt.Sprintf("the model file has %d errors", len(res.Errors()))}
	}
	if len(res.Specs) == 0 {
		return out, leadscore.Invalid("body", "the file defines no model")
	}
	now := s.now().UTC()
	for i, spec := range res.Specs {
		// A stored artefact named without a version is pinned to the
		// current one now, so that a later retraining never changes what
		// an uploaded version scores with.
		if err := s.pinStoreArtifact(ctx, spec); err != nil {
			return out, err
		}
		version, err := s.predictiveVersion(spec, res.Sources[i].Version)
		if err != nil {
			return out, err
		}
		out.Versions = append(out.Versions, leadscore.ModelVersion{Name: spec.Name, Version: version,
			Source: string(source), Spec: spec, CreatedAt: now, CreatedBy: by})
	}
	err := s.write(ctx, func(ctx context.Context, b *batch) error {
		for i := range out.Versions {
			v := &out.Versions[i]
			existing, err := b.tx.ModelVersions(ctx, v.Name)
			if err != nil && leadscore.CodeOf(err) != leadscore.CodeNotFound {
				return err
			}
			known := false
			for _, e := range existing {
				if e.Version == v.Version {
					*v, known = e, true
				}
			}
			if !known {
				if err := b.tx.PutModelVersion(ctx, v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) ModelVersions(ctx context.Context, name string) ([]leadscore.ModelVersion, error) {
	return s.ws.ModelVersions(ctx, name)
}

func (s *Service) ActiveModels(ctx context.Context) ([]leadscore.ModelVersion, error) {
	return s.ws.ActiveModels(ctx)
}

func (s *Service) Job(ctx context.Context, id string) (*leadscore.Job, error) {
	return s.ws.Job(ctx, id)
}

const jobActivate = "activate-model"

// ActivateModel makes a version active, then re-scores every lead in the
// background. New events are scored by the new version at once; stored
// scores are replaced lead by lead and stay readable meanwhile. Each
// re-scored lead's ledger records the model change.
func (s *Service) ActivateModel(ctx context.Context, name, version string) (*leadscore.Job, error) {
	now := s.now().UTC()
	job := &leadscore.Job{ID: newID("job"), Kind: jobActivate, State: leadscore.JobQueued,
		Detail: name + "@" + version, CreatedAt: now, UpdatedAt: now}
	err := s.write(ctx, func(ctx context.Context, b *batch) error {
		versions, err := b.tx.ModelVersions(ctx, name)
		if err != nil {
			return err
		}
		found := false
		for _, v := range versions {
			found = found || v.Version == version
		}
		if !found {
			return leadscore.Errorf(leadscore.CodeNotFound, "model %s has no version %s", name, version)
		}
		if err := b.tx.ActivateModel(ctx, name, version); err != nil {
			return err
		}
		actives, err := b.tx.ActiveModels(ctx)
		if err != nil {
			return err
		}
		if _, _, err := s.compileActive(actives); err != nil {
			// A combined model whose part is not active, say: refuse rather
			// than leave the service without a working set.
			return &leadscore.Error{Code: leadscore.CodeConflict, Message: "activating this version leaves the active models inconsistent", Err: err}
		}
		if job.Total, err = b.tx.CountLeads(ctx); err != nil {
			return err
		}
		if err := b.announce(ctx, automation.ModelActivation(name, version, "", b.now)); err != nil {
			return err
		}
		return b.tx.PutJob(ctx, job)
	})
	if err != nil {
		return nil, err
	}
	if err := s.reloadModels(ctx); err != nil {
		return nil, err
	}
	s.log.Info("model activated", "model", name, "version", version, "job", job.ID, "leads", job.Total)
	running := *job // the runner's own copy; the caller gets job
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runActivation(&running, name, version)
	}()
	return job, nil
}

// runActivation re-scores every lead in pages, each page one transaction
// that also records the job's progress and how far it got, from which a
// job interrupted by a restart continues.
func (s *Service) runActivation(job *leadscore.Job, name, version string) {
	ref := name + "@" + version
	done := s.pageJob(job, func(ctx context.Context, ids []string, next *leadscore.Job) error {
		return s.submit(ctx, &request{kind: reqRescore, rescore: ids, cause: leadscore.CauseModel, ref: ref, progress: next})
	})
	if done {
		s.log.Info("model re-scoring finished", "model", ref, "leads", job.Done)
	}
}

// pageJob walks every stored lead in id order, a page at a time from the
// job's cursor, and hands commit each page with the job as it stands after
// it: commit must write both in one transaction, so the progress shown is
// exactly what is done and a restart continues from the last page. A stop
// of the service leaves the job to be resumed; an error fails it. It
// reports whether the job finished.
func (s *Service) pageJob(job *leadscore.Job, commit func(ctx context.Context, ids []string, next *leadscore.Job) error) bool {
	ctx := context.Background()
	job.State = leadscore.JobRunning
	after := job.Cursor
	for {
		select {
		case <-s.stop:
			return false
		default:
		}
		ids, err := s.ws.LeadIDs(ctx, after, s.cfg.RescoreBatch)
		if err != nil {
			s.failJob(job, err)
			return false
		}
		done := len(ids) < s.cfg.RescoreBatch
		if len(ids) > 0 {
			after = ids[len(ids)-1]
		}
		next := *job
		next.Done += int64(len(ids))
		next.Cursor = after
		next.UpdatedAt = s.now().UTC()
		if done {
			next.State = leadscore.JobSucceeded
		}
		if err := commit(ctx, ids, &next); err != nil {
			if err != errShuttingDown {
				s.failJob(job, err)
			}
			return false
		}
		*job = next
		if done {
			return true
		}
	}
}

func (s *Service) failJob(job *leadscore.Job, cause error) {
	s.log.Error("job failed", "job", job.ID, "err", cause)
	job.State, job.Error, job.UpdatedAt = leadscore.JobFailed, cause.Error(), s.now().UTC()
	_ = s.write(context.Background(), func(ctx context.Context, b *batch) error { return b.tx.PutJob(ctx, job) })
}

// resumeJobs continues the activation and shadow-scoring jobs a stop
// interrupted, from the last page they committed. A job whose version is
// no longer the active one was superseded by a later activation, which
// re-scores every lead itself: it is closed as failed, saying so.
func (s *Service) resumeJobs(ctx context.Context) error {
	jobs, err := s.ws.UnfinishedJobs(ctx)
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		return nil
	}
	active, err := s.ws.ActiveModels(ctx)
	if err != nil {
		return err
	}
	isActive := map[string]bool{}
	for _, v := range active {
		isActive[v.Name+"@"+v.Version] = true
	}
	for i := range jobs {
		job := jobs[i]
		name, version, ok := strings.Cut(job.Detail, "@")
		if job.Kind == jobShadow && ok {
			s.resumeShadowJob(ctx, &job, name, version)
			continue
		}
		switch {
		case job.Kind != jobActivate || !ok:
			s.failJob(&job, fmt.Errorf("interrupted by a restart; %s jobs are not resumed", job.Kind))
		case !isActive[job.Detail]:
			s.failJob(&job, fmt.Errorf("interrupted by a restart and superseded: %s is no longer the active version of %s", version, name))
		default:
			s.log.Info("resuming model re-scoring", "job", job.ID, "model", job.Detail, "done", job.Done, "total", job.Total)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.runActivation(&job, name, version)
			}()
		}
	}
	return nil
}

func newID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}
