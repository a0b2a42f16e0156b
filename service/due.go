package service

import (
	"context"
	"time"

	"github.com/leadscore/leadscore"
)

// dueLoop re-evaluates leads whose score changes with time alone (decay
// steps, closing windows, half-lives). The store indexes each score's next
// change, so only leads that are due are read: no table sweeps. Because
// the due time is stored, a restart or a missed tick simply catches up.
func (s *Service) dueLoop() {
	t := time.NewTicker(s.cfg.DueInterval)
	defer t.Stop()
	for {
		s.runDue(context.Background())
		s.retrainDue(context.Background())
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// runDue re-scores every lead due now, a batch per transaction: leads
// whose score changes with time, then leads whose follow-up deadline has
// passed (re-evaluating them is what breaches the SLA). It returns how
// many leads it re-scored.
func (s *Service) runDue(ctx context.Context) int {
	return s.runScoreDue(ctx) + s.runSLADue(ctx)
}

// runSLADue re-evaluates the leads whose follow-up deadline has passed.
// Their stored deadline is the timer, so one that passed while the
// service was down is found on the first run after a restart.
func (s *Service) runSLADue(ctx context.Context) int {
	r, ok := s.ws.(leadscore.AutomationReader)
	if !ok {
		return 0
	}
	total := 0
	first := ""
	for {
		select {
		case <-s.stop:
			return total
		default:
		}
		ids, err := r.SLADueLeads(ctx, s.now().UTC(), s.cfg.DueBatch)
		if err != nil {
			s.log.Warn("listing leads with a passed follow-up deadline", "err", err)
			return total
		}
		// A lead that cannot be re-evaluated (deleted meanwhile) keeps its
		// deadline; seeing the same page twice ends this run.
		if len(ids) == 0 || ids[0] == first {
			return total
		}
		first = ids[0]
		if err := s.submit(ctx, &request{kind: reqRescore, rescore: ids, cause: leadscore.CauseTime, ref: "sla"}); err != nil {
			if err != errShuttingDown {
				s.log.Warn("checking follow-up deadlines", "err", err)
			}
			return total
		}
		total += len(ids)
		if len(ids) < s.cfg.DueBatch {
			return total
		}
	}
}

func (s *Service) runScoreDue(ctx context.Context) int {
	if act := s.active(); act == nil || act.set == nil {
		return 0
	}
	total := 0
	for {
		select {
		case <-s.stop:
			return total
		default:
		}
		ids, err := s.ws.DueLeads(ctx, s.now().UTC(), s.cfg.DueBatch)
		if err != nil {
			s.log.Warn("listing due leads", "err", err)
			return total
		}
		s.cfg.Metrics.DueLeads(len(ids))
		if len(ids) == 0 {
			return total
		}
		if err := s.submit(ctx, &request{kind: reqRescore, rescore: ids, cause: leadscore.CauseTime}); err != nil {
			if err != errShuttingDown {
				s.log.Warn("re-scoring due leads", "err", err)
			}
			return total
		}
		total += len(ids)
		if len(ids) < s.cfg.DueBatch {
			return total
		}
	}
}

// RunDue re-scores the leads that are due now and reports how many; the
// time job calls it on its own, tools and tests call it directly.
func (s *Service) RunDue(ctx context.Context) int { return s.runDue(ctx) }
