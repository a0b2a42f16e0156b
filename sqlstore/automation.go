package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// What automation stores: lead states, routing files and turns, the lead
// history, outcomes, webhooks and the outbox. Lead states, history rows and
// outbox rows are written by the group commit for many leads at once, so
// they use the bulk statements; the rest are single statements.

const (
	autoCols     = `a.lead_id, a.account_id, a.stage, a.owner, a.open_mql, a.sla_due, a.state, a.updated_at`
	historyCols  = `h.seq, h.lead_id, h.kind, h.at, h.owner, h.event_id, h.data`
	webhookCols  = `w.id, w.url, w.types, w.models, w.min_score_delta, w.description, w.secret, w.disabled, w.disabled_at, w.disabled_reason, w.created_at, w.updated_at`
	deliveryCols = `d.id, d.webhook_id, d.event_id, d.type, d.lead_id, d.body, d.state, d.attempts, d.first_attempt_at, d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.updated_at, d.delivered_at`
	routingCols  = `r.version, r.name, r.filename, r.source, r.created_at, r.created_by, r.active`
)

const (
	qOwnerLoads = `SELECT owner, COUNT(*) FROM lead_automation
		WHERE workspace_id = ? AND open_mql = TRUE GROUP BY owner ORDER BY owner`
	qOwnerBreaches = `SELECT owner, COUNT(*) FROM lead_history
		WHERE workspace_id = ? AND kind = 'sla.breached' GROUP BY owner ORDER BY owner`
	qAccountOwner = `SELECT owner FROM lead_automation
		WHERE workspace_id = ? AND account_id = ? AND lead_id <> ? AND owner <> ''
		ORDER BY updated_at DESC, lead_id LIMIT 1`
	qSLADue = `SELECT lead_id FROM lead_automation
		WHERE workspace_id = ? AND sla_due IS NOT NULL AND sla_due <= ? ORDER BY sla_due, lead_id LIMIT ?`
	qCursors   = `SELECT team, owner FROM routing_cursors WHERE workspace_id = ? ORDER BY team`
	qPutCursor = `INSERT INTO routing_cursors (workspace_id, team, owner) VALUES (?, ?, ?)
		ON CONFLICT (workspace_id, team) DO UPDATE SET owner = excluded.owner`
	qActiveRouting     = `SELECT ` + routingCols + ` FROM routing_files r WHERE r.workspace_id = ? AND r.active = TRUE`
	qDeactivateRouting = `UPDATE routing_files SET active = FALSE WHERE workspace_id = ? AND active = TRUE`
	qPutRouting        = `INSERT INTO routing_files (workspace_id, version, name, filename, source, created_at, created_by, active)
		VALUES (?, ?, ?, ?, ?, ?, ?, TRUE)
		ON CONFLICT (workspace_id, version) DO UPDATE SET active = TRUE`
	qHistory = `SELECT ` + historyCols + ` FROM lead_history h
		WHERE h.workspace_id = ? AND h.lead_id = ? AND h.seq > ? ORDER BY h.seq LIMIT ?`
	qHistoryTail = `SELECT ` + historyCols + ` FROM lead_history h
		WHERE h.workspace_id = ? AND h.lead_id = ? ORDER BY h.seq DESC LIMIT ?`
	qHistoryCount = `SELECT COUNT(*) FROM lead_history WHERE workspace_id = ? AND lead_id = ?`
	qOutcome      = `SELECT ` + outcomeCols + ` FROM outcomes WHERE workspace_id = ? AND lead_id = ?`
	qPutOutcome   = `INSERT INTO outcomes (workspace_id, lead_id, result, value, currency, at, reason, by_name, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, lead_id) DO UPDATE SET result = excluded.result, value = excluded.value,
			currency = excluded.currency, at = excluded.at, reason = excluded.reason, by_name = excluded.by_name,
			recorded_at = excluded.recorded_at`
	qWebhooks   = `SELECT ` + webhookCols + ` FROM webhooks w WHERE w.workspace_id = ? ORDER BY w.created_at, w.id`
	qWebhook    = `SELECT ` + webhookCols + ` FROM webhooks w WHERE w.workspace_id = ? AND w.id = ?`
	qPutWebhook = `INSERT INTO webhooks (workspace_id, id, url, types, models, min_score_delta, description, secret,
			disabled, disabled_at, disabled_reason, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET url = excluded.url, types = excluded.types,
			models = excluded.models, min_score_delta = excluded.min_score_delta, description = excluded.description,
			secret = excluded.secret, disabled = excluded.disabled, disabled_at = excluded.disabled_at,
			disabled_reason = excluded.disabled_reason, updated_at = excluded.updated_at`
	qDeleteWebhook   = `DELETE FROM webhooks WHERE workspace_id = ? AND id = ?`
	qCancelDelivered = `UPDATE deliveries SET state = 'cancelled', next_attempt_at = NULL, updated_at = ?
		WHERE workspace_id = ? AND webhook_id = ? AND state = 'pending'`
	qDelivery      = `SELECT ` + deliveryCols + ` FROM deliveries d WHERE d.workspace_id = ? AND d.id = ?`
	qDueDeliveries = `SELECT ` + deliveryCols + ` FROM deliveries d
		WHERE d.workspace_id = ? AND d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`
	qUpdateDelivery = `UPDATE deliveries SET state = ?, attempts = ?, first_attempt_at = ?, next_attempt_at = ?,
			last_status = ?, last_error = ?, updated_at = ?, delivered_at = ?
		WHERE workspace_id = ? AND id = ?`
	qAttempts = `SELECT delivery_id, n, at, outcome, status, error, response, duration_ms FROM delivery_attempts
		WHERE workspace_id = ? AND delivery_id = ? ORDER BY n`
	qAddAttempt = `INSERT INTO delivery_attempts (workspace_id, delivery_id, n, at, outcome, status, error, response, duration_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, delivery_id, n) DO NOTHING`
)

// automationQueries are the bulk statements of automation.
type automationQueries struct {
	putStates, appendHistory, enqueue, statesOf, outcomesOf bulkStmt
}

const outcomeCols = `lead_id, result, value, currency, at, reason, by_name, recorded_at`

func newAutomationQueries(d *dialect) *automationQueries {
	return &automationQueries{
		putStates: newBulkInsert(d, "lead_automation", []bulkCol{{"lead_id", colText}, {"account_id", colText},
			{"stage", colText}, {"owner", colText}, {"open_mql", colBool}, {"sla_due", colNullInt},
			{"state", colText}, {"updated_at", colInt}},
			`ON CONFLICT (workspace_id, lead_id) DO UPDATE SET account_id = excluded.account_id, stage = excluded.stage,
				owner = excluded.owner, open_mql = excluded.open_mql, sla_due = excluded.sla_due,
				state = excluded.state, updated_at = excluded.updated_at`),
		appendHistory: newBulkInsert(d, "lead_history", []bulkCol{{"lead_id", colText}, {"kind", colText},
			{"at", colInt}, {"owner", colText}, {"event_id", colText}, {"data", colText}}, "RETURNING seq"),
		enqueue: newBulkInsert(d, "deliveries", []bulkCol{{"id", colText}, {"webhook_id", colText},
			{"event_id", colText}, {"type", colText}, {"lead_id", colText}, {"body", colText}, {"state", colText},
			{"next_attempt_at", colNullInt}, {"created_at", colInt}, {"updated_at", colInt}},
			"ON CONFLICT (workspace_id, id) DO NOTHING"),
		statesOf:   newBulkSelect(d, `SELECT `+autoCols+` FROM lead_automation a WHERE a.workspace_id = ? AND a.lead_id {keys}`, 1),
		outcomesOf: newBulkSelect(d, `SELECT `+outcomeCols+` FROM outcomes WHERE workspace_id = ? AND lead_id {keys}`, 1),
	}
}

func (q *automationQueries) queries() []string {
	qs := []string{
		qOwnerLoads, qOwnerBreaches, qAccountOwner, qSLADue, qCursors, qPutCursor, qActiveRouting, qDeactivateRouting,
		qPutRouting, qHistory, qHistoryTail, qHistoryCount, qOutcome, qPutOutcome, qWebhooks, qWebhook, qPutWebhook, qDeleteWebhook,
		qCancelDelivered, qDelivery, qDueDeliveries, qUpdateDelivery, qAttempts, qAddAttempt,
	}
	for _, s := range []*bulkStmt{&q.putStates, &q.appendHistory, &q.enqueue, &q.statesOf, &q.outcomesOf} {
		qs = append(qs, s.texts...)
	}
	return qs
}

var (
	_ leadscore.AutomationTx     = (*tx)(nil)
	_ leadscore.AutomationReader = (*workspace)(nil)
)

func scanAutomation(sc scanner) (*leadscore.LeadAutomation, error) {
	var a leadscore.LeadAutomation
	var due sql.NullInt64
	var state string
	var updated int64
	if err := sc.Scan(&a.LeadID, &a.AccountID, &a.Stage, &a.Owner, &a.OpenMQL, &due, &state, &updated); err != nil {
		return nil, err
	}
	a.SLADue, a.State, a.UpdatedAt = timeOf(due), json.RawMessage(state), fromMicros(updated)
	return &a, nil
}

// LeadAutomations returns the stored automation states of the leads that
// have one.
func (rd *reader) LeadAutomations(ctx context.Context, leadIDs []string) (map[string]*leadscore.LeadAutomation, error) {
	keys, err := keyList("lead_ids", leadIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*leadscore.LeadAutomation, len(keys))
	err = rd.bulkRead(ctx, &rd.r.d.auto.statesOf, []any{rd.ws}, keys, func(r *sql.Rows) error {
		a, err := scanAutomation(r)
		if err == nil {
			out[a.LeadID] = a
		}
		return err
	})
	return out, err
}

func (rd *reader) counts(ctx context.Context, q string) (map[string]int, error) {
	rows, err := rd.r.query(ctx, q, rd.ws)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	err = eachRow(rd.r, rows, func(r *sql.Rows) error {
		var owner string
		var n int
		err := r.Scan(&owner, &n)
		out[owner] = n
		return err
	})
	return out, err
}

// OwnerLoads counts each owner's open MQLs.
func (rd *reader) OwnerLoads(ctx context.Context) (map[string]int, error) {
	return rd.counts(ctx, qOwnerLoads)
}

// OwnerBreaches counts each owner's SLA breaches.
func (rd *reader) OwnerBreaches(ctx context.Context) (map[string]int, error) {
	return rd.counts(ctx, qOwnerBreaches)
}

// AccountOwner is the owner most recently given another lead of the
// account, or "".
func (rd *reader) AccountOwner(ctx context.Context, accountID, exceptLead string) (string, error) {
	if accountID == "" {
		return "", nil
	}
	var owner string
	_, err := rd.r.one(ctx, qAccountOwner, []any{rd.ws, accountID, exceptLead}, &owner)
	return owner, err
}

// SLADueLeads lists the leads whose follow-up deadline has come by t.
func (rd *reader) SLADueLeads(ctx context.Context, t time.Time, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := rd.r.query(ctx, qSLADue, rd.ws, micros(t), limit)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	})
}

// RoutingCursors returns each team's last chosen owner.
func (rd *reader) RoutingCursors(ctx context.Context) (map[string]string, error) {
	rows, err := rd.r.query(ctx, qCursors, rd.ws)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	err = eachRow(rd.r, rows, func(r *sql.Rows) error {
		var team, owner string
		err := r.Scan(&team, &owner)
		out[team] = owner
		return err
	})
	return out, err
}

// ActiveRoutingFile returns the active routing file, or not_found.
func (rd *reader) ActiveRoutingFile(ctx context.Context) (*leadscore.RoutingFile, error) {
	var f leadscore.RoutingFile
	var created int64
	found, err := rd.r.one(ctx, qActiveRouting, []any{rd.ws}, &f.Version, &f.Name, &f.Filename, &f.Source, &created,
		&f.CreatedBy, &f.Active)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "no routing file has been uploaded")
	}
	f.CreatedAt = fromMicros(created)
	return &f, nil
}

// History returns a lead's transitions after seq after, oldest first.
func (rd *reader) History(ctx context.Context, leadID string, after int64, limit int) ([]leadscore.HistoryEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := rd.r.query(ctx, qHistory, rd.ws, leadID, after, limit)
	if err != nil {
		return nil, err
	}
	return scanHistory(rd.r, rows)
}

// HistoryTail reads the last limit transitions newest first through the
// lead_history_lead index, then turns them oldest first.
func (rd *reader) HistoryTail(ctx context.Context, leadID string, limit int) ([]leadscore.HistoryEntry, int, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var total int
	if _, err := rd.r.one(ctx, qHistoryCount, []any{rd.ws, leadID}, &total); err != nil {
		return nil, 0, err
	}
	rows, err := rd.r.query(ctx, qHistoryTail, rd.ws, leadID, limit)
	if err != nil {
		return nil, 0, err
	}
	h, err := scanHistory(rd.r, rows)
	slices.Reverse(h)
	return h, total, err
}

func scanHistory(rn *runner, rows *sql.Rows) ([]leadscore.HistoryEntry, error) {
	return scanAll(rn, rows, func(r *sql.Rows) (leadscore.HistoryEntry, error) {
		var h leadscore.HistoryEntry
		var at int64
		var data string
		err := r.Scan(&h.Seq, &h.LeadID, &h.Kind, &at, &h.Owner, &h.EventID, &data)
		h.At, h.Data = fromMicros(at), json.RawMessage(data)
		return h, err
	})
}

func scanOutcome(sc scanner) (leadscore.Outcome, error) {
	var o leadscore.Outcome
	var value sql.NullFloat64
	var result string
	var at, recorded int64
	if err := sc.Scan(&o.LeadID, &result, &value, &o.Currency, &at, &o.Reason, &o.By, &recorded); err != nil {
		return o, err
	}
	o.Result, o.At, o.RecordedAt = leadscore.OutcomeResult(result), fromMicros(at), fromMicros(recorded)
	if value.Valid {
		o.Value = &value.Float64
	}
	return o, nil
}

// Outcome returns a lead's recorded outcome, or not_found.
func (rd *reader) Outcome(ctx context.Context, leadID string) (*leadscore.Outcome, error) {
	return scanOne(ctx, rd, qOutcome, "outcome of lead", leadID, scanOutcome)
}

// OutcomesOf returns the recorded outcomes of many leads, by lead id.
func (rd *reader) OutcomesOf(ctx context.Context, leadIDs []string) (map[string]*leadscore.Outcome, error) {
	keys, err := keyList("lead_ids", leadIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*leadscore.Outcome, len(keys))
	err = rd.bulkRead(ctx, &rd.r.d.auto.outcomesOf, []any{rd.ws}, keys, func(r *sql.Rows) error {
		o, err := scanOutcome(r)
		if err == nil {
			out[o.LeadID] = &o
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func scanWebhook(sc scanner) (leadscore.Webhook, error) {
	var w leadscore.Webhook
	var types, models []byte
	var disabledAt sql.NullInt64
	var created, updated int64
	err := sc.Scan(&w.ID, &w.URL, &types, &models, &w.MinScoreDelta, &w.Description, &w.Secret, &w.Disabled,
		&disabledAt, &w.DisabledReason, &created, &updated)
	if err != nil {
		return w, err
	}
	w.DisabledAt, w.CreatedAt, w.UpdatedAt = timeOf(disabledAt), fromMicros(created), fromMicros(updated)
	if err := decodeJSON(types, &w.Types); err != nil {
		return w, err
	}
	return w, decodeJSON(models, &w.Models)
}

// Webhooks lists every webhook, oldest first.
func (rd *reader) Webhooks(ctx context.Context) ([]leadscore.Webhook, error) {
	rows, err := rd.r.query(ctx, qWebhooks, rd.ws)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.Webhook, error) { return scanWebhook(r) })
}

// Webhook returns one webhook, or not_found.
func (rd *reader) Webhook(ctx context.Context, id string) (*leadscore.Webhook, error) {
	return scanOne(ctx, rd, qWebhook, "webhook", id, scanWebhook)
}

func scanDelivery(sc scanner) (leadscore.Delivery, error) {
	var d leadscore.Delivery
	var body, state string
	var first, next, delivered sql.NullInt64
	var created, updated int64
	err := sc.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Type, &d.LeadID, &body, &state, &d.Attempts, &first, &next,
		&d.LastStatus, &d.LastError, &created, &updated, &delivered)
	d.Body, d.State = json.RawMessage(body), leadscore.DeliveryState(state)
	d.FirstAttempt, d.NextAttempt, d.DeliveredAt = timeOf(first), timeOf(next), timeOf(delivered)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return d, err
}

// Deliveries lists deliveries newest first. The cursor is the last row's
// creation time and id.
func (rd *reader) Deliveries(ctx context.Context, f leadscore.DeliveryFilter) ([]leadscore.Delivery, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := `SELECT ` + deliveryCols + ` FROM deliveries d WHERE d.workspace_id = ?`
	args := []any{rd.ws}
	if f.WebhookID != "" {
		q += ` AND d.webhook_id = ?`
		args = append(args, f.WebhookID)
	}
	if f.LeadID != "" {
		q += ` AND d.lead_id = ?`
		args = append(args, f.LeadID)
	}
	if f.State != "" {
		q += ` AND d.state = ?`
		args = append(args, string(f.State))
	}
	if f.After != "" {
		at, id, ok := strings.Cut(f.After, ":")
		us, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil {
			return nil, "", invalid("after", "not a cursor this listing returned")
		}
		q += ` AND (d.created_at < ? OR (d.created_at = ? AND d.id < ?))`
		args = append(args, us, us, id)
	}
	q += ` ORDER BY d.created_at DESC, d.id DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := rd.r.queryDynamic(ctx, q, args...)
	if err != nil {
		return nil, "", err
	}
	ds, err := scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ds) > limit {
		ds = ds[:limit]
		last := ds[limit-1]
		next = fmt.Sprintf("%d:%s", micros(last.CreatedAt), last.ID)
	}
	return ds, next, nil
}

// Delivery returns one delivery, or not_found.
func (rd *reader) Delivery(ctx context.Context, id string) (*leadscore.Delivery, error) {
	return scanOne(ctx, rd, qDelivery, "delivery", id, scanDelivery)
}

// DeliveryAttempts lists a delivery's attempts in order.
func (rd *reader) DeliveryAttempts(ctx context.Context, deliveryID string) ([]leadscore.DeliveryAttempt, error) {
	rows, err := rd.r.query(ctx, qAttempts, rd.ws, deliveryID)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.DeliveryAttempt, error) {
		var a leadscore.DeliveryAttempt
		var at int64
		err := r.Scan(&a.DeliveryID, &a.N, &at, &a.Outcome, &a.Status, &a.Error, &a.Response, &a.DurationMS)
		a.At = fromMicros(at)
		return a, err
	})
}

// DueDeliveries lists pending deliveries due by t, earliest first.
func (rd *reader) DueDeliveries(ctx context.Context, t time.Time, limit int) ([]leadscore.Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := rd.r.query(ctx, qDueDeliveries, rd.ws, micros(t), limit)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.Delivery, error) { return scanDelivery(r) })
}

// PutLeadAutomations upserts lead states, in lead order so that concurrent
// transactions lock rows in the same order; the last state given for a
// lead wins.
func (t *tx) PutLeadAutomations(ctx context.Context, states []*leadscore.LeadAutomation) error {
	last := map[string]int{}
	for i, a := range states {
		label := fmt.Sprintf("states[%d]", i)
		if a == nil {
			return invalid(label, "is nil")
		}
		if err := required("lead_id", a.LeadID, "stage", a.Stage); err != nil {
			return rowError(label, err)
		}
		if !json.Valid(a.State) {
			return rowError(label, invalid("state", "is not JSON"))
		}
		last[a.LeadID] = i
	}
	if len(last) == 0 {
		return nil
	}
	now := t.now()
	rows := make([][]any, 0, len(last))
	for _, id := range slices.Sorted(maps.Keys(last)) {
		i := last[id]
		a := states[i]
		if a.UpdatedAt.IsZero() {
			a.UpdatedAt = now
		}
		a.UpdatedAt, a.SLADue = truncMicros(a.UpdatedAt), truncMicros(a.SLADue)
		row := []any{a.LeadID, a.AccountID, a.Stage, a.Owner, a.OpenMQL, nullTime(a.SLADue), string(a.State), micros(a.UpdatedAt)}
		if err := bind(row); err != nil {
			return rowError(fmt.Sprintf("states[%d]", i), err)
		}
		rows = append(rows, row)
	}
	return t.bulkWrite(ctx, &t.r.d.auto.putStates, rows, nil)
}

// PutRoutingCursors stores the given teams' turns.
func (t *tx) PutRoutingCursors(ctx context.Context, cursors map[string]string) error {
	for _, team := range slices.Sorted(maps.Keys(cursors)) {
		if _, err := t.r.exec(ctx, qPutCursor, t.ws, team, cursors[team]); err != nil {
			return err
		}
	}
	return nil
}

// PutRoutingFile stores a version and makes it the only active one.
func (t *tx) PutRoutingFile(ctx context.Context, f *leadscore.RoutingFile) error {
	if err := required("version", f.Version); err != nil {
		return err
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = t.now()
	}
	f.CreatedAt = truncMicros(f.CreatedAt)
	if _, err := t.r.exec(ctx, qDeactivateRouting, t.ws); err != nil {
		return err
	}
	_, err := t.r.exec(ctx, qPutRouting, t.ws, f.Version, f.Name, f.Filename, f.Source, micros(f.CreatedAt), f.CreatedBy)
	f.Active = err == nil
	return err
}

// AppendHistory appends entries in order and fills their Seq.
func (t *tx) AppendHistory(ctx context.Context, entries []*leadscore.HistoryEntry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([][]any, len(entries))
	for i, h := range entries {
		label := fmt.Sprintf("entries[%d]", i)
		if h == nil {
			return invalid(label, "is nil")
		}
		if err := required("lead_id", h.LeadID, "kind", h.Kind); err != nil {
			return rowError(label, err)
		}
		if !json.Valid(h.Data) {
			return rowError(label, invalid("data", "is not JSON"))
		}
		if h.At.IsZero() {
			h.At = t.now()
		}
		h.At = truncMicros(h.At)
		row := []any{h.LeadID, h.Kind, micros(h.At), h.Owner, h.EventID, string(h.Data)}
		if err := bind(row); err != nil {
			return rowError(label, err)
		}
		rows[i] = row
	}
	seqs := make([]int64, 0, len(entries))
	err := t.bulkWrite(ctx, &t.r.d.auto.appendHistory, rows, func(r *sql.Rows) error {
		var seq int64
		err := r.Scan(&seq)
		seqs = append(seqs, seq)
		return err
	})
	if err != nil {
		return err
	}
	if len(seqs) != len(entries) {
		return fmt.Errorf("sqlstore: %d history entries appended, %d seqs returned", len(entries), len(seqs))
	}
	slices.Sort(seqs)
	for i, h := range entries {
		h.Seq = seqs[i]
	}
	return nil
}

// PutOutcome records (or replaces) a lead's outcome.
func (t *tx) PutOutcome(ctx context.Context, o *leadscore.Outcome) error {
	if err := required("lead_id", o.LeadID, "result", string(o.Result)); err != nil {
		return err
	}
	if o.RecordedAt.IsZero() {
		o.RecordedAt = t.now()
	}
	if o.At.IsZero() {
		o.At = o.RecordedAt
	}
	o.At, o.RecordedAt = truncMicros(o.At), truncMicros(o.RecordedAt)
	var value any
	if o.Value != nil {
		value = *o.Value
	}
	_, err := t.r.exec(ctx, qPutOutcome, t.ws, o.LeadID, string(o.Result), value, o.Currency, micros(o.At), o.Reason,
		o.By, micros(o.RecordedAt))
	return err
}

// PutWebhook creates or replaces a webhook.
func (t *tx) PutWebhook(ctx context.Context, w *leadscore.Webhook) error {
	if err := required("id", w.ID, "url", w.URL, "secret", w.Secret); err != nil {
		return err
	}
	now := truncMicros(t.now())
	if w.CreatedAt.IsZero() {
		w.CreatedAt = now
	}
	w.CreatedAt, w.UpdatedAt, w.DisabledAt = truncMicros(w.CreatedAt), now, truncMicros(w.DisabledAt)
	types, err := encodeJSON(nilIfEmpty(w.Types))
	if err != nil {
		return err
	}
	models, err := encodeJSON(nilIfEmpty(w.Models))
	if err != nil {
		return err
	}
	_, err = t.r.exec(ctx, qPutWebhook, t.ws, w.ID, w.URL, types, models, w.MinScoreDelta, w.Description, w.Secret,
		w.Disabled, nullTime(w.DisabledAt), w.DisabledReason, micros(w.CreatedAt), micros(w.UpdatedAt))
	return err
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// DeleteWebhook removes a webhook and cancels its pending deliveries; the
// deliveries themselves stay listed.
func (t *tx) DeleteWebhook(ctx context.Context, id string) error {
	n, err := t.r.execN(ctx, qDeleteWebhook, t.ws, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("webhook", id)
	}
	_, err = t.r.exec(ctx, qCancelDelivered, micros(t.now()), t.ws, id)
	return err
}

// EnqueueDeliveries writes outbox rows; known ids are left alone.
func (t *tx) EnqueueDeliveries(ctx context.Context, ds []*leadscore.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	now := truncMicros(t.now())
	rows := make([][]any, 0, len(ds))
	seen := map[string]bool{}
	for i, d := range ds {
		label := fmt.Sprintf("deliveries[%d]", i)
		if d == nil {
			return invalid(label, "is nil")
		}
		if err := required("id", d.ID, "webhook_id", d.WebhookID, "event_id", d.EventID); err != nil {
			return rowError(label, err)
		}
		if d.State == "" {
			d.State = leadscore.DeliveryPending
		}
		if d.CreatedAt.IsZero() {
			d.CreatedAt = now
		}
		if d.NextAttempt.IsZero() && d.State == leadscore.DeliveryPending {
			d.NextAttempt = d.CreatedAt
		}
		d.CreatedAt, d.UpdatedAt, d.NextAttempt = truncMicros(d.CreatedAt), now, truncMicros(d.NextAttempt)
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		row := []any{d.ID, d.WebhookID, d.EventID, d.Type, d.LeadID, string(d.Body), string(d.State),
			nullTime(d.NextAttempt), micros(d.CreatedAt), micros(d.UpdatedAt)}
		if err := bind(row); err != nil {
			return rowError(label, err)
		}
		rows = append(rows, row)
	}
	return t.bulkWrite(ctx, &t.r.d.auto.enqueue, rows, nil)
}

// UpdateDelivery stores a delivery's state, attempts and schedule.
func (t *tx) UpdateDelivery(ctx context.Context, d *leadscore.Delivery) error {
	d.UpdatedAt = truncMicros(t.now())
	n, err := t.r.execN(ctx, qUpdateDelivery, string(d.State), d.Attempts, nullTime(d.FirstAttempt),
		nullTime(d.NextAttempt), d.LastStatus, d.LastError, micros(d.UpdatedAt), nullTime(d.DeliveredAt), t.ws, d.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("delivery", d.ID)
	}
	return nil
}

// AddDeliveryAttempt records one attempt; recording the same number twice
// keeps the first.
func (t *tx) AddDeliveryAttempt(ctx context.Context, a *leadscore.DeliveryAttempt) error {
	if err := required("delivery_id", a.DeliveryID); err != nil {
		return err
	}
	a.At = truncMicros(a.At)
	_, err := t.r.exec(ctx, qAddAttempt, t.ws, a.DeliveryID, a.N, micros(a.At), a.Outcome, a.Status, a.Error,
		a.Response, a.DurationMS)
	return err
}
