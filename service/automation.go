package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
)

// Automation runs inside the group commit: after a batch's leads are
// evaluated, each lead's automation state advances (qualification, routing,
// SLA breaches), and the new states, the transitions as history rows and
// the webhook deliveries they cause are written in the same transaction as
// the scores. Nothing here reads a clock other than the batch's time, so a
// retried transaction computes the same transitions with the same event ids.

// routing is the active routing file, compiled.
type routing struct {
	file   *leadscore.RoutingFile
	router *automation.Router
}

// autoLead is a lead's automation state within one batch.
type autoLead struct {
	stored  *leadscore.LeadAutomation // as read, nil for a lead without one
	state   automation.LeadState
	account string
	changed bool
}

// autoBatch is the automation working set of one transaction.
type autoBatch struct {
	tx    leadscore.AutomationTx
	leads map[string]*autoLead
	// loads and cursors are read on first use; loadDelta is what this
	// batch changed in the owners' open MQLs, which the store does not see
	// until the states are written.
	loads     map[string]int
	loadDelta map[string]int
	cursors   map[string]string
	dirtyRR   map[string]bool
	history   []*leadscore.HistoryEntry
	outbox    []*leadscore.Delivery
	accounts  map[string]*leadscore.Account
	// transitions per lead, fanned out with the lead's data at flush.
	pending []pendingTransitions
	// remembered returns a copy of the lead's state as last committed by
	// this process, nil when it is not in memory.
	remembered func(lead string) *autoLead
}

type pendingTransitions struct {
	lead string
	ts   []automation.Transition
}

// auto returns the batch's automation working set, nil when the store
// cannot hold automation state.
func (b *batch) auto() *autoBatch {
	if b.autoWork != nil {
		return b.autoWork
	}
	at, ok := b.tx.(leadscore.AutomationTx)
	if !ok {
		return nil
	}
	b.autoWork = &autoBatch{tx: at, leads: map[string]*autoLead{}, loadDelta: map[string]int{}, dirtyRR: map[string]bool{},
		accounts: map[string]*leadscore.Account{}, remembered: b.rememberedAutomation}
	return b.autoWork
}

// rememberedAutomation returns a copy of a lead's automation state as this
// process last committed it, from the lead's cache entry; nil when there is
// none. The batch changes only its copy, so a failed transaction leaves
// the entry as it was.
func (b *batch) rememberedAutomation(lead string) *autoLead {
	if !b.scoring() {
		return nil
	}
	e := b.s.cache.peek(lead, b.set.gen)
	if e == nil || e.auto == nil {
		return nil
	}
	al := *e.auto
	return &al
}

// rememberAutomation keeps, after a commit, the automation state of every
// lead the batch loaded in the lead's cache entry, as it now is in the
// store.
func (b *batch) rememberAutomation() {
	if b.autoWork == nil || !b.scoring() {
		return
	}
	for id, al := range b.autoWork.leads {
		if e := b.s.cache.peek(id, b.set.gen); e != nil {
			kept := *al
			kept.changed = false
			e.auto = &kept
		}
	}
}

// decodeState reads a stored automation state; nil for none.
func decodeState(stored *leadscore.LeadAutomation, lead string) (automation.LeadState, error) {
	var st automation.LeadState
	if stored != nil && len(stored.State) > 0 {
		if err := json.Unmarshal(stored.State, &st); err != nil {
			return st, fmt.Errorf("service: automation state of lead %s: %w", lead, err)
		}
	}
	if st.LeadID == "" {
		st.LeadID = lead
	}
	return st, nil
}

// loadAutomation reads the states of leads not yet in the batch.
func (a *autoBatch) load(ctx context.Context, ids []string) error {
	var missing []string
	for _, id := range ids {
		if _, ok := a.leads[id]; ok {
			continue
		}
		if al := a.remembered(id); al != nil {
			a.leads[id] = al
			continue
		}
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return nil
	}
	got, err := a.tx.LeadAutomations(ctx, missing)
	if err != nil {
		return err
	}
	for _, id := range missing {
		st, err := decodeState(got[id], id)
		if err != nil {
			return err
		}
		al := &autoLead{stored: got[id], state: st}
		if got[id] != nil {
			al.account = got[id].AccountID
		}
		a.leads[id] = al
	}
	return nil
}

func (a *autoBatch) ownerLoads(ctx context.Context) (map[string]int, error) {
	if a.loads == nil {
		base, err := a.tx.OwnerLoads(ctx)
		if err != nil {
			return nil, err
		}
		a.loads = base
	}
	out := make(map[string]int, len(a.loads)+len(a.loadDelta))
	for o, n := range a.loads {
		out[o] = n
	}
	for o, d := range a.loadDelta {
		out[o] += d
	}
	return out, nil
}

func (a *autoBatch) roundRobin(ctx context.Context) (map[string]string, error) {
	if a.cursors == nil {
		c, err := a.tx.RoutingCursors(ctx)
		if err != nil {
			return nil, err
		}
		a.cursors = c
	}
	return a.cursors, nil
}

// set records a lead's new state and what happened, keeping the owners'
// loads current for the leads routed after it in the same batch.
func (a *autoBatch) set(al *autoLead, next automation.LeadState, ts []automation.Transition) {
	if al.state.OpenMQL() {
		a.loadDelta[al.state.Owner()]--
	}
	if next.OpenMQL() {
		a.loadDelta[next.Owner()]++
	}
	al.state, al.changed = next, true
	if len(ts) > 0 {
		a.pending = append(a.pending, pendingTransitions{lead: al.state.LeadID, ts: ts})
	}
}

// observations turns a lead's evaluations into what transitions compare.
func (b *batch) observations(evs []*leadscore.Evaluation) []automation.Observation {
	obs := make([]automation.Observation, 0, len(evs))
	for _, ev := range evs {
		obs = append(obs, automation.Observation{LeadID: ev.LeadID, Model: ev.Model, Score: ev.Score, Band: ev.Band,
			Disqualified: ev.Disqualified, Reasons: ev.Reasons, MQL: b.set.mql[ev.Model]})
	}
	return obs
}

// advance moves the automation state of the evaluated leads on: it runs
// after their evaluations, in the same transaction.
func (b *batch) advance(ctx context.Context, ids []string, observed map[string][]automation.Observation, accountOf map[string]string) error {
	a := b.auto()
	if a == nil || len(ids) == 0 {
		return nil
	}
	if err := a.load(ctx, ids); err != nil {
		return err
	}
	rt := b.s.routing.Load()
	var router *automation.Router
	if rt != nil {
		router = rt.router
	}
	policy := b.s.cfg.Qualify
	for _, id := range ids {
		al := a.leads[id]
		if acct, ok := accountOf[id]; ok {
			al.account = acct
		}
		obs := observed[id]
		next, ts := automation.Transitions(&al.state, obs, policy, b.now)
		needsRoute := router != nil && next.Assignment == nil && next.Stage.ScoreOwned() &&
			(next.Stage == automation.StageMQL || router.HasPriorityRules())
		due := automation.NextDue(&next)
		needsSLA := !due.IsZero() && !b.now.Before(due)
		if !needsRoute && !needsSLA {
			if len(ts) > 0 || !sameModels(al.state.Models, next.Models) || al.stored == nil {
				a.set(al, next, ts)
			}
			continue
		}
		in, err := b.routingInput(ctx, a, al)
		if leadscore.CodeOf(err) == leadscore.CodeNotFound {
			// Deleted or merged away in this batch: nobody to route.
			a.set(al, next, ts)
			continue
		}
		if err != nil {
			return err
		}
		step := router.Advance(&al.state, obs, in, policy, b.now)
		for team, owner := range step.RoundRobin {
			if a.cursors[team] != owner {
				a.cursors[team] = owner
				a.dirtyRR[team] = true
			}
		}
		for _, d := range step.Decisions {
			if !d.Assigned && next.Stage == automation.StageMQL {
				b.s.log.Info("a qualified lead could not be assigned; it is tried again on its next evaluation",
					"lead", id, "trace", d.Trace)
			}
		}
		a.set(al, step.State, step.Transitions)
	}
	return nil
}

func sameModels(a, b map[string]automation.ModelState) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || v != w {
			return false
		}
	}
	return true
}

// routingInput gathers what a routing decision depends on.
func (b *batch) routingInput(ctx context.Context, a *autoBatch, al *autoLead) (automation.Input, error) {
	var in automation.Input
	lead, err := b.lead(ctx, al.state.LeadID)
	if err != nil {
		return in, err
	}
	in.Lead = lead
	if lead.AccountID != "" {
		al.account = lead.AccountID
		acct, seen := a.accounts[lead.AccountID]
		if !seen {
			if acct, err = accountWithLists(ctx, b.tx, lead.AccountID); err != nil {
				return in, err
			}
			a.accounts[lead.AccountID] = acct
		}
		in.Account = acct
		if in.AccountOwner, err = a.tx.AccountOwner(ctx, lead.AccountID, lead.ID); err != nil {
			return in, err
		}
		// A lead of the same account routed earlier in this batch is not
		// in the store yet.
		for id, other := range a.leads {
			if id != lead.ID && other.changed && other.account == lead.AccountID && other.state.Owner() != "" {
				in.AccountOwner = other.state.Owner()
				break
			}
		}
	}
	if in.Load, err = a.ownerLoads(ctx); err != nil {
		return in, err
	}
	if in.RoundRobin, err = a.roundRobin(ctx); err != nil {
		return in, err
	}
	return in, nil
}

// flushAutomation writes the states, history and outbox rows of the batch.
func (b *batch) flushAutomation(ctx context.Context) error {
	a := b.autoWork
	if a == nil {
		return nil
	}
	var states []*leadscore.LeadAutomation
	for _, id := range slices.Sorted(mapsKeys(a.leads)) {
		al := a.leads[id]
		if !al.changed {
			continue
		}
		raw, err := json.Marshal(&al.state)
		if err != nil {
			return err
		}
		if al.stored != nil && bytes.Equal(raw, al.stored.State) && al.stored.AccountID == al.account {
			continue
		}
		row := &leadscore.LeadAutomation{LeadID: id, AccountID: al.account, Stage: string(al.state.Stage),
			Owner: al.state.Owner(), OpenMQL: al.state.OpenMQL(), SLADue: automation.NextDue(&al.state), State: raw,
			UpdatedAt: b.now}
		states = append(states, row)
		al.stored = row // what the store holds once this commits
	}
	if err := a.tx.PutLeadAutomations(ctx, states); err != nil {
		return err
	}
	if err := b.fanout(ctx, a); err != nil {
		return err
	}
	if err := a.tx.AppendHistory(ctx, a.history); err != nil {
		return err
	}
	if err := a.tx.EnqueueDeliveries(ctx, a.outbox); err != nil {
		return err
	}
	b.enqueued += len(a.outbox)
	if len(a.dirtyRR) > 0 {
		rr := make(map[string]string, len(a.dirtyRR))
		for team := range a.dirtyRR {
			rr[team] = a.cursors[team]
		}
		if err := a.tx.PutRoutingCursors(ctx, rr); err != nil {
			return err
		}
	}
	return nil
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// fanout turns the batch's transitions into history rows and outbox rows
// for the webhooks that want them.
func (b *batch) fanout(ctx context.Context, a *autoBatch) error {
	if len(a.pending) == 0 {
		return nil
	}
	subs := b.s.subscriptions()
	source := b.s.source
	var leads map[string]*leadscore.Lead
	if len(subs) > 0 {
		ids := make([]string, 0, len(a.pending))
		for _, p := range a.pending {
			ids = append(ids, p.lead)
		}
		// Leads written in this batch are pending; LeadsByID reads the
		// stored ones, so take the pending form first.
		var err error
		if leads, err = b.bulk.LeadsByID(ctx, ids); err != nil {
			return err
		}
		for _, id := range ids {
			if l, ok := b.pendingLeads[id]; ok {
				leads[id] = l
			}
		}
	}
	for _, p := range a.pending {
		for i := range p.ts {
			t := &p.ts[i]
			if inLedger(t.Kind) {
				continue
			}
			data, err := json.Marshal(t)
			if err != nil {
				return err
			}
			a.history = append(a.history, &leadscore.HistoryEntry{LeadID: p.lead, Kind: string(t.Kind), At: t.At,
				Owner: t.Owner, EventID: automation.EventID(source, t), Data: data})
		}
		if len(subs) == 0 {
			continue
		}
		msgs, err := automation.Fanout(subs, p.ts, source, leads[p.lead])
		if err != nil {
			return err
		}
		a.outbox = appendOutbox(a.outbox, msgs, b.now)
	}
	return nil
}

// inLedger reports whether a transition only restates a ledger entry: a
// score or band change is there with its cause, old and new values and
// model version, so the lead's history does not keep a second row of it.
// Webhooks still receive it. Score changes are most of the rows a busy
// service writes, one per model per event.
func inLedger(k automation.Kind) bool {
	return k == automation.KindScoreChanged || k == automation.KindBandChanged
}

func appendOutbox(out []*leadscore.Delivery, msgs []automation.OutboxMessage, now time.Time) []*leadscore.Delivery {
	for _, m := range msgs {
		out = append(out, &leadscore.Delivery{ID: m.ID, WebhookID: m.SubscriptionID, EventID: m.EventID, Type: m.Type,
			LeadID: m.LeadID, Body: m.Body, State: leadscore.DeliveryPending, NextAttempt: now, CreatedAt: now})
	}
	return out
}

// announce writes the outbox rows of a transition that is not about one
// lead (a model activation) in the batch's transaction.
func (b *batch) announce(ctx context.Context, t automation.Transition) error {
	subs := b.s.subscriptions()
	if len(subs) == 0 {
		return nil
	}
	a := b.auto()
	if a == nil {
		return nil
	}
	msgs, err := automation.Fanout(subs, []automation.Transition{t}, b.s.source, nil)
	if err != nil {
		return err
	}
	a.outbox = appendOutbox(a.outbox, msgs, b.now)
	return nil
}

// subscriptions are the enabled webhooks as automation reads them.
func (s *Service) subscriptions() []automation.Subscription {
	if p := s.subs.Load(); p != nil {
		return *p
	}
	return nil
}

// reloadWebhooks reads the webhooks into the subscriptions fan-out uses.
func (s *Service) reloadWebhooks(ctx context.Context) error {
	r, ok := s.ws.(leadscore.AutomationReader)
	if !ok {
		return nil
	}
	hooks, err := r.Webhooks(ctx)
	if err != nil {
		return err
	}
	subs := make([]automation.Subscription, 0, len(hooks))
	for _, h := range hooks {
		if h.Disabled {
			continue
		}
		subs = append(subs, subscriptionOf(&h))
	}
	s.subs.Store(&subs)
	return nil
}

func subscriptionOf(h *leadscore.Webhook) automation.Subscription {
	return automation.Subscription{ID: h.ID, URL: h.URL, Types: h.Types, Models: h.Models, MinScoreDelta: h.MinScoreDelta,
		Disabled: h.Disabled}
}

// reloadRouting compiles the active routing file.
func (s *Service) reloadRouting(ctx context.Context) error {
	r, ok := s.ws.(leadscore.AutomationReader)
	if !ok {
		return nil
	}
	f, err := r.ActiveRoutingFile(ctx)
	if leadscore.CodeOf(err) == leadscore.CodeNotFound {
		s.routing.Store(nil)
		return nil
	}
	if err != nil {
		return err
	}
	res := automation.ParseRouting(f.Filename, []byte(f.Source))
	router, err := res.Compile(automation.RouterOptions{Checker: s.check})
	if err != nil {
		return fmt.Errorf("service: the active routing file %s no longer compiles: %w", f.Version, err)
	}
	s.routing.Store(&routing{file: f, router: router})
	return nil
}

// scoreSince reads the time a recycle with score reset starts the lead's
// behaviour points from; zero when it never was.
func scoreSince(al *autoLead) time.Time {
	if al == nil {
		return time.Time{}
	}
	return al.state.ScoreSince
}
