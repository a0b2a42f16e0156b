package sqlstore

import (
	"context"
	"database/sql"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// reader implements leadscore.Reader for one workspace, on a pool or in a
// transaction. List methods return an empty result, never not_found.
type reader struct {
	ws  string
	now func() time.Time
	r   *runner
}

type scanner interface{ Scan(dest ...any) error }

func scanLead(sc scanner) (leadscore.Lead, error) {
	var l leadscore.Lead
	var created sql.NullInt64
	var fields []byte
	err := sc.Scan(&l.ID, &l.Email, &l.FirstName, &l.LastName, &l.Title, &l.Phone, &l.Country, &l.State, &l.City,
		&l.Source, &l.AccountID, &created, &fields)
	if err != nil {
		return l, err
	}
	l.CreatedAt = timeOf(created)
	l.Fields, err = decodeFields(fields)
	return l, err
}

// scanOne runs q for the workspace and key, which matches at most one
// row, and scans it; no row is not_found, naming kind and key.
func scanOne[T any](ctx context.Context, rd *reader, q, kind, key string, scan func(scanner) (T, error)) (*T, error) {
	rows, err := rd.r.query(ctx, q, rd.ws, key)
	if err != nil {
		return nil, err
	}
	found, err := scanAll(rd.r, rows, func(r *sql.Rows) (T, error) { return scan(r) })
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, notFound(kind, key)
	}
	return &found[0], nil
}

// Lead returns one lead, or not_found.
func (rd *reader) Lead(ctx context.Context, id string) (*leadscore.Lead, error) {
	return scanOne(ctx, rd, qLead, "lead", id, scanLead)
}

// LeadByAlias returns the lead an alias was last mapped to by AddAlias, or
// not_found. A lead's own id is not an alias unless added as one.
func (rd *reader) LeadByAlias(ctx context.Context, alias string) (string, error) {
	var id string
	found, err := rd.r.one(ctx, qLeadByAlias, []any{rd.ws, alias}, &id)
	if err != nil {
		return "", err
	}
	if !found {
		return "", notFound("alias", alias)
	}
	return id, nil
}

// Account returns one account, or not_found. Lists and Priority are as
// stored with the account; membership of account lists by domain is
// AccountListNames's.
func (rd *reader) Account(ctx context.Context, id string) (*leadscore.Account, error) {
	var a leadscore.Account
	var employees sql.NullInt64
	var revenue sql.NullFloat64
	var lists, fields []byte
	found, err := rd.r.one(ctx, qAccount, []any{rd.ws, id}, &a.ID, &a.Domain, &a.Name, &a.Industry, &a.Country,
		&employees, &revenue, &a.Priority, &lists, &fields)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound("account", id)
	}
	if employees.Valid {
		a.Employees = &employees.Int64
	}
	if revenue.Valid {
		a.Revenue = &revenue.Float64
	}
	if err := decodeJSON(lists, &a.Lists); err != nil {
		return nil, err
	}
	if a.Fields, err = decodeFields(fields); err != nil {
		return nil, err
	}
	return &a, nil
}

// AccountLeads returns the leads of an account in id order, anonymous
// ones included. An empty account id has no leads.
func (rd *reader) AccountLeads(ctx context.Context, accountID string) ([]leadscore.Lead, error) {
	if accountID == "" {
		return nil, nil
	}
	rows, err := rd.r.query(ctx, qAccountLeads, rd.ws, accountID)
	if err != nil {
		return nil, err
	}
	leads, err := scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.Lead, error) { return scanLead(r) })
	slices.SortFunc(leads, func(a, b leadscore.Lead) int { return strings.Compare(a.ID, b.ID) })
	return leads, err
}

func scanEvent(sc scanner) (leadscore.StoredEvent, error) {
	var e leadscore.StoredEvent
	var msgID sql.NullString
	var at, received int64
	var props []byte
	err := sc.Scan(&e.Seq, &e.ID, &e.Source, &msgID, &e.LeadID, &e.AnonymousID, &e.Type, &at, &received, &props,
		&e.UserAgent, &e.Bot, &e.BotReason)
	if err != nil {
		return e, err
	}
	e.MessageID = msgID.String
	e.At, e.ReceivedAt = fromMicros(at), fromMicros(received)
	e.Properties, err = decodeFields(props)
	return e, err
}

// Events returns a lead's events in time order (at, then seq). With a
// positive limit it returns the latest limit events, still in time order.
func (rd *reader) Events(ctx context.Context, leadID string, limit int) ([]leadscore.StoredEvent, error) {
	var rows *sql.Rows
	var err error
	if limit > 0 {
		rows, err = rd.r.query(ctx, qLastEvents, rd.ws, leadID, limit)
	} else {
		rows, err = rd.r.query(ctx, qEvents, rd.ws, leadID)
	}
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.StoredEvent, error) { return scanEvent(r) })
}

// Peers returns the other leads of the account whose last activity (their
// latest non-bot event) is at or after since, in id order, each with that
// one time as its activity: enough for counting the people active in a
// window. An empty account id has no peers.
func (rd *reader) Peers(ctx context.Context, accountID, exceptLead string, since time.Time) ([]leadscore.Peer, error) {
	if accountID == "" {
		return nil, nil
	}
	rows, err := rd.r.query(ctx, qPeers, rd.ws, accountID, exceptLead, micros(since))
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.Peer, error) {
		var p leadscore.Peer
		var at int64
		err := r.Scan(&p.LeadID, &at)
		p.Activity = []time.Time{fromMicros(at)}
		return p, err
	})
}

// scanScore reads a score row; with a codec, the row also holds the
// evaluation columns (evaluation, evaluation_z), which it decodes.
func scanScore(sc scanner, codec *evaluationCodec) (leadscore.ScoreRecord, error) {
	var s leadscore.ScoreRecord
	var next sql.NullInt64
	var updated int64
	var js, z []byte
	dest := []any{&s.LeadID, &s.Model, &s.Version, &s.Score, &s.Display, &s.Band, &s.Grade, &s.Qualified,
		&s.Disqualified, &next, &updated}
	if codec != nil {
		dest = append(dest, &js, &z)
	}
	if err := sc.Scan(dest...); err != nil {
		return s, err
	}
	s.NextChangeAt, s.UpdatedAt = timeOf(next), fromMicros(updated)
	if codec != nil {
		var err error
		if s.Evaluation, err = codec.decode(z, js); err != nil {
			return s, err
		}
	}
	return s, nil
}

// scanSummary reads a score row without its evaluation, with its digest.
func scanSummary(sc scanner) (leadscore.ScoreRecord, error) {
	var s leadscore.ScoreRecord
	var next, digest sql.NullInt64
	var updated int64
	err := sc.Scan(&s.LeadID, &s.Model, &s.Version, &s.Score, &s.Display, &s.Band, &s.Grade, &s.Qualified,
		&s.Disqualified, &next, &updated, &digest)
	s.NextChangeAt, s.UpdatedAt, s.Digest = timeOf(next), fromMicros(updated), uint64(digest.Int64)
	return s, err
}

// Scores returns a lead's current scores, one per model, in model order,
// with their evaluations.
func (rd *reader) Scores(ctx context.Context, leadID string) ([]leadscore.ScoreRecord, error) {
	rows, err := rd.r.query(ctx, qScores, rd.ws, leadID)
	if err != nil {
		return nil, err
	}
	var codec evaluationCodec
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.ScoreRecord, error) { return scanScore(r, &codec) })
}

// Ledger returns a lead's score changes with seq greater than after, in
// seq order, under one model or (model "") all of them, up to limit (0:
// all).
func (rd *reader) Ledger(ctx context.Context, leadID, model string, after int64, limit int) ([]leadscore.LedgerEntry, error) {
	// "No limit" is the largest bound: PostgreSQL refuses LIMIT -1.
	lim := int64(math.MaxInt64)
	if limit > 0 {
		lim = int64(limit)
	}
	var rows *sql.Rows
	var err error
	if model == "" {
		rows, err = rd.r.query(ctx, qLedger, rd.ws, leadID, after, lim)
	} else {
		rows, err = rd.r.query(ctx, qLedgerModel, rd.ws, leadID, model, after, lim)
	}
	if err != nil {
		return nil, err
	}
	return scanLedger(rd.r, rows)
}

// LedgerTail reads the last limit entries newest first through the
// ledger_lead index, then turns them oldest first.
func (rd *reader) LedgerTail(ctx context.Context, leadID, model string, limit int) ([]leadscore.LedgerEntry, int, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows *sql.Rows
	var err error
	var total int
	if model == "" {
		_, err = rd.r.one(ctx, qLedgerCount, []any{rd.ws, leadID}, &total)
	} else {
		_, err = rd.r.one(ctx, qLedgerModelCount, []any{rd.ws, leadID, model}, &total)
	}
	if err != nil {
		return nil, 0, err
	}
	if model == "" {
		rows, err = rd.r.query(ctx, qLedgerTail, rd.ws, leadID, limit)
	} else {
		rows, err = rd.r.query(ctx, qLedgerModelTail, rd.ws, leadID, model, limit)
	}
	if err != nil {
		return nil, 0, err
	}
	entries, err := scanLedger(rd.r, rows)
	slices.Reverse(entries)
	return entries, total, err
}

func scanLedger(rn *runner, rows *sql.Rows) ([]leadscore.LedgerEntry, error) {
	return scanAll(rn, rows, func(r *sql.Rows) (leadscore.LedgerEntry, error) {
		var e leadscore.LedgerEntry
		var at int64
		var old sql.NullFloat64
		var cause string
		err := r.Scan(&e.Seq, &e.LeadID, &e.Model, &e.Version, &at, &old, &e.NewScore, &e.OldBand, &e.NewBand,
			&cause, &e.CauseRef, &e.Detail, &e.Qualified)
		e.At, e.Cause = fromMicros(at), leadscore.CauseKind(cause)
		if old.Valid {
			e.OldScore = &old.Float64
		}
		return e, err
	})
}

// DueLeads returns the leads whose earliest NextChangeAt over their models
// is at or before t, earliest first (then by id), at most limit (default
// 1000). It walks the due index in order and keeps each lead's first row,
// so its cost follows limit, not the size of a backlog.
func (rd *reader) DueLeads(ctx context.Context, t time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1000
	}
	if t.IsZero() {
		return nil, nil
	}
	until := micros(t)
	batch := max(limit*2, 64)
	seen := make(map[string]bool, limit)
	var out []string
	var lastLead, lastModel string
	var lastAt int64
	for first := true; ; first = false {
		var rows *sql.Rows
		var err error
		if first {
			rows, err = rd.r.query(ctx, qDue, rd.ws, until, batch)
		} else {
			rows, err = rd.r.query(ctx, qDueAfter, rd.ws, until, lastAt, lastAt, lastLead, lastLead, lastModel, batch)
		}
		if err != nil {
			return nil, err
		}
		type due struct {
			lead, model string
			at          int64
		}
		got, err := scanAll(rd.r, rows, func(r *sql.Rows) (due, error) {
			var d due
			err := r.Scan(&d.lead, &d.model, &d.at)
			return d, err
		})
		if err != nil {
			return nil, err
		}
		for _, d := range got {
			if !seen[d.lead] {
				seen[d.lead] = true
				out = append(out, d.lead)
				if len(out) == limit {
					return out, nil
				}
			}
		}
		if len(got) < batch {
			return out, nil
		}
		last := got[len(got)-1]
		lastLead, lastModel, lastAt = last.lead, last.model, last.at
	}
}

func scanModel(sc scanner) (leadscore.ModelVersion, error) {
	var m leadscore.ModelVersion
	var spec []byte
	var created int64
	if err := sc.Scan(&m.Name, &m.Version, &m.Source, &spec, &created, &m.CreatedBy, &m.Active); err != nil {
		return m, err
	}
	m.CreatedAt = fromMicros(created)
	if len(spec) > 0 {
		m.Spec = new(leadscore.ModelSpec)
		if err := decodeJSON(spec, m.Spec); err != nil {
			return m, err
		}
	}
	return m, nil
}

// ModelVersions returns the versions of a model, oldest first; with an
// empty name, every version of every model, by name then age.
func (rd *reader) ModelVersions(ctx context.Context, name string) ([]leadscore.ModelVersion, error) {
	var rows *sql.Rows
	var err error
	if name == "" {
		rows, err = rd.r.query(ctx, qAllModelVersions, rd.ws)
	} else {
		rows, err = rd.r.query(ctx, qModelVersions, rd.ws, name)
	}
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.ModelVersion, error) { return scanModel(r) })
}

// ActiveModels returns the active version of each model, by name.
func (rd *reader) ActiveModels(ctx context.Context) ([]leadscore.ModelVersion, error) {
	rows, err := rd.r.query(ctx, qActiveModels, rd.ws)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.ModelVersion, error) { return scanModel(r) })
}

func scanKey(sc scanner) (leadscore.APIKey, error) {
	var k leadscore.APIKey
	var scopes []byte
	var created int64
	var revoked, used sql.NullInt64
	if err := sc.Scan(&k.ID, &k.Name, &k.Prefix, &k.Hash, &scopes, &created, &revoked, &used); err != nil {
		return k, err
	}
	k.CreatedAt, k.RevokedAt, k.LastUsed = fromMicros(created), timePtrOf(revoked), timePtrOf(used)
	return k, decodeJSON(scopes, &k.Scopes)
}

// APIKeyByPrefix returns the key with this prefix, revoked or not (the
// caller checks RevokedAt), or not_found.
func (rd *reader) APIKeyByPrefix(ctx context.Context, prefix string) (*leadscore.APIKey, error) {
	return scanOne(ctx, rd, qKeyByPrefix, "API key with prefix", prefix, scanKey)
}

// APIKeys returns every key of the workspace, revoked ones included,
// oldest first.
func (rd *reader) APIKeys(ctx context.Context) ([]leadscore.APIKey, error) {
	rows, err := rd.r.query(ctx, qKeys, rd.ws)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.APIKey, error) { return scanKey(r) })
}

func scanJob(sc scanner) (leadscore.Job, error) {
	var j leadscore.Job
	var state string
	var created, updated int64
	err := sc.Scan(&j.ID, &j.Kind, &state, &j.Done, &j.Total, &j.Detail, &j.Error, &j.Cursor, &created, &updated)
	j.State, j.CreatedAt, j.UpdatedAt = leadscore.JobState(state), fromMicros(created), fromMicros(updated)
	return j, err
}

// Job returns one job, or not_found.
func (rd *reader) Job(ctx context.Context, id string) (*leadscore.Job, error) {
	return scanOne(ctx, rd, qJob, "job", id, scanJob)
}

// UnfinishedJobs lists the queued and running jobs, oldest first.
func (rd *reader) UnfinishedJobs(ctx context.Context) ([]leadscore.Job, error) {
	rows, err := rd.r.query(ctx, qUnfinishedJobs, rd.ws)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.Job, error) { return scanJob(r) })
}

// AccountLists returns every list by name, each with its domains (sorted)
// and their number.
func (rd *reader) AccountLists(ctx context.Context) ([]leadscore.AccountList, error) {
	rows, err := rd.r.query(ctx, qAccountLists, rd.ws)
	if err != nil {
		return nil, err
	}
	lists, err := scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.AccountList, error) {
		var l leadscore.AccountList
		err := r.Scan(&l.Name, &l.Priority)
		return l, err
	})
	if err != nil || len(lists) == 0 {
		return lists, err
	}
	index := make(map[string]int, len(lists))
	for i := range lists {
		index[lists[i].Name] = i
	}
	rows, err = rd.r.query(ctx, qListMembersAll, rd.ws)
	if err != nil {
		return nil, err
	}
	members, err := scanAll(rd.r, rows, func(r *sql.Rows) ([2]string, error) {
		var m [2]string
		err := r.Scan(&m[0], &m[1])
		return m, err
	})
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		l := &lists[index[m[0]]]
		l.Domains = append(l.Domains, m[1])
		l.Size++
	}
	return lists, nil
}

// AccountListNames returns, by name, the lists holding domain (compared
// case-insensitively) and whether any of them is a priority list.
func (rd *reader) AccountListNames(ctx context.Context, domain string) ([]string, bool, error) {
	domain = normDomain(domain)
	if domain == "" {
		return nil, false, nil
	}
	rows, err := rd.r.query(ctx, qListNames, rd.ws, domain)
	if err != nil {
		return nil, false, err
	}
	type hit struct {
		name     string
		priority bool
	}
	hits, err := scanAll(rd.r, rows, func(r *sql.Rows) (hit, error) {
		var h hit
		err := r.Scan(&h.name, &h.priority)
		return h, err
	})
	if err != nil {
		return nil, false, err
	}
	var names []string
	priority := false
	for _, h := range hits {
		names = append(names, h.name)
		priority = priority || h.priority
	}
	return names, priority, nil
}

// LeadIDs returns lead ids after after in id order, anonymous leads
// included, at most limit (default 1000).
func (rd *reader) LeadIDs(ctx context.Context, after string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := rd.r.query(ctx, qLeadIDs, rd.ws, after, limit)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	})
}

// LeadKeysByAccount returns the leads after after in (account, id) order,
// at most limit (default 1000).
func (rd *reader) LeadKeysByAccount(ctx context.Context, after leadscore.LeadKey, limit int) ([]leadscore.LeadKey, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := rd.r.query(ctx, qLeadKeysByAccount, rd.ws, after.AccountID, after.ID, limit)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.LeadKey, error) {
		var k leadscore.LeadKey
		err := r.Scan(&k.AccountID, &k.ID)
		return k, err
	})
}

// CountLeads counts every lead, anonymous ones included: the total that
// LeadIDs pages through.
func (rd *reader) CountLeads(ctx context.Context) (int64, error) {
	var n int64
	_, err := rd.r.one(ctx, qCountLeads, []any{rd.ws}, &n)
	return n, err
}
