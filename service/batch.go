package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/scoring"
)

// batch is the working set of one transaction.
type batch struct {
	s   *Service
	tx  leadscore.Tx
	set *activeSet
	now time.Time
	// touched are the leads to re-evaluate before commit, with the cause
	// the ledger will record; order keeps evaluation deterministic.
	touched map[string]touch
	order   []string
	// stale leads must have their state rebuilt: their attributes changed.
	stale map[string]bool
	// stateTouched are leads whose cached state this batch changed, to be
	// forgotten if the transaction fails.
	stateTouched    map[string]bool
	accountsChanged map[string]bool
}

type touch struct {
	cause  leadscore.CauseKind
	ref    string
	events int
}

func (s *Service) newBatch(tx leadscore.Tx, set *activeSet) *batch {
	return &batch{s: s, tx: tx, set: set, now: s.now().UTC(), touched: map[string]touch{}, stale: map[string]bool{},
		stateTouched: map[string]bool{}, accountsChanged: map[string]bool{}}
}

// causeRank orders causes when several touch one lead in a batch: the
// ledger names the most telling one.
var causeRank = map[leadscore.CauseKind]int{
	leadscore.CauseTime: 1, leadscore.CauseRescore: 2, leadscore.CauseEvent: 3, leadscore.CauseAttribute: 4,
	leadscore.CauseModel: 5, leadscore.CauseMerge: 6,
}

// scoring reports whether any model is active; without one, data is stored
// and scored once a model is activated.
func (b *batch) scoring() bool { return b.set != nil && b.set.set != nil }

func (b *batch) touch(lead string, cause leadscore.CauseKind, ref string) {
	t, seen := b.touched[lead]
	if !seen {
		b.order = append(b.order, lead)
	}
	if cause == leadscore.CauseEvent {
		t.events++
	}
	if !seen || causeRank[cause] >= causeRank[t.cause] {
		t.cause, t.ref = cause, ref
	}
	b.touched[lead] = t
}

func (b *batch) invalidate(lead string) {
	b.stale[lead] = true
	b.s.cache.remove(lead)
}

const anonPrefix = "anon:"

func isAnonymous(id string) bool { return strings.HasPrefix(id, anonPrefix) }

// Aliases are namespaced so that a user id can never collide with an
// anonymous id or an email.
func userAlias(id string) string { return "user:" + id }
func emailAlias(e string) string { return "email:" + ingest.NormalizeEmail(e) }
func anonAlias(id string) string { return "anon:" + id }

// alias resolves an alias to a lead id, "" when unknown.
func (b *batch) alias(ctx context.Context, alias string) (string, error) {
	id, err := b.tx.LeadByAlias(ctx, alias)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		return "", nil
	}
	return id, err
}

func (b *batch) ingest(ctx context.Context, r *request) error {
	for i := range r.msgs {
		if r.results[i].Status == leadscore.IngestRejected {
			continue
		}
		m := &r.msgs[i]
		var lead string
		var err error
		status := leadscore.IngestAccepted
		switch m.Kind {
		case leadscore.MsgIdentify:
			lead, err = b.identify(ctx, m)
		case leadscore.MsgGroup:
			lead, err = b.group(ctx, m)
		case leadscore.MsgAlias:
			lead, err = b.aliasMsg(ctx, m)
		default:
			var inserted bool
			lead, inserted, err = b.event(ctx, m)
			if err == nil && !inserted {
				status = leadscore.IngestDuplicate
			}
		}
		if err != nil {
			return fmt.Errorf("message %s: %w", m.MessageID, err)
		}
		r.results[i].Status = status
		r.results[i].LeadID = lead
	}
	return nil
}

// leadFor finds or creates the lead an event belongs to: the known lead of
// its user id, else of its email, else of its anonymous id, else a new lead
// (known when there is a user id or an email, anonymous otherwise).
func (b *batch) leadFor(ctx context.Context, m *leadscore.Message) (string, error) {
	if m.UserID != "" {
		id, err := b.alias(ctx, userAlias(m.UserID))
		if err != nil || id != "" {
			return id, err
		}
		if err := b.createLead(ctx, &leadscore.Lead{ID: m.UserID, CreatedAt: m.Timestamp}); err != nil {
			return "", err
		}
		if err := b.tx.AddAlias(ctx, userAlias(m.UserID), m.UserID); err != nil {
			return "", err
		}
		if m.AnonymousID != "" {
			if err := b.mergeAnonymous(ctx, m.AnonymousID, m.UserID); err != nil {
				return "", err
			}
		}
		return m.UserID, nil
	}
	if email := messageEmail(m); email != "" {
		id, err := b.alias(ctx, emailAlias(email))
		if err != nil || id != "" {
			return id, err
		}
		id = ingest.NormalizeEmail(email)
		lead := &leadscore.Lead{ID: id, Email: email, CreatedAt: m.Timestamp}
		if err := b.attachAccount(ctx, lead, nil); err != nil {
			return "", err
		}
		if err := b.createLead(ctx, lead); err != nil {
			return "", err
		}
		if err := b.tx.AddAlias(ctx, emailAlias(email), id); err != nil {
			return "", err
		}
		if m.AnonymousID != "" {
			if err := b.mergeAnonymous(ctx, m.AnonymousID, id); err != nil {
				return "", err
			}
		}
		return id, nil
	}
	id, err := b.alias(ctx, anonAlias(m.AnonymousID))
	if err != nil || id != "" {
		return id, err
	}
	id = anonPrefix + m.AnonymousID
	if err := b.createLead(ctx, &leadscore.Lead{ID: id, CreatedAt: m.Timestamp}); err != nil {
		return "", err
	}
	return id, b.tx.AddAlias(ctx, anonAlias(m.AnonymousID), id)
}

func (b *batch) createLead(ctx context.Context, l *leadscore.Lead) error {
	if l.CreatedAt.IsZero() || l.CreatedAt.After(b.now) {
		l.CreatedAt = b.now
	}
	return b.tx.UpsertLead(ctx, l)
}

// mergeAnonymous moves an anonymous visitor's history into a known lead:
// page views before the form fill count for the person who filled it.
func (b *batch) mergeAnonymous(ctx context.Context, anonymousID, lead string) error {
	from, err := b.alias(ctx, anonAlias(anonymousID))
	if err != nil {
		return err
	}
	if from != "" && from != lead && isAnonymous(from) {
		if _, err := b.tx.MoveEvents(ctx, from, lead); err != nil {
			return err
		}
		if err := b.tx.DeleteLead(ctx, from); err != nil && leadscore.CodeOf(err) != leadscore.CodeNotFound {
			return err
		}
		b.s.cache.remove(from)
		b.invalidate(lead)
		b.touch(lead, leadscore.CauseMerge, anonymousID)
	}
	return b.tx.AddAlias(ctx, anonAlias(anonymousID), lead)
}

// event stores a track, page or screen message as an event of its lead.
func (b *batch) event(ctx context.Context, m *leadscore.Message) (string, bool, error) {
	lead, err := b.leadFor(ctx, m)
	if err != nil {
		return "", false, err
	}
	ev := leadscore.StoredEvent{
		Event: leadscore.Event{ID: m.MessageID, LeadID: lead, Type: eventType(m), At: m.Timestamp.UTC(),
			Properties: eventProperties(m), Source: m.Source, UserAgent: m.UserAgent},
		MessageID: m.MessageID, ReceivedAt: m.ReceivedAt.UTC(), AnonymousID: m.AnonymousID,
	}
	if b.s.isBotAgent(m.UserAgent) {
		ev.Bot, ev.BotReason = true, "user agent on the crawler list"
	}
	inserted, err := b.tx.InsertEvent(ctx, &ev)
	if err != nil || !inserted {
		return lead, inserted, err
	}
	if isAnonymous(lead) {
		return lead, true, nil // anonymous visitors are scored once they identify
	}
	if !b.scoring() {
		return lead, true, nil
	}
	if st := b.s.cache.get(lead, b.set.gen); st != nil && !b.stale[lead] {
		st.Apply(ev.Event)
		b.stateTouched[lead] = true
	}
	b.touch(lead, leadscore.CauseEvent, ev.ID)
	return lead, true, nil
}

func eventType(m *leadscore.Message) string {
	switch m.Kind {
	case leadscore.MsgPage:
		return "page.viewed"
	case leadscore.MsgScreen:
		return "screen.viewed"
	}
	return m.Event
}

func eventProperties(m *leadscore.Message) map[string]any {
	if m.Name == "" {
		return m.Properties
	}
	props := make(map[string]any, len(m.Properties)+1)
	for k, v := range m.Properties {
		props[k] = v
	}
	if _, ok := props["name"]; !ok {
		props["name"] = m.Name
	}
	return props
}

// identify updates a lead from traits, merging the anonymous visitor it
// was until now.
func (b *batch) identify(ctx context.Context, m *leadscore.Message) (string, error) {
	email, _ := m.Traits["email"].(string)
	email = strings.TrimSpace(email)
	var id string
	var err error
	if m.UserID != "" {
		if id, err = b.alias(ctx, userAlias(m.UserID)); err != nil {
			return "", err
		}
	}
	if id == "" && email != "" {
		if id, err = b.alias(ctx, emailAlias(email)); err != nil {
			return "", err
		}
	}
	if id == "" {
		switch {
		case m.UserID != "":
			id = m.UserID
		case email != "":
			id = ingest.NormalizeEmail(email)
		default:
			// Traits of a visitor not yet known: keep them on the anonymous
			// lead until it identifies.
			if id, err = b.leadFor(ctx, m); err != nil {
				return "", err
			}
		}
	}
	lead, err := b.tx.Lead(ctx, id)
	switch {
	case leadscore.CodeOf(err) == leadscore.CodeNotFound:
		lead = &leadscore.Lead{ID: id, CreatedAt: m.Timestamp}
		if lead.CreatedAt.IsZero() || lead.CreatedAt.After(b.now) {
			lead.CreatedAt = b.now
		}
	case err != nil:
		return "", err
	}
	acct := applyTraits(lead, m.Traits)
	if err := b.attachAccount(ctx, lead, acct); err != nil {
		return "", err
	}
	if err := b.tx.UpsertLead(ctx, lead); err != nil {
		return "", err
	}
	if m.UserID != "" {
		if err := b.tx.AddAlias(ctx, userAlias(m.UserID), id); err != nil {
			return "", err
		}
	}
	if lead.Email != "" {
		if err := b.tx.AddAlias(ctx, emailAlias(lead.Email), id); err != nil {
			return "", err
		}
	}
	if m.AnonymousID != "" && !isAnonymous(id) {
		if err := b.mergeAnonymous(ctx, m.AnonymousID, id); err != nil {
			return "", err
		}
	}
	b.invalidate(id)
	if !isAnonymous(id) {
		b.touch(id, leadscore.CauseAttribute, "identify")
	}
	return id, nil
}

// attachAccount ties a lead to an account: the company facts its traits
// carried, under the lead's account or the registrable domain of a business
// email address. Free-mail domains never make accounts.
func (b *batch) attachAccount(ctx context.Context, lead *leadscore.Lead, facts *leadscore.Account) error {
	if lead.AccountID == "" {
		if facts != nil && facts.ID != "" {
			lead.AccountID = facts.ID
		} else if facts != nil && facts.Domain != "" {
			lead.AccountID = ingest.RegistrableDomain(facts.Domain)
		} else if f := b.s.check.Email(lead.Email); f.Valid && !f.Free && !f.Disposable {
			lead.AccountID = ingest.RegistrableDomain(f.Domain)
		}
	}
	if lead.AccountID == "" {
		return nil
	}
	acct, err := b.tx.Account(ctx, lead.AccountID)
	isNew := leadscore.CodeOf(err) == leadscore.CodeNotFound
	switch {
	case isNew:
		acct = &leadscore.Account{ID: lead.AccountID}
		if strings.Contains(lead.AccountID, ".") {
			acct.Domain = lead.AccountID
		}
	case err != nil:
		return err
	}
	before := cloneAccount(acct)
	mergeAccount(acct, facts)
	if !isNew && !accountChanged(before, acct) {
		return nil
	}
	if err := b.tx.UpsertAccount(ctx, acct); err != nil {
		return err
	}
	if !isNew {
		// Every person of the account reads its facts.
		b.accountsChanged[acct.ID] = true
		b.s.cache.removeAccount(acct.ID)
	}
	return nil
}

// group attaches the lead to the account named by the group id, with the
// group's traits as company facts.
func (b *batch) group(ctx context.Context, m *leadscore.Message) (string, error) {
	id, err := b.leadFor(ctx, m)
	if err != nil {
		return "", err
	}
	lead, err := b.tx.Lead(ctx, id)
	if err != nil {
		return "", err
	}
	facts := accountFromTraits(m.Traits)
	facts.ID = m.GroupID
	lead.AccountID = m.GroupID
	if err := b.attachAccount(ctx, lead, facts); err != nil {
		return "", err
	}
	if err := b.tx.UpsertLead(ctx, lead); err != nil {
		return "", err
	}
	b.invalidate(id)
	if !isAnonymous(id) {
		b.touch(id, leadscore.CauseAttribute, "group "+m.GroupID)
	}
	return id, nil
}

// aliasMsg links a previous id to a user: an anonymous history under the
// previous id joins the user's lead.
func (b *batch) aliasMsg(ctx context.Context, m *leadscore.Message) (string, error) {
	to := &leadscore.Message{UserID: m.UserID, Timestamp: m.Timestamp}
	id, err := b.leadFor(ctx, to)
	if err != nil {
		return "", err
	}
	prev, err := b.alias(ctx, userAlias(m.PreviousID))
	if err != nil {
		return "", err
	}
	if prev == "" {
		if err := b.mergeAnonymous(ctx, m.PreviousID, id); err != nil {
			return "", err
		}
	} else if prev != id {
		b.s.log.Info("alias joins two known leads; keeping both", "previous", prev, "user", id)
	}
	return id, b.tx.AddAlias(ctx, userAlias(m.PreviousID), id)
}

// upsertLeads stores leads from the API or an import. A lead without an id
// is keyed by its normalised email.
func (b *batch) upsertLeads(ctx context.Context, leads []leadscore.Lead) error {
	for i := range leads {
		l := leads[i]
		if l.ID == "" {
			l.ID = ingest.NormalizeEmail(l.Email)
		}
		old, err := b.tx.Lead(ctx, l.ID)
		switch {
		case err == nil:
			mergeLead(old, &l)
			l = *old
		case leadscore.CodeOf(err) != leadscore.CodeNotFound:
			return err
		}
		if l.CreatedAt.IsZero() {
			l.CreatedAt = b.now
		}
		if err := b.attachAccount(ctx, &l, nil); err != nil {
			return err
		}
		if err := b.tx.UpsertLead(ctx, &l); err != nil {
			return err
		}
		if err := b.tx.AddAlias(ctx, userAlias(l.ID), l.ID); err != nil {
			return err
		}
		if l.Email != "" {
			if err := b.tx.AddAlias(ctx, emailAlias(l.Email), l.ID); err != nil {
				return err
			}
		}
		b.invalidate(l.ID)
		b.touch(l.ID, leadscore.CauseAttribute, "lead updated")
	}
	return nil
}

func (b *batch) upsertAccounts(ctx context.Context, accounts []leadscore.Account) error {
	for i := range accounts {
		a := accounts[i]
		if a.ID == "" {
			a.ID = ingest.RegistrableDomain(a.Domain)
		}
		old, err := b.tx.Account(ctx, a.ID)
		switch {
		case err == nil:
			mergeAccount(old, &a)
			a = *old
		case leadscore.CodeOf(err) != leadscore.CodeNotFound:
			return err
		}
		if err := b.tx.UpsertAccount(ctx, &a); err != nil {
			return err
		}
		b.accountsChanged[a.ID] = true
		b.s.cache.removeAccount(a.ID)
	}
	return nil
}

// scoreTouched evaluates every touched lead as of now and writes its scores
// and ledger rows in this transaction.
func (b *batch) scoreTouched(ctx context.Context) error {
	if !b.scoring() || len(b.order) == 0 {
		return nil
	}
	start := time.Now()
	n := 0
	for _, id := range b.order {
		if isAnonymous(id) {
			continue
		}
		t := b.touched[id]
		if err := b.s.rescoreLead(ctx, b, id, t); err != nil {
			if leadscore.CodeOf(err) == leadscore.CodeNotFound {
				continue // merged away or deleted in this batch
			}
			return err
		}
		n++
	}
	b.s.cfg.Metrics.LeadsScored(n, time.Since(start))
	return nil
}

// rescoreLead evaluates one lead and records the result.
func (s *Service) rescoreLead(ctx context.Context, b *batch, id string, t touch) error {
	st, acct, err := s.stateFor(ctx, b, id)
	if err != nil {
		return err
	}
	if acct != "" && b.set.stakeWindow > 0 {
		peers, err := b.tx.Peers(ctx, acct, id, b.now.Add(-b.set.stakeWindow))
		if err != nil {
			return err
		}
		st.SetPeers(peers)
	}
	evs := st.Evaluate(b.now)
	prev, err := b.tx.Scores(ctx, id)
	if err != nil {
		return err
	}
	old := make(map[string]*leadscore.ScoreRecord, len(prev))
	for i := range prev {
		old[prev[i].Model] = &prev[i]
	}
	for _, ev := range evs {
		rec := recordOf(ev, b.now)
		if err := b.tx.PutScore(ctx, rec); err != nil {
			return err
		}
		p := old[ev.Model]
		if p != nil && p.Score == rec.Score && p.Band == rec.Band && p.Qualified == rec.Qualified &&
			p.Disqualified == rec.Disqualified && p.Version == rec.Version {
			continue
		}
		entry := &leadscore.LedgerEntry{LeadID: id, Model: ev.Model, Version: ev.Version, At: b.now, NewScore: rec.Score,
			NewBand: rec.Band, Cause: t.cause, CauseRef: t.ref, Qualified: rec.Qualified, Detail: ledgerDetail(t, ev)}
		if p != nil {
			score := p.Score
			entry.OldScore = &score
			entry.OldBand = p.Band
		}
		if err := b.tx.AppendLedger(ctx, entry); err != nil {
			return err
		}
	}
	return nil
}

func ledgerDetail(t touch, ev *leadscore.Evaluation) string {
	var parts []string
	switch {
	case t.events > 1:
		parts = append(parts, fmt.Sprintf("%d events", t.events))
	case t.cause == leadscore.CauseTime:
		for _, a := range ev.Adjustments {
			if a.Kind == leadscore.AdjustDecay || a.Kind == leadscore.AdjustReset {
				parts = append(parts[:0], a.Text)
			}
		}
	}
	if ev.Disqualified {
		parts = append(parts, "disqualified: "+strings.Join(ev.Reasons, "; "))
	}
	return strings.Join(parts, "; ")
}

func recordOf(ev *leadscore.Evaluation, now time.Time) *leadscore.ScoreRecord {
	return &leadscore.ScoreRecord{LeadID: ev.LeadID, Model: ev.Model, Version: ev.Version, Score: ev.Score, Display: ev.Display,
		Band: ev.Band, Grade: ev.Grade, Qualified: ev.Qualified, Disqualified: ev.Disqualified, Evaluation: ev,
		NextChangeAt: ev.NextChangeAt, UpdatedAt: now}
}

// stateFor returns the lead's scoring state, from the cache or built from
// the store, and its account id.
func (s *Service) stateFor(ctx context.Context, b *batch, id string) (*scoring.State, string, error) {
	if st := s.cache.get(id, b.set.gen); st != nil && !b.stale[id] {
		if e, ok := s.cache.items[id]; ok {
			return st, e.Value.(*cached).account, nil
		}
	}
	in, err := loadInput(ctx, b.tx, id, time.Time{})
	if err != nil {
		return nil, "", err
	}
	st := b.set.set.NewState(in)
	acct := in.Lead.AccountID
	s.cache.put(id, acct, b.set.gen, st)
	b.stateTouched[id] = true
	delete(b.stale, id)
	return st, acct, nil
}

// loadInput reads what the engine needs about a lead. With a non-zero
// peersAsOf it also loads the account's people with their activity up to
// that time (for as-of evaluation); the live path sets peers itself.
func loadInput(ctx context.Context, r leadscore.Reader, id string, peersAsOf time.Time) (*scoring.Input, error) {
	lead, err := r.Lead(ctx, id)
	if err != nil {
		return nil, err
	}
	in := &scoring.Input{Lead: lead}
	if lead.AccountID != "" {
		acct, err := r.Account(ctx, lead.AccountID)
		switch {
		case err == nil:
			if acct.Domain != "" {
				names, priority, err := r.AccountListNames(ctx, acct.Domain)
				if err != nil {
					return nil, err
				}
				acct.Lists = append(acct.Lists, names...)
				acct.Priority = acct.Priority || priority
			}
			in.Account = acct
		case leadscore.CodeOf(err) != leadscore.CodeNotFound:
			return nil, err
		}
	}
	stored, err := r.Events(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	in.Events = make([]leadscore.Event, len(stored))
	for i := range stored {
		in.Events[i] = stored[i].Event
	}
	if !peersAsOf.IsZero() && lead.AccountID != "" {
		if in.Peers, err = historicPeers(ctx, r, lead.AccountID, id, peersAsOf); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// maxHistoricPeers bounds the work of an as-of query on a very large
// account; the stakeholder signal saturates long before.
const maxHistoricPeers = 200

func historicPeers(ctx context.Context, r leadscore.Reader, account, except string, asOf time.Time) ([]leadscore.Peer, error) {
	people, err := r.AccountLeads(ctx, account)
	if err != nil {
		return nil, err
	}
	var peers []leadscore.Peer
	for _, p := range people {
		if p.ID == except || len(peers) >= maxHistoricPeers {
			continue
		}
		evs, err := r.Events(ctx, p.ID, 0)
		if err != nil {
			return nil, err
		}
		peer := leadscore.Peer{LeadID: p.ID}
		for _, e := range evs {
			if !e.Bot && !e.At.After(asOf) {
				peer.Activity = append(peer.Activity, e.At)
			}
		}
		peers = append(peers, peer)
	}
	return peers, nil
}

// isBotAgent asks the crawler list once per distinct user agent; the list
// is a large regular expression and the same agents repeat endlessly.
func (s *Service) isBotAgent(ua string) bool {
	if ua == "" {
		return false
	}
	if v, ok := s.uaBots[ua]; ok {
		return v
	}
	if len(s.uaBots) > 50000 {
		clear(s.uaBots)
	}
	v := s.check.IsBotUserAgent(ua)
	s.uaBots[ua] = v
	return v
}
