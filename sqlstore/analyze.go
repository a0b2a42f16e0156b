package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgreSQL plans a query with the statistics ANALYZE gathers. Autovacuum
// gathers them, but it visits a database at most once a minute
// (autovacuum_naptime), and a table that was never analyzed has none: the
// planner then guesses that a lookup such as lead_id = ANY($2) with a few
// hundred ids matches most of the table and reads all of it. A fresh
// database filling up (a first import, a first day of events) would run
// its bulk lookups as full table reads, slower with every row, for up to
// a minute. The analyzer closes that gap: after commits it looks for
// tables of the store's schema that were never analyzed, by anyone, and
// have analyzeMinRows changed rows, and analyzes them. Everything later is
// left to autovacuum, which keeps statistics current as tables grow.
const (
	analyzeMinRows = 1000
	// analyzeEvery spaces the analyzer's checks.
	analyzeEvery = time.Second
	// analyzeWatch is how long after the latest commit the analyzer keeps
	// checking: PostgreSQL may report a backend's row counts up to ten
	// seconds after its transaction.
	analyzeWatch = 15 * time.Second
)

type analyzer struct {
	db   *sql.DB
	log  *slog.Logger
	wake chan struct{}
	// ctx ends when the analyzer is closed, cutting a running ANALYZE
	// short.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startAnalyzer(db *sql.DB, log *slog.Logger) *analyzer {
	ctx, cancel := context.WithCancel(context.Background())
	a := &analyzer{db: db, log: log, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go a.run()
	return a
}

// committed tells the analyzer that a write committed; it never blocks.
func (a *analyzer) committed() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *analyzer) run() {
	defer close(a.done)
	tick := time.NewTicker(analyzeEvery)
	defer tick.Stop()
	var lastCommit, lastCheck time.Time
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-a.wake:
			lastCommit = time.Now()
		case <-tick.C:
		}
		if time.Since(lastCommit) > analyzeWatch || time.Since(lastCheck) < analyzeEvery {
			continue
		}
		lastCheck = time.Now()
		// A failed check or ANALYZE loses nothing: autovacuum analyzes the
		// table in time, and the next check tries again.
		if err := a.analyzeNew(a.ctx); err != nil && a.ctx.Err() == nil {
			a.log.Warn("analyzing new tables failed", "err", err)
		}
	}
}

// analyzeNew analyzes the tables of the current schema that were never
// analyzed and have enough changed rows to be worth it.
func (a *analyzer) analyzeNew(ctx context.Context) error {
	rows, err := a.db.QueryContext(ctx, `SELECT schemaname, relname FROM pg_stat_user_tables
		WHERE schemaname = current_schema() AND last_analyze IS NULL AND last_autoanalyze IS NULL
		AND n_mod_since_analyze >= $1 ORDER BY relname`, analyzeMinRows)
	if err != nil {
		return err
	}
	var tables []pgx.Identifier
	for rows.Next() {
		var schema, table string
		if err := rows.Scan(&schema, &table); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, pgx.Identifier{schema, table})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := a.db.ExecContext(ctx, "ANALYZE "+t.Sanitize()); err != nil {
			return err
		}
		a.log.Debug("analyzed a new table", "table", t.Sanitize())
	}
	return nil
}

// close stops the analyzer; closing it again does nothing. The pool is
// the store's and stays open.
func (a *analyzer) close() {
	a.once.Do(func() {
		a.cancel()
		<-a.done
	})
}
