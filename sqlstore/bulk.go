package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/pipeline"
)

// Bulk operations handle many rows in a few statements. On PostgreSQL
// every statement is a network round trip, which caps a transaction that
// runs one statement per event at a few thousand events a second however
// fast the database is; a group commit of a thousand events must cost a
// handful of round trips, not thousands.
//
// The dialects get there differently:
//
//   - PostgreSQL binds each column as one array and unnests it, so one
//     static statement serves any number of rows: it is prepared once, its
//     text does not grow with the rows, the server plans it once, and the
//     65,535-parameter limit of a statement never comes near.
//   - SQLite has no array parameters, but it runs in process, where a
//     statement costs microseconds, not a round trip. Rows go in multi-row
//     VALUES lists and keys in IN lists of 1, 2, 4 ... sqliteBulkRows rows:
//     n rows take n/sqliteBulkRows full statements plus one per binary
//     digit of the rest, and the few statement texts there are can all be
//     prepared when the store opens, as every transaction statement is.
//     Writes that return nothing run one row per statement instead. A
//     statement that writes several rows and may fail part-way (any
//     insert under a NOT NULL, UNIQUE or foreign key constraint) makes
//     SQLite copy every page it touches into a statement journal first,
//     so that it can undo itself alone; a single-row write needs none. In
//     the ingest benchmark those copies were an eighth of the writer's
//     time, more than the extra statements cost. Writes that return rows
//     (generated keys) stay multi-row: reading a result per row costs
//     more than the journal spares.
//
// Every row is checked (required fields, NUL and invalid UTF-8) before the
// first statement runs, so a refused row changes nothing and leaves the
// transaction usable, as with the single forms.

const (
	// sqliteMaxParams is SQLite's limit on the parameters of a statement
	// (SQLITE_MAX_VARIABLE_NUMBER).
	sqliteMaxParams = 32766
	// sqliteBulkRows bounds the rows of one SQLite statement. Beyond a few
	// hundred rows a larger statement saves nothing measurable, since the
	// per-statement cost is already spread thin, while every size up to it
	// is a statement kept prepared.
	sqliteBulkRows = 256
)

// colKind is the type of a bulk column, which PostgreSQL needs to bind it
// as an array. Values of nullable kinds are nil (NULL) or of the base type.
type colKind uint8

const (
	colText colKind = iota
	colNullText
	colJSON // JSON text, or nil for NULL
	colInt
	colNullInt
	colFloat
	colNullFloat
	colBool
	colBytes // []byte; a nil slice is NULL
)

// pgArray is the array type a column of this kind is bound as.
func (k colKind) pgArray() string {
	switch k {
	case colInt, colNullInt:
		return "BIGINT[]"
	case colFloat, colNullFloat:
		return "DOUBLE PRECISION[]"
	case colBool:
		return "BOOLEAN[]"
	case colBytes:
		return "BYTEA[]"
	}
	return "TEXT[]" // JSON travels as text and is cast per row
}

type bulkCol struct {
	name string
	kind colKind
}

// bulkStmt is one bulk statement in its dialect's form.
type bulkStmt struct {
	// texts[k] takes 1<<k rows or keys when maxRows > 0 (SQLite); otherwise
	// texts[0] takes any number (PostgreSQL arrays).
	texts   []string
	maxRows int
	// kinds are the inserted columns after workspace_id; nil for reads.
	kinds []colKind
}

// text returns the statement for a chunk of n rows, n a size chunks gave.
func (s *bulkStmt) text(n int) string {
	if s.maxRows == 0 {
		return s.texts[0]
	}
	return s.texts[bits.TrailingZeros(uint(n))]
}

// chunks splits n rows into the statement sizes that exist: full
// statements of maxRows, then the binary digits of the rest, largest
// first. With arrays it is one statement of n. No rows run no statement.
func (s *bulkStmt) chunks(n int) []int {
	if n == 0 {
		return nil
	}
	if s.maxRows == 0 {
		return []int{n}
	}
	var out []int
	for ; n >= s.maxRows; n -= s.maxRows {
		out = append(out, s.maxRows)
	}
	for size := s.maxRows / 2; size > 0; size /= 2 {
		if n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// sqliteRows is the largest power of two of rows, at most sqliteBulkRows,
// whose parameters (perRow each, plus fixed) fit in one SQLite statement.
func sqliteRows(perRow, fixed int) int {
	n := min(sqliteBulkRows, (sqliteMaxParams-fixed)/perRow)
	return 1 << (bits.Len(uint(n)) - 1)
}

// newBulkInsert builds a multi-row INSERT of cols (after workspace_id) into
// table, followed by tail (ON CONFLICT, RETURNING). Rows are inserted in
// the order given: with an identity or AUTOINCREMENT key, their keys then
// increase in that order.
func newBulkInsert(d *dialect, table string, cols []bulkCol, tail string) bulkStmt {
	names := make([]string, len(cols))
	kinds := make([]colKind, len(cols))
	for i, c := range cols {
		names[i], kinds[i] = c.name, c.kind
	}
	head := "INSERT INTO " + table + " (workspace_id, " + strings.Join(names, ", ") + ") "
	if d.arrays {
		sel := make([]string, len(cols))
		arrays := make([]string, len(cols))
		alias := make([]string, len(cols))
		for i, c := range cols {
			alias[i] = fmt.Sprintf("c%d", i)
			sel[i] = "v." + alias[i]
			if c.kind == colJSON {
				sel[i] = "CAST(" + sel[i] + " AS JSONB)"
			}
			arrays[i] = "CAST(? AS " + c.kind.pgArray() + ")"
		}
		// WITH ORDINALITY and ORDER BY make the insertion order, and so
		// the order of the generated keys, the order of the arrays.
		q := head + "SELECT ?, " + strings.Join(sel, ", ") +
			" FROM unnest(" + strings.Join(arrays, ", ") + ") WITH ORDINALITY AS v (" + strings.Join(alias, ", ") +
			", ord) ORDER BY v.ord " + tail
		return bulkStmt{texts: []string{q}, kinds: kinds}
	}
	row := "(?" + strings.Repeat(", ?", len(cols)) + ")"
	s := bulkStmt{maxRows: sqliteRows(len(cols)+1, 0), kinds: kinds}
	if !strings.Contains(tail, "RETURNING") {
		s.maxRows = 1 // see the package comment on statement journals
	}
	for n := 1; n <= s.maxRows; n *= 2 {
		s.texts = append(s.texts, head+"VALUES "+strings.Repeat(row+", ", n-1)+row+" "+tail)
	}
	return s
}

// newBulkSelect builds a query for many keys: q holds {keys} where the key
// condition goes ("l.id {keys}") after fixed parameters.
func newBulkSelect(d *dialect, q string, fixed int) bulkStmt {
	if d.arrays {
		return bulkStmt{texts: []string{strings.Replace(q, "{keys}", "= ANY(CAST(? AS TEXT[]))", 1)}}
	}
	s := bulkStmt{maxRows: sqliteRows(1, fixed)}
	for n := 1; n <= s.maxRows; n *= 2 {
		s.texts = append(s.texts, strings.Replace(q, "{keys}", "IN (?"+strings.Repeat(", ?", n-1)+")", 1))
	}
	return s
}

// bulkQueries are a dialect's bulk statements.
type bulkQueries struct {
	insertEvents, putScores, appendLedger, upsertLeadsKeep, upsertLeadsNew, addAliases bulkStmt
	leadsByID, aliasesOf, eventsOf, scoresOf, summariesOf, eventSeqs, peersOf          bulkStmt
}

func newBulkQueries(d *dialect) *bulkQueries {
	leadColumns := []bulkCol{{"id", colText}, {"email", colText}, {"first_name", colText}, {"last_name", colText},
		{"title", colText}, {"phone", colText}, {"country", colText}, {"state", colText}, {"city", colText},
		{"source", colText}, {"account_id", colText}, {"fields", colJSON}, {"anonymous", colBool},
		{"created_at", colInt}, {"updated_at", colInt}}
	return &bulkQueries{
		insertEvents: newBulkInsert(d, "events", []bulkCol{{"id", colText}, {"source", colText},
			{"message_id", colNullText}, {"lead_id", colText}, {"anonymous_id", colText}, {"type", colText},
			{"at", colInt}, {"received_at", colInt}, {"properties", colJSON}, {"user_agent", colText},
			{"bot", colBool}, {"bot_reason", colText}},
			onEventConflict+" RETURNING seq, source, message_id"),
		putScores: newBulkInsert(d, "scores", []bulkCol{{"lead_id", colText}, {"model", colText},
			{"version", colText}, {"score", colFloat}, {"display", colInt}, {"band", colText}, {"grade", colText},
			{"qualified", colBool}, {"disqualified", colBool}, {"evaluation_z", colBytes},
			{"next_change_at", colNullInt}, {"updated_at", colInt}, {"digest", colNullInt}},
			onScoreConflict),
		appendLedger: newBulkInsert(d, "ledger", []bulkCol{{"lead_id", colText}, {"model", colText},
			{"version", colText}, {"at", colInt}, {"old_score", colNullFloat}, {"new_score", colFloat},
			{"old_band", colText}, {"new_band", colText}, {"cause", colText}, {"cause_ref", colText},
			{"detail", colText}, {"qualified", colBool}},
			"RETURNING seq"),
		// A lead given with its creation time overwrites the stored one;
		// one without keeps it and reads it back. The two cannot share a
		// statement: the conflict clause sees only the inserted row, not
		// whether its creation time was given.
		upsertLeadsKeep: newBulkInsert(d, "leads", leadColumns, onLeadConflict+", created_at = excluded.created_at"),
		upsertLeadsNew:  newBulkInsert(d, "leads", leadColumns, onLeadConflict+" RETURNING id, created_at"),
		addAliases: newBulkInsert(d, "lead_aliases", []bulkCol{{"alias", colText}, {"lead_id", colText},
			{"created_at", colInt}}, onAliasConflict),

		leadsByID: newBulkSelect(d, `SELECT `+leadCols+` FROM leads l WHERE l.workspace_id = ? AND l.id {keys}`, 1),
		aliasesOf: newBulkSelect(d, `SELECT alias, lead_id FROM lead_aliases WHERE workspace_id = ? AND alias {keys}`, 1),
		// Ordered as the events_lead index is, so that SQLite reads each
		// lead's events in time order without sorting them.
		eventsOf: newBulkSelect(d, `SELECT `+eventCols+` FROM events e WHERE e.workspace_id = ? AND e.lead_id {keys}
			ORDER BY e.lead_id, e.at, e.seq`, 1),
		scoresOf: newBulkSelect(d, `SELECT `+scoreCols+`, s.evaluation, s.evaluation_z FROM scores s
			WHERE s.workspace_id = ? AND s.lead_id {keys} ORDER BY s.lead_id, s.model`, 1),
		summariesOf: newBulkSelect(d, `SELECT `+scoreCols+`, s.digest FROM scores s
			WHERE s.workspace_id = ? AND s.lead_id {keys} ORDER BY s.lead_id, s.model`, 1),
		// As qPeers does for one account; by account, so that SQLite reads
		// the leads_by_account index in order.
		peersOf: newBulkSelect(d, `SELECT account_id, id, last_activity_at FROM leads
			WHERE workspace_id = ? AND last_activity_at >= ? AND account_id {keys} ORDER BY account_id, id`, 2),
		// By source, so that the unique index (workspace_id, source,
		// message_id) finds each key: a call's events have few sources.
		eventSeqs: newBulkSelect(d, `SELECT message_id, seq FROM events
			WHERE workspace_id = ? AND source = ? AND message_id {keys}`, 2),
	}
}

// queries lists every statement text, for preparing them when the store
// opens.
func (b *bulkQueries) queries() []string {
	var qs []string
	for _, s := range []*bulkStmt{&b.insertEvents, &b.putScores, &b.appendLedger, &b.upsertLeadsKeep,
		&b.upsertLeadsNew, &b.addAliases, &b.leadsByID, &b.aliasesOf, &b.eventsOf, &b.scoresOf, &b.summariesOf, &b.eventSeqs, &b.peersOf} {
		qs = append(qs, s.texts...)
	}
	return qs
}

// columns turns rows into one array per column, for unnest.
func columns(kinds []colKind, rows [][]any) ([]any, error) {
	out := make([]any, len(kinds))
	for c, k := range kinds {
		var err error
		switch k {
		case colText:
			out[c], err = column[string](rows, c)
		case colNullText, colJSON:
			out[c], err = nullColumn[string](rows, c)
		case colInt:
			out[c], err = column[int64](rows, c)
		case colNullInt:
			out[c], err = nullColumn[int64](rows, c)
		case colFloat:
			out[c], err = column[float64](rows, c)
		case colNullFloat:
			out[c], err = nullColumn[float64](rows, c)
		case colBool:
			out[c], err = column[bool](rows, c)
		case colBytes:
			out[c], err = column[[]byte](rows, c)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func column[T any](rows [][]any, c int) ([]T, error) {
	out := make([]T, len(rows))
	for i, row := range rows {
		v, ok := row[c].(T)
		if !ok {
			return nil, fmt.Errorf("sqlstore: bulk column %d holds %T, want %T", c, row[c], v)
		}
		out[i] = v
	}
	return out, nil
}

func nullColumn[T any](rows [][]any, c int) ([]*T, error) {
	out := make([]*T, len(rows))
	for i, row := range rows {
		switch v := row[c].(type) {
		case nil:
		case T:
			out[i] = &v
		default:
			return nil, fmt.Errorf("sqlstore: bulk column %d holds %T, want %T or nil", c, row[c], *new(T))
		}
	}
	return out, nil
}

// bulkWrite runs s over rows, which bind has checked, chunk by chunk. When
// scan is given the statement returns rows, each passed to scan.
func (rd *reader) bulkWrite(ctx context.Context, s *bulkStmt, rows [][]any, scan func(*sql.Rows) error) error {
	if p := textProblem(rd.ws); p != "" {
		return invalid("workspace", "text %s", p)
	}
	off := 0
	for _, n := range s.chunks(len(rows)) {
		chunk := rows[off : off+n]
		off += n
		var args []any
		if s.maxRows == 0 {
			cols, err := columns(s.kinds, chunk)
			if err != nil {
				return err
			}
			args = append([]any{rd.ws}, cols...)
		} else {
			args = make([]any, 0, n*(len(s.kinds)+1))
			for _, row := range chunk {
				args = append(append(args, rd.ws), row...)
			}
		}
		q := s.text(n)
		if scan == nil {
			if _, err := rd.r.execBound(ctx, q, args...); err != nil {
				return err
			}
			continue
		}
		rs, err := rd.r.queryBound(ctx, q, args...)
		if err != nil {
			return err
		}
		if err := eachRow(rd.r, rs, scan); err != nil {
			return err
		}
	}
	return nil
}

// bulkRead runs s for keys, checked by keyList, after the fixed arguments,
// passing each row to scan.
func (rd *reader) bulkRead(ctx context.Context, s *bulkStmt, fixed []any, keys []string, scan func(*sql.Rows) error) error {
	if err := bind(fixed); err != nil {
		return err
	}
	off := 0
	for _, n := range s.chunks(len(keys)) {
		chunk := keys[off : off+n]
		off += n
		args := slices.Clone(fixed)
		if s.maxRows == 0 {
			args = append(args, chunk)
		} else {
			for _, k := range chunk {
				args = append(args, k)
			}
		}
		rs, err := rd.r.queryBound(ctx, s.text(n), args...)
		if err != nil {
			return err
		}
		if err := eachRow(rd.r, rs, scan); err != nil {
			return err
		}
	}
	return nil
}

// eachRow passes every row to scan, closing rows.
func eachRow(r *runner, rows *sql.Rows, scan func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return r.fail(err)
	}
	return nil
}

// keyList checks keys and drops repeated ones. what names the argument
// in an error.
func keyList(what string, keys []string) ([]string, error) {
	seen := make(map[string]struct{}, len(keys))
	out := make([]string, 0, len(keys))
	for i, k := range keys {
		if p := textProblem(k); p != "" {
			return nil, invalid(fmt.Sprintf("%s[%d]", what, i), "text %s: %.40q", p, k)
		}
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			out = append(out, k)
		}
	}
	return out, nil
}

// rowError points an invalid error at the row it is about (label, such as
// "events[3]"), so that a caller can tell which of many rows was refused.
func rowError(label string, err error) error {
	var e *leadscore.Error
	if !errors.As(err, &e) || e.Code != leadscore.CodeInvalid {
		return err
	}
	field := label
	if e.Field != "" {
		field += "." + e.Field
	}
	return &leadscore.Error{Code: e.Code, Message: e.Message, Field: field, Err: e.Err}
}

// nullTime is a time column that the zero time leaves NULL, as nullMicros,
// in the form bulk rows carry: nil or int64.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

var (
	_ leadscore.BulkTx     = (*tx)(nil)
	_ leadscore.BulkReader = (*workspace)(nil)
)

// LeadsByID returns the leads among ids that exist, keyed by id, as Lead
// reads them. Unknown and repeated ids are no error.
func (rd *reader) LeadsByID(ctx context.Context, ids []string) (map[string]*leadscore.Lead, error) {
	keys, err := keyList("ids", ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*leadscore.Lead, len(keys))
	err = rd.bulkRead(ctx, &rd.r.d.bulk.leadsByID, []any{rd.ws}, keys, func(r *sql.Rows) error {
		l, err := scanLead(r)
		out[l.ID] = &l
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PeersOf returns the active people of many accounts, as Peers does for
// one.
func (rd *reader) PeersOf(ctx context.Context, accountIDs []string, since time.Time) (map[string][]leadscore.Peer, error) {
	keys, err := keyList("account_ids", accountIDs)
	if err != nil {
		return nil, err
	}
	// A lead without an account has no peers (see Peers).
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "" })
	out := map[string][]leadscore.Peer{}
	err = rd.bulkRead(ctx, &rd.r.d.bulk.peersOf, []any{rd.ws, micros(since)}, keys, func(r *sql.Rows) error {
		var account string
		var p leadscore.Peer
		var at int64
		if err := r.Scan(&account, &p.LeadID, &at); err != nil {
			return err
		}
		p.Activity = []time.Time{fromMicros(at)}
		out[account] = append(out[account], p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AliasesOf resolves aliases as LeadByAlias does, keyed by alias; unknown
// ones are absent.
func (rd *reader) AliasesOf(ctx context.Context, aliases []string) (map[string]string, error) {
	keys, err := keyList("aliases", aliases)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	err = rd.bulkRead(ctx, &rd.r.d.bulk.aliasesOf, []any{rd.ws}, keys, func(r *sql.Rows) error {
		var alias, lead string
		err := r.Scan(&alias, &lead)
		out[alias] = lead
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EventsOf returns every event of each lead, in time order (at, then seq)
// as Events returns them. Leads without events are absent.
func (rd *reader) EventsOf(ctx context.Context, leadIDs []string) (map[string][]leadscore.StoredEvent, error) {
	keys, err := keyList("lead_ids", leadIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]leadscore.StoredEvent, len(keys))
	err = rd.bulkRead(ctx, &rd.r.d.bulk.eventsOf, []any{rd.ws}, keys, func(r *sql.Rows) error {
		e, err := scanEvent(r)
		out[e.LeadID] = append(out[e.LeadID], e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ScoresOf returns the current scores of each lead under every model, in
// model order with their evaluations, as Scores returns them. Leads
// without scores are absent.
func (rd *reader) ScoresOf(ctx context.Context, leadIDs []string) (map[string][]leadscore.ScoreRecord, error) {
	return rd.scoresOf(ctx, leadIDs, true)
}

// ScoreSummariesOf is ScoresOf with every Evaluation nil: the evaluation
// columns are not even read.
func (rd *reader) ScoreSummariesOf(ctx context.Context, leadIDs []string) (map[string][]leadscore.ScoreRecord, error) {
	return rd.scoresOf(ctx, leadIDs, false)
}

func (rd *reader) scoresOf(ctx context.Context, leadIDs []string, withEvaluations bool) (map[string][]leadscore.ScoreRecord, error) {
	keys, err := keyList("lead_ids", leadIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]leadscore.ScoreRecord, len(keys))
	stmt, codec := &rd.r.d.bulk.summariesOf, (*evaluationCodec)(nil)
	if withEvaluations {
		stmt, codec = &rd.r.d.bulk.scoresOf, &evaluationCodec{}
	}
	err = rd.bulkRead(ctx, stmt, []any{rd.ws}, keys, func(r *sql.Rows) error {
		var s leadscore.ScoreRecord
		var err error
		if withEvaluations {
			s, err = scanScore(r, codec)
		} else {
			s, err = scanSummary(r)
		}
		out[s.LeadID] = append(out[s.LeadID], s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eventKey identifies an event for deduplication.
type eventKey struct{ source, messageID string }

// InsertEvents is InsertEvent for many events: each is stored unless an
// event with its source and message id exists in the workspace or comes
// earlier in events, and inserted reports, in the order of events, which
// were new. Every event's Seq is set, a duplicate's to the stored event's
// seq, and At and ReceivedAt are set as InsertEvent sets them. New events
// get seqs in the order of events. New non-bot events raise their leads'
// last activity. An invalid event refuses the whole call, changing
// nothing; its position is in the error's field ("events[3].type").
func (t *tx) InsertEvents(ctx context.Context, events []*leadscore.StoredEvent) ([]bool, error) {
	inserted := make([]bool, len(events))
	if len(events) == 0 {
		return inserted, nil
	}
	ats := make([]time.Time, len(events))
	received := make([]time.Time, len(events))
	// firstOf[i] is the event whose row stands for event i: i itself, or
	// the earlier event of the call that i duplicates.
	firstOf := make([]int, len(events))
	byKey := make(map[eventKey]int, len(events))
	var stored []int // the events that go to the database, in order
	var rows [][]any
	for i, e := range events {
		label := fmt.Sprintf("events[%d]", i)
		if e == nil {
			return nil, invalid(label, "is nil")
		}
		if err := required("lead_id", e.LeadID, "type", e.Type); err != nil {
			return nil, rowError(label, err)
		}
		if e.At.IsZero() {
			return nil, rowError(label, invalid("at", "is required"))
		}
		recv := e.ReceivedAt
		if recv.IsZero() {
			recv = t.now()
		}
		ats[i], received[i] = truncMicros(e.At), truncMicros(recv)
		props, err := encodeJSON(e.Properties)
		if err != nil {
			return nil, rowError(label, err)
		}
		var msgID any
		if e.MessageID != "" {
			msgID = e.MessageID
		}
		row := []any{e.ID, e.Source, msgID, e.LeadID, e.AnonymousID, e.Type, micros(ats[i]), micros(received[i]),
			props, e.UserAgent, e.Bot, e.BotReason}
		if err := bind(row); err != nil {
			return nil, rowError(label, err)
		}
		firstOf[i] = i
		if e.MessageID != "" {
			k := eventKey{e.Source, e.MessageID}
			if f, dup := byKey[k]; dup {
				firstOf[i] = f
				continue
			}
			byKey[k] = i
		}
		stored = append(stored, i)
		rows = append(rows, row)
	}

	// Only new rows come back. Those with a message id are known by it;
	// those without one are never duplicates, so every one of them comes
	// back, and since they were inserted in order their seqs sorted are
	// theirs in order.
	seqOf := make(map[eventKey]int64, len(byKey))
	var bare []int64
	err := t.bulkWrite(ctx, &t.r.d.bulk.insertEvents, rows, func(r *sql.Rows) error {
		var seq int64
		var source string
		var msgID sql.NullString
		if err := r.Scan(&seq, &source, &msgID); err != nil {
			return err
		}
		if msgID.Valid {
			seqOf[eventKey{source, msgID.String}] = seq
		} else {
			bare = append(bare, seq)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(bare)
	seqs := make(map[int]int64, len(stored))
	var known map[string][]string // source -> message ids stored before this call
	for _, i := range stored {
		e := events[i]
		if e.MessageID == "" {
			if len(bare) == 0 {
				return nil, fmt.Errorf("sqlstore: an event without a message id was not stored")
			}
			seqs[i], bare = bare[0], bare[1:]
			inserted[i] = true
			continue
		}
		if seq, ok := seqOf[eventKey{e.Source, e.MessageID}]; ok {
			seqs[i] = seq
			inserted[i] = true
			continue
		}
		if known == nil {
			known = map[string][]string{}
		}
		known[e.Source] = append(known[e.Source], e.MessageID)
	}
	if len(known) > 0 {
		found, err := t.storedSeqs(ctx, known)
		if err != nil {
			return nil, err
		}
		for _, i := range stored {
			if seq, ok := found[eventKey{events[i].Source, events[i].MessageID}]; ok && !inserted[i] {
				seqs[i] = seq
			}
		}
	}
	for i, e := range events {
		e.At, e.ReceivedAt = ats[i], received[i]
		// A duplicate whose stored event cannot be found (deleted by
		// another transaction since) keeps its Seq, as with InsertEvent.
		if seq, ok := seqs[firstOf[i]]; ok {
			e.Seq = seq
		}
		if inserted[i] && !e.Bot {
			t.raiseActivity(e.LeadID, micros(e.At))
		}
	}
	return inserted, nil
}

// storedSeqs reads the seqs of stored events by source and message id.
func (t *tx) storedSeqs(ctx context.Context, bySource map[string][]string) (map[eventKey]int64, error) {
	out := map[eventKey]int64{}
	for _, source := range slices.Sorted(maps.Keys(bySource)) {
		err := t.bulkRead(ctx, &t.r.d.bulk.eventSeqs, []any{t.ws, source}, bySource[source], func(r *sql.Rows) error {
			var msgID string
			var seq int64
			err := r.Scan(&msgID, &seq)
			out[eventKey{source, msgID}] = seq
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PutScores is PutScore for many scores. A lead and model given more than
// once is stored as the last of them, as successive PutScore calls would
// leave it. Every record's times are set as PutScore sets them.
func (t *tx) PutScores(ctx context.Context, scores []*leadscore.ScoreRecord) error {
	if len(scores) == 0 {
		return nil
	}
	type key struct{ lead, model string }
	last := make(map[key]int, len(scores))
	rows := make([][]any, len(scores))
	updated := make([]time.Time, len(scores))
	next := make([]time.Time, len(scores))
	for i, s := range scores {
		if s == nil {
			return invalid(fmt.Sprintf("scores[%d]", i), "is nil")
		}
	}
	evals, err := encodeEvaluations(scores)
	if err != nil {
		return err
	}
	for i, s := range scores {
		label := fmt.Sprintf("scores[%d]", i)
		if err := required("lead_id", s.LeadID, "model", s.Model); err != nil {
			return rowError(label, err)
		}
		eval := evals[i]
		u := s.UpdatedAt
		if u.IsZero() {
			u = t.now()
		}
		updated[i], next[i] = truncMicros(u), truncMicros(s.NextChangeAt)
		row := []any{s.LeadID, s.Model, s.Version, s.Score, s.Display, s.Band, s.Grade, s.Qualified, s.Disqualified,
			eval, nullTime(next[i]), micros(updated[i]), digestOf(s)}
		if err := bind(row); err != nil {
			return rowError(label, err)
		}
		rows[i] = row
		last[key{s.LeadID, s.Model}] = i
	}
	// One row per key (PostgreSQL refuses to update a row twice in one
	// statement), in key order so that concurrent transactions lock rows
	// in the same order.
	keys := slices.SortedFunc(maps.Keys(last), func(a, b key) int {
		return cmpPair(a.lead, a.model, b.lead, b.model)
	})
	ordered := make([][]any, len(keys))
	for i, k := range keys {
		ordered[i] = rows[last[k]]
	}
	if !t.r.d.arrays {
		var err error
		if ordered, err = t.rewriteScores(ctx, ordered); err != nil {
			return err
		}
	}
	if err := t.bulkWrite(ctx, &t.r.d.bulk.putScores, ordered, nil); err != nil {
		return err
	}
	for i, s := range scores {
		s.UpdatedAt, s.NextChangeAt = updated[i], next[i]
	}
	return nil
}

// rewriteScores writes, on SQLite, the rows of putScores whose stored row
// keeps its score, band and next change time, and returns the others for
// the upsert. An UPDATE maintains every index with a column it assigns,
// whether the value changed or not, and the upsert assigns them all: three
// indexes rewritten for a row that only has a new explanation, which is
// what a score that moves within its cap or an unchanged colleague gets.
// (PostgreSQL compares values and skips unchanged index entries itself.)
func (t *tx) rewriteScores(ctx context.Context, rows [][]any) ([][]any, error) {
	rest := rows[:0:0]
	for _, row := range rows {
		// row: lead_id, model, version, score, display, band, grade,
		// qualified, disqualified, evaluation_z, next_change_at, updated_at, digest
		n, err := t.r.execBoundN(ctx, qRewriteScore, row[2], row[4], row[6], row[7], row[8], row[9], row[11], row[12],
			t.ws, row[0], row[1], row[3], row[5], row[10])
		if err != nil {
			return nil, err
		}
		if n == 0 {
			rest = append(rest, row)
		}
	}
	return rest, nil
}

// digestOf is the digest column of a score: the one the writer gave, else
// its evaluation's, else NULL (nil).
func digestOf(s *leadscore.ScoreRecord) any {
	d := s.Digest
	if d == 0 && s.Evaluation != nil {
		d = s.Evaluation.Digest()
	}
	if d == 0 {
		return nil
	}
	// The column is a signed 64-bit integer; the bits are what matter.
	return int64(d)
}

// encodeEvaluations encodes the scores' evaluations on all cores: a
// group commit or an activation page stores thousands, and encoding them
// is most of the cost of storing them.
func encodeEvaluations(scores []*leadscore.ScoreRecord) ([][]byte, error) {
	out := make([][]byte, len(scores))
	errs := make([]error, len(scores))
	pipeline.Each(len(scores), 64, func(_, i int) {
		out[i], errs[i] = encodeEvaluation(scores[i].Evaluation)
	})
	for i, err := range errs {
		if err != nil {
			return nil, rowError(fmt.Sprintf("scores[%d]", i), err)
		}
	}
	return out, nil
}

func cmpPair(a1, a2, b1, b2 string) int {
	if c := strings.Compare(a1, b1); c != 0 {
		return c
	}
	return strings.Compare(a2, b2)
}

// AppendLedgerEntries is AppendLedger for many entries: they are appended
// in order, so their seqs increase in that order, and every Seq and At is
// set as AppendLedger sets them.
func (t *tx) AppendLedgerEntries(ctx context.Context, entries []*leadscore.LedgerEntry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([][]any, len(entries))
	ats := make([]time.Time, len(entries))
	for i, e := range entries {
		label := fmt.Sprintf("entries[%d]", i)
		if e == nil {
			return invalid(label, "is nil")
		}
		if err := required("lead_id", e.LeadID, "model", e.Model, "cause", string(e.Cause)); err != nil {
			return rowError(label, err)
		}
		at := e.At
		if at.IsZero() {
			at = t.now()
		}
		ats[i] = truncMicros(at)
		var old any
		if e.OldScore != nil {
			old = *e.OldScore
		}
		row := []any{e.LeadID, e.Model, e.Version, micros(ats[i]), old, e.NewScore, e.OldBand, e.NewBand,
			string(e.Cause), e.CauseRef, e.Detail, e.Qualified}
		if err := bind(row); err != nil {
			return rowError(label, err)
		}
		rows[i] = row
	}
	seqs := make([]int64, 0, len(entries))
	err := t.bulkWrite(ctx, &t.r.d.bulk.appendLedger, rows, func(r *sql.Rows) error {
		var seq int64
		err := r.Scan(&seq)
		seqs = append(seqs, seq)
		return err
	})
	if err != nil {
		return err
	}
	if len(seqs) != len(entries) {
		return fmt.Errorf("sqlstore: %d ledger entries appended, %d seqs returned", len(entries), len(seqs))
	}
	// Appended in order, so the seqs sorted are the entries' in order.
	slices.Sort(seqs)
	for i, e := range entries {
		e.Seq, e.At = seqs[i], ats[i]
	}
	return nil
}

// UpsertLeads is UpsertLead for many leads, each replaced whole, with
// CreatedAt set to the stored value. A lead given more than once is
// written once per copy, in order, in successive statements, so that the
// result, every copy's CreatedAt included, is what successive UpsertLead
// calls give; repeated ids cost a statement per repetition, nothing
// otherwise.
func (t *tx) UpsertLeads(ctx context.Context, leads []*leadscore.Lead) error {
	if len(leads) == 0 {
		return nil
	}
	rows := make([][]any, len(leads))
	created := make([]int64, len(leads))
	keep := make([]bool, len(leads))
	// rounds[r] holds the r-th copy of every lead id given r+1 times or
	// more: the ids of a round are distinct.
	var rounds [][]int
	copies := make(map[string]int, len(leads))
	for i, l := range leads {
		label := fmt.Sprintf("leads[%d]", i)
		if l == nil {
			return invalid(label, "is nil")
		}
		if err := required("id", l.ID); err != nil {
			return rowError(label, err)
		}
		fields, err := encodeJSON(l.Fields)
		if err != nil {
			return rowError(label, err)
		}
		now := micros(t.now())
		created[i] = now
		if !l.CreatedAt.IsZero() {
			created[i], keep[i] = micros(l.CreatedAt), true
		}
		row := []any{l.ID, l.Email, l.FirstName, l.LastName, l.Title, l.Phone, l.Country, l.State, l.City,
			l.Source, l.AccountID, fields, strings.HasPrefix(l.ID, anonymousPrefix), created[i], now}
		if err := bind(row); err != nil {
			return rowError(label, err)
		}
		rows[i] = row
		r := copies[l.ID]
		copies[l.ID] = r + 1
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], i)
	}
	createdAt := make([]time.Time, len(leads))
	for _, round := range rounds {
		// In id order, so that concurrent transactions lock rows in the
		// same order.
		slices.SortFunc(round, func(a, b int) int { return strings.Compare(leads[a].ID, leads[b].ID) })
		var kept, fresh [][]any
		byID := make(map[string]int, len(round))
		for _, i := range round {
			if keep[i] {
				kept = append(kept, rows[i])
				createdAt[i] = fromMicros(created[i])
			} else {
				fresh = append(fresh, rows[i])
				byID[leads[i].ID] = i
			}
		}
		if len(kept) > 0 {
			if err := t.bulkWrite(ctx, &t.r.d.bulk.upsertLeadsKeep, kept, nil); err != nil {
				return err
			}
		}
		if len(fresh) > 0 {
			err := t.bulkWrite(ctx, &t.r.d.bulk.upsertLeadsNew, fresh, func(r *sql.Rows) error {
				var id string
				var stored int64
				if err := r.Scan(&id, &stored); err != nil {
					return err
				}
				createdAt[byID[id]] = fromMicros(stored)
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	for i, l := range leads {
		l.CreatedAt = createdAt[i]
	}
	return nil
}

// AddAliases is AddAlias for many aliases (alias to lead id): each alias
// already mapped is moved to its new lead.
func (t *tx) AddAliases(ctx context.Context, aliases map[string]string) error {
	if len(aliases) == 0 {
		return nil
	}
	// In alias order: a map has none, and concurrent transactions must
	// lock rows in the same order.
	keys := slices.Sorted(maps.Keys(aliases))
	rows := make([][]any, len(keys))
	for i, alias := range keys {
		label := fmt.Sprintf("aliases[%q]", alias)
		if err := required("alias", alias, "lead_id", aliases[alias]); err != nil {
			return rowError(label, err)
		}
		row := []any{alias, aliases[alias], micros(t.now())}
		if err := bind(row); err != nil {
			return rowError(label, err)
		}
		rows[i] = row
	}
	return t.bulkWrite(ctx, &t.r.d.bulk.addAliases, rows, nil)
}
