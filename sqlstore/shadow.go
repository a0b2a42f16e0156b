package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/leadscore/leadscore"
)

// Shadows and their scores (migration 00009). Shadow scores are written by
// the group commit for many leads at once, so they use a bulk statement.

const (
	shadowCols      = `m.model, m.version, m.started_at, m.started_by, m.job_id`
	shadowScoreCols = `s.lead_id, s.model, s.version, s.started_at, s.score, s.band, s.qualified, s.disqualified, s.next_change_at, s.updated_at`

	qShadows   = `SELECT ` + shadowCols + ` FROM model_shadows m WHERE m.workspace_id = ? ORDER BY m.model`
	qShadow    = `SELECT ` + shadowCols + ` FROM model_shadows m WHERE m.workspace_id = ? AND m.model = ?`
	qPutShadow = `INSERT INTO model_shadows (workspace_id, model, version, started_at, started_by, job_id)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, model) DO UPDATE SET version = excluded.version, started_at = excluded.started_at,
			started_by = excluded.started_by, job_id = excluded.job_id`
	qDeleteShadow = `DELETE FROM model_shadows WHERE workspace_id = ? AND model = ?`
	// qDropShadowScores deletes a model's shadow scores that belong to
	// another run than the given one.
	qDropShadowScores = `DELETE FROM shadow_scores WHERE workspace_id = ? AND model = ? AND (version <> ? OR started_at <> ?)`
	qDelShadowScores  = `DELETE FROM shadow_scores WHERE workspace_id = ? AND model = ?`
	qShadowScores     = `SELECT ` + shadowScoreCols + ` FROM shadow_scores s
		WHERE s.workspace_id = ? AND s.model = ? AND s.lead_id > ? ORDER BY s.lead_id LIMIT ?`
	qShadowDue = `SELECT lead_id FROM shadow_scores
		WHERE workspace_id = ? AND model = ? AND next_change_at IS NOT NULL AND next_change_at <= ?
		ORDER BY next_change_at, lead_id LIMIT ?`
)

// shadowQueries are the bulk statements of shadow scores.
type shadowQueries struct {
	put, of bulkStmt
}

func newShadowQueries(d *dialect) *shadowQueries {
	return &shadowQueries{
		put: newBulkInsert(d, "shadow_scores", []bulkCol{{"model", colText}, {"lead_id", colText}, {"version", colText},
			{"started_at", colInt}, {"score", colFloat}, {"band", colText}, {"qualified", colBool}, {"disqualified", colBool},
			{"evaluation_z", colBytes}, {"next_change_at", colNullInt}, {"updated_at", colInt}},
			`ON CONFLICT (workspace_id, model, lead_id) DO UPDATE SET version = excluded.version,
				started_at = excluded.started_at, score = excluded.score, band = excluded.band,
				qualified = excluded.qualified, disqualified = excluded.disqualified,
				evaluation_z = excluded.evaluation_z, next_change_at = excluded.next_change_at,
				updated_at = excluded.updated_at`),
		of: newBulkSelect(d, `SELECT `+shadowScoreCols+`, s.evaluation_z FROM shadow_scores s
			WHERE s.workspace_id = ? AND s.model = ? AND s.lead_id {keys}`, 2),
	}
}

func (q *shadowQueries) queries() []string {
	qs := []string{qShadows, qShadow, qPutShadow, qDeleteShadow, qDropShadowScores, qDelShadowScores, qShadowScores, qShadowDue}
	for _, s := range []*bulkStmt{&q.put, &q.of} {
		qs = append(qs, s.texts...)
	}
	return qs
}

var (
	_ leadscore.ShadowTx     = (*tx)(nil)
	_ leadscore.ShadowReader = (*workspace)(nil)
)

func scanShadow(sc scanner) (leadscore.Shadow, error) {
	var s leadscore.Shadow
	var started int64
	if err := sc.Scan(&s.Model, &s.Version, &started, &s.StartedBy, &s.Job); err != nil {
		return s, err
	}
	s.StartedAt = fromMicros(started)
	return s, nil
}

// Shadows lists the running shadows by model name.
func (rd *reader) Shadows(ctx context.Context) ([]leadscore.Shadow, error) {
	rows, err := rd.r.query(ctx, qShadows, rd.ws)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.Shadow, error) { return scanShadow(r) })
}

// Shadow returns a model's shadow, or not_found.
func (rd *reader) Shadow(ctx context.Context, model string) (*leadscore.Shadow, error) {
	return scanOne(ctx, rd, qShadow, "shadow of model", model, scanShadow)
}

// scanShadowScore reads a shadow score row; with a codec the row also
// holds evaluation_z, which it decodes.
func scanShadowScore(sc scanner, codec *evaluationCodec) (leadscore.ShadowScore, error) {
	var s leadscore.ShadowScore
	var started, updated int64
	var next sql.NullInt64
	var z []byte
	dest := []any{&s.LeadID, &s.Model, &s.Version, &started, &s.Score, &s.Band, &s.Qualified, &s.Disqualified, &next, &updated}
	if codec != nil {
		dest = append(dest, &z)
	}
	if err := sc.Scan(dest...); err != nil {
		return s, err
	}
	s.StartedAt, s.NextChangeAt, s.UpdatedAt = fromMicros(started), timeOf(next), fromMicros(updated)
	if codec != nil {
		var err error
		if s.Evaluation, err = codec.decode(z, nil); err != nil {
			return s, err
		}
	}
	return s, nil
}

// ShadowScores pages through a model's shadow scores in lead id order.
func (rd *reader) ShadowScores(ctx context.Context, model, after string, limit int) ([]leadscore.ShadowScore, error) {
	if limit <= 0 {
		return nil, invalid("limit", "must be positive")
	}
	rows, err := rd.r.query(ctx, qShadowScores, rd.ws, model, after, limit)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.ShadowScore, error) { return scanShadowScore(r, nil) })
}

// ShadowDueLeads lists the leads whose shadow score under a model is due
// at or before t, earliest first.
func (rd *reader) ShadowDueLeads(ctx context.Context, model string, t time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, invalid("limit", "must be positive")
	}
	rows, err := rd.r.query(ctx, qShadowDue, rd.ws, model, micros(t), limit)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
}

// ShadowScoresOf returns the shadow scores of many leads under a model,
// with their evaluations, keyed by lead id.
func (rd *reader) ShadowScoresOf(ctx context.Context, model string, leadIDs []string) (map[string]*leadscore.ShadowScore, error) {
	keys, err := keyList("lead_ids", leadIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*leadscore.ShadowScore, len(keys))
	var codec evaluationCodec
	err = rd.bulkRead(ctx, &rd.r.d.shadow.of, []any{rd.ws, model}, keys, func(r *sql.Rows) error {
		s, err := scanShadowScore(r, &codec)
		if err == nil {
			out[s.LeadID] = &s
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutShadow makes s its model's shadow. The scores of the run it replaces
// are deleted in the same transaction, so a report never mixes two runs.
func (t *tx) PutShadow(ctx context.Context, s *leadscore.Shadow) error {
	if s == nil {
		return invalid("shadow", "is nil")
	}
	if err := required("model", s.Model, "version", s.Version); err != nil {
		return err
	}
	if s.StartedAt.IsZero() {
		s.StartedAt = t.now()
	}
	s.StartedAt = truncMicros(s.StartedAt)
	args := []any{t.ws, s.Model, s.Version, micros(s.StartedAt), s.StartedBy, s.Job}
	if err := bind(args); err != nil {
		return err
	}
	if _, err := t.r.exec(ctx, qPutShadow, args...); err != nil {
		return err
	}
	_, err := t.r.exec(ctx, qDropShadowScores, t.ws, s.Model, s.Version, micros(s.StartedAt))
	return err
}

// DeleteShadow stops a model's shadow and deletes its scores.
func (t *tx) DeleteShadow(ctx context.Context, model string) error {
	n, err := t.r.execN(ctx, qDeleteShadow, t.ws, model)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("shadow of model", model)
	}
	_, err = t.r.exec(ctx, qDelShadowScores, t.ws, model)
	return err
}

// PutShadowScores upserts shadow scores in key order, so that concurrent
// transactions lock rows in the same order; the last score given for a
// lead and model wins. A zero UpdatedAt becomes now; times are set to the
// stored microseconds.
func (t *tx) PutShadowScores(ctx context.Context, scores []*leadscore.ShadowScore) error {
	if len(scores) == 0 {
		return nil
	}
	type key struct{ model, lead string }
	last := make(map[key]int, len(scores))
	rows := make([][]any, len(scores))
	now := t.now()
	for i, s := range scores {
		label := fmt.Sprintf("scores[%d]", i)
		if s == nil {
			return invalid(label, "is nil")
		}
		if err := required("lead_id", s.LeadID, "model", s.Model, "version", s.Version); err != nil {
			return rowError(label, err)
		}
		if s.StartedAt.IsZero() {
			return rowError(label, invalid("started_at", "is required"))
		}
		eval, err := encodeEvaluation(s.Evaluation)
		if err != nil {
			return rowError(label, err)
		}
		if s.UpdatedAt.IsZero() {
			s.UpdatedAt = now
		}
		s.UpdatedAt, s.StartedAt, s.NextChangeAt = truncMicros(s.UpdatedAt), truncMicros(s.StartedAt), truncMicros(s.NextChangeAt)
		row := []any{s.Model, s.LeadID, s.Version, micros(s.StartedAt), s.Score, s.Band, s.Qualified, s.Disqualified,
			eval, nullTime(s.NextChangeAt), micros(s.UpdatedAt)}
		if err := bind(row); err != nil {
			return rowError(label, err)
		}
		rows[i] = row
		last[key{s.Model, s.LeadID}] = i
	}
	keys := slices.SortedFunc(maps.Keys(last), func(a, b key) int { return cmpPair(a.model, a.lead, b.model, b.lead) })
	ordered := make([][]any, len(keys))
	for i, k := range keys {
		ordered[i] = rows[last[k]]
	}
	return t.bulkWrite(ctx, &t.r.d.shadow.put, ordered, nil)
}
