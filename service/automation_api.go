package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
	"github.com/leadscore/leadscore/modelfile"
)

// The sales side of automation: lead actions, outcomes, history, the
// routing file, owners, webhooks and deliveries.

func (s *Service) autoReader() (leadscore.AutomationReader, error) {
	r, ok := s.ws.(leadscore.AutomationReader)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeInternal, "the store does not support automation")
	}
	return r, nil
}

// LeadAction performs a sales action on a lead, in the committer so that it
// sees and is seen by the scoring of the same lead. Routing and SLA checks
// follow in the same transaction: a lead set to MQL by hand is routed.
func (s *Service) LeadAction(ctx context.Context, id string, act leadscore.LeadAction) (*leadscore.AutomationView, error) {
	id, err := s.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	a := automation.Action{Kind: automation.ActionKind(strings.TrimSpace(act.Action)), Stage: automation.Stage(act.Stage),
		Owner: act.Owner, Team: act.Team, Reason: act.Reason, By: act.By, ResetScore: act.ResetScore}
	if a.Kind == automation.ActAssign {
		if err := s.checkOwner(act.Owner, act.Team); err != nil {
			return nil, err
		}
	}
	if a.Kind == automation.ActReject && strings.TrimSpace(a.Reason) == "" {
		return nil, leadscore.Invalid("reason", "say why the lead is rejected")
	}
	err = s.write(ctx, func(ctx context.Context, b *batch) error {
		au := b.auto()
		if au == nil {
			return leadscore.Errorf(leadscore.CodeInternal, "the store does not support automation")
		}
		if err := au.load(ctx, []string{id}); err != nil {
			return err
		}
		al := au.leads[id]
		next, ts, err := automation.Apply(&al.state, a, b.now)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return nil
		}
		au.set(al, next, ts)
		if a.Kind == automation.ActRecycle && a.ResetScore {
			b.invalidate(id)
		}
		b.touch(id, leadscore.CauseRescore, string(a.Kind))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.automationView(ctx, id)
}

// checkOwner refuses an assignment to someone the routing file does not
// know, when there is a routing file: a typo would hide the lead.
func (s *Service) checkOwner(owner, team string) error {
	rt := s.routing.Load()
	if rt == nil {
		return nil
	}
	spec := rt.router.Spec()
	names := make([]string, 0, len(spec.Owners))
	for _, o := range spec.Owners {
		names = append(names, o.Name)
	}
	owner = strings.TrimSpace(owner)
	if owner != "" && !slices.Contains(names, owner) {
		return leadscore.Invalid("owner", "%q is not an owner in the routing file %s (the owners are %s)", owner,
			rt.file.Version, strings.Join(names, ", "))
	}
	if team != "" && !slices.ContainsFunc(spec.Teams, func(t automation.TeamSpec) bool { return t.Name == team }) {
		return leadscore.Invalid("team", "%q is not a team in the routing file %s", team, rt.file.Version)
	}
	return nil
}

// automationView reads where a lead stands.
func (s *Service) automationView(ctx context.Context, id string) (*leadscore.AutomationView, error) {
	r, err := s.autoReader()
	if err != nil {
		return nil, err
	}
	got, err := r.LeadAutomations(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	v := &leadscore.AutomationView{LeadID: id, Stage: string(automation.StageLead)}
	if a := got[id]; a != nil {
		v.Stage, v.Owner, v.SLADue, v.State = a.Stage, a.Owner, a.SLADue, a.State
	}
	o, err := r.Outcome(ctx, id)
	switch {
	case err == nil:
		v.Outcome = o
	case leadscore.CodeOf(err) != leadscore.CodeNotFound:
		return nil, err
	}
	return v, nil
}

// LeadAutomation returns where a lead stands in its lifecycle.
func (s *Service) LeadAutomation(ctx context.Context, id string) (*leadscore.AutomationView, error) {
	id, err := s.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.automationView(ctx, id)
}

// RecordOutcome stores what a lead became (won or lost).
func (s *Service) RecordOutcome(ctx context.Context, o leadscore.Outcome) (*leadscore.Outcome, error) {
	id, err := s.resolve(ctx, o.LeadID)
	if err != nil {
		return nil, err
	}
	o.LeadID = id
	switch leadscore.OutcomeResult(strings.ToLower(strings.TrimSpace(string(o.Result)))) {
	case leadscore.OutcomeWon, "closedwon":
		o.Result = leadscore.OutcomeWon
	case leadscore.OutcomeLost, "closedlost":
		o.Result = leadscore.OutcomeLost
	default:
		return nil, leadscore.Invalid("result", "the result is %q; use won or lost", o.Result)
	}
	if o.Value != nil && (math.IsNaN(*o.Value) || math.IsInf(*o.Value, 0) || *o.Value < 0) {
		return nil, leadscore.Invalid("value", "must be a number, 0 or more")
	}
	now := s.now().UTC()
	if o.At.IsZero() {
		o.At = now
	}
	if o.At.After(now.Add(24 * time.Hour)) {
		return nil, leadscore.Invalid("at", "%s is in the future", o.At.Format(time.RFC3339))
	}
	o.RecordedAt = now
	err = s.ws.Write(ctx, func(tx leadscore.Tx) error {
		at, ok := tx.(leadscore.AutomationTx)
		if !ok {
			return leadscore.Errorf(leadscore.CodeInternal, "the store does not support automation")
		}
		return at.PutOutcome(ctx, &o)
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// LeadTimeline returns a lead's transitions, oldest first.
func (s *Service) LeadTimeline(ctx context.Context, id string, after int64, limit int) ([]leadscore.HistoryEntry, error) {
	id, err := s.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := s.autoReader()
	if err != nil {
		return nil, err
	}
	h, err := r.History(ctx, id, after, limit)
	if h == nil && err == nil {
		h = []leadscore.HistoryEntry{}
	}
	return h, err
}

// LeadTimelineTail returns a lead's last transitions, oldest first, with
// how many there are in all.
func (s *Service) LeadTimelineTail(ctx context.Context, id string, limit int) ([]leadscore.HistoryEntry, int, error) {
	id, err := s.resolve(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	r, err := s.autoReader()
	if err != nil {
		return nil, 0, err
	}
	h, n, err := r.HistoryTail(ctx, id, limit)
	if h == nil && err == nil {
		h = []leadscore.HistoryEntry{}
	}
	return h, n, err
}

// UploadRouting validates a routing file and makes it the active one. A
// file with errors is refused whole, with every diagnostic, and nothing is
// stored.
func (s *Service) UploadRouting(ctx context.Context, filename string, source []byte, by string) (*leadscore.RoutingUpload, error) {
	if filename == "" {
		filename = "routing.yaml"
	}
	res := automation.ParseRouting(filename, source)
	out := &leadscore.RoutingUpload{Diagnostics: diagnosticsOf(res.Diagnostics)}
	router, err := res.Compile(automation.RouterOptions{Checker: s.check})
	if err != nil {
		return out, err
	}
	sum := sha256.Sum256(source)
	f := &leadscore.RoutingFile{Version: hex.EncodeToString(sum[:6]), Name: res.Spec.Name, Filename: filename,
		Source: string(source), CreatedBy: by}
	err = s.write(ctx, func(ctx context.Context, b *batch) error {
		at, ok := b.tx.(leadscore.AutomationTx)
		if !ok {
			return leadscore.Errorf(leadscore.CodeInternal, "the store does not support automation")
		}
		return at.PutRoutingFile(ctx, f)
	})
	if err != nil {
		return nil, err
	}
	s.routing.Store(&routing{file: f, router: router})
	s.log.Info("routing file activated", "version", f.Version, "name", f.Name, "by", by)
	out.File = f
	return out, nil
}

func diagnosticsOf(ds []modelfile.Diagnostic) []leadscore.Diagnostic {
	out := make([]leadscore.Diagnostic, 0, len(ds))
	for _, d := range ds {
		out = append(out, leadscore.Diagnostic{Line: d.Line, Column: d.Column, Severity: string(d.Severity), Field: d.Field,
			Message: d.Message})
	}
	return out
}

// ActiveRouting returns the active routing file, or not_found.
func (s *Service) ActiveRouting(ctx context.Context) (*leadscore.RoutingFile, error) {
	r, err := s.autoReader()
	if err != nil {
		return nil, err
	}
	return r.ActiveRoutingFile(ctx)
}

// Owners lists the routing file's owners (and anyone else still holding
// leads) with their open MQLs and SLA breaches.
func (s *Service) Owners(ctx context.Context) ([]leadscore.OwnerStats, error) {
	r, err := s.autoReader()
	if err != nil {
		return nil, err
	}
	loads, err := r.OwnerLoads(ctx)
	if err != nil {
		return nil, err
	}
	breaches, err := r.OwnerBreaches(ctx)
	if err != nil {
		return nil, err
	}
	var out []leadscore.OwnerStats
	seen := map[string]bool{}
	if rt := s.routing.Load(); rt != nil {
		spec := rt.router.Spec()
		for _, o := range spec.Owners {
			st := leadscore.OwnerStats{Name: o.Name, Email: o.Email, Capacity: o.Capacity, InFile: true,
				OpenMQLs: loads[o.Name], Breaches: breaches[o.Name]}
			for _, t := range spec.Teams {
				if slices.Contains(t.Members, o.Name) {
					st.Teams = append(st.Teams, t.Name)
				}
			}
			out = append(out, st)
			seen[o.Name] = true
		}
	}
	var others []string
	for o := range loads {
		if !seen[o] && o != "" {
			others = append(others, o)
			seen[o] = true
		}
	}
	for o := range breaches {
		if !seen[o] && o != "" {
			others = append(others, o)
			seen[o] = true
		}
	}
	slices.Sort(others)
	for _, o := range others {
		out = append(out, leadscore.OwnerStats{Name: o, OpenMQLs: loads[o], Breaches: breaches[o]})
	}
	if out == nil {
		out = []leadscore.OwnerStats{}
	}
	return out, nil
}

// CreateWebhook validates a subscription and stores it with a new secret,
// returned this once.
func (s *Service) CreateWebhook(ctx context.Context, w leadscore.Webhook) (*leadscore.NewWebhook, error) {
	sub := subscriptionOf(&w)
	if err := sub.Validate(); err != nil {
		return nil, err
	}
	secret, err := automation.GenerateSecret(rand.Reader)
	if err != nil {
		return nil, err
	}
	w.ID, w.Secret, w.Disabled, w.DisabledReason = newID("wh"), secret.Encode(), false, ""
	w.URL = strings.TrimSpace(w.URL)
	if err := s.putWebhook(ctx, &w); err != nil {
		return nil, err
	}
	return &leadscore.NewWebhook{Webhook: w, Secret: w.Secret}, nil
}

func (s *Service) putWebhook(ctx context.Context, w *leadscore.Webhook) error {
	err := s.ws.Write(ctx, func(tx leadscore.Tx) error {
		at, ok := tx.(leadscore.AutomationTx)
		if !ok {
			return leadscore.Errorf(leadscore.CodeInternal, "the store does not support automation")
		}
		return at.PutWebhook(ctx, w)
	})
	if err != nil {
		return err
	}
	return s.reloadWebhooks(ctx)
}

// Webhooks lists every webhook, without secrets.
func (s *Service) Webhooks(ctx context.Context) ([]leadscore.Webhook, error) {
	r, err := s.autoReader()
	if err != nil {
		return nil, err
	}
	ws, err := r.Webhooks(ctx)
	if ws == nil && err == nil {
		ws = []leadscore.Webhook{}
	}
	return ws, err
}

// GetWebhook returns one webhook.
func (s *Service) GetWebhook(ctx context.Context, id string) (*leadscore.Webhook, error) {
	r, err := s.autoReader()
	if err != nil {
		return nil, err
	}
	return r.Webhook(ctx, id)
}

// UpdateWebhook changes a webhook's URL, filters, description or whether
// it is disabled; the secret stays.
func (s *Service) UpdateWebhook(ctx context.Context, w leadscore.Webhook) (*leadscore.Webhook, error) {
	old, err := s.GetWebhook(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	sub := subscriptionOf(&w)
	if err := sub.Validate(); err != nil {
		return nil, err
	}
	old.URL, old.Types, old.Models, old.MinScoreDelta, old.Description = strings.TrimSpace(w.URL), w.Types, w.Models, w.MinScoreDelta, w.Description
	switch {
	case w.Disabled && !old.Disabled:
		old.Disabled, old.DisabledAt, old.DisabledReason = true, s.now().UTC(), "disabled by hand"
	case !w.Disabled && old.Disabled:
		old.Disabled, old.DisabledAt, old.DisabledReason = false, time.Time{}, ""
	}
	if err := s.putWebhook(ctx, old); err != nil {
		return nil, err
	}
	return old, nil
}

// DeleteWebhook removes a webhook; its pending deliveries are cancelled.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	err := s.ws.Write(ctx, func(tx leadscore.Tx) error {
		at, ok := tx.(leadscore.AutomationTx)
		if !ok {
			return leadscore.Errorf(leadscore.CodeInternal, "the store does not support automation")
		}
		return at.DeleteWebhook(ctx, id)
	})
	if err != nil {
		return err
	}
	return s.reloadWebhooks(ctx)
}

// TestWebhook sends a signed test event to a webhook now and reports the
// answer. The test is not part of the outbox and is not retried.
func (s *Service) TestWebhook(ctx context.Context, id string) (*leadscore.DeliveryAttempt, error) {
	h, err := s.GetWebhook(ctx, id)
	if err != nil {
		return nil, err
	}
	secret, err := automation.ParseSecret(h.Secret)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	data, _ := json.Marshal(map[string]any{"kind": "webhook.test", "webhook_id": h.ID, "at": now,
		"message": "a test event from leadscore: answer 2xx to confirm the endpoint works"})
	ev := automation.CloudEvent{SpecVersion: "1.0", ID: newID("evt_test"), Source: s.source, Type: automation.EventTypePrefix + "webhook.test",
		Subject: h.ID, Time: now, DataContentType: "application/json", Data: data}
	body, err := ev.Body()
	if err != nil {
		return nil, err
	}
	res := automation.Deliver(ctx, s.deliver.client, automation.Endpoint{URL: h.URL, Secrets: []automation.Secret{secret},
		Timeout: s.cfg.DeliveryTimeout}, automation.Message{ID: ev.ID, Body: body}, now)
	return &leadscore.DeliveryAttempt{N: 1, At: now, Outcome: string(res.Outcome), Status: res.Status, Error: res.Error,
		Response: res.Response, DurationMS: res.Duration.Milliseconds()}, nil
}

// Deliveries lists deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, f leadscore.DeliveryFilter) ([]leadscore.Delivery, string, error) {
	r, err := s.autoReader()
	if err != nil {
		return nil, "", err
	}
	if f.State != "" && !slices.Contains([]leadscore.DeliveryState{leadscore.DeliveryPending, leadscore.DeliveryDelivered,
		leadscore.DeliveryFailed, leadscore.DeliveryCancelled}, f.State) {
		return nil, "", leadscore.Invalid("state", "unknown delivery state %q (use pending, delivered, failed or cancelled)", f.State)
	}
	ds, next, err := r.Deliveries(ctx, f)
	if ds == nil && err == nil {
		ds = []leadscore.Delivery{}
	}
	return ds, next, err
}

// GetDelivery returns a delivery with its attempts.
func (s *Service) GetDelivery(ctx context.Context, id string) (*leadscore.Delivery, error) {
	r, err := s.autoReader()
	if err != nil {
		return nil, err
	}
	d, err := r.Delivery(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.AttemptDetail, err = r.DeliveryAttempts(ctx, id); err != nil {
		return nil, err
	}
	return d, nil
}

// ReplayDelivery sends a delivery again, whatever became of it, with the
// same event id: a new retry schedule starts now.
func (s *Service) ReplayDelivery(ctx context.Context, id string) (*leadscore.Delivery, error) {
	var d *leadscore.Delivery
	err := s.ws.Write(ctx, func(tx leadscore.Tx) error {
		at, ok := tx.(leadscore.AutomationTx)
		if !ok {
			return leadscore.Errorf(leadscore.CodeInternal, "the store does not support automation")
		}
		var err error
		if d, err = at.Delivery(ctx, id); err != nil {
			return err
		}
		h, err := at.Webhook(ctx, d.WebhookID)
		if leadscore.CodeOf(err) == leadscore.CodeNotFound {
			return leadscore.Errorf(leadscore.CodeConflict, "the webhook %s of this delivery was deleted", d.WebhookID)
		}
		if err != nil {
			return err
		}
		if h.Disabled {
			return leadscore.Errorf(leadscore.CodeConflict, "the webhook %s is disabled (%s); enable it first", h.ID, h.DisabledReason)
		}
		now := s.now().UTC()
		d.State, d.FirstAttempt, d.NextAttempt, d.DeliveredAt = leadscore.DeliveryPending, time.Time{}, now, time.Time{}
		return at.UpdateDelivery(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	s.deliver.wake()
	return d, nil
}
