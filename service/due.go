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
	n, _ := s.drainDue(ctx, "leads with a passed follow-up deadline", func() ([]string, error) {
		return r.SLADueLeads(ctx, s.now().UTC(), s.cfg.DueBatch)
	}, func(ids []string) error {
		return s.submit(ctx, &request{kind: reqRescore, rescore: ids, cause: leadscore.CauseTime, ref: "sla"})
	})
	return n
}

func (s *Service) runScoreDue(ctx context.Context) int {
	if act := s.active(); act == nil || act.set == nil {
		return 0
	}
	n, _ := s.drainDue(ctx, "due leads", func() ([]string, error) {
		ids, err := s.ws.DueLeads(ctx, s.now().UTC(), s.cfg.DueBatch)
		if err == nil {
			s.cfg.Metrics.DueLeads(len(ids))
		}
		return ids, err
	}, func(ids []string) error {
		return s.submit(ctx, &request{kind: reqRescore, rescore: ids, cause: leadscore.CauseTime})
	})
	return n
}

// drainDue re-scores, a page of at most DueBatch per call of rescore, the
// leads list says are due, until none are. A page that starts with the
// lead the previous one started with holds a lead that cannot be
// re-evaluated (deleted meanwhile) and stays due: the run ends there
// rather than loop, and the next tick tries again. It returns how many
// leads it re-scored and false when the service is stopping or a write
// failed, so that the caller does no more this tick.
func (s *Service) drainDue(ctx context.Context, what string, list func() ([]string, error), rescore func(ids []string) error) (int, bool) {
	total := 0
	first := ""
	for {
		select {
		case <-s.stop:
			return total, false
		default:
		}
		ids, err := list()
		if err != nil {
			s.log.Warn("listing "+what, "err", err)
			return total, true
		}
		if len(ids) == 0 || ids[0] == first {
			return total, true
		}
		first = ids[0]
		if err := rescore(ids); err != nil {
			if err != errShuttingDown {
				s.log.Warn("re-scoring "+what, "err", err)
			}
			return total, false
		}
		total += len(ids)
		if len(ids) < s.cfg.DueBatch {
			return total, true
		}
	}
}

// RunDue re-scores the leads that are due now and reports how many; the
// time job calls it on its own, tools and tests call it directly.
func (s *Service) RunDue(ctx context.Context) int { return s.runDue(ctx) }
