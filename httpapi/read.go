package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
)

// page is the envelope of every list response. NextCursor is absent on the
// last page; passing it back as ?cursor= gives the next one.
type page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func newPage[T any](data []T, next string) page[T] {
	if data == nil {
		data = []T{}
	}
	return page[T]{Data: data, NextCursor: next}
}

// query reads query parameters, collecting every problem so that one
// answer lists them all.
type query struct {
	v     url.Values
	probs []problemItem
}

func newQuery(r *http.Request) *query { return &query{v: r.URL.Query()} }

func (q *query) bad(name, msg string) { q.probs = append(q.probs, fieldItem(name, msg)) }

func (q *query) str(name string) string { return strings.TrimSpace(q.v.Get(name)) }

func (q *query) boolean(name string) *bool {
	s := q.str(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.bad(name, "must be true or false")
		return nil
	}
	return &b
}

func (q *query) number(name string) *float64 {
	s := q.str(name)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		q.bad(name, "must be a number")
		return nil
	}
	return &f
}

func (q *query) time(name string) time.Time {
	s := q.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := ingest.ParseTime(s)
	if err != nil {
		q.bad(name, "must be an RFC 3339 time or a date (2026-09-01)")
		return time.Time{}
	}
	return t
}

func (q *query) limit(def, max int) int {
	s := q.str("limit")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		q.bad("limit", "must be a whole number from 1 to "+strconv.Itoa(max))
		return def
	}
	return n
}

func (q *query) err() error {
	if len(q.probs) == 0 {
		return nil
	}
	return invalid("invalid query parameters", q.probs...)
}

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// listLeads serves GET /api/v1/leads with leadscore.LeadFilter's fields as
// query parameters. The cursor is the store's and passes through as is.
func (s *server) listLeads(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r)
	f := leadscore.LeadFilter{
		Model:        q.str("model"),
		Band:         q.str("band"),
		Qualified:    q.boolean("qualified"),
		AccountID:    q.str("account"),
		Owner:        q.str("owner"),
		MinScore:     q.number("min_score"),
		UpdatedSince: q.time("updated_since"),
		Query:        q.str("q"),
		OrderBy:      q.str("order"),
		After:        q.v.Get("cursor"),
		Limit:        q.limit(defaultPageSize, maxPageSize),
	}
	switch f.OrderBy {
	case "", "score", "updated":
	default:
		q.bad("order", "must be score or updated")
	}
	if err := q.err(); err != nil {
		return err
	}
	rows, next, err := s.svc.ListLeads(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(rows, next))
	return nil
}

func (s *server) getLead(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	v, err := s.svc.GetLead(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// leadEvents serves a lead's most recent events, up to ?limit.
func (s *server) leadEvents(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r)
	limit := q.limit(100, 1000)
	if err := q.err(); err != nil {
		return err
	}
	evs, err := s.svc.LeadEvents(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(evs, ""))
	return nil
}

// leadHistory pages through a lead's ledger. The cursor is the sequence
// number of the last entry seen; one entry more than the page is asked for
// so that the last page carries no cursor.
func (s *server) leadHistory(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r)
	limit := q.limit(defaultPageSize, maxPageSize)
	var after int64
	if c := q.str("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 0 {
			q.bad("cursor", "is not a cursor returned by this API")
		}
		after = n
	}
	if err := q.err(); err != nil {
		return err
	}
	entries, err := s.svc.LeadHistory(r.Context(), r.PathValue("id"), q.str("model"), after, limit+1)
	if err != nil {
		return err
	}
	next := ""
	if len(entries) > limit {
		entries = entries[:limit]
		next = strconv.FormatInt(entries[limit-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, newPage(entries, next))
	return nil
}

type scoreResponse struct {
	AsOf time.Time               `json:"as_of"`
	Data []*leadscore.Evaluation `json:"data"`
}

// leadScore evaluates a lead as of a time (default now) under the active
// models, or one version of one model.
func (s *server) leadScore(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := newQuery(r)
	asOf := q.time("as_of")
	model, version := q.str("model"), q.str("version")
	if version != "" && model == "" {
		q.bad("version", "needs model")
	}
	if err := q.err(); err != nil {
		return err
	}
	if asOf.IsZero() {
		asOf = rc.received
	}
	evals, err := s.svc.ScoreAsOf(r.Context(), r.PathValue("id"), asOf, model, version)
	if err != nil {
		return err
	}
	if evals == nil {
		evals = []*leadscore.Evaluation{}
	}
	writeJSON(w, http.StatusOK, scoreResponse{AsOf: asOf.UTC(), Data: evals})
	return nil
}

func (s *server) getAccount(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	v, err := s.svc.GetAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) accountLists(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	lists, err := s.svc.AccountLists(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(lists, ""))
	return nil
}

func (s *server) findList(r *http.Request, name string) (*leadscore.AccountList, error) {
	lists, err := s.svc.AccountLists(r.Context())
	if err != nil {
		return nil, err
	}
	for i := range lists {
		if lists[i].Name == name {
			return &lists[i], nil
		}
	}
	return nil, leadscore.Errorf(leadscore.CodeNotFound, "no account list named %q", name)
}

func (s *server) accountList(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	l, err := s.findList(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// putAccountList creates or replaces a list; the name comes from the path.
func (s *server) putAccountList(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	name := r.PathValue("name")
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var l leadscore.AccountList
	if err := decodeStrict(body, &l); err != nil {
		return err
	}
	if l.Name != "" && l.Name != name {
		return invalid("the body names another list", fieldItem("name", "must be "+strconv.Quote(name)+" or absent"))
	}
	l.Name = name
	l.Domains = cleanDomains(l.Domains)
	l.Size = len(l.Domains)
	if err := s.svc.PutAccountList(r.Context(), l); err != nil {
		return err
	}
	// The stored list is what the client should see (the service may
	// normalise domains); the request is the fallback.
	if stored, err := s.findList(r, name); err == nil {
		l = *stored
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (s *server) deleteAccountList(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := s.svc.DeleteAccountList(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type membersBody struct {
	Domains []string `json:"domains"`
}

// members reads the domains of a members request: the JSON body, or
// ?domain= parameters for DELETE clients that cannot send a body.
func (s *server) members(w http.ResponseWriter, r *http.Request) ([]string, error) {
	body, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	var domains []string
	if len(strings.TrimSpace(string(body))) > 0 {
		var mb membersBody
		if err := decodeStrict(body, &mb); err != nil {
			return nil, err
		}
		domains = mb.Domains
	}
	domains = append(domains, r.URL.Query()["domain"]...)
	domains = cleanDomains(domains)
	if len(domains) == 0 {
		return nil, invalid("no domains given", fieldItem("domains", "must list at least one domain"))
	}
	return domains, nil
}

func (s *server) addListMembers(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	domains, err := s.members(w, r)
	if err != nil {
		return err
	}
	if err := s.svc.AddToAccountList(r.Context(), r.PathValue("name"), domains); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) removeListMembers(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	domains, err := s.members(w, r)
	if err != nil {
		return err
	}
	if err := s.svc.RemoveFromAccountList(r.Context(), r.PathValue("name"), domains); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func cleanDomains(in []string) []string {
	var out []string
	for _, d := range in {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}
