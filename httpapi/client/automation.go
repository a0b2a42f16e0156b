package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/leadscore/leadscore"
)

// LeadAction performs a sales action on a lead (accept, reject, recycle,
// set_stage, assign).
func (c *Client) LeadAction(ctx context.Context, id string, a leadscore.LeadAction) (*leadscore.AutomationView, error) {
	var out leadscore.AutomationView
	return done(&out, c.call(ctx, "POST", "/api/v1/leads/"+url.PathEscape(id)+"/actions", nil, a, &out))
}

// LeadAutomation returns a lead's stage, owner, deadline and outcome.
func (c *Client) LeadAutomation(ctx context.Context, id string) (*leadscore.AutomationView, error) {
	var out leadscore.AutomationView
	return done(&out, c.call(ctx, "GET", "/api/v1/leads/"+url.PathEscape(id)+"/automation", nil, nil, &out))
}

// RecordOutcome stores a lead's outcome; a zero At means now.
func (c *Client) RecordOutcome(ctx context.Context, o leadscore.Outcome) (*leadscore.Outcome, error) {
	req := outcomeRequest{Result: string(o.Result), Value: o.Value, Currency: o.Currency, Reason: o.Reason, By: o.By}
	if !o.At.IsZero() {
		req.At = o.At.Format(time.RFC3339Nano)
	}
	var out leadscore.Outcome
	return done(&out, c.call(ctx, "PUT", "/api/v1/leads/"+url.PathEscape(o.LeadID)+"/outcome", nil, req, &out))
}

// LeadTimeline returns a page of a lead's transitions and the cursor of
// the next page ("" for none).
func (c *Client) LeadTimeline(ctx context.Context, id, cursor string, limit int) ([]leadscore.HistoryEntry, string, error) {
	q := limitQuery(limit)
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var out page[leadscore.HistoryEntry]
	err := c.call(ctx, "GET", "/api/v1/leads/"+url.PathEscape(id)+"/timeline", q, nil, &out)
	return nonNil(out.Data), out.NextCursor, err
}

// UploadRouting uploads a routing file and makes it active. When the
// server refuses it the result holds the diagnostics.
func (c *Client) UploadRouting(ctx context.Context, filename string, source []byte) (*leadscore.RoutingUpload, error) {
	q := url.Values{}
	if filename != "" {
		q.Set("filename", filename)
	}
	var out leadscore.RoutingUpload
	err := c.do(ctx, "POST", "/api/v1/routing", q, "application/yaml", source, &out)
	var he *HTTPError
	if errors.As(err, &he) && he.StatusCode == http.StatusUnprocessableEntity {
		for _, it := range he.Problem.Errors {
			out.Diagnostics = append(out.Diagnostics, leadscore.Diagnostic{Line: it.Line, Column: it.Column,
				Severity: it.Severity, Field: it.Field, Message: it.Message})
		}
		return &out, err
	}
	return done(&out, err)
}

// ActiveRouting returns the active routing file.
func (c *Client) ActiveRouting(ctx context.Context) (*leadscore.RoutingFile, error) {
	var out leadscore.RoutingFile
	return done(&out, c.call(ctx, "GET", "/api/v1/routing", nil, nil, &out))
}

// Owners lists owners with their open MQLs and SLA breaches.
func (c *Client) Owners(ctx context.Context) ([]leadscore.OwnerStats, error) {
	var out page[leadscore.OwnerStats]
	err := c.call(ctx, "GET", "/api/v1/owners", nil, nil, &out)
	return nonNil(out.Data), err
}

func webhookRequest(w leadscore.Webhook) webhookBody {
	return webhookBody{URL: w.URL, Types: w.Types, Models: w.Models, MinScoreDelta: w.MinScoreDelta,
		Description: w.Description, Disabled: w.Disabled}
}

// CreateWebhook subscribes a URL; the result holds the secret, shown once.
func (c *Client) CreateWebhook(ctx context.Context, w leadscore.Webhook) (*leadscore.NewWebhook, error) {
	var out leadscore.NewWebhook
	return done(&out, c.call(ctx, "POST", "/api/v1/webhooks", nil, webhookRequest(w), &out))
}

// Webhooks lists the webhooks.
func (c *Client) Webhooks(ctx context.Context) ([]leadscore.Webhook, error) {
	var out page[leadscore.Webhook]
	err := c.call(ctx, "GET", "/api/v1/webhooks", nil, nil, &out)
	return nonNil(out.Data), err
}

// GetWebhook returns one webhook.
func (c *Client) GetWebhook(ctx context.Context, id string) (*leadscore.Webhook, error) {
	var out leadscore.Webhook
	return done(&out, c.call(ctx, "GET", "/api/v1/webhooks/"+url.PathEscape(id), nil, nil, &out))
}

// UpdateWebhook changes a webhook's URL, filters or whether it is disabled.
func (c *Client) UpdateWebhook(ctx context.Context, w leadscore.Webhook) (*leadscore.Webhook, error) {
	var out leadscore.Webhook
	return done(&out, c.call(ctx, "PUT", "/api/v1/webhooks/"+url.PathEscape(w.ID), nil, webhookRequest(w), &out))
}

// DeleteWebhook removes a webhook.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	return c.call(ctx, "DELETE", "/api/v1/webhooks/"+url.PathEscape(id), nil, nil, nil)
}

// TestWebhook sends a signed test event and returns the receiver's answer.
func (c *Client) TestWebhook(ctx context.Context, id string) (*leadscore.DeliveryAttempt, error) {
	var out leadscore.DeliveryAttempt
	return done(&out, c.call(ctx, "POST", "/api/v1/webhooks/"+url.PathEscape(id)+"/test", nil, nil, &out))
}

// Deliveries returns a page of deliveries, newest first, and the cursor of
// the next page.
func (c *Client) Deliveries(ctx context.Context, f leadscore.DeliveryFilter) ([]leadscore.Delivery, string, error) {
	q := limitQuery(f.Limit)
	for k, v := range map[string]string{"webhook": f.WebhookID, "lead": f.LeadID, "state": string(f.State), "cursor": f.After} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out page[leadscore.Delivery]
	err := c.call(ctx, "GET", "/api/v1/deliveries", q, nil, &out)
	return nonNil(out.Data), out.NextCursor, err
}

// GetDelivery returns a delivery with its attempts.
func (c *Client) GetDelivery(ctx context.Context, id string) (*leadscore.Delivery, error) {
	var out leadscore.Delivery
	return done(&out, c.call(ctx, "GET", "/api/v1/deliveries/"+url.PathEscape(id), nil, nil, &out))
}

// ReplayDelivery sends a delivery again with the same event id.
func (c *Client) ReplayDelivery(ctx context.Context, id string) (*leadscore.Delivery, error) {
	var out leadscore.Delivery
	return done(&out, c.call(ctx, "POST", "/api/v1/deliveries/"+url.PathEscape(id)+"/replay", nil, nil, &out))
}

// outcomeRequest and webhookBody are the request bodies of the API
// (httpapi.OutcomeRequest, httpapi.WebhookRequest), repeated here so that
// the client does not depend on the server's package.
type outcomeRequest struct {
	Result   string   `json:"result"`
	Value    *float64 `json:"value,omitempty"`
	Currency string   `json:"currency,omitempty"`
	At       string   `json:"at,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	By       string   `json:"by,omitempty"`
}

type webhookBody struct {
	URL           string   `json:"url"`
	Types         []string `json:"types,omitempty"`
	Models        []string `json:"models,omitempty"`
	MinScoreDelta float64  `json:"min_score_delta,omitempty"`
	Description   string   `json:"description,omitempty"`
	Disabled      bool     `json:"disabled,omitempty"`
}
