package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/leadscore/leadscore"
)

// Users and the web UI's sessions (migration 00004); users' teams
// (migration 00010).

const (
	userCols = `u.id, u.email, u.name, u.role, u.locale, u.team, u.password_hash, u.created_at, u.disabled_at`
	sessCols = `z.id, z.user_id, z.csrf, z.created_at, z.last_seen_at`

	qUser        = `SELECT ` + userCols + ` FROM users u WHERE u.workspace_id = ? AND u.id = ?`
	qUserByEmail = `SELECT ` + userCols + ` FROM users u WHERE u.workspace_id = ? AND u.email = ?`
	qUsers       = `SELECT ` + userCols + ` FROM users u WHERE u.workspace_id = ? ORDER BY u.email`
	qEmailOwner  = `SELECT id FROM users WHERE workspace_id = ? AND email = ?`
	qPutUser     = `INSERT INTO users (workspace_id, id, email, name, role, locale, team, password_hash, created_at, disabled_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET
			email = excluded.email, name = excluded.name, role = excluded.role, locale = excluded.locale,
			team = excluded.team, password_hash = excluded.password_hash, disabled_at = excluded.disabled_at
		RETURNING created_at`

	qSession    = `SELECT ` + sessCols + ` FROM sessions z WHERE z.workspace_id = ? AND z.id = ?`
	qPutSession = `INSERT INTO sessions (workspace_id, id, user_id, csrf, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace_id, id) DO UPDATE SET
			user_id = excluded.user_id, csrf = excluded.csrf, last_seen_at = excluded.last_seen_at`
	qTouchSession = `UPDATE sessions SET last_seen_at = ?
		WHERE workspace_id = ? AND id = ? AND last_seen_at < ?`
	qDeleteSession      = `DELETE FROM sessions WHERE workspace_id = ? AND id = ?`
	qDeleteUserSessions = `DELETE FROM sessions WHERE workspace_id = ? AND (user_id = ? OR last_seen_at < ?)`
)

// userQueries are prepared with the other static queries.
var userQueries = []string{
	qUser, qUserByEmail, qUsers, qEmailOwner, qPutUser,
	qSession, qPutSession, qTouchSession, qDeleteSession, qDeleteUserSessions,
}

func scanUser(sc scanner) (leadscore.User, error) {
	var u leadscore.User
	var role string
	var created int64
	var disabled sql.NullInt64
	if err := sc.Scan(&u.ID, &u.Email, &u.Name, &role, &u.Locale, &u.Team, &u.PasswordHash, &created, &disabled); err != nil {
		return u, err
	}
	u.Role, u.CreatedAt, u.DisabledAt = leadscore.Role(role), fromMicros(created), timePtrOf(disabled)
	return u, nil
}

func (rd *reader) oneUser(ctx context.Context, q, key string) (*leadscore.User, error) {
	return scanOne(ctx, rd, q, "user", key, scanUser)
}

// User returns one user, or not_found.
func (rd *reader) User(ctx context.Context, id string) (*leadscore.User, error) {
	return rd.oneUser(ctx, qUser, id)
}

// UserByEmail returns the user with this (normalised) email, or not_found.
func (rd *reader) UserByEmail(ctx context.Context, email string) (*leadscore.User, error) {
	return rd.oneUser(ctx, qUserByEmail, email)
}

// Users returns every user of the workspace by email.
func (rd *reader) Users(ctx context.Context) ([]leadscore.User, error) {
	rows, err := rd.r.query(ctx, qUsers, rd.ws)
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.User, error) { return scanUser(r) })
}

// Session returns a session by id, or not_found.
func (rd *reader) Session(ctx context.Context, id string) (*leadscore.Session, error) {
	var s leadscore.Session
	var created, seen int64
	found, err := rd.r.one(ctx, qSession, []any{rd.ws, id}, &s.ID, &s.UserID, &s.CSRF, &created, &seen)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, notFound("session", "…")
	}
	s.CreatedAt, s.LastSeenAt = fromMicros(created), fromMicros(seen)
	return &s, nil
}

// PutUser creates or replaces a user. The email must be free: another
// user's is a conflict, found by a lookup so that the transaction stays
// usable after the refusal.
func (t *tx) PutUser(ctx context.Context, u *leadscore.User) error {
	if err := required("id", u.ID, "email", u.Email, "role", string(u.Role)); err != nil {
		return err
	}
	if len(u.PasswordHash) == 0 {
		return invalid("password_hash", "is required")
	}
	var owner string
	found, err := t.r.one(ctx, qEmailOwner, []any{t.ws, u.Email}, &owner)
	if err != nil {
		return err
	}
	if found && owner != u.ID {
		return conflict("a user with email %q already exists", u.Email)
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = t.now()
	}
	var created int64
	_, err = t.r.one(ctx, qPutUser, []any{t.ws, u.ID, u.Email, u.Name, string(u.Role), u.Locale, u.Team, u.PasswordHash,
		micros(u.CreatedAt), nullMicrosPtr(u.DisabledAt)}, &created)
	if err != nil {
		return err
	}
	u.CreatedAt = fromMicros(created)
	return nil
}

// PutSession creates or replaces a session.
func (t *tx) PutSession(ctx context.Context, s *leadscore.Session) error {
	if err := required("id", s.ID, "user_id", s.UserID, "csrf", s.CSRF); err != nil {
		return err
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = t.now()
	}
	if s.LastSeenAt.IsZero() {
		s.LastSeenAt = s.CreatedAt
	}
	_, err := t.r.exec(ctx, qPutSession, t.ws, s.ID, s.UserID, s.CSRF, micros(s.CreatedAt), micros(s.LastSeenAt))
	return err
}

// TouchSession moves a session's last activity forward, never back. An
// unknown session is not_found.
func (t *tx) TouchSession(ctx context.Context, id string, at time.Time) error {
	m := micros(at)
	n, err := t.r.execN(ctx, qTouchSession, m, t.ws, id, m)
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := t.Session(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// DeleteSession ends a session; ending an unknown one is not an error.
func (t *tx) DeleteSession(ctx context.Context, id string) error {
	_, err := t.r.exec(ctx, qDeleteSession, t.ws, id)
	return err
}

// DeleteSessions ends every session of userID and every session idle
// since before idleBefore.
func (t *tx) DeleteSessions(ctx context.Context, userID string, idleBefore time.Time) (int64, error) {
	before := int64(0)
	if !idleBefore.IsZero() {
		before = micros(idleBefore)
	}
	return t.r.execN(ctx, qDeleteUserSessions, t.ws, userID, before)
}
