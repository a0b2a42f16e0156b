// Package fakesvc is an in-memory leadscore.Service for the HTTP layer's
// tests and its client's. It stores what it is given, answers reads from
// that, records every call, and fails any method on request.
package fakesvc

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadscore/leadscore"
)

// Service implements leadscore.Service. The zero value is not usable; use
// New.
type Service struct {
	mu sync.Mutex

	fail      map[string]error
	reject    func(leadscore.Message) string
	authCalls int

	keys     map[string]*leadscore.APIKey // by secret
	nextKey  int
	ingested []leadscore.Message
	seen     map[string]bool // source + "\x00" + message id
	leads    map[string]leadscore.Lead
	accounts map[string]leadscore.Account
	events   map[string][]leadscore.StoredEvent
	ledger   map[string][]leadscore.LedgerEntry
	lists    map[string]leadscore.AccountList
	models   []leadscore.ModelVersion
	jobs     map[string]*leadscore.Job
	calls    []Call
	now      time.Time
	auto     *autoState
	shadows  map[string]leadscore.Shadow // by model name (shadow.go)
}

// Call is one recorded method call with its arguments.
type Call struct {
	Method string
	Args   []any
}

// New returns an empty service whose timestamps read now.
func New(now time.Time) *Service {
	return &Service{
		fail:     map[string]error{},
		keys:     map[string]*leadscore.APIKey{},
		seen:     map[string]bool{},
		leads:    map[string]leadscore.Lead{},
		accounts: map[string]leadscore.Account{},
		events:   map[string][]leadscore.StoredEvent{},
		ledger:   map[string][]leadscore.LedgerEntry{},
		lists:    map[string]leadscore.AccountList{},
		jobs:     map[string]*leadscore.Job{},
		now:      now,
	}
}

var _ leadscore.Service = (*Service)(nil)

// begin records a call and returns the error configured for it. The
// caller holds the lock until it returns.
func (s *Service) begin(method string, args ...any) error {
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Args: args})
	return s.fail[method]
}

// SetFail makes the named method (such as "Ingest") return err; nil stops
// it failing.
func (s *Service) SetFail(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = err
}

// SetReject makes Ingest reject the messages for which reason returns a
// non-empty text.
func (s *Service) SetReject(reason func(leadscore.Message) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = reason
}

// AuthCalls is how many times Authenticate was called.
func (s *Service) AuthCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authCalls
}

// Calls returns the calls made so far.
func (s *Service) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsTo returns the calls made to one method.
func (s *Service) CallsTo(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Ingested returns every message Ingest accepted, in order.
func (s *Service) Ingested() []leadscore.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ingested)
}

// AddKey creates a key directly and returns its secret.
func (s *Service) AddKey(name string, scopes ...leadscore.Scope) (string, *leadscore.APIKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addKey(name, scopes)
}

func (s *Service) addKey(name string, scopes []leadscore.Scope) (string, *leadscore.APIKey) {
	s.nextKey++
	secret := fmt.Sprintf("ls_secret_%d_%s", s.nextKey, name)
	k := &leadscore.APIKey{ID: "key" + strconv.Itoa(s.nextKey), Name: name, Prefix: secret[:9],
		Scopes: slices.Clone(scopes), CreatedAt: s.now}
	s.keys[secret] = k
	return secret, k
}

// AddLedger stores ledger entries for a lead.
func (s *Service) AddLedger(leadID string, entries ...leadscore.LedgerEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ledger[leadID] = append(s.ledger[leadID], entries...)
}

// AddModel stores a model version.
func (s *Service) AddModel(v leadscore.ModelVersion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = append(s.models, v)
}

func notFound(what, id string) error {
	return leadscore.Errorf(leadscore.CodeNotFound, "%s %q not found", what, id)
}

func (s *Service) Ingest(ctx context.Context, msgs []leadscore.Message) ([]leadscore.IngestResult, error) {
	err := s.begin("Ingest", slices.Clone(msgs))
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]leadscore.IngestResult, len(msgs))
	for i, m := range msgs {
		res := leadscore.IngestResult{MessageID: m.MessageID}
		key := m.Source + "\x00" + m.MessageID
		switch {
		case s.reject != nil && s.reject(m) != "":
			res.Status, res.Error = leadscore.IngestRejected, s.reject(m)
		case s.seen[key]:
			res.Status = leadscore.IngestDuplicate
		default:
			s.seen[key] = true
			s.ingested = append(s.ingested, m)
			res.Status = leadscore.IngestAccepted
			res.LeadID = leadOf(m)
			if m.Kind == leadscore.MsgTrack && res.LeadID != "" {
				s.events[res.LeadID] = append(s.events[res.LeadID], leadscore.StoredEvent{
					Event: leadscore.Event{ID: m.MessageID, LeadID: res.LeadID, Type: m.Event, At: m.Timestamp,
						Properties: m.Properties, Source: m.Source, UserAgent: m.UserAgent},
					Seq: int64(len(s.ingested)), MessageID: m.MessageID, ReceivedAt: m.ReceivedAt, AnonymousID: m.AnonymousID,
				})
			}
		}
		out[i] = res
	}
	return out, nil
}

// leadOf is the fake's identity resolution: the user id, else the email
// trait, else the anonymous id.
func leadOf(m leadscore.Message) string {
	if m.UserID != "" {
		return m.UserID
	}
	if e, ok := m.Traits["email"].(string); ok && e != "" {
		return strings.ToLower(e)
	}
	return m.AnonymousID
}

func (s *Service) UpsertLeads(ctx context.Context, leads []leadscore.Lead) error {
	err := s.begin("UpsertLeads", slices.Clone(leads))
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	for _, l := range leads {
		if l.ID == "" {
			l.ID = strings.ToLower(l.Email)
		}
		s.leads[l.ID] = l
	}
	return nil
}

func (s *Service) UpsertAccounts(ctx context.Context, accounts []leadscore.Account) error {
	err := s.begin("UpsertAccounts", slices.Clone(accounts))
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	for _, a := range accounts {
		if a.ID == "" {
			a.ID = a.Domain
		}
		s.accounts[a.ID] = a
	}
	return nil
}

func (s *Service) GetLead(ctx context.Context, id string) (*leadscore.LeadView, error) {
	err := s.begin("GetLead", id)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	l, ok := s.leads[id]
	if !ok {
		return nil, notFound("lead", id)
	}
	v := &leadscore.LeadView{Lead: l, Scores: []leadscore.ScoreRecord{}}
	if a, ok := s.accounts[l.AccountID]; ok {
		v.Account = &a
	}
	return v, nil
}

func (s *Service) LeadEvents(ctx context.Context, id string, limit int) ([]leadscore.StoredEvent, error) {
	err := s.begin("LeadEvents", id, limit)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, ok := s.leads[id]; !ok && len(s.events[id]) == 0 {
		return nil, notFound("lead", id)
	}
	evs := s.events[id]
	if limit > 0 && len(evs) > limit {
		evs = evs[len(evs)-limit:]
	}
	return slices.Clone(evs), nil
}

func (s *Service) LeadHistory(ctx context.Context, id, model string, after int64, limit int) ([]leadscore.LedgerEntry, error) {
	err := s.begin("LeadHistory", id, model, after, limit)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []leadscore.LedgerEntry
	for _, e := range s.ledger[id] {
		if e.Seq > after && (model == "" || e.Model == model) {
			out = append(out, e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (s *Service) LeadHistoryTail(ctx context.Context, id, model string, limit int) ([]leadscore.LedgerEntry, int, error) {
	err := s.begin("LeadHistoryTail", id, model, limit)
	defer s.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	var all []leadscore.LedgerEntry
	for _, e := range s.ledger[id] {
		if model == "" || e.Model == model {
			all = append(all, e)
		}
	}
	return all[max(0, len(all)-limit):], len(all), nil
}

func (s *Service) ScoreAsOf(ctx context.Context, id string, t time.Time, model, version string) ([]*leadscore.Evaluation, error) {
	err := s.begin("ScoreAsOf", id, t, model, version)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, ok := s.leads[id]; !ok {
		return nil, notFound("lead", id)
	}
	if model == "" {
		model = "default"
	}
	return []*leadscore.Evaluation{{Model: model, Version: version, LeadID: id, AsOf: t, Score: 42, Raw: 42, Display: 42}}, nil
}

// ListLeads pages through leads in id order; the cursor is the last id.
func (s *Service) ListLeads(ctx context.Context, f leadscore.LeadFilter) ([]leadscore.LeadRow, string, error) {
	err := s.begin("ListLeads", f)
	defer s.mu.Unlock()
	if err != nil {
		return nil, "", err
	}
	ids := make([]string, 0, len(s.leads))
	for id, l := range s.leads {
		if id > f.After && (f.AccountID == "" || l.AccountID == f.AccountID) &&
			(f.Query == "" || strings.HasPrefix(l.Email, f.Query)) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	next := ""
	if len(ids) > limit {
		ids = ids[:limit]
		next = ids[limit-1]
	}
	rows := make([]leadscore.LeadRow, len(ids))
	for i, id := range ids {
		rows[i] = leadscore.LeadRow{Lead: s.leads[id]}
	}
	return rows, next, nil
}

func (s *Service) GetAccount(ctx context.Context, id string) (*leadscore.AccountView, error) {
	err := s.begin("GetAccount", id)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	a, ok := s.accounts[id]
	if !ok {
		return nil, notFound("account", id)
	}
	v := &leadscore.AccountView{Account: a, People: []leadscore.LeadRow{}, AccountScores: map[string]float64{}}
	for _, l := range s.leads {
		if l.AccountID == id {
			v.People = append(v.People, leadscore.LeadRow{Lead: l})
		}
	}
	return v, nil
}

func (s *Service) AccountLists(ctx context.Context) ([]leadscore.AccountList, error) {
	err := s.begin("AccountLists")
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]leadscore.AccountList, 0, len(s.lists))
	for _, l := range s.lists {
		l.Domains = slices.Clone(l.Domains)
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (s *Service) PutAccountList(ctx context.Context, l leadscore.AccountList) error {
	err := s.begin("PutAccountList", l)
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	l.Domains = normDomains(l.Domains)
	l.Size = len(l.Domains)
	s.lists[l.Name] = l
	return nil
}

func normDomains(ds []string) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, strings.ToLower(d))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (s *Service) AddToAccountList(ctx context.Context, list string, domains []string) error {
	err := s.begin("AddToAccountList", list, slices.Clone(domains))
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	l, ok := s.lists[list]
	if !ok {
		return notFound("account list", list)
	}
	l.Domains = normDomains(append(l.Domains, domains...))
	l.Size = len(l.Domains)
	s.lists[list] = l
	return nil
}

func (s *Service) RemoveFromAccountList(ctx context.Context, list string, domains []string) error {
	err := s.begin("RemoveFromAccountList", list, slices.Clone(domains))
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	l, ok := s.lists[list]
	if !ok {
		return notFound("account list", list)
	}
	l.Domains = slices.DeleteFunc(l.Domains, func(d string) bool { return slices.Contains(normDomains(domains), d) })
	l.Size = len(l.Domains)
	s.lists[list] = l
	return nil
}

func (s *Service) DeleteAccountList(ctx context.Context, name string) error {
	err := s.begin("DeleteAccountList", name)
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if _, ok := s.lists[name]; !ok {
		return notFound("account list", name)
	}
	delete(s.lists, name)
	return nil
}

// UploadModel accepts a file whose first line is "name: <model>" and
// rejects any other with one diagnostic at line 1.
func (s *Service) UploadModel(ctx context.Context, filename string, source []byte, by string) (*leadscore.UploadResult, error) {
	err := s.begin("UploadModel", filename, string(source), by)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(string(source), "\n")
	name, ok := strings.CutPrefix(strings.TrimSpace(first), "name:")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		d := leadscore.Diagnostic{Line: 1, Column: 1, Severity: "error", Field: "name", Message: "a model needs a name"}
		return &leadscore.UploadResult{Diagnostics: []leadscore.Diagnostic{d}},
			&leadscore.Error{Code: leadscore.CodeInvalid, Message: filename + ": 1 error"}
	}
	n := 1
	for _, v := range s.models {
		if v.Name == name {
			n++
		}
	}
	v := leadscore.ModelVersion{Name: name, Version: "v" + strconv.Itoa(n), Source: string(source),
		Spec: &leadscore.ModelSpec{Name: name}, CreatedAt: s.now, CreatedBy: by}
	s.models = append(s.models, v)
	return &leadscore.UploadResult{Versions: []leadscore.ModelVersion{v}}, nil
}

func (s *Service) ModelVersions(ctx context.Context, name string) ([]leadscore.ModelVersion, error) {
	err := s.begin("ModelVersions", name)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []leadscore.ModelVersion
	for _, v := range s.models {
		if name == "" || v.Name == name {
			out = append(out, v)
		}
	}
	if len(out) == 0 && name != "" {
		return nil, notFound("model", name)
	}
	return out, nil
}

func (s *Service) ActiveModels(ctx context.Context) ([]leadscore.ModelVersion, error) {
	err := s.begin("ActiveModels")
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var out []leadscore.ModelVersion
	for _, v := range s.models {
		if v.Active {
			out = append(out, v)
		}
	}
	return out, nil
}

func (s *Service) ActivateModel(ctx context.Context, name, version string) (*leadscore.Job, error) {
	err := s.begin("ActivateModel", name, version)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	found := false
	for i := range s.models {
		if s.models[i].Name == name {
			s.models[i].Active = s.models[i].Version == version
			found = found || s.models[i].Active
		}
	}
	if !found {
		return nil, notFound("model version", name+"@"+version)
	}
	j := &leadscore.Job{ID: "job" + strconv.Itoa(len(s.jobs)+1), Kind: "activate", State: leadscore.JobQueued,
		Total: int64(len(s.leads)), CreatedAt: s.now, UpdatedAt: s.now, Detail: name + "@" + version}
	s.jobs[j.ID] = j
	c := *j
	return &c, nil
}

func (s *Service) Job(ctx context.Context, id string) (*leadscore.Job, error) {
	err := s.begin("Job", id)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	j, ok := s.jobs[id]
	if !ok {
		return nil, notFound("job", id)
	}
	c := *j
	return &c, nil
}

func (s *Service) CreateAPIKey(ctx context.Context, name string, scopes []leadscore.Scope) (*leadscore.NewAPIKey, error) {
	err := s.begin("CreateAPIKey", name, slices.Clone(scopes))
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	secret, k := s.addKey(name, scopes)
	return &leadscore.NewAPIKey{APIKey: *k, Secret: secret}, nil
}

func (s *Service) APIKeys(ctx context.Context) ([]leadscore.APIKey, error) {
	err := s.begin("APIKeys")
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]leadscore.APIKey, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, *k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s *Service) RevokeAPIKey(ctx context.Context, id string) error {
	err := s.begin("RevokeAPIKey", id)
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	for _, k := range s.keys {
		if k.ID == id {
			t := s.now
			k.RevokedAt = &t
			return nil
		}
	}
	return notFound("API key", id)
}

// Authenticate is counted by AuthCalls rather than recorded in Calls:
// every request makes one, and tests look at the calls that matter to the
// route.
func (s *Service) Authenticate(ctx context.Context, secret string) (*leadscore.APIKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authCalls++
	if err := s.fail["Authenticate"]; err != nil {
		return nil, err
	}
	k, ok := s.keys[secret]
	if !ok || k.RevokedAt != nil {
		return nil, leadscore.Errorf(leadscore.CodeUnauthorized, "invalid API key")
	}
	c := *k
	return &c, nil
}

// The web UI's users and sessions are not served by the HTTP API; these
// answer so that the fake stays a leadscore.Service.

func (s *Service) CreateUser(ctx context.Context, u leadscore.NewUser) (*leadscore.User, error) {
	err := s.begin("CreateUser", u.Email)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return nil, leadscore.Errorf(leadscore.CodeInternal, "fakesvc: users are not implemented")
}

func (s *Service) Users(ctx context.Context) ([]leadscore.User, error) {
	err := s.begin("Users")
	defer s.mu.Unlock()
	return nil, err
}

func (s *Service) UpdateUser(ctx context.Context, id string, ch leadscore.UserChange) (*leadscore.User, error) {
	err := s.begin("UpdateUser", id)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return nil, notFound("user", id)
}

func (s *Service) LeadAccess(ctx context.Context, u leadscore.User) (*leadscore.LeadAccess, error) {
	err := s.begin("LeadAccess", u.ID)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	a := leadscore.NewLeadAccess(u, nil, nil)
	return &a, nil
}

func (s *Service) SignIn(ctx context.Context, email, password string) (*leadscore.NewSession, error) {
	err := s.begin("SignIn", email)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return nil, leadscore.Errorf(leadscore.CodeUnauthorized, "wrong email or password")
}

func (s *Service) SessionUser(ctx context.Context, token string, idle time.Duration) (*leadscore.SignedIn, error) {
	err := s.begin("SessionUser")
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return nil, leadscore.Errorf(leadscore.CodeUnauthorized, "not signed in")
}

func (s *Service) SignOut(ctx context.Context, token string) error {
	err := s.begin("SignOut")
	defer s.mu.Unlock()
	return err
}

func (s *Service) ValidateModel(ctx context.Context, filename string, source []byte) ([]leadscore.Diagnostic, error) {
	err := s.begin("ValidateModel", filename)
	defer s.mu.Unlock()
	return nil, err
}

func (s *Service) TestModel(ctx context.Context, filename string, source, tests []byte) (*leadscore.ModelTestReport, error) {
	err := s.begin("TestModel", filename)
	defer s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &leadscore.ModelTestReport{Cases: []leadscore.ModelTestCase{}}, nil
}
