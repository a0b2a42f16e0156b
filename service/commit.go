package service

import (
	"context"
	"errors"
	"time"

	"github.com/leadscore/leadscore"
)

type requestKind int

const (
	reqIngest requestKind = iota
	reqLeads
	reqAccounts
	reqRescore
	// reqFunc runs an arbitrary write alone in its transaction, so that its
	// failure cannot fail other requests.
	reqFunc
)

type request struct {
	kind     requestKind
	msgs     []leadscore.Message
	results  []leadscore.IngestResult
	leads    []leadscore.Lead
	accounts []leadscore.Account
	rescore  []string
	cause    leadscore.CauseKind
	ref      string
	// refs, when set, holds each re-scored lead's own cause reference.
	refs []string
	// activity says the re-score is for a change of the leads' accounts'
	// active people, which leaves a lead whose conditions decide as
	// before unevaluated.
	activity bool
	fn       func(ctx context.Context, b *batch) error
	// progress is a job record written in the same transaction.
	progress *leadscore.Job
	done     chan error
}

func (r *request) size() int {
	switch r.kind {
	case reqIngest:
		return len(r.msgs)
	case reqLeads:
		return len(r.leads)
	case reqAccounts:
		return len(r.accounts)
	case reqRescore:
		return len(r.rescore)
	}
	return 1
}

var errShuttingDown = leadscore.Errorf(leadscore.CodeInternal, "the service is shutting down")

// submit hands a request to the committer and waits until it is committed
// (or failed). A cancelled context stops the wait, not the commit: the
// client retries and deduplication makes the retry harmless.
func (s *Service) submit(ctx context.Context, r *request) error {
	r.done = make(chan error, 1)
	select {
	case s.queue <- r:
	case <-s.stop:
		return errShuttingDown
	case <-ctx.Done():
		return ctx.Err()
	}
	s.cfg.Metrics.QueueDepth(len(s.queue))
	select {
	case err := <-r.done:
		return err
	case <-s.loopDone:
		// The committer may have taken r just before exiting.
		select {
		case err := <-r.done:
			return err
		default:
			return errShuttingDown
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) commitLoop() {
	for {
		select {
		case r := <-s.queue:
			s.commitFrom(r)
		case <-s.stop:
			// Commit what is already queued, then stop.
			for {
				select {
				case r := <-s.queue:
					s.commitFrom(r)
				default:
					return
				}
			}
		}
	}
}

// commitFrom commits r together with whatever else is waiting, up to
// MaxBatch messages: one transaction, one fsync, for many requests.
func (s *Service) commitFrom(first *request) {
	if first.kind == reqFunc {
		s.commitGroup([]*request{first})
		return
	}
	group := []*request{first}
	n := first.size()
	var deferred []*request
drain:
	for n < s.cfg.MaxBatch {
		select {
		case r := <-s.queue:
			if r.kind == reqFunc {
				deferred = append(deferred, r)
				continue
			}
			group = append(group, r)
			n += r.size()
		default:
			break drain
		}
	}
	s.commitGroup(group)
	for _, r := range deferred {
		s.commitGroup([]*request{r})
	}
}

func (s *Service) commitGroup(group []*request) {
	ctx := context.Background()
	start := time.Now()
	set := s.active()
	var b *batch
	err := s.ws.Write(ctx, func(tx leadscore.Tx) error {
		var err error
		if b, err = s.newBatch(tx, set); err != nil {
			return err
		}
		for _, r := range group {
			var err error
			switch r.kind {
			case reqIngest:
				err = b.ingest(ctx, r)
			case reqLeads:
				err = b.upsertLeads(ctx, r.leads)
			case reqAccounts:
				err = b.upsertAccounts(ctx, r.accounts)
			case reqRescore:
				for i, id := range r.rescore {
					ref := r.ref
					if r.refs != nil {
						ref = r.refs[i]
					}
					b.touchFor(id, r.cause, ref, r.activity)
				}
				if r.progress != nil {
					b.rescoringAll = true
					err = tx.PutJob(ctx, r.progress)
				}
			case reqFunc:
				err = r.fn(ctx, b)
			}
			if err != nil {
				return err
			}
		}
		return b.scoreTouched(ctx)
	})
	if err != nil {
		// States may hold uncommitted events or attributes: forget them.
		if b != nil {
			for id := range b.stateTouched {
				s.cache.remove(id)
			}
		}
		if !isUserError(err) {
			s.log.Error("commit failed", "requests", len(group), "err", err)
		}
		for _, r := range group {
			r.done <- err
		}
		return
	}
	messages := 0
	for _, r := range group {
		if r.kind == reqIngest {
			messages += len(r.msgs)
			for _, res := range r.results {
				s.cfg.Metrics.EventsIngested(res.Status, 1)
			}
		}
	}
	b.rememberAutomation()
	s.cfg.Metrics.BatchCommitted(messages, time.Since(start))
	if b.enqueued > 0 {
		s.deliver.wake()
	}
	s.followUp(b)
	for _, r := range group {
		r.done <- nil
	}
}

// isUserError tells a request's own mistake from a failure of the system.
func isUserError(err error) bool {
	switch leadscore.CodeOf(err) {
	case leadscore.CodeInvalid, leadscore.CodeNotFound, leadscore.CodeConflict, leadscore.CodeForbidden:
		return true
	}
	return errors.Is(err, context.Canceled)
}

// followUp re-scores, in later transactions, the leads a committed batch
// affected indirectly: the people of accounts whose facts or activity
// changed. It never blocks the committer.
func (s *Service) followUp(b *batch) {
	// Accounts whose number of active people changed, and no fact: their
	// people are re-scored only where a condition decides differently.
	activityOnly := map[string]bool{}
	for a, n := range b.activeChanged {
		// An account not seen since start re-scores once when others are
		// active too: their scores may predate a restart. Not while a job
		// re-scores every lead: it reaches the account's other people
		// itself, with the same count.
		_, seen := s.activeCount[a]
		if (seen || (n > 1 && !b.rescoringAll)) && !b.accountsChanged[a] {
			activityOnly[a] = true
		}
		s.activeCount[a] = n
	}
	if len(b.accountsChanged) == 0 && len(activityOnly) == 0 {
		return
	}
	changed := make([]string, 0, len(b.accountsChanged))
	for a := range b.accountsChanged {
		changed = append(changed, a)
	}
	active := make([]string, 0, len(activityOnly))
	for a := range activityOnly {
		active = append(active, a)
	}
	s.wg.Add(1)
	s.followUps.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.followUps.Done()
		if s.rescoreAccounts(changed, false) {
			s.rescoreAccounts(active, true)
		}
	}()
}

// rescoreAccounts re-scores the people of accounts, one request per
// RescoreBatch leads whatever accounts they come from (a request per
// account would cost a transaction each); activity marks the re-score as
// one for a change of active people. It reports false when the service
// stopped.
func (s *Service) rescoreAccounts(accounts []string, activity bool) bool {
	ctx := context.Background()
	var ids []string
	var refs []string
	flush := func() bool {
		for len(ids) > 0 {
			n := min(len(ids), s.cfg.RescoreBatch)
			err := s.submit(ctx, &request{kind: reqRescore, rescore: ids[:n], refs: refs[:n], cause: leadscore.CauseAttribute, activity: activity})
			if err != nil {
				if !errors.Is(err, errShuttingDown) {
					s.log.Warn("re-scoring an account's people", "err", err)
				}
				return false
			}
			ids, refs = ids[n:], refs[n:]
		}
		return true
	}
	for _, a := range accounts {
		people, err := s.ws.AccountLeads(ctx, a)
		if err != nil {
			s.log.Warn("re-scoring an account's people", "account", a, "err", err)
			continue
		}
		for _, p := range people {
			ids = append(ids, p.ID)
			refs = append(refs, "account "+a)
		}
		if len(ids) >= s.cfg.RescoreBatch && !flush() {
			return false
		}
	}
	return flush()
}
