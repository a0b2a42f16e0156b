package service

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

// Ingest validates messages, then commits the valid ones with their score
// effects. A message that fails validation is rejected alone.
func (s *Service) Ingest(ctx context.Context, msgs []leadscore.Message) ([]leadscore.IngestResult, error) {
	results := make([]leadscore.IngestResult, len(msgs))
	valid := 0
	for i := range msgs {
		results[i].MessageID = msgs[i].MessageID
		if err := validateMessage(&msgs[i]); err != nil {
			results[i].Status = leadscore.IngestRejected
			results[i].Error = err.Error()
			s.cfg.Metrics.EventsIngested(leadscore.IngestRejected, 1)
			continue
		}
		valid++
	}
	if valid == 0 {
		return results, nil
	}
	if err := s.submit(ctx, &request{kind: reqIngest, msgs: msgs, results: results}); err != nil {
		return nil, err
	}
	return results, nil
}

func validateMessage(m *leadscore.Message) error {
	if m.MessageID == "" {
		return leadscore.Invalid("messageId", "a message needs an id")
	}
	if m.Timestamp.IsZero() {
		return leadscore.Invalid("timestamp", "a message needs a time")
	}
	switch m.Kind {
	case leadscore.MsgTrack:
		if strings.TrimSpace(m.Event) == "" {
			return leadscore.Invalid("event", "a track call needs an event name")
		}
	case leadscore.MsgIdentify, leadscore.MsgPage, leadscore.MsgScreen:
	case leadscore.MsgGroup:
		if m.GroupID == "" {
			return leadscore.Invalid("groupId", "a group call needs a groupId")
		}
	case leadscore.MsgAlias:
		if m.PreviousID == "" || m.UserID == "" {
			return leadscore.Invalid("previousId", "an alias call needs previousId and userId")
		}
		return nil
	default:
		return leadscore.Invalid("type", "unknown message type %q", m.Kind)
	}
	if m.UserID == "" && m.AnonymousID == "" && messageEmail(m) == "" {
		return leadscore.Invalid("userId", "a message needs a userId, an anonymousId or an email")
	}
	return nil
}

// messageEmail is the email a message names its lead by, when it has no
// user id: native events may name the lead by email alone.
func messageEmail(m *leadscore.Message) string {
	email, _ := m.Traits["email"].(string)
	return strings.TrimSpace(email)
}

// UpsertLeads stores leads (created or updated) and re-scores them.
func (s *Service) UpsertLeads(ctx context.Context, leads []leadscore.Lead) error {
	var probs leadscore.Problems
	for i, l := range leads {
		if strings.TrimSpace(l.ID) == "" && strings.TrimSpace(l.Email) == "" {
			probs = append(probs, leadscore.Invalid(fieldAt("leads", i, "id"), "a lead needs an id or an email"))
		}
	}
	if err := probs.Err(); err != nil {
		return &leadscore.Error{Code: leadscore.CodeInvalid, Message: "some leads are invalid; none was stored", Err: err}
	}
	return s.submit(ctx, &request{kind: reqLeads, leads: leads})
}

// UpsertAccounts stores accounts and re-scores their people.
func (s *Service) UpsertAccounts(ctx context.Context, accounts []leadscore.Account) error {
	var probs leadscore.Problems
	for i, a := range accounts {
		if strings.TrimSpace(a.ID) == "" && strings.TrimSpace(a.Domain) == "" {
			probs = append(probs, leadscore.Invalid(fieldAt("accounts", i, "id"), "an account needs an id or a domain"))
		}
	}
	if err := probs.Err(); err != nil {
		return &leadscore.Error{Code: leadscore.CodeInvalid, Message: "some accounts are invalid; none was stored", Err: err}
	}
	return s.submit(ctx, &request{kind: reqAccounts, accounts: accounts})
}

func fieldAt(list string, i int, field string) string {
	return list + "[" + strconv.Itoa(i) + "]." + field
}

// GetLead returns a lead with its account and current scores.
func (s *Service) GetLead(ctx context.Context, id string) (*leadscore.LeadView, error) {
	lead, err := s.resolveLead(ctx, id)
	if err != nil {
		return nil, err
	}
	id = lead.ID
	v := &leadscore.LeadView{Lead: *lead}
	if lead.AccountID != "" {
		if a, err := s.ws.Account(ctx, lead.AccountID); err == nil {
			v.Account = a
		} else if leadscore.CodeOf(err) != leadscore.CodeNotFound {
			return nil, err
		}
	}
	if v.Scores, err = s.ws.Scores(ctx, id); err != nil {
		return nil, err
	}
	if v.Scores == nil {
		v.Scores = []leadscore.ScoreRecord{}
	}
	if _, ok := s.ws.(leadscore.AutomationReader); ok {
		if v.Automation, err = s.automationView(ctx, id); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// resolve accepts a lead id, an email or a user id.
func (s *Service) resolve(ctx context.Context, key string) (string, error) {
	if _, err := s.ws.Lead(ctx, key); err == nil {
		return key, nil
	} else if leadscore.CodeOf(err) != leadscore.CodeNotFound {
		return "", err
	}
	return s.resolveAlias(ctx, key)
}

// resolveLead is resolve for a caller that wants the lead itself: a lead
// named by its id, the common case, costs one read instead of two.
func (s *Service) resolveLead(ctx context.Context, key string) (*leadscore.Lead, error) {
	if l, err := s.ws.Lead(ctx, key); err == nil || leadscore.CodeOf(err) != leadscore.CodeNotFound {
		return l, err
	}
	id, err := s.resolveAlias(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.ws.Lead(ctx, id)
}

func (s *Service) resolveAlias(ctx context.Context, key string) (string, error) {
	for _, alias := range []string{userAlias(key), emailAlias(key)} {
		if id, err := s.ws.LeadByAlias(ctx, alias); err == nil {
			return id, nil
		} else if leadscore.CodeOf(err) != leadscore.CodeNotFound {
			return "", err
		}
	}
	return "", leadscore.Errorf(leadscore.CodeNotFound, "no lead %q", key)
}

func (s *Service) LeadEvents(ctx context.Context, id string, limit int) ([]leadscore.StoredEvent, error) {
	id, err := s.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.ws.Events(ctx, id, limit)
}

func (s *Service) LeadHistory(ctx context.Context, id, model string, after int64, limit int) ([]leadscore.LedgerEntry, error) {
	id, err := s.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.ws.Ledger(ctx, id, model, after, limit)
}

func (s *Service) LeadHistoryTail(ctx context.Context, id, model string, limit int) ([]leadscore.LedgerEntry, int, error) {
	id, err := s.resolve(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	return s.ws.LedgerTail(ctx, id, model, limit)
}

// ScoreAsOf evaluates a lead from its stored history as of t: what its score
// was (or would have been under another model version) on that date.
func (s *Service) ScoreAsOf(ctx context.Context, id string, t time.Time, model, version string) ([]*leadscore.Evaluation, error) {
	id, err := s.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	set, err := s.setFor(ctx, model, version)
	if err != nil {
		return nil, err
	}
	in, err := loadInput(ctx, s.ws, id, t)
	if err != nil {
		return nil, err
	}
	evs := set.Evaluate(in, t)
	if model == "" {
		return evs, nil
	}
	for _, ev := range evs {
		if ev.Model == model {
			return []*leadscore.Evaluation{ev}, nil
		}
	}
	return nil, leadscore.Errorf(leadscore.CodeNotFound, "no active model %q", model)
}

// setFor is the active set, or the active set with one model replaced by a
// given version.
func (s *Service) setFor(ctx context.Context, model, version string) (*scoring.Set, error) {
	act := s.active()
	if version == "" {
		if act == nil || act.set == nil {
			return nil, leadscore.Errorf(leadscore.CodeConflict, "no model is active; upload and activate one first")
		}
		return act.set, nil
	}
	if model == "" {
		return nil, leadscore.Invalid("model", "a version needs its model name")
	}
	versions, err := s.ws.ModelVersions(ctx, model)
	if err != nil {
		return nil, err
	}
	var specs []*leadscore.ModelSpec
	found := false
	for _, v := range versions {
		if v.Version == version {
			specs = append(specs, v.Spec)
			found = true
		}
	}
	if !found {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "model %s has no version %s", model, version)
	}
	actives, err := s.ws.ActiveModels(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range actives {
		if v.Name != model {
			specs = append(specs, v.Spec)
		}
	}
	return scoring.CompileSet(specs, s.scoringOptions())
}

func (s *Service) ListLeads(ctx context.Context, f leadscore.LeadFilter) ([]leadscore.LeadRow, string, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = min(max(f.Limit, 50), 1000)
	}
	return s.ws.ListLeads(ctx, f)
}

// GetAccount returns an account with its people, its account score per
// model and its active people. Each person carries their best score
// without its explanation: an account may have thousands of people, and
// the lead itself has the explanation.
func (s *Service) GetAccount(ctx context.Context, id string) (*leadscore.AccountView, error) {
	a, err := s.ws.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	people, err := s.ws.AccountLeads(ctx, id)
	if err != nil {
		return nil, err
	}
	scoresOf, err := s.scoreSummaries(ctx, people)
	if err != nil {
		return nil, err
	}
	v := &leadscore.AccountView{Account: *a, AccountScores: map[string]float64{}, People: []leadscore.LeadRow{}}
	byModel := map[string][]float64{}
	for _, p := range people {
		scores := scoresOf[p.ID]
		row := leadscore.LeadRow{Lead: p}
		for i := range scores {
			scores[i].Evaluation = nil
			byModel[scores[i].Model] = append(byModel[scores[i].Model], scores[i].Score)
			if row.Score == nil || scores[i].Score > row.Score.Score {
				row.Score = &scores[i]
			}
		}
		v.People = append(v.People, row)
	}
	if act := s.active(); act != nil && act.set != nil {
		for name, scores := range byModel {
			if m, ok := act.set.Model(name); ok {
				v.AccountScores[name] = scoring.AccountScoreOf(m.Spec().AccountScore, scores)
			}
		}
		window := act.stakeWindow
		if window == 0 {
			window = 30 * 24 * time.Hour
		}
		active, err := s.ws.Peers(ctx, id, "", s.now().Add(-window))
		if err != nil {
			return nil, err
		}
		v.ActivePeople = len(active)
	}
	return v, nil
}

// scoreSummaries reads the scores of people. A store that reads in bulk
// does it in a few statements, without decoding the explanations; any
// other is asked lead by lead.
func (s *Service) scoreSummaries(ctx context.Context, people []leadscore.Lead) (map[string][]leadscore.ScoreRecord, error) {
	ids := make([]string, len(people))
	for i := range people {
		ids[i] = people[i].ID
	}
	if bulk, ok := s.ws.(leadscore.BulkReader); ok {
		return bulk.ScoreSummariesOf(ctx, ids)
	}
	out := make(map[string][]leadscore.ScoreRecord, len(ids))
	for _, id := range ids {
		scores, err := s.ws.Scores(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = scores
	}
	return out, nil
}

func (s *Service) AccountLists(ctx context.Context) ([]leadscore.AccountList, error) {
	return s.ws.AccountLists(ctx)
}

// Account list changes alter account.priority and account.lists, so the
// people of the accounts concerned are re-scored.
func (s *Service) PutAccountList(ctx context.Context, l leadscore.AccountList) error {
	if strings.TrimSpace(l.Name) == "" {
		return leadscore.Invalid("name", "a list needs a name")
	}
	return s.write(ctx, func(ctx context.Context, b *batch) error {
		if err := b.tx.PutAccountList(ctx, l); err != nil {
			return err
		}
		return b.listMembersChanged(ctx, l.Domains)
	})
}

func (s *Service) AddToAccountList(ctx context.Context, list string, domains []string) error {
	return s.write(ctx, func(ctx context.Context, b *batch) error {
		if err := b.tx.AddToAccountList(ctx, list, domains); err != nil {
			return err
		}
		return b.listMembersChanged(ctx, domains)
	})
}

func (s *Service) RemoveFromAccountList(ctx context.Context, list string, domains []string) error {
	return s.write(ctx, func(ctx context.Context, b *batch) error {
		if err := b.tx.RemoveFromAccountList(ctx, list, domains); err != nil {
			return err
		}
		return b.listMembersChanged(ctx, domains)
	})
}

func (s *Service) DeleteAccountList(ctx context.Context, name string) error {
	return s.write(ctx, func(ctx context.Context, b *batch) error {
		lists, err := b.tx.AccountLists(ctx)
		if err != nil {
			return err
		}
		var domains []string
		for _, l := range lists {
			if l.Name == name {
				domains = l.Domains
			}
		}
		if err := b.tx.DeleteAccountList(ctx, name); err != nil {
			return err
		}
		return b.listMembersChanged(ctx, domains)
	})
}

func (b *batch) listMembersChanged(_ context.Context, domains []string) error {
	for _, d := range domains {
		b.accountsChanged[d] = true
		b.s.cache.removeAccount(d)
	}
	return nil
}

// write runs fn alone in a transaction on the committer.
func (s *Service) write(ctx context.Context, fn func(context.Context, *batch) error) error {
	return s.submit(ctx, &request{kind: reqFunc, fn: fn})
}
