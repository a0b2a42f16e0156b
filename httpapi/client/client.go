// Package client is a typed Go client for leadscore's REST API. Its
// methods mirror the routes under /api/v1; a failed call returns a
// *leadscore.Error whose code says what went wrong (not_found, forbidden,
// invalid...) and which wraps an *HTTPError with the status and the full
// problem detail.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// Client calls one leadscore server with one API key. It is safe for
// concurrent use.
type Client struct {
	base string
	key  string
	hc   *http.Client
}

// NewClient returns a client for the server at baseURL (such as
// "http://localhost:8080"). A nil httpClient means http.DefaultClient.
func NewClient(baseURL, key string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), key: key, hc: httpClient}
}

// Event is one event for SendEvents. Name the lead with LeadID (or its
// synonym UserID), Email or AnonymousID. A zero Timestamp means "when the
// server receives it"; an empty MessageID is derived from the event's
// content, so resending the same event is deduplicated either way.
type Event struct {
	LeadID      string         `json:"lead_id,omitempty"`
	UserID      string         `json:"user_id,omitempty"`
	Email       string         `json:"email,omitempty"`
	AnonymousID string         `json:"anonymous_id,omitempty"`
	Type        string         `json:"type"`
	Timestamp   time.Time      `json:"timestamp,omitzero"`
	Properties  map[string]any `json:"properties,omitempty"`
	MessageID   string         `json:"message_id,omitempty"`
	UserAgent   string         `json:"user_agent,omitempty"`
	IP          string         `json:"ip,omitempty"`
}

// EventResult is what became of one event, by its index in the request.
type EventResult struct {
	Index     int                    `json:"index"`
	MessageID string                 `json:"message_id,omitempty"`
	Status    leadscore.IngestStatus `json:"status"`
	LeadID    string                 `json:"lead_id,omitempty"`
	Error     string                 `json:"error,omitempty"`
}

// IngestSummary is the answer to SendEvents.
type IngestSummary struct {
	Accepted   int           `json:"accepted"`
	Duplicates int           `json:"duplicates"`
	Rejected   int           `json:"rejected"`
	Results    []EventResult `json:"results"`
}

// Problem is an RFC 9457 problem detail as the server sends it.
type Problem struct {
	Type      string        `json:"type"`
	Title     string        `json:"title"`
	Status    int           `json:"status"`
	Detail    string        `json:"detail"`
	Code      string        `json:"code"`
	RequestID string        `json:"request_id"`
	Errors    []ProblemItem `json:"errors"`
}

// ProblemItem is one field error or model diagnostic.
type ProblemItem struct {
	Index    *int   `json:"index,omitempty"`
	Field    string `json:"field,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message"`
}

// HTTPError is the HTTP side of a failed call. It is wrapped by the
// *leadscore.Error every method returns; reach it with errors.As.
type HTTPError struct {
	StatusCode int
	// RetryAfter is the server's Retry-After (429, 503), zero if none.
	RetryAfter time.Duration
	Problem    Problem
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, e.Problem.Detail)
}

// SendEvents posts events in one request. Events the server rejects are
// reported in the summary, not as an error.
func (c *Client) SendEvents(ctx context.Context, events []Event) (*IngestSummary, error) {
	var out IngestSummary
	err := c.call(ctx, "POST", "/api/v1/events", nil, map[string]any{"events": nonNil(events)}, &out)
	return done(&out, err)
}

// UpsertLeads creates or updates leads and returns how many were stored.
// The request is all or nothing.
func (c *Client) UpsertLeads(ctx context.Context, leads []leadscore.Lead) (int, error) {
	var out struct{ Upserted int }
	err := c.call(ctx, "POST", "/api/v1/leads", nil, map[string]any{"leads": nonNil(leads)}, &out)
	return out.Upserted, err
}

// UpsertAccounts creates or updates accounts, like UpsertLeads.
func (c *Client) UpsertAccounts(ctx context.Context, accounts []leadscore.Account) (int, error) {
	var out struct{ Upserted int }
	err := c.call(ctx, "POST", "/api/v1/accounts", nil, map[string]any{"accounts": nonNil(accounts)}, &out)
	return out.Upserted, err
}

type page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// ListLeads returns one page of leads and the cursor of the next page
// (empty on the last). Pass the cursor back as f.After.
func (c *Client) ListLeads(ctx context.Context, f leadscore.LeadFilter) ([]leadscore.LeadRow, string, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("model", f.Model)
	set("band", f.Band)
	if f.Qualified != nil {
		q.Set("qualified", strconv.FormatBool(*f.Qualified))
	}
	set("account", f.AccountID)
	set("owner", f.Owner)
	if f.MinScore != nil {
		q.Set("min_score", strconv.FormatFloat(*f.MinScore, 'g', -1, 64))
	}
	if !f.UpdatedSince.IsZero() {
		q.Set("updated_since", f.UpdatedSince.Format(time.RFC3339Nano))
	}
	set("q", f.Query)
	set("order", f.OrderBy)
	set("cursor", f.After)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out page[leadscore.LeadRow]
	err := c.call(ctx, "GET", "/api/v1/leads", q, nil, &out)
	return out.Data, out.NextCursor, err
}

// GetLead returns a lead with its account and current scores.
func (c *Client) GetLead(ctx context.Context, id string) (*leadscore.LeadView, error) {
	var out leadscore.LeadView
	err := c.call(ctx, "GET", "/api/v1/leads/"+url.PathEscape(id), nil, nil, &out)
	return done(&out, err)
}

// LeadEvents returns a lead's most recent events, up to limit (0: the
// server's default).
func (c *Client) LeadEvents(ctx context.Context, id string, limit int) ([]leadscore.StoredEvent, error) {
	var out page[leadscore.StoredEvent]
	err := c.call(ctx, "GET", "/api/v1/leads/"+url.PathEscape(id)+"/events", limitQuery(limit), nil, &out)
	return out.Data, err
}

// LeadHistory returns one page of a lead's ledger, optionally for one
// model, and the cursor of the next page.
func (c *Client) LeadHistory(ctx context.Context, id, model, cursor string, limit int) ([]leadscore.LedgerEntry, string, error) {
	q := limitQuery(limit)
	if model != "" {
		q.Set("model", model)
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var out page[leadscore.LedgerEntry]
	err := c.call(ctx, "GET", "/api/v1/leads/"+url.PathEscape(id)+"/history", q, nil, &out)
	return out.Data, out.NextCursor, err
}

// ScoreAsOf evaluates a lead as of t (zero: now) under the active models,
// or under one version of one model.
func (c *Client) ScoreAsOf(ctx context.Context, id string, t time.Time, model, version string) ([]*leadscore.Evaluation, error) {
	q := url.Values{}
	if !t.IsZero() {
		q.Set("as_of", t.Format(time.RFC3339Nano))
	}
	if model != "" {
		q.Set("model", model)
	}
	if version != "" {
		q.Set("version", version)
	}
	var out struct {
		Data []*leadscore.Evaluation `json:"data"`
	}
	err := c.call(ctx, "GET", "/api/v1/leads/"+url.PathEscape(id)+"/score", q, nil, &out)
	return out.Data, err
}

// GetAccount returns an account with its people and account scores.
func (c *Client) GetAccount(ctx context.Context, id string) (*leadscore.AccountView, error) {
	var out leadscore.AccountView
	err := c.call(ctx, "GET", "/api/v1/accounts/"+url.PathEscape(id), nil, nil, &out)
	return done(&out, err)
}

// AccountLists returns every account list.
func (c *Client) AccountLists(ctx context.Context) ([]leadscore.AccountList, error) {
	var out page[leadscore.AccountList]
	err := c.call(ctx, "GET", "/api/v1/account-lists", nil, nil, &out)
	return out.Data, err
}

// AccountList returns one account list.
func (c *Client) AccountList(ctx context.Context, name string) (*leadscore.AccountList, error) {
	var out leadscore.AccountList
	err := c.call(ctx, "GET", "/api/v1/account-lists/"+url.PathEscape(name), nil, nil, &out)
	return done(&out, err)
}

// PutAccountList creates or replaces the list named l.Name and returns it
// as stored.
func (c *Client) PutAccountList(ctx context.Context, l leadscore.AccountList) (*leadscore.AccountList, error) {
	var out leadscore.AccountList
	err := c.call(ctx, "PUT", "/api/v1/account-lists/"+url.PathEscape(l.Name), nil, l, &out)
	return done(&out, err)
}

// DeleteAccountList deletes a list.
func (c *Client) DeleteAccountList(ctx context.Context, name string) error {
	return c.call(ctx, "DELETE", "/api/v1/account-lists/"+url.PathEscape(name), nil, nil, nil)
}

// AddToAccountList adds domains to a list.
func (c *Client) AddToAccountList(ctx context.Context, name string, domains []string) error {
	return c.call(ctx, "POST", "/api/v1/account-lists/"+url.PathEscape(name)+"/members", nil,
		map[string]any{"domains": nonNil(domains)}, nil)
}

// RemoveFromAccountList removes domains from a list.
func (c *Client) RemoveFromAccountList(ctx context.Context, name string, domains []string) error {
	return c.call(ctx, "DELETE", "/api/v1/account-lists/"+url.PathEscape(name)+"/members", nil,
		map[string]any{"domains": nonNil(domains)}, nil)
}

// UploadModel uploads a YAML model file. When the server rejects the file,
// the result still holds its diagnostics, and the error has code invalid.
func (c *Client) UploadModel(ctx context.Context, filename string, source []byte) (*leadscore.UploadResult, error) {
	q := url.Values{}
	if filename != "" {
		q.Set("filename", filename)
	}
	var out leadscore.UploadResult
	err := c.do(ctx, "POST", "/api/v1/models", q, "application/yaml", source, &out)
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

// ActiveModels returns the active version of each model.
func (c *Client) ActiveModels(ctx context.Context) ([]leadscore.ModelVersion, error) {
	var out page[leadscore.ModelVersion]
	err := c.call(ctx, "GET", "/api/v1/models", nil, nil, &out)
	return out.Data, err
}

// ModelVersions returns every version of one model.
func (c *Client) ModelVersions(ctx context.Context, name string) ([]leadscore.ModelVersion, error) {
	var out page[leadscore.ModelVersion]
	err := c.call(ctx, "GET", "/api/v1/models/"+url.PathEscape(name)+"/versions", nil, nil, &out)
	return out.Data, err
}

// ActivateModel activates a version and returns the re-scoring job.
func (c *Client) ActivateModel(ctx context.Context, name, version string) (*leadscore.Job, error) {
	var out leadscore.Job
	err := c.call(ctx, "POST", "/api/v1/models/"+url.PathEscape(name)+"/versions/"+url.PathEscape(version)+"/activate",
		nil, nil, &out)
	return done(&out, err)
}

// Job returns a background job's progress.
func (c *Client) Job(ctx context.Context, id string) (*leadscore.Job, error) {
	var out leadscore.Job
	err := c.call(ctx, "GET", "/api/v1/jobs/"+url.PathEscape(id), nil, nil, &out)
	return done(&out, err)
}

// CreateAPIKey creates a key; the returned Secret is shown this once.
func (c *Client) CreateAPIKey(ctx context.Context, name string, scopes []leadscore.Scope) (*leadscore.NewAPIKey, error) {
	var out leadscore.NewAPIKey
	err := c.call(ctx, "POST", "/api/v1/keys", nil, map[string]any{"name": name, "scopes": nonNil(scopes)}, &out)
	return done(&out, err)
}

// APIKeys lists the keys, without secrets.
func (c *Client) APIKeys(ctx context.Context) ([]leadscore.APIKey, error) {
	var out page[leadscore.APIKey]
	err := c.call(ctx, "GET", "/api/v1/keys", nil, nil, &out)
	return out.Data, err
}

// RevokeAPIKey revokes a key.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) error {
	return c.call(ctx, "DELETE", "/api/v1/keys/"+url.PathEscape(id), nil, nil, nil)
}

// Ready returns nil when the server's /readyz answers 200.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, "GET", "/readyz", nil, "", nil, nil)
}

func limitQuery(limit int) url.Values {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return q
}

// nonNil sends [] rather than null for an empty slice.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// done returns v only when the call succeeded.
func done[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (c *Client) call(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body []byte
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &leadscore.Error{Code: leadscore.CodeInvalid, Message: "cannot encode the request", Err: err}
		}
		body, ct = b, "application/json"
	}
	return c.do(ctx, method, path, q, ct, body, out)
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, contentType string, body []byte, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return &leadscore.Error{Code: leadscore.CodeInvalid, Message: "cannot build the request", Err: err}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return &leadscore.Error{Code: leadscore.CodeInternal, Message: method + " " + path + " failed", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return responseError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return &leadscore.Error{Code: leadscore.CodeInternal, Message: "cannot decode the response to " + method + " " + path, Err: err}
	}
	return nil
}

// responseError turns an error response into a *leadscore.Error wrapping
// an *HTTPError. The problem's code is used when the server sent one;
// otherwise the status decides.
func responseError(resp *http.Response) error {
	he := &HTTPError{StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		_ = json.Unmarshal(raw, &he.Problem)
	}
	if he.Problem.Status == 0 {
		he.Problem.Status = resp.StatusCode
	}
	if he.Problem.Detail == "" {
		he.Problem.Detail = http.StatusText(resp.StatusCode)
		if mt != "application/problem+json" {
			if s := strings.TrimSpace(string(raw)); s != "" && len(s) < 200 {
				he.Problem.Detail += ": " + s
			}
		}
	}
	return &leadscore.Error{Code: codeFor(he), Message: he.Problem.Detail, Err: he}
}

func codeFor(he *HTTPError) leadscore.ErrorCode {
	switch c := leadscore.ErrorCode(he.Problem.Code); c {
	case leadscore.CodeInvalid, leadscore.CodeNotFound, leadscore.CodeConflict,
		leadscore.CodeUnauthorized, leadscore.CodeForbidden, leadscore.CodeInternal:
		return c
	}
	switch he.StatusCode {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		return leadscore.CodeInvalid
	case http.StatusUnauthorized:
		return leadscore.CodeUnauthorized
	case http.StatusForbidden:
		return leadscore.CodeForbidden
	case http.StatusNotFound:
		return leadscore.CodeNotFound
	case http.StatusConflict:
		return leadscore.CodeConflict
	}
	return leadscore.CodeInternal
}

func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
