package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/internal/pipeline"
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
	// activeChanged holds accounts whose number of active people this
	// batch changed, with the new number.
	activeChanged map[string]int
	// rescoringAll says the batch holds a page of a job that re-scores
	// every lead (a model activation).
	rescoringAll bool

	// Writes of ordinary events are gathered and flushed in bulk, because
	// on a networked database every statement is a round trip. Reads in the
	// batch go through these maps first, so they see the pending writes.
	bulk          leadscore.BulkTx
	aliases       map[string]string // resolved or added in this batch
	aliasMissing  map[string]bool   // known to be unknown
	pendingLeads  map[string]*leadscore.Lead
	leadOrder     []string
	pendingAlias  map[string]string
	pendingEvents []pendingEvent

	// autoWork is the automation working set, made on first use;
	// enqueued counts the webhook deliveries the batch wrote.
	autoWork *autoBatch
	enqueued int
	// shadowScores are the shadow versions' scores, written with the batch.
	shadowScores []*leadscore.ShadowScore
}

// pendingEvent is an event waiting for the bulk insert, with the result
// slot its message reports through.
type pendingEvent struct {
	ev     *leadscore.StoredEvent
	result *leadscore.IngestResult
}

type touch struct {
	cause  leadscore.CauseKind
	ref    string
	events int
	// activityOnly says the lead is touched only because colleagues'
	// activity changed its account's number of active people.
	activityOnly bool
}

func (s *Service) newBatch(tx leadscore.Tx, set *activeSet) (*batch, error) {
	bulk, ok := tx.(leadscore.BulkTx)
	if !ok {
		return nil, fmt.Errorf("service: the store's transactions must support bulk operations")
	}
	return &batch{s: s, tx: tx, bulk: bulk, set: set, now: s.now().UTC(), touched: map[string]touch{}, stale: map[string]bool{},
		stateTouched: map[string]bool{}, accountsChanged: map[string]bool{}, activeChanged: map[string]int{}, aliases: map[string]string{},
		aliasMissing: map[string]bool{}, pendingLeads: map[string]*leadscore.Lead{}, pendingAlias: map[string]string{}}, nil
}

// prefetchAliases resolves, in one read, every alias the messages of a
// request may look up.
func (b *batch) prefetchAliases(ctx context.Context, msgs []leadscore.Message) error {
	seen := map[string]bool{}
	var keys []string
	add := func(k string) {
		if _, known := b.aliases[k]; !known && !b.aliasMissing[k] && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for i := range msgs {
		m := &msgs[i]
		if m.UserID != "" {
			add(userAlias(m.UserID))
		}
		if m.AnonymousID != "" {
			add(anonAlias(m.AnonymousID))
		}
		if e := messageEmail(m); e != "" {
			add(emailAlias(e))
		}
		if m.PreviousID != "" {
			add(userAlias(m.PreviousID))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	found, err := b.bulk.AliasesOf(ctx, keys)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if id, ok := found[k]; ok {
			b.aliases[k] = id
		} else {
			b.aliasMissing[k] = true
		}
	}
	return nil
}

// lead reads a lead, seeing this batch's pending writes.
func (b *batch) lead(ctx context.Context, id string) (*leadscore.Lead, error) {
	if l, ok := b.pendingLeads[id]; ok {
		c := *l
		return &c, nil
	}
	return b.tx.Lead(ctx, id)
}

// putLead queues a lead write for the next flush.
func (b *batch) putLead(l *leadscore.Lead) {
	if _, ok := b.pendingLeads[l.ID]; !ok {
		b.leadOrder = append(b.leadOrder, l.ID)
	}
	c := *l
	b.pendingLeads[l.ID] = &c
}

func (b *batch) addAlias(alias, lead string) {
	b.aliases[alias] = lead
	delete(b.aliasMissing, alias)
	b.pendingAlias[alias] = lead
}

// flush writes the pending leads, aliases and events, then applies the
// events that were new to the cached lead states.
func (b *batch) flush(ctx context.Context) error {
	if len(b.leadOrder) > 0 {
		leads := make([]*leadscore.Lead, 0, len(b.leadOrder))
		for _, id := range b.leadOrder {
			if l, ok := b.pendingLeads[id]; ok {
				leads = append(leads, l)
			}
		}
		if err := b.bulk.UpsertLeads(ctx, leads); err != nil {
			return err
		}
		clear(b.pendingLeads)
		b.leadOrder = b.leadOrder[:0]
	}
	if len(b.pendingAlias) > 0 {
		if err := b.bulk.AddAliases(ctx, b.pendingAlias); err != nil {
			return err
		}
		clear(b.pendingAlias)
	}
	if len(b.pendingEvents) == 0 {
		return nil
	}
	evs := make([]*leadscore.StoredEvent, len(b.pendingEvents))
	for i, p := range b.pendingEvents {
		evs[i] = p.ev
	}
	inserted, err := b.bulk.InsertEvents(ctx, evs)
	if err != nil {
		return err
	}
	for i, p := range b.pendingEvents {
		if !inserted[i] {
			p.result.Status = leadscore.IngestDuplicate
			continue
		}
		p.result.Status = leadscore.IngestAccepted
		lead := p.ev.LeadID
		if isAnonymous(lead) || !b.scoring() {
			continue // anonymous visitors are scored once they identify
		}
		if st := b.s.cache.get(lead, b.set.gen); st != nil && !b.stale[lead] {
			st.Apply(p.ev.Event)
			b.stateTouched[lead] = true
		}
		b.touch(lead, leadscore.CauseEvent, p.ev.ID)
	}
	b.pendingEvents = b.pendingEvents[:0]
	return nil
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
	b.touchFor(lead, cause, ref, false)
}

// touchFor touches lead; activity says the touch is only for a change of
// its account's active people, which a later touch for any other reason
// overrides.
func (b *batch) touchFor(lead string, cause leadscore.CauseKind, ref string, activity bool) {
	t, seen := b.touched[lead]
	if !seen {
		b.order = append(b.order, lead)
		t.activityOnly = activity
	} else if !activity {
		t.activityOnly = false
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
	if id, ok := b.aliases[alias]; ok {
		return id, nil
	}
	if b.aliasMissing[alias] {
		return "", nil
	}
	id, err := b.tx.LeadByAlias(ctx, alias)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		b.aliasMissing[alias] = true
		return "", nil
	}
	if err == nil {
		b.aliases[alias] = id
	}
	return id, err
}

func (b *batch) ingest(ctx context.Context, r *request) error {
	if err := b.prefetchAliases(ctx, r.msgs); err != nil {
		return err
	}
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
			// The insert is pending; the flush reports new or duplicate.
			lead, err = b.event(ctx, m, &r.results[i])
			status = ""
		}
		if err != nil {
			return fmt.Errorf("message %s: %w", m.MessageID, err)
		}
		if status != "" {
			r.results[i].Status = status
		}
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
		b.createLead(&leadscore.Lead{ID: m.UserID, CreatedAt: m.Timestamp})
		b.addAlias(userAlias(m.UserID), m.UserID)
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
		b.createLead(lead)
		b.addAlias(emailAlias(email), id)
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
	b.createLead(&leadscore.Lead{ID: id, CreatedAt: m.Timestamp})
	b.addAlias(anonAlias(m.AnonymousID), id)
	return id, nil
}

func (b *batch) createLead(l *leadscore.Lead) {
	if l.CreatedAt.IsZero() || l.CreatedAt.After(b.now) {
		l.CreatedAt = b.now
	}
	b.putLead(l)
}

// mergeAnonymous moves an anonymous visitor's history into a known lead:
// page views before the form fill count for the person who filled it.
func (b *batch) mergeAnonymous(ctx context.Context, anonymousID, lead string) error {
	from, err := b.alias(ctx, anonAlias(anonymousID))
	if err != nil {
		return err
	}
	if from != "" && from != lead && isAnonymous(from) {
		// Moving events needs the visitor's pending events stored and the
		// lead stored; merges are rare, so a flush here costs little.
		if err := b.flush(ctx); err != nil {
			return err
		}
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
	b.addAlias(anonAlias(anonymousID), lead)
	return nil
}

// event queues a track, page or screen message as an event of its lead;
// the flush stores it and reports through result.
func (b *batch) event(ctx context.Context, m *leadscore.Message, result *leadscore.IngestResult) (string, error) {
	lead, err := b.leadFor(ctx, m)
	if err != nil {
		return "", err
	}
	ev := &leadscore.StoredEvent{
		Event: leadscore.Event{ID: m.MessageID, LeadID: lead, Type: eventType(m), At: m.Timestamp.UTC(),
			Properties: eventProperties(m), Source: m.Source, UserAgent: m.UserAgent},
		MessageID: m.MessageID, ReceivedAt: m.ReceivedAt.UTC(), AnonymousID: m.AnonymousID,
	}
	if b.s.isBotAgent(m.UserAgent) {
		ev.Bot, ev.BotReason = true, "user agent on the crawler list"
	}
	b.pendingEvents = append(b.pendingEvents, pendingEvent{ev: ev, result: result})
	return lead, nil
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
	lead, err := b.lead(ctx, id)
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
	b.putLead(lead)
	if m.UserID != "" {
		b.addAlias(userAlias(m.UserID), id)
	}
	if lead.Email != "" {
		b.addAlias(emailAlias(lead.Email), id)
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
	lead, err := b.lead(ctx, id)
	if err != nil {
		return "", err
	}
	facts := accountFromTraits(m.Traits)
	facts.ID = m.GroupID
	lead.AccountID = m.GroupID
	if err := b.attachAccount(ctx, lead, facts); err != nil {
		return "", err
	}
	b.putLead(lead)
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
	b.addAlias(userAlias(m.PreviousID), id)
	return id, nil
}

// upsertLeads stores leads from the API or an import. A lead without an id
// is keyed by its normalised email.
func (b *batch) upsertLeads(ctx context.Context, leads []leadscore.Lead) error {
	for i := range leads {
		l := leads[i]
		if l.ID == "" {
			l.ID = ingest.NormalizeEmail(l.Email)
		}
		old, err := b.lead(ctx, l.ID)
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
		b.putLead(&l)
		b.addAlias(userAlias(l.ID), l.ID)
		if l.Email != "" {
			b.addAlias(emailAlias(l.Email), l.ID)
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
// and ledger rows in this transaction, reading and writing in bulk.
func (b *batch) scoreTouched(ctx context.Context) error {
	if err := b.flush(ctx); err != nil {
		return err
	}
	ids := make([]string, 0, len(b.order))
	for _, id := range b.order {
		if !isAnonymous(id) {
			ids = append(ids, id)
		}
	}
	if !b.scoring() || len(ids) == 0 {
		// Without models there are no scores, but a sales action or a
		// routing file may still move a lead (an MQL set by hand is routed).
		if len(ids) > 0 {
			if err := b.advance(ctx, ids, nil, nil); err != nil {
				return err
			}
		}
		return b.flushAutomation(ctx)
	}
	start := time.Now()
	entries, err := b.loadStates(ctx, ids)
	if err != nil {
		return err
	}
	peers, err := b.readPeers(ctx, entries)
	if err != nil {
		return err
	}
	counted := map[string]bool{}
	observed := make(map[string][]automation.Observation, len(ids))
	accountOf := make(map[string]string, len(ids))
	var records []*leadscore.ScoreRecord
	var ledger []*leadscore.LedgerEntry
	toEvaluate := make([]*cached, 0, len(ids))
	for _, id := range ids {
		entry := entries[id]
		if entry == nil {
			continue // merged away or deleted in this batch
		}
		all, read := b.setPeers(entry, peers, counted)
		// When the number of active people changes, every person of the
		// account reads a new account.active_people.
		if read && b.set.usesActivity {
			if prev, seen := b.s.activeCount[entry.account]; !seen || prev != len(all) {
				b.activeChanged[entry.account] = len(all)
			}
		}
		// A colleague's activity re-scores a person only when some
		// condition decides differently with the new count; otherwise
		// the stored evaluation is still the one the lead would get.
		if b.touched[id].activityOnly && entry.activeRead != nil && !entry.st.ActivityDecides(b.now, entry.activeRead) {
			continue
		}
		toEvaluate = append(toEvaluate, entry)
	}
	evaluated := evaluateAll(toEvaluate, b.now)
	for i, entry := range toEvaluate {
		id := entry.lead
		t := b.touched[id]
		entry.activeRead = evaluated[i].activeRead
		evs := b.splitShadow(evaluated[i].evs)
		observed[id], accountOf[id] = b.observations(evs), entry.account
		for _, ev := range evs {
			rec := recordOf(ev, b.now)
			now := summaryOf(rec)
			p, known := entry.scores[ev.Model]
			digest := evaluated[i].digests[ev]
			if known && p == now && entry.stillStored(ev.Model, digest, rec.NextChangeAt, b.now) {
				continue
			}
			rec.Digest = digest
			records = append(records, rec)
			entry.scores[ev.Model] = now
			entry.remember(ev.Model, digest, rec.NextChangeAt)
			if known && p == now {
				continue
			}
			le := &leadscore.LedgerEntry{LeadID: id, Model: ev.Model, Version: ev.Version, At: b.now, NewScore: rec.Score,
				NewBand: rec.Band, Cause: t.cause, CauseRef: t.ref, Qualified: rec.Qualified, Detail: ledgerDetail(t, ev)}
			if known {
				score := p.score
				le.OldScore = &score
				le.OldBand = p.band
			}
			ledger = append(ledger, le)
		}
	}
	if err := b.putShadowScores(ctx); err != nil {
		return err
	}
	if err := b.bulk.PutScores(ctx, records); err != nil {
		return err
	}
	if err := b.bulk.AppendLedgerEntries(ctx, ledger); err != nil {
		return err
	}
	scored := make([]string, 0, len(observed))
	for _, id := range ids {
		if _, ok := observed[id]; ok {
			scored = append(scored, id)
		}
	}
	if err := b.advance(ctx, scored, observed, accountOf); err != nil {
		return err
	}
	if err := b.flushAutomation(ctx); err != nil {
		return err
	}
	b.s.cfg.Metrics.LeadsScored(len(toEvaluate), time.Since(start))
	return nil
}

// evaluation is one lead's evaluations with their digests and the active
// people the models read.
type evaluation struct {
	evs        []*leadscore.Evaluation
	digests    map[*leadscore.Evaluation]uint64
	activeRead []int
}

// evaluateAll evaluates the leads at one instant on every core: each state
// is its own, and the compiled models are shared read-only. The writes
// that follow are one connection's, so this is the part of a batch that
// can use the other cores.
func evaluateAll(entries []*cached, at time.Time) []evaluation {
	out := make([]evaluation, len(entries))
	pipeline.Each(len(entries), 16, func(_, i int) {
		evs := entries[i].st.Evaluate(at)
		digests := make(map[*leadscore.Evaluation]uint64, len(evs))
		for _, ev := range evs {
			digests[ev] = ev.Digest()
		}
		out[i] = evaluation{evs: evs, digests: digests, activeRead: entries[i].st.ActivePeopleRead()}
	})
	return out
}

// loadStates reads the automation states of ids first (a recycled
// lead's state says which events count), then their scoring states.
func (b *batch) loadStates(ctx context.Context, ids []string) (map[string]*cached, error) {
	if a := b.auto(); a != nil {
		if err := a.load(ctx, ids); err != nil {
			return nil, err
		}
	}
	return b.s.states(ctx, b, ids)
}

// readPeers reads, in one query, the people active in the models'
// stakeholder window of every account of the entries: one statement for a
// batch instead of one per account, which on a networked database is a
// round trip each. An account with nobody active maps to nil.
func (b *batch) readPeers(ctx context.Context, entries map[string]*cached) (map[string][]leadscore.Peer, error) {
	peers := map[string][]leadscore.Peer{}
	if b.set.stakeWindow <= 0 {
		return peers, nil
	}
	var accounts []string
	for _, e := range entries {
		if e == nil || e.account == "" {
			continue
		}
		if _, ok := peers[e.account]; !ok {
			peers[e.account] = nil
			accounts = append(accounts, e.account)
		}
	}
	if len(accounts) == 0 {
		return peers, nil
	}
	slices.Sort(accounts) // the same statement for the same batch
	got, err := b.bulk.PeersOf(ctx, accounts, b.now.Add(-b.set.stakeWindow))
	if err != nil {
		return nil, err
	}
	for a, people := range got {
		peers[a] = people
	}
	return peers, nil
}

// setPeers gives a lead's state the other people of its account active in
// the models' stakeholder window, from peers (see readPeers). It returns
// the account's active people and whether this is the first lead of the
// account in the batch (counted records those).
func (b *batch) setPeers(entry *cached, peers map[string][]leadscore.Peer, counted map[string]bool) ([]leadscore.Peer, bool) {
	if entry.account == "" || b.set.stakeWindow <= 0 {
		return nil, false
	}
	all := peers[entry.account]
	entry.st.SetPeers(othersThan(all, entry.lead))
	first := !counted[entry.account]
	counted[entry.account] = true
	return all, first
}

func othersThan(peers []leadscore.Peer, lead string) []leadscore.Peer {
	out := make([]leadscore.Peer, 0, len(peers))
	for _, p := range peers {
		if p.LeadID != lead {
			out = append(out, p)
		}
	}
	return out
}

func summaryOf(r *leadscore.ScoreRecord) scoreSummary {
	return scoreSummary{score: r.Score, band: r.Band, version: r.Version, qualified: r.Qualified, disqualified: r.Disqualified}
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

// states returns the cache entries (scoring state, account, last scores)
// of the given leads, building the missing ones from the store with one
// read each for leads, events and scores. Leads that no longer exist are
// absent. The entries live in the cache; a failed transaction drops every
// state the batch touched.
func (s *Service) states(ctx context.Context, b *batch, ids []string) (map[string]*cached, error) {
	out := make(map[string]*cached, len(ids))
	var build, needScores []string
	for _, id := range ids {
		if !b.stale[id] {
			if e := s.cache.entry(id, b.set.gen); e != nil {
				out[id] = e
				b.stateTouched[id] = true
				if e.scores == nil {
					needScores = append(needScores, id)
				}
				continue
			}
		}
		build = append(build, id)
	}
	if len(build) > 0 {
		leads, err := b.bulk.LeadsByID(ctx, build)
		if err != nil {
			return nil, err
		}
		events, err := b.bulk.EventsOf(ctx, build)
		if err != nil {
			return nil, err
		}
		accounts := map[string]*leadscore.Account{}
		for _, id := range build {
			lead := leads[id]
			if lead == nil {
				continue
			}
			in := &scoring.Input{Lead: lead}
			if lead.AccountID != "" {
				acct, seen := accounts[lead.AccountID]
				if !seen {
					if acct, err = accountWithLists(ctx, b.tx, lead.AccountID); err != nil {
						return nil, err
					}
					accounts[lead.AccountID] = acct
				}
				if acct != nil {
					c := cloneAccount(acct)
					in.Account = c
				}
			}
			stored := events[id]
			in.Events = make([]leadscore.Event, 0, len(stored))
			var since time.Time
			if b.autoWork != nil {
				since = scoreSince(b.autoWork.leads[id])
			}
			for i := range stored {
				// After a recycle that reset the score, only later
				// behaviour counts.
				if since.IsZero() || !stored[i].At.Before(since) {
					in.Events = append(in.Events, stored[i].Event)
				}
			}
			s.cache.put(id, lead.AccountID, b.set.gen, b.set.stateSet().NewState(in))
			b.stateTouched[id] = true
			delete(b.stale, id)
			out[id] = s.cache.entry(id, b.set.gen)
			needScores = append(needScores, id)
		}
	}
	if len(needScores) > 0 {
		scores, err := b.bulk.ScoreSummariesOf(ctx, needScores)
		if err != nil {
			return nil, err
		}
		for _, id := range needScores {
			e := out[id]
			if e == nil {
				continue
			}
			e.scores = make(map[string]scoreSummary, len(scores[id]))
			for i := range scores[id] {
				sc := &scores[id][i]
				e.scores[sc.Model] = summaryOf(sc)
				if sc.Digest != 0 {
					e.remember(sc.Model, sc.Digest, sc.NextChangeAt)
				}
			}
		}
	}
	return out, nil
}

// accountWithLists reads an account with the lists it is on; nil when the
// lead's account does not exist.
func accountWithLists(ctx context.Context, r leadscore.Reader, id string) (*leadscore.Account, error) {
	acct, err := r.Account(ctx, id)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if acct.Domain != "" {
		names, priority, err := r.AccountListNames(ctx, acct.Domain)
		if err != nil {
			return nil, err
		}
		acct.Lists = append(acct.Lists, names...)
		acct.Priority = acct.Priority || priority
	}
	return acct, nil
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
		if in.Account, err = accountWithLists(ctx, r, lead.AccountID); err != nil {
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
