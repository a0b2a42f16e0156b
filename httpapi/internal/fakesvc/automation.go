package fakesvc

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
)

// The automation methods keep just enough state for the HTTP layer's
// tests: a stage and owner per lead, outcomes, a history of the actions,
// one routing file, webhooks and deliveries.

type autoState struct {
	stages     map[string]*leadscore.AutomationView
	history    map[string][]leadscore.HistoryEntry
	routing    *leadscore.RoutingFile
	webhooks   map[string]*leadscore.Webhook
	hookOrder  []string
	deliveries []*leadscore.Delivery
}

func (s *Service) autoInit() *autoState {
	if s.auto == nil {
		s.auto = &autoState{stages: map[string]*leadscore.AutomationView{}, history: map[string][]leadscore.HistoryEntry{},
			webhooks: map[string]*leadscore.Webhook{}}
	}
	return s.auto
}

// AddDelivery stores a delivery for the listing and replay endpoints.
func (s *Service) AddDelivery(d leadscore.Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.autoInit()
	a.deliveries = append(a.deliveries, &d)
}

func (s *Service) view(id string) *leadscore.AutomationView {
	a := s.autoInit()
	v, ok := a.stages[id]
	if !ok {
		v = &leadscore.AutomationView{LeadID: id, Stage: "lead"}
		a.stages[id] = v
	}
	return v
}

func (s *Service) LeadAction(ctx context.Context, id string, act leadscore.LeadAction) (*leadscore.AutomationView, error) {
	err := s.begin("LeadAction", id, act)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, ok := s.leads[id]; !ok {
		return nil, notFound("lead", id)
	}
	v := s.view(id)
	switch act.Action {
	case "accept":
		if v.Stage != "marketingqualifiedlead" {
			return nil, &leadscore.Error{Code: leadscore.CodeConflict, Message: "only an MQL can be accepted; the lead is " + v.Stage}
		}
	case "reject":
		v.Stage = "other"
	case "recycle":
		v.Stage, v.Owner = "lead", ""
	case "set_stage":
		v.Stage = act.Stage
	case "assign":
		if act.Owner == "" {
			return nil, leadscore.Invalid("owner", "an assignment needs an owner")
		}
		v.Owner = act.Owner
	default:
		return nil, leadscore.Invalid("action", "unknown action %q", act.Action)
	}
	a := s.autoInit()
	a.history[id] = append(a.history[id], leadscore.HistoryEntry{Seq: int64(len(a.history[id]) + 1), LeadID: id,
		Kind: "lead." + act.Action, At: s.now, Data: []byte(`{}`)})
	c := *v
	return &c, nil
}

func (s *Service) LeadAutomation(ctx context.Context, id string) (*leadscore.AutomationView, error) {
	err := s.begin("LeadAutomation", id)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, ok := s.leads[id]; !ok {
		return nil, notFound("lead", id)
	}
	c := *s.view(id)
	return &c, nil
}

func (s *Service) RecordOutcome(ctx context.Context, o leadscore.Outcome) (*leadscore.Outcome, error) {
	err := s.begin("RecordOutcome", o)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, ok := s.leads[o.LeadID]; !ok {
		return nil, notFound("lead", o.LeadID)
	}
	if o.Result != leadscore.OutcomeWon && o.Result != leadscore.OutcomeLost {
		return nil, leadscore.Invalid("result", "use won or lost")
	}
	o.RecordedAt = s.now
	if o.At.IsZero() {
		o.At = s.now
	}
	s.view(o.LeadID).Outcome = &o
	return &o, nil
}

func (s *Service) LeadTimelineTail(ctx context.Context, id string, limit int) ([]leadscore.HistoryEntry, int, error) {
	err := s.begin("LeadTimelineTail", id, limit)
	defer s.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	if _, ok := s.leads[id]; !ok {
		return nil, 0, notFound("lead", id)
	}
	all := s.autoInit().history[id]
	return slices.Clone(all[max(0, len(all)-limit):]), len(all), nil
}

func (s *Service) LeadTimeline(ctx context.Context, id string, after int64, limit int) ([]leadscore.HistoryEntry, error) {
	err := s.begin("LeadTimeline", id, after, limit)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, ok := s.leads[id]; !ok {
		return nil, notFound("lead", id)
	}
	out := []leadscore.HistoryEntry{}
	for _, h := range s.autoInit().history[id] {
		if h.Seq > after {
			out = append(out, h)
		}
	}
	return out, nil
}

func (s *Service) UploadRouting(ctx context.Context, filename string, source []byte, by string) (*leadscore.RoutingUpload, error) {
	err := s.begin("UploadRouting", filename, string(source), by)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(source), "owners:") {
		d := leadscore.Diagnostic{Line: 1, Column: 1, Severity: "error", Field: "owners", Message: "a routing file needs owners"}
		return &leadscore.RoutingUpload{Diagnostics: []leadscore.Diagnostic{d}},
			&leadscore.Error{Code: leadscore.CodeInvalid, Message: filename + ": 1 error"}
	}
	f := &leadscore.RoutingFile{Version: "r" + strconv.Itoa(len(source)), Filename: filename, Source: string(source),
		CreatedAt: s.now, CreatedBy: by, Active: true}
	s.autoInit().routing = f
	return &leadscore.RoutingUpload{File: f}, nil
}

func (s *Service) ActiveRouting(ctx context.Context) (*leadscore.RoutingFile, error) {
	err := s.begin("ActiveRouting")
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if f := s.autoInit().routing; f != nil {
		return f, nil
	}
	return nil, leadscore.Errorf(leadscore.CodeNotFound, "no routing file has been uploaded")
}

func (s *Service) Owners(ctx context.Context) ([]leadscore.OwnerStats, error) {
	err := s.begin("Owners")
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	var names []string
	for _, v := range s.autoInit().stages {
		if v.Owner != "" {
			if counts[v.Owner] == 0 {
				names = append(names, v.Owner)
			}
			counts[v.Owner]++
		}
	}
	out := []leadscore.OwnerStats{}
	for _, n := range names {
		out = append(out, leadscore.OwnerStats{Name: n, OpenMQLs: counts[n]})
	}
	return out, nil
}

func (s *Service) CreateWebhook(ctx context.Context, w leadscore.Webhook) (*leadscore.NewWebhook, error) {
	err := s.begin("CreateWebhook", w)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(w.URL, "http://") && !strings.HasPrefix(w.URL, "https://") {
		return nil, leadscore.Invalid("url", "%q is not absolute; write it with https://", w.URL)
	}
	a := s.autoInit()
	w.ID = "wh_" + strconv.Itoa(len(a.hookOrder)+1)
	w.Secret, w.CreatedAt, w.UpdatedAt = "whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3Q=", s.now, s.now
	a.webhooks[w.ID] = &w
	a.hookOrder = append(a.hookOrder, w.ID)
	return &leadscore.NewWebhook{Webhook: w, Secret: w.Secret}, nil
}

func (s *Service) Webhooks(ctx context.Context) ([]leadscore.Webhook, error) {
	err := s.begin("Webhooks")
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	a := s.autoInit()
	out := []leadscore.Webhook{}
	for _, id := range a.hookOrder {
		if w, ok := a.webhooks[id]; ok {
			out = append(out, *w)
		}
	}
	return out, nil
}

func (s *Service) GetWebhook(ctx context.Context, id string) (*leadscore.Webhook, error) {
	err := s.begin("GetWebhook", id)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	w, ok := s.autoInit().webhooks[id]
	if !ok {
		return nil, notFound("webhook", id)
	}
	c := *w
	return &c, nil
}

func (s *Service) UpdateWebhook(ctx context.Context, w leadscore.Webhook) (*leadscore.Webhook, error) {
	err := s.begin("UpdateWebhook", w)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	old, ok := s.autoInit().webhooks[w.ID]
	if !ok {
		return nil, notFound("webhook", w.ID)
	}
	w.Secret, w.CreatedAt, w.UpdatedAt = old.Secret, old.CreatedAt, s.now
	*old = w
	c := w
	return &c, nil
}

func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	err := s.begin("DeleteWebhook", id)
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	a := s.autoInit()
	if _, ok := a.webhooks[id]; !ok {
		return notFound("webhook", id)
	}
	delete(a.webhooks, id)
	return nil
}

func (s *Service) TestWebhook(ctx context.Context, id string) (*leadscore.DeliveryAttempt, error) {
	err := s.begin("TestWebhook", id)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, ok := s.autoInit().webhooks[id]; !ok {
		return nil, notFound("webhook", id)
	}
	return &leadscore.DeliveryAttempt{N: 1, At: s.now, Outcome: "delivered", Status: 204}, nil
}

func (s *Service) Deliveries(ctx context.Context, f leadscore.DeliveryFilter) ([]leadscore.Delivery, string, error) {
	err := s.begin("Deliveries", f)
	defer s.mu.Unlock()
	if err != nil {
		return nil, "", err
	}
	out := []leadscore.Delivery{}
	for _, d := range s.autoInit().deliveries {
		if (f.WebhookID == "" || d.WebhookID == f.WebhookID) && (f.State == "" || d.State == f.State) &&
			(f.LeadID == "" || d.LeadID == f.LeadID) {
			out = append(out, *d)
		}
	}
	return out, "", nil
}

func (s *Service) GetDelivery(ctx context.Context, id string) (*leadscore.Delivery, error) {
	err := s.begin("GetDelivery", id)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, d := range s.autoInit().deliveries {
		if d.ID == id {
			c := *d
			return &c, nil
		}
	}
	return nil, notFound("delivery", id)
}

func (s *Service) ReplayDelivery(ctx context.Context, id string) (*leadscore.Delivery, error) {
	err := s.begin("ReplayDelivery", id)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, d := range s.autoInit().deliveries {
		if d.ID == id {
			d.State, d.NextAttempt = leadscore.DeliveryPending, s.now
			c := *d
			return &c, nil
		}
	}
	return nil, notFound("delivery", id)
}
