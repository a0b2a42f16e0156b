package sqlstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/leadscore/leadscore"
)

// tx implements leadscore.Tx. Its reads run in the transaction and so see
// its writes. No method lets the database report an expected condition
// (a duplicate, a missing row) as an error: PostgreSQL would abort the
// transaction, so such conditions are found with ON CONFLICT, row counts
// and lookups, and the transaction stays usable after them.
type tx struct {
	reader

	mu sync.Mutex
	// activity holds, per lead, the latest non-bot event time inserted
	// by this transaction and not yet written to leads.last_activity_at.
	// Writing it once per lead instead of once per event saves a
	// statement per event, and in PostgreSQL the row versions that
	// repeated updates of one row within a transaction pile up.
	activity map[string]int64
}

// raiseActivity notes that lead was active at at.
func (t *tx) raiseActivity(lead string, at int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.activity == nil {
		t.activity = map[string]int64{}
	}
	if prev, ok := t.activity[lead]; !ok || at > prev {
		t.activity[lead] = at
	}
}

// flushActivity writes the noted activity, leads in id order so that
// concurrent transactions lock rows in the same order. It runs before
// anything reads last_activity_at (Peers) and before commit.
func (t *tx) flushActivity(ctx context.Context) error {
	t.mu.Lock()
	pending := t.activity
	t.activity = nil
	t.mu.Unlock()
	leads := make([]string, 0, len(pending))
	for id := range pending {
		leads = append(leads, id)
	}
	slices.Sort(leads)
	if t.r.d.arrays && len(leads) > 1 {
		ats := make([]int64, len(leads))
		for i, id := range leads {
			ats[i] = pending[id]
		}
		_, err := t.r.exec(ctx, qRaiseActivities, leads, ats, t.ws)
		return err
	}
	for _, id := range leads {
		at := pending[id]
		if _, err := t.r.exec(ctx, qRaiseActivity, at, t.ws, id, at); err != nil {
			return err
		}
	}
	return nil
}

// Peers is Reader.Peers after the activity of this transaction's events
// is written, so that it sees them.
func (t *tx) Peers(ctx context.Context, accountID, exceptLead string, since time.Time) ([]leadscore.Peer, error) {
	if err := t.flushActivity(ctx); err != nil {
		return nil, err
	}
	return t.reader.Peers(ctx, accountID, exceptLead, since)
}

// PeersOf is BulkReader.PeersOf after the activity of this transaction's
// events is written.
func (t *tx) PeersOf(ctx context.Context, accountIDs []string, since time.Time) (map[string][]leadscore.Peer, error) {
	if err := t.flushActivity(ctx); err != nil {
		return nil, err
	}
	return t.reader.PeersOf(ctx, accountIDs, since)
}

var _ leadscore.Tx = (*tx)(nil)

// anonymousPrefix marks the ids of anonymous visitors' leads. They are
// stored and scored like any lead but never listed by ListLeads.
const anonymousPrefix = "anon:"

// UpsertLead stores l whole, replacing every attribute of an existing
// lead. A zero CreatedAt keeps the stored one (or, for a new lead, is the
// time of this write); l.CreatedAt is set to the stored value. The lead's
// last activity is kept: only events move it.
func (t *tx) UpsertLead(ctx context.Context, l *leadscore.Lead) error {
	if err := required("id", l.ID); err != nil {
		return err
	}
	fields, err := encodeJSON(l.Fields)
	if err != nil {
		return err
	}
	now := micros(t.now())
	created := now
	keep := nullMicros(l.CreatedAt)
	if keep.Valid {
		created = keep.Int64
	}
	args := []any{t.ws, l.ID, l.Email, l.FirstName, l.LastName, l.Title, l.Phone, l.Country, l.State, l.City,
		l.Source, l.AccountID, fields, strings.HasPrefix(l.ID, anonymousPrefix), created, now, keep}
	if keep.Valid {
		// The stored creation time is the one given: no need to read it back.
		if _, err := t.r.exec(ctx, qUpsertLead, args...); err != nil {
			return err
		}
		l.CreatedAt = fromMicros(created)
		return nil
	}
	var stored int64
	if _, err := t.r.one(ctx, qUpsertLeadReturning, args, &stored); err != nil {
		return err
	}
	l.CreatedAt = fromMicros(stored)
	return nil
}

// UpsertAccount stores a whole, replacing every attribute of an existing
// account.
func (t *tx) UpsertAccount(ctx context.Context, a *leadscore.Account) error {
	if err := required("id", a.ID); err != nil {
		return err
	}
	lists, err := encodeJSON(a.Lists)
	if err != nil {
		return err
	}
	fields, err := encodeJSON(a.Fields)
	if err != nil {
		return err
	}
	var employees, revenue any
	if a.Employees != nil {
		employees = *a.Employees
	}
	if a.Revenue != nil {
		revenue = *a.Revenue
	}
	now := micros(t.now())
	_, err = t.r.exec(ctx, qUpsertAccount, t.ws, a.ID, a.Domain, a.Name, a.Industry, a.Country, employees, revenue,
		a.Priority, lists, fields, now, now)
	return err
}

// AddAlias maps alias to leadID; an alias already mapped is moved to
// leadID, which is how an anonymous id follows its visitor once they
// identify.
func (t *tx) AddAlias(ctx context.Context, alias, leadID string) error {
	if err := required("alias", alias, "lead_id", leadID); err != nil {
		return err
	}
	_, err := t.r.exec(ctx, qAddAlias, t.ws, alias, leadID, micros(t.now()))
	return err
}

// InsertEvent stores e unless an event with the same source and message
// id exists in the workspace. It reports inserted=false for such a
// duplicate, without error, and sets e.Seq to the stored event's seq
// either way. An event without a message id is never a duplicate. A new
// non-bot event raises its lead's last activity (what Peers reads) to e.At
// when later; that is written once per lead, before Peers and at commit.
// e.At and e.ReceivedAt (now when zero) are set to the UTC microseconds
// that are stored, so that what the caller holds equals what reads return.
func (t *tx) InsertEvent(ctx context.Context, e *leadscore.StoredEvent) (bool, error) {
	if err := required("lead_id", e.LeadID, "type", e.Type); err != nil {
		return false, err
	}
	if e.At.IsZero() {
		return false, invalid("at", "is required")
	}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = t.now()
	}
	e.At, e.ReceivedAt = truncMicros(e.At), truncMicros(e.ReceivedAt)
	props, err := encodeJSON(e.Properties)
	if err != nil {
		return false, err
	}
	var msgID any
	if e.MessageID != "" {
		msgID = e.MessageID
	}
	at := micros(e.At)
	args := []any{t.ws, e.ID, e.Source, msgID, e.LeadID, e.AnonymousID, e.Type, at, micros(e.ReceivedAt), props,
		e.UserAgent, e.Bot, e.BotReason}
	seq, found, err := t.r.insert(ctx, qInsertEvent, qInsertEventReturning, args...)
	if err != nil {
		return false, err
	}
	if !found {
		return false, t.duplicateSeq(ctx, e)
	}
	e.Seq = seq
	if !e.Bot {
		t.raiseActivity(e.LeadID, at)
	}
	return true, nil
}

// duplicateSeq sets e.Seq to that of the stored event e duplicates.
func (t *tx) duplicateSeq(ctx context.Context, e *leadscore.StoredEvent) error {
	_, err := t.r.one(ctx, qEventSeq, []any{t.ws, e.Source, e.MessageID}, &e.Seq)
	return err
}

// MoveEvents gives every event of fromLead (an anonymous visitor) to
// toLead, keeping each event's anonymous id, raises toLead's last
// activity to the latest moved non-bot event, and returns how many moved.
func (t *tx) MoveEvents(ctx context.Context, fromLead, toLead string) (int64, error) {
	if err := required("from", fromLead, "to", toLead); err != nil {
		return 0, err
	}
	if fromLead == toLead {
		return 0, nil
	}
	var last *int64
	if _, err := t.r.one(ctx, qLastActivity, []any{t.ws, fromLead}, &last); err != nil {
		return 0, err
	}
	n, err := t.r.execN(ctx, qMoveEvents, toLead, t.ws, fromLead)
	if err == nil && last != nil {
		t.raiseActivity(toLead, *last)
	}
	return n, err
}

// DeleteLead deletes a lead with everything keyed by it: its aliases,
// events, scores and ledger. Move an anonymous lead's events first to
// keep them. A missing lead is not_found and nothing is deleted.
func (t *tx) DeleteLead(ctx context.Context, id string) error {
	n, err := t.r.execN(ctx, qDeleteLead, t.ws, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("lead", id)
	}
	for _, q := range []string{qDeleteLeadAliases, qDeleteLeadEvents, qDeleteLeadScores, qDeleteLeadLedger} {
		if _, err := t.r.exec(ctx, q, t.ws, id); err != nil {
			return err
		}
	}
	return nil
}

// PutScore stores a lead's current score under a model, replacing the
// previous one. A zero NextChangeAt (never) is stored as NULL; a zero
// UpdatedAt becomes now. Times are set to the stored microseconds.
func (t *tx) PutScore(ctx context.Context, s *leadscore.ScoreRecord) error {
	if err := required("lead_id", s.LeadID, "model", s.Model); err != nil {
		return err
	}
	eval, err := encodeEvaluation(s.Evaluation)
	if err != nil {
		return err
	}
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = t.now()
	}
	s.UpdatedAt, s.NextChangeAt = truncMicros(s.UpdatedAt), truncMicros(s.NextChangeAt)
	_, err = t.r.exec(ctx, qPutScore, t.ws, s.LeadID, s.Model, s.Version, s.Score, s.Display, s.Band, s.Grade,
		s.Qualified, s.Disqualified, eval, nullMicros(s.NextChangeAt), micros(s.UpdatedAt), digestOf(s))
	return err
}

// AppendLedger appends e and sets its Seq; a zero At becomes now.
func (t *tx) AppendLedger(ctx context.Context, e *leadscore.LedgerEntry) error {
	if err := required("lead_id", e.LeadID, "model", e.Model, "cause", string(e.Cause)); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = t.now()
	}
	e.At = truncMicros(e.At)
	var old any
	if e.OldScore != nil {
		old = *e.OldScore
	}
	seq, _, err := t.r.insert(ctx, qAppendLedger, qAppendLedgerReturning, t.ws, e.LeadID, e.Model, e.Version,
		micros(e.At), old, e.NewScore, e.OldBand, e.NewBand, string(e.Cause), e.CauseRef, e.Detail, e.Qualified)
	if err != nil {
		return err
	}
	e.Seq = seq
	return nil
}

// PutModelVersion stores a new model version. Versions are immutable: an
// existing name and version is a conflict. It is stored inactive unless
// v.Active, which activates it as ActivateModel does. A zero CreatedAt
// becomes now.
func (t *tx) PutModelVersion(ctx context.Context, v *leadscore.ModelVersion) error {
	if err := required("name", v.Name, "version", v.Version); err != nil {
		return err
	}
	spec, err := encodeJSON(v.Spec)
	if err != nil {
		return err
	}
	if v.CreatedAt.IsZero() {
		v.CreatedAt = t.now()
	}
	v.CreatedAt = truncMicros(v.CreatedAt)
	n, err := t.r.execN(ctx, qPutModel, t.ws, v.Name, v.Version, v.Source, spec, micros(v.CreatedAt), v.CreatedBy)
	if err != nil {
		return err
	}
	if n == 0 {
		return conflict("model %q version %q already exists", v.Name, v.Version)
	}
	if v.Active {
		return t.ActivateModel(ctx, v.Name, v.Version)
	}
	return nil
}

// ActivateModel makes version the only active version of its model name;
// an unknown version is not_found and changes nothing.
func (t *tx) ActivateModel(ctx context.Context, name, version string) error {
	var one int
	found, err := t.r.one(ctx, qModelExists, []any{t.ws, name, version}, &one)
	if err != nil {
		return err
	}
	if !found {
		return notFound("model version", name+"@"+version)
	}
	if _, err := t.r.exec(ctx, qDeactivateModel, t.ws, name); err != nil {
		return err
	}
	_, err = t.r.exec(ctx, qActivateModel, t.ws, name, version)
	return err
}

// PutAPIKey creates a key or updates the key with k.ID. The prefix must be
// unique across all workspaces: another key's prefix is a conflict. A
// revoked key stays revoked and LastUsed never moves back. A zero
// CreatedAt becomes now; k.CreatedAt is set to the stored value.
func (t *tx) PutAPIKey(ctx context.Context, k *leadscore.APIKey) error {
	if err := required("id", k.ID, "prefix", k.Prefix); err != nil {
		return err
	}
	if len(k.Hash) == 0 {
		return invalid("hash", "is required")
	}
	var ownerWS, ownerID string
	found, err := t.r.one(ctx, qPrefixOwner, []any{k.Prefix}, &ownerWS, &ownerID)
	if err != nil {
		return err
	}
	if found && (ownerWS != t.ws || ownerID != k.ID) {
		return conflict("an API key with prefix %q already exists", k.Prefix)
	}
	scopes, err := encodeJSON(k.Scopes)
	if err != nil {
		return err
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = t.now()
	}
	var created int64
	_, err = t.r.one(ctx, qPutKey, []any{t.ws, k.ID, k.Name, k.Prefix, k.Hash, scopes, micros(k.CreatedAt),
		nullMicrosPtr(k.RevokedAt), nullMicrosPtr(k.LastUsed)}, &created)
	if err != nil {
		return err
	}
	k.CreatedAt = fromMicros(created)
	return nil
}

// RevokeAPIKey marks a key revoked at at; a key already revoked keeps its
// first revocation time. An unknown key is not_found.
func (t *tx) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	n, err := t.r.execN(ctx, qRevokeKey, micros(at), t.ws, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("API key", id)
	}
	return nil
}

// TouchAPIKey records a use of a key at at; the recorded time never moves
// back. An unknown key is not_found.
func (t *tx) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	m := micros(at)
	n, err := t.r.execN(ctx, qTouchKey, m, m, t.ws, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("API key", id)
	}
	return nil
}

// PutJob creates or replaces a job. A zero CreatedAt keeps the stored one
// (now for a new job), a zero UpdatedAt becomes now; both are set to the
// stored values.
func (t *tx) PutJob(ctx context.Context, j *leadscore.Job) error {
	if err := required("id", j.ID, "kind", j.Kind, "state", string(j.State)); err != nil {
		return err
	}
	now := t.now()
	if j.UpdatedAt.IsZero() {
		j.UpdatedAt = now
	}
	j.UpdatedAt = truncMicros(j.UpdatedAt)
	keep := nullMicros(j.CreatedAt)
	created := micros(now)
	if keep.Valid {
		created = keep.Int64
	}
	var stored int64
	_, err := t.r.one(ctx, qPutJob, []any{t.ws, j.ID, j.Kind, string(j.State), j.Done, j.Total, j.Detail, j.Error,
		j.Cursor, created, micros(j.UpdatedAt), keep}, &stored)
	if err != nil {
		return err
	}
	j.CreatedAt = fromMicros(stored)
	return nil
}

// normDomain is the form account list domains are stored and compared in:
// domains are case-insensitive.
func normDomain(d string) string { return strings.ToLower(strings.TrimSpace(d)) }

// normDomains normalises, drops empty entries and removes duplicates.
func normDomains(ds []string) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		if d = normDomain(d); d != "" {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// PutAccountList creates a list or changes its priority. With non-nil
// Domains the list holds exactly those domains afterwards; nil Domains
// leave its members as they are.
func (t *tx) PutAccountList(ctx context.Context, l leadscore.AccountList) error {
	if err := required("name", l.Name); err != nil {
		return err
	}
	now := micros(t.now())
	if _, err := t.r.exec(ctx, qPutList, t.ws, l.Name, l.Priority, now, now); err != nil {
		return err
	}
	if l.Domains == nil {
		return nil
	}
	if _, err := t.r.exec(ctx, qClearList, t.ws, l.Name); err != nil {
		return err
	}
	return t.addMembers(ctx, l.Name, normDomains(l.Domains), now)
}

func (t *tx) addMembers(ctx context.Context, list string, domains []string, now int64) error {
	for _, d := range domains {
		if _, err := t.r.exec(ctx, qAddMember, t.ws, list, d, now); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) listExists(ctx context.Context, name string) error {
	var one int
	found, err := t.r.one(ctx, qListExists, []any{t.ws, name}, &one)
	if err != nil {
		return err
	}
	if !found {
		return notFound("account list", name)
	}
	return nil
}

// AddToAccountList adds domains (case-insensitive; present ones are
// ignored) to an existing list, or fails with not_found.
func (t *tx) AddToAccountList(ctx context.Context, list string, domains []string) error {
	if err := t.listExists(ctx, list); err != nil {
		return err
	}
	now := micros(t.now())
	if err := t.addMembers(ctx, list, normDomains(domains), now); err != nil {
		return err
	}
	_, err := t.r.exec(ctx, qTouchList, now, t.ws, list)
	return err
}

// RemoveFromAccountList removes domains (absent ones are ignored) from an
// existing list, or fails with not_found.
func (t *tx) RemoveFromAccountList(ctx context.Context, list string, domains []string) error {
	if err := t.listExists(ctx, list); err != nil {
		return err
	}
	for _, d := range normDomains(domains) {
		if _, err := t.r.exec(ctx, qRemoveMember, t.ws, list, d); err != nil {
			return err
		}
	}
	_, err := t.r.exec(ctx, qTouchList, micros(t.now()), t.ws, list)
	return err
}

// DeleteAccountList deletes a list and its members, or fails with
// not_found.
func (t *tx) DeleteAccountList(ctx context.Context, name string) error {
	if _, err := t.r.exec(ctx, qClearList, t.ws, name); err != nil {
		return err
	}
	n, err := t.r.execN(ctx, qDeleteList, t.ws, name)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("account list", name)
	}
	return nil
}
