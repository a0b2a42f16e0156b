package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/leadscore/leadscore"
)

const (
	orderScore   = "score"
	orderUpdated = "updated"

	defaultPageSize = 50
	maxPageSize     = 1000
)

// cursor is the sort key of the last row of a page. It travels as opaque
// base64 so that clients cannot come to depend on its contents.
type cursor struct {
	Order   string  `json:"o"`
	Score   float64 `json:"s"`
	Updated int64   `json:"u"`
	ID      string  `json:"id"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // a struct of plain fields always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return c, invalid("after", "is not a cursor returned by a previous page")
	}
	return c, nil
}

// escapeLike makes s match literally in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// ListLeads lists known leads (anonymous visitors never appear) a page at
// a time, with keyset pagination: f.After is the cursor returned with the
// previous page, and next is "" after the last page. A page is found by
// walking an index from the cursor, never by an offset, so a deep page
// costs what the first does; filters skip the rows they reject on the way,
// and an account's people are read through the account's own index.
//
// With f.Model set the default order is by that model's score, highest
// first, then lead id; only leads scored under the model are listed, and
// Band, Qualified and MinScore filter on that score. OrderBy "updated"
// (the default without a model) lists every known lead by the time its
// attributes last changed, newest first, then id, with the model's score
// when it has one. Score.Evaluation is left out of listings: Scores has
// it.
//
// Other filters: AccountID; Owner (the owner automation assigned, else the
// lead's "owner" custom field); Owners (any of these owners, ignoring case);
// UpdatedSince (attributes changed at or after); Query, a
// case-insensitive prefix of the email, the last name, "first last", or
// the name of the lead's account. Limit defaults to 50, at most 1000.
func (rd *reader) ListLeads(ctx context.Context, f leadscore.LeadFilter) ([]leadscore.LeadRow, string, error) {
	lq, err := buildList(rd.ws, rd.r.d, f)
	if err != nil {
		return nil, "", err
	}
	order, limit := lq.order, lq.limit
	rows, err := rd.r.queryDynamic(ctx, lq.sql, lq.args...)
	if err != nil {
		return nil, "", err
	}
	got, err := scanAll(rd.r, rows, func(r *sql.Rows) (listedRow, error) {
		return scanListed(r, f.Model != "")
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(got) > limit {
		got = got[:limit]
		last := got[limit-1]
		c := cursor{Order: order, ID: last.row.Lead.ID, Updated: last.updated}
		if order == orderScore {
			c.Score = last.row.Score.Score
		}
		next = c.encode()
	}
	out := make([]leadscore.LeadRow, len(got))
	for i := range got {
		out[i] = got[i].row
	}
	return out, next, nil
}

// listedRow is a listing row with the lead's updated_at, which the cursor
// needs and LeadRow does not carry.
type listedRow struct {
	row     leadscore.LeadRow
	updated int64
}

// scanListed reads a listing row; the score columns are NULL when a lead
// has no score under the model.
func scanListed(r *sql.Rows, withScore bool) (listedRow, error) {
	var out listedRow
	var l leadscore.Lead
	var created sql.NullInt64
	var fields []byte
	dest := []any{&l.ID, &l.Email, &l.FirstName, &l.LastName, &l.Title, &l.Phone, &l.Country, &l.State, &l.City,
		&l.Source, &l.AccountID, &created, &fields, &out.updated}
	var (
		leadID, model, version, band, grade sql.NullString
		score                               sql.NullFloat64
		display, next, updated              sql.NullInt64
		qualified, disqualified             sql.NullBool
	)
	if withScore {
		dest = append(dest, &leadID, &model, &version, &score, &display, &band, &grade, &qualified, &disqualified,
			&next, &updated)
	}
	if err := r.Scan(dest...); err != nil {
		return out, err
	}
	l.CreatedAt = timeOf(created)
	var err error
	if l.Fields, err = decodeFields(fields); err != nil {
		return out, err
	}
	out.row.Lead = l
	if withScore && leadID.Valid {
		out.row.Score = &leadscore.ScoreRecord{
			LeadID: leadID.String, Model: model.String, Version: version.String, Score: score.Float64,
			Display: display.Int64, Band: band.String, Grade: grade.String, Qualified: qualified.Bool,
			Disqualified: disqualified.Bool, NextChangeAt: timeOf(next), UpdatedAt: timeOf(updated),
		}
	}
	return out, nil
}

// listQuery is a listing as SQL, with what reading its rows needs.
type listQuery struct {
	sql   string
	args  []any
	order string
	limit int
}

// buildList turns a filter into the listing's query.
func buildList(ws string, d *dialect, f leadscore.LeadFilter) (listQuery, error) {
	order := f.OrderBy
	if order == "" {
		order = orderUpdated
		if f.Model != "" {
			order = orderScore
		}
	}
	switch {
	case order != orderScore && order != orderUpdated:
		return listQuery{}, invalid("order_by", "must be %q or %q", orderScore, orderUpdated)
	case order == orderScore && f.Model == "":
		return listQuery{}, invalid("model", "is required to order by score")
	case f.Model == "" && (f.Band != "" || f.Qualified != nil || f.MinScore != nil):
		return listQuery{}, invalid("model", "is required to filter on band, qualification or score")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)
	var after *cursor
	if f.After != "" {
		c, err := decodeCursor(f.After)
		if err != nil {
			return listQuery{}, err
		}
		if c.Order != order {
			return listQuery{}, invalid("after", "belongs to a listing in another order")
		}
		after = &c
	}

	var q strings.Builder
	var args []any
	q.WriteString("SELECT " + leadCols + ", l.updated_at")
	if f.Model != "" {
		q.WriteString(", " + scoreCols)
	}
	switch {
	case order == orderScore && f.AccountID != "":
		// An account has few people: read them through the account index
		// and sort, rather than walk the whole ranking looking for them.
		// SQLite keeps the tables of a CROSS JOIN in the order written;
		// PostgreSQL plans it like any join, from its statistics.
		q.WriteString(` FROM leads l CROSS JOIN scores s
			WHERE s.workspace_id = l.workspace_id AND s.lead_id = l.id
				AND l.workspace_id = ? AND s.model = ? AND l.anonymous = FALSE`)
		args = append(args, ws, f.Model)
	case order == orderScore:
		q.WriteString(` FROM scores s JOIN leads l ON l.workspace_id = s.workspace_id AND l.id = s.lead_id
			WHERE s.workspace_id = ? AND s.model = ? AND l.anonymous = FALSE`)
		args = append(args, ws, f.Model)
	default:
		q.WriteString(" FROM leads l")
		if f.Model != "" {
			q.WriteString(" LEFT JOIN scores s ON s.workspace_id = l.workspace_id AND s.lead_id = l.id AND s.model = ?")
			args = append(args, f.Model)
		}
		if f.AccountID != "" {
			// Written so that it is no index equality: the account's
			// index must win over the all-leads one, which SQLite cannot
			// tell without statistics.
			q.WriteString(" WHERE l.workspace_id = ? AND NOT l.anonymous")
		} else {
			q.WriteString(" WHERE l.workspace_id = ? AND l.anonymous = FALSE")
		}
		args = append(args, ws)
	}
	if f.Band != "" {
		q.WriteString(" AND s.band = ?")
		args = append(args, f.Band)
	}
	if f.Qualified != nil {
		q.WriteString(" AND s.qualified = ?")
		args = append(args, *f.Qualified)
	}
	if f.MinScore != nil {
		q.WriteString(" AND s.score >= ?")
		args = append(args, *f.MinScore)
	}
	if f.AccountID != "" {
		q.WriteString(" AND l.account_id = ?")
		args = append(args, f.AccountID)
	}
	if f.Owner != "" {
		q.WriteString(" AND " + d.ownerExpr + " = ?")
		args = append(args, f.Owner)
	}
	if len(f.Owners) > 0 {
		q.WriteString(" AND lower(trim(" + d.ownerExpr + ")) IN (?" + strings.Repeat(", ?", len(f.Owners)-1) + ")")
		for _, o := range f.Owners {
			args = append(args, strings.ToLower(strings.TrimSpace(o)))
		}
	}
	if !f.UpdatedSince.IsZero() {
		q.WriteString(" AND l.updated_at >= ?")
		args = append(args, micros(f.UpdatedSince))
	}
	if text := strings.ToLower(strings.TrimSpace(f.Query)); text != "" {
		p := escapeLike(text) + "%"
		q.WriteString(` AND (lower(l.email) LIKE ? ESCAPE '\' OR lower(l.last_name) LIKE ? ESCAPE '\'
			OR lower(l.first_name || ' ' || l.last_name) LIKE ? ESCAPE '\'
			OR l.account_id IN (SELECT a.id FROM accounts a WHERE a.workspace_id = ? AND lower(a.name) LIKE ? ESCAPE '\'))`)
		args = append(args, p, p, p, ws, p)
	}
	// The keyset conditions repeat the leading bound alone (score <= x) so
	// that the database can start its index range there.
	if order == orderScore {
		if after != nil {
			q.WriteString(" AND s.score <= ? AND (s.score < ? OR s.lead_id > ?)")
			args = append(args, after.Score, after.Score, after.ID)
		}
		q.WriteString(" ORDER BY s.score DESC, s.lead_id")
	} else {
		if after != nil {
			q.WriteString(" AND l.updated_at <= ? AND (l.updated_at < ? OR l.id > ?)")
			args = append(args, after.Updated, after.Updated, after.ID)
		}
		q.WriteString(" ORDER BY l.updated_at DESC, l.id")
	}
	// One row more than the page tells whether there is a next page.
	q.WriteString(" LIMIT ?")
	args = append(args, limit+1)
	return listQuery{sql: q.String(), args: args, order: order, limit: limit}, nil
}
