package sqlstore

// The static queries, written once for both dialects with ? placeholders.
// Every one is scoped by workspace_id. They are prepared when the store
// opens; staticQueries must list each of them.

const (
	leadCols  = `l.id, l.email, l.first_name, l.last_name, l.title, l.phone, l.country, l.state, l.city, l.source, l.account_id, l.created_at, l.fields`
	scoreCols = `s.lead_id, s.model, s.version, s.score, s.display, s.band, s.grade, s.qualified, s.disqualified, s.next_change_at, s.updated_at`
	eventCols = `e.seq, e.id, e.source, e.message_id, e.lead_id, e.anonymous_id, e.type, e.at, e.received_at, e.properties, e.user_agent, e.bot, e.bot_reason`
	modelCols = `m.name, m.version, m.source, m.spec, m.created_at, m.created_by, m.active`
	keyCols   = `k.id, k.name, k.prefix, k.hash, k.scopes, k.created_at, k.revoked_at, k.last_used_at`
	jobCols   = `j.id, j.kind, j.state, j.done, j.total, j.detail, j.error, j.cursor, j.created_at, j.updated_at`
	acctCols  = `a.id, a.domain, a.name, a.industry, a.country, a.employees, a.revenue, a.priority, a.lists, a.fields`
	ledgCols  = `g.seq, g.lead_id, g.model, g.version, g.at, g.old_score, g.new_score, g.old_band, g.new_band, g.cause, g.cause_ref, g.detail, g.qualified`
)

// The conflict clauses of the upserts, shared by the single statements and
// the bulk ones (bulk.go) so that both forms store exactly the same.
const (
	onLeadConflict = `ON CONFLICT (workspace_id, id) DO UPDATE SET
			email = excluded.email, first_name = excluded.first_name, last_name = excluded.last_name,
			title = excluded.title, phone = excluded.phone, country = excluded.country, state = excluded.state,
			city = excluded.city, source = excluded.source, account_id = excluded.account_id,
			fields = excluded.fields, updated_at = excluded.updated_at`
	onAliasConflict = `ON CONFLICT (workspace_id, alias) DO UPDATE SET lead_id = excluded.lead_id`
	onEventConflict = `ON CONFLICT (workspace_id, source, message_id) DO NOTHING`
	onScoreConflict = `ON CONFLICT (workspace_id, lead_id, model) DO UPDATE SET
			version = excluded.version, score = excluded.score, display = excluded.display,
			band = excluded.band, grade = excluded.grade, qualified = excluded.qualified,
			disqualified = excluded.disqualified, evaluation = excluded.evaluation,
			evaluation_z = excluded.evaluation_z,
			next_change_at = excluded.next_change_at, updated_at = excluded.updated_at,
			digest = excluded.digest`
)

const (
	qEnsureWorkspace = `INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`

	qLead        = `SELECT ` + leadCols + ` FROM leads l WHERE l.workspace_id = ? AND l.id = ?`
	qLeadByAlias = `SELECT lead_id FROM lead_aliases WHERE workspace_id = ? AND alias = ?`
	// qAccountLeads leaves the id order to the caller: asked to sort here,
	// SQLite's planner would walk every lead of the workspace in primary
	// key order instead of the few of one account.
	qAccountLeads      = `SELECT ` + leadCols + ` FROM leads l WHERE l.workspace_id = ? AND l.account_id = ?`
	qLeadIDs           = `SELECT id FROM leads WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`
	qCountLeads        = `SELECT COUNT(*) FROM leads WHERE workspace_id = ?`
	qLeadKeysByAccount = `SELECT account_id, id FROM leads WHERE workspace_id = ?
		AND (account_id, id) > (?, ?) ORDER BY account_id, id LIMIT ?`
	qPeers = `SELECT id, last_activity_at FROM leads
		WHERE workspace_id = ? AND account_id = ? AND id <> ? AND last_activity_at >= ? ORDER BY id`
	// qRewriteScore rewrites a score row whose score, band and next change
	// time stay as they are (SQLite only, see tx.rewriteScores): it assigns
	// no column of scores_rank, scores_band or scores_due, so SQLite leaves
	// those indexes alone. It changes nothing when the row moved.
	qRewriteScore = `UPDATE scores SET version = ?, display = ?, grade = ?, qualified = ?, disqualified = ?,
			evaluation = NULL, evaluation_z = ?, updated_at = ?, digest = ?
		WHERE workspace_id = ? AND lead_id = ? AND model = ? AND score = ? AND band = ? AND next_change_at IS ?`
	qUpsertLead = `INSERT INTO leads (workspace_id, id, email, first_name, last_name, title, phone, country, state, city,
			source, account_id, fields, anonymous, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		` + onLeadConflict + `,
			created_at = COALESCE(CAST(? AS BIGINT), leads.created_at)`
	qUpsertLeadReturning = qUpsertLead + ` RETURNING created_at`
	qRaiseActivity       = `UPDATE leads SET last_activity_at = ?
		WHERE workspace_id = ? AND id = ? AND (last_activity_at IS NULL OR last_activity_at < ?)`
	// qRaiseActivities is qRaiseActivity for many leads in one statement
	// (PostgreSQL only: it takes arrays), saving a round trip per lead.
	qRaiseActivities = `UPDATE leads SET last_activity_at = v.at
		FROM unnest(CAST(? AS TEXT[]), CAST(? AS BIGINT[])) AS v (id, at)
		WHERE leads.workspace_id = ? AND leads.id = v.id
			AND (leads.last_activity_at IS NULL OR leads.last_activity_at < v.at)`
	qDeleteLead        = `DELETE FROM leads WHERE workspace_id = ? AND id = ?`
	qDeleteLeadAliases = `DELETE FROM lead_aliases WHERE workspace_id = ? AND lead_id = ?`
	qDeleteLeadEvents  = `DELETE FROM events WHERE workspace_id = ? AND lead_id = ?`
	qDeleteLeadScores  = `DELETE FROM scores WHERE workspace_id = ? AND lead_id = ?`
	qDeleteLeadLedger  = `DELETE FROM ledger WHERE workspace_id = ? AND lead_id = ?`
	qAddAlias          = `INSERT INTO lead_aliases (workspace_id, alias, lead_id, created_at) VALUES (?, ?, ?, ?)
		` + onAliasConflict

	qAccount       = `SELECT ` + acctCols + ` FROM accounts a WHERE a.workspace_id = ? AND a.id = ?`
	qUpsertAccount = `INSERT INTO accounts (workspace_id, id, domain, name, industry, country, employees, revenue,
			priority, lists, fields, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET
			domain = excluded.domain, name = excluded.name, industry = excluded.industry,
			country = excluded.country, employees = excluded.employees, revenue = excluded.revenue,
			priority = excluded.priority, lists = excluded.lists, fields = excluded.fields,
			updated_at = excluded.updated_at`

	qEvents = `SELECT ` + eventCols + ` FROM events e WHERE e.workspace_id = ? AND e.lead_id = ? ORDER BY e.at, e.seq`
	// qLastEvents takes the latest events, then puts them back in time order.
	qLastEvents = `SELECT ` + eventCols + ` FROM (
			SELECT * FROM events WHERE workspace_id = ? AND lead_id = ? ORDER BY at DESC, seq DESC LIMIT ?
		) e ORDER BY e.at, e.seq`
	qInsertEvent = `INSERT INTO events (workspace_id, id, source, message_id, lead_id, anonymous_id, type, at,
			received_at, properties, user_agent, bot, bot_reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		` + onEventConflict
	qInsertEventReturning = qInsertEvent + ` RETURNING seq`
	qEventSeq             = `SELECT seq FROM events WHERE workspace_id = ? AND source = ? AND message_id = ?`
	qLastActivity         = `SELECT MAX(at) FROM events WHERE workspace_id = ? AND lead_id = ? AND bot = FALSE`
	qMoveEvents           = `UPDATE events SET lead_id = ? WHERE workspace_id = ? AND lead_id = ?`

	qScores   = `SELECT ` + scoreCols + `, s.evaluation, s.evaluation_z FROM scores s WHERE s.workspace_id = ? AND s.lead_id = ? ORDER BY s.model`
	qPutScore = `INSERT INTO scores (workspace_id, lead_id, model, version, score, display, band, grade, qualified,
			disqualified, evaluation_z, next_change_at, updated_at, digest)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		` + onScoreConflict
	// qDue walks the due index in (next_change_at, lead_id, model) order;
	// qDueAfter continues after a key. The first row of a lead is its
	// earliest time.
	qDue = `SELECT lead_id, model, next_change_at FROM scores
		WHERE workspace_id = ? AND next_change_at IS NOT NULL AND next_change_at <= ?
		ORDER BY next_change_at, lead_id, model LIMIT ?`
	qDueAfter = `SELECT lead_id, model, next_change_at FROM scores
		WHERE workspace_id = ? AND next_change_at IS NOT NULL AND next_change_at <= ?
			AND next_change_at >= ?
			AND (next_change_at > ? OR lead_id > ? OR (lead_id = ? AND model > ?))
		ORDER BY next_change_at, lead_id, model LIMIT ?`

	qLedger      = `SELECT ` + ledgCols + ` FROM ledger g WHERE g.workspace_id = ? AND g.lead_id = ? AND g.seq > ? ORDER BY g.seq LIMIT ?`
	qLedgerModel = `SELECT ` + ledgCols + ` FROM ledger g WHERE g.workspace_id = ? AND g.lead_id = ? AND g.model = ? AND g.seq > ? ORDER BY g.seq LIMIT ?`
	// The tail reads walk the ledger_lead index backwards from the newest.
	qLedgerTail       = `SELECT ` + ledgCols + ` FROM ledger g WHERE g.workspace_id = ? AND g.lead_id = ? ORDER BY g.seq DESC LIMIT ?`
	qLedgerModelTail  = `SELECT ` + ledgCols + ` FROM ledger g WHERE g.workspace_id = ? AND g.lead_id = ? AND g.model = ? ORDER BY g.seq DESC LIMIT ?`
	qLedgerCount      = `SELECT COUNT(*) FROM ledger WHERE workspace_id = ? AND lead_id = ?`
	qLedgerModelCount = `SELECT COUNT(*) FROM ledger WHERE workspace_id = ? AND lead_id = ? AND model = ?`
	qAppendLedger     = `INSERT INTO ledger (workspace_id, lead_id, model, version, at, old_score, new_score, old_band,
			new_band, cause, cause_ref, detail, qualified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qAppendLedgerReturning = qAppendLedger + ` RETURNING seq`

	qModelVersions    = `SELECT ` + modelCols + ` FROM models m WHERE m.workspace_id = ? AND m.name = ? ORDER BY m.created_at, m.version`
	qAllModelVersions = `SELECT ` + modelCols + ` FROM models m WHERE m.workspace_id = ? ORDER BY m.name, m.created_at, m.version`
	qActiveModels     = `SELECT ` + modelCols + ` FROM models m WHERE m.workspace_id = ? AND m.active = TRUE ORDER BY m.name`
	qPutModel         = `INSERT INTO models (workspace_id, name, version, source, spec, created_at, created_by, active)
		VALUES (?, ?, ?, ?, ?, ?, ?, FALSE)
		ON CONFLICT (workspace_id, name, version) DO NOTHING`
	qModelExists = `SELECT 1 FROM models WHERE workspace_id = ? AND name = ? AND version = ?`
	// Activation is two statements: the partial unique index would refuse
	// a single UPDATE that momentarily held two active rows.
	qDeactivateModel = `UPDATE models SET active = FALSE WHERE workspace_id = ? AND name = ? AND active = TRUE`
	qActivateModel   = `UPDATE models SET active = TRUE WHERE workspace_id = ? AND name = ? AND version = ?`

	qKeyByPrefix = `SELECT ` + keyCols + ` FROM api_keys k WHERE k.workspace_id = ? AND k.prefix = ?`
	qKeys        = `SELECT ` + keyCols + ` FROM api_keys k WHERE k.workspace_id = ? ORDER BY k.created_at, k.id`
	// qPrefixOwner deliberately spans workspaces: prefixes are unique
	// across all of them.
	qPrefixOwner = `SELECT workspace_id, id FROM api_keys WHERE prefix = ?`
	qPutKey      = `INSERT INTO api_keys (workspace_id, id, name, prefix, hash, scopes, created_at, revoked_at, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET
			name = excluded.name, prefix = excluded.prefix, hash = excluded.hash, scopes = excluded.scopes,
			revoked_at = COALESCE(api_keys.revoked_at, excluded.revoked_at),
			last_used_at = CASE WHEN api_keys.last_used_at IS NULL OR api_keys.last_used_at < excluded.last_used_at
				THEN excluded.last_used_at ELSE api_keys.last_used_at END
		RETURNING created_at`
	qRevokeKey = `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE workspace_id = ? AND id = ?`
	qTouchKey  = `UPDATE api_keys SET last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END
		WHERE workspace_id = ? AND id = ?`

	qJob            = `SELECT ` + jobCols + ` FROM jobs j WHERE j.workspace_id = ? AND j.id = ?`
	qUnfinishedJobs = `SELECT ` + jobCols + ` FROM jobs j WHERE j.workspace_id = ? AND j.state IN ('queued', 'running')
		ORDER BY j.created_at, j.id`
	qPutJob = `INSERT INTO jobs (workspace_id, id, kind, state, done, total, detail, error, cursor, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET
			kind = excluded.kind, state = excluded.state, done = excluded.done, total = excluded.total,
			detail = excluded.detail, error = excluded.error, cursor = excluded.cursor, updated_at = excluded.updated_at,
			created_at = COALESCE(CAST(? AS BIGINT), jobs.created_at)
		RETURNING created_at`

	qAccountLists   = `SELECT name, priority FROM account_lists WHERE workspace_id = ? ORDER BY name`
	qListMembersAll = `SELECT list, domain FROM account_list_members WHERE workspace_id = ? ORDER BY list, domain`
	qListNames      = `SELECT l.name, l.priority FROM account_list_members m
		JOIN account_lists l ON l.workspace_id = m.workspace_id AND l.name = m.list
		WHERE m.workspace_id = ? AND m.domain = ? ORDER BY l.name`
	qListExists = `SELECT 1 FROM account_lists WHERE workspace_id = ? AND name = ?`
	qPutList    = `INSERT INTO account_lists (workspace_id, name, priority, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, name) DO UPDATE SET priority = excluded.priority, updated_at = excluded.updated_at`
	qClearList = `DELETE FROM account_list_members WHERE workspace_id = ? AND list = ?`
	qAddMember = `INSERT INTO account_list_members (workspace_id, list, domain, added_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (workspace_id, list, domain) DO NOTHING`
	qRemoveMember = `DELETE FROM account_list_members WHERE workspace_id = ? AND list = ? AND domain = ?`
	qTouchList    = `UPDATE account_lists SET updated_at = ? WHERE workspace_id = ? AND name = ?`
	qDeleteList   = `DELETE FROM account_lists WHERE workspace_id = ? AND name = ?`
)

func staticQueries(d *dialect) []string {
	qs := []string{
		qEnsureWorkspace,
		qLead, qLeadByAlias, qAccountLeads, qLeadIDs, qLeadKeysByAccount, qCountLeads, qPeers, qUpsertLead, qUpsertLeadReturning, qRaiseActivity,
		qDeleteLead, qDeleteLeadAliases, qDeleteLeadEvents, qDeleteLeadScores, qDeleteLeadLedger, qAddAlias,
		qAccount, qUpsertAccount,
		qEvents, qLastEvents, qInsertEvent, qInsertEventReturning, qEventSeq, qLastActivity, qMoveEvents,
		qScores, qPutScore, qDue, qDueAfter,
		qLedger, qLedgerModel, qLedgerTail, qLedgerModelTail, qLedgerCount, qLedgerModelCount, qAppendLedger, qAppendLedgerReturning,
		qModelVersions, qAllModelVersions, qActiveModels, qPutModel, qModelExists, qDeactivateModel, qActivateModel,
		qKeyByPrefix, qKeys, qPrefixOwner, qPutKey, qRevokeKey, qTouchKey,
		qJob, qUnfinishedJobs, qPutJob,
		qAccountLists, qListMembersAll, qListNames, qListExists, qPutList, qClearList, qAddMember, qRemoveMember,
		qTouchList, qDeleteList,
	}
	qs = append(qs, userQueries...)
	qs = append(qs, predictiveQueries...)
	if d.arrays {
		qs = append(qs, qRaiseActivities)
	} else {
		qs = append(qs, qRewriteScore)
	}
	qs = append(qs, d.auto.queries()...)
	qs = append(qs, d.shadow.queries()...)
	return append(qs, d.bulk.queries()...)
}
