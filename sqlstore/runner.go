package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/leadscore/leadscore"
)

// pool is one database/sql pool with its prepared statements, keyed by
// the query as written (with ? placeholders).
type pool struct {
	db    *sql.DB
	d     *dialect
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newPool(db *sql.DB, d *dialect) *pool {
	return &pool{db: db, d: d, stmts: map[string]*sql.Stmt{}}
}

// stmt returns q prepared on the pool, preparing it on first use. The
// lock is not held while preparing: that may wait for a connection.
func (p *pool) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s := p.cached(q); s != nil {
		return s, nil
	}
	s, err := p.db.PrepareContext(ctx, p.d.rebind(q))
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev := p.stmts[q]; prev != nil {
		s.Close()
		return prev, nil
	}
	p.stmts[q] = s
	return s, nil
}

func (p *pool) cached(q string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stmts[q]
}

// prepareAll prepares every static query up front. Transactions reuse
// these statements through Tx.StmtContext; they cannot prepare them on the
// pool themselves, because SQLite's write pool has a single connection and
// the transaction holds it.
func (p *pool) prepareAll(ctx context.Context, qs []string) error {
	for _, q := range qs {
		if _, err := p.stmt(ctx, q); err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
	}
	return nil
}

func (p *pool) close() error {
	p.mu.Lock()
	for _, s := range p.stmts {
		s.Close()
	}
	p.stmts = nil
	p.mu.Unlock()
	return p.db.Close()
}

// runner executes queries for one reader: straight on a pool, or inside
// one transaction.
type runner struct {
	d    *dialect
	pool *pool
	tx   *sql.Tx
	// unprepared counts transaction statements that were missing from the
	// pool's prepared set, so that a test can insist on none.
	unprepared *atomic.Int64
	// statements counts the statements run, each a round trip on
	// PostgreSQL, so that a test can hold the bulk operations to a few.
	statements *atomic.Int64

	mu      sync.Mutex
	txStmts map[string]*sql.Stmt
	// failed is the first database error inside the transaction.
	// PostgreSQL aborts a transaction on any error, SQLite does not; Write
	// refuses to commit after one so that both behave alike.
	failed error
}

func (r *runner) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if r.tx == nil {
		return r.pool.stmt(ctx, q)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.txStmts[q]; s != nil {
		return s, nil
	}
	var s *sql.Stmt
	if parent := r.pool.cached(q); parent != nil {
		s = r.tx.StmtContext(ctx, parent)
	} else {
		r.unprepared.Add(1)
		var err error
		if s, err = r.tx.PrepareContext(ctx, r.d.rebind(q)); err != nil {
			return nil, err
		}
	}
	if r.txStmts == nil {
		r.txStmts = map[string]*sql.Stmt{}
	}
	r.txStmts[q] = s
	return s, nil
}

// bind checks and converts arguments in place: text that PostgreSQL would
// refuse is reported as invalid before anything reaches the database.
func bind(args []any) error {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			if p := textProblem(v); p != "" {
				return invalid("", "text %s: %.40q", p, v)
			}
		case jsonText:
			if !v.valid {
				args[i] = nil
				continue
			}
			if p := textProblem(v.s); p != "" {
				return invalid("", "JSON %s", p)
			}
			if p := jsonProblem(v.s); p != "" {
				return invalid("", "JSON %s", p)
			}
			args[i] = v.s
		}
	}
	return nil
}

func (r *runner) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := bind(args); err != nil {
		return nil, err
	}
	return r.queryBound(ctx, q, args...)
}

// queryBound is query for arguments that bind has already checked and
// converted: bulk operations check each row once, before any statement
// runs, so that a refused row leaves the transaction untouched.
func (r *runner) queryBound(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	r.statements.Add(1)
	s, err := r.prepared(ctx, q)
	if err != nil {
		return nil, r.fail(err)
	}
	rows, err := s.QueryContext(ctx, args...)
	if err != nil {
		return nil, r.fail(err)
	}
	return rows, nil
}

// queryDynamic runs a query built at run time (a listing with optional
// filters): it is not worth a prepared statement per combination.
func (r *runner) queryDynamic(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := bind(args); err != nil {
		return nil, err
	}
	r.statements.Add(1)
	var rows *sql.Rows
	var err error
	if r.tx != nil {
		rows, err = r.tx.QueryContext(ctx, r.d.rebind(q), args...)
	} else {
		rows, err = r.pool.db.QueryContext(ctx, r.d.rebind(q), args...)
	}
	if err != nil {
		return nil, r.fail(err)
	}
	return rows, nil
}

func (r *runner) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := bind(args); err != nil {
		return nil, err
	}
	return r.execBound(ctx, q, args...)
}

// execBound is exec for arguments that bind has already checked, as
// queryBound.
func (r *runner) execBound(ctx context.Context, q string, args ...any) (sql.Result, error) {
	r.statements.Add(1)
	s, err := r.prepared(ctx, q)
	if err != nil {
		return nil, r.fail(err)
	}
	res, err := s.ExecContext(ctx, args...)
	if err != nil {
		return nil, r.fail(err)
	}
	return res, nil
}

// execBoundN is execBound returning how many rows the statement changed.
func (r *runner) execBoundN(ctx context.Context, q string, args ...any) (int64, error) {
	return r.affected(r.execBound(ctx, q, args...))
}

// execN runs a statement and returns how many rows it changed.
func (r *runner) execN(ctx context.Context, q string, args ...any) (int64, error) {
	return r.affected(r.exec(ctx, q, args...))
}

// affected is how many rows a statement that ran changed.
func (r *runner) affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, r.fail(err)
	}
	return n, nil
}

// insert runs an INSERT and returns the new row's id (its INTEGER or
// identity key), or ok=false when ON CONFLICT DO NOTHING skipped it. q has
// no RETURNING clause; returning is q with RETURNING of the key, used
// where the driver cannot report the id itself.
func (r *runner) insert(ctx context.Context, q, returning string, args ...any) (id int64, ok bool, err error) {
	if !r.d.lastInsertID {
		ok, err = r.one(ctx, returning, args, &id)
		return id, ok, err
	}
	res, err := r.exec(ctx, q, args...)
	if err != nil {
		return 0, false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return 0, false, err
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, false, r.fail(err)
	}
	return id, true, nil
}

// one scans the single row q returns into dest; found is false when there
// is none.
func (r *runner) one(ctx context.Context, q string, args []any, dest ...any) (found bool, err error) {
	if err := bind(args); err != nil {
		return false, err
	}
	r.statements.Add(1)
	s, err := r.prepared(ctx, q)
	if err != nil {
		return false, r.fail(err)
	}
	err = s.QueryRowContext(ctx, args...).Scan(dest...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, r.fail(err)
	}
	return true, nil
}

// fail wraps a database error, remembering the first one of a
// transaction. A duplicate key is a conflict; anything else is internal.
func (r *runner) fail(err error) error {
	if r.tx != nil {
		r.mu.Lock()
		if r.failed == nil {
			r.failed = err
		}
		r.mu.Unlock()
	}
	if r.d.isUniqueViolation(err) {
		return &leadscore.Error{Code: leadscore.CodeConflict, Message: "already exists", Err: err}
	}
	return fmt.Errorf("sqlstore: %w", err)
}

func (r *runner) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// scanAll reads every row with scan, closing rows.
func scanAll[T any](r *runner, rows *sql.Rows, scan func(*sql.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, r.fail(err)
	}
	return out, nil
}
