// Package sqlstore keeps leadscore's data in SQLite or PostgreSQL. Both
// dialects share one set of queries and one behaviour, which the
// conformance suite in package storetest holds them to; a small dialect
// value covers what differs (placeholders, types, the migration files).
//
// Open migrates the database to the current schema before it returns, so
// a first start creates everything.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/leadscore/leadscore"
)

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// ReadConns is the size of SQLite's read pool, whose connections read
	// beside the single writer thanks to WAL (default GOMAXPROCS, at least
	// 4). Ignored for PostgreSQL.
	ReadConns int
	// MaxConns bounds the PostgreSQL pool (default 16). Ignored for SQLite,
	// which has one writer.
	MaxConns int
	// BusyTimeout is how long SQLite waits for a lock held by another
	// process, such as an import running beside the server (default 5s).
	BusyTimeout time.Duration
	// Now stamps created_at and updated_at columns (default time.Now).
	Now func() time.Time
	// Logger receives migration progress and failed background WAL
	// checkpoints (default: discarded).
	Logger *slog.Logger
}

// Store is a leadscore.Store on SQLite or PostgreSQL.
type Store struct {
	d     *dialect
	write *pool
	// read is a separate pool for SQLite, the same pool for PostgreSQL.
	read *pool
	now  func() time.Time

	// known holds the workspaces whose row is known to exist; Write
	// creates the row on a workspace's first write.
	known sync.Map
	// unprepared counts statements a transaction had to prepare itself.
	unprepared atomic.Int64
	// statements counts the statements run.
	statements atomic.Int64
	// checkpoint copies SQLite's WAL into the database file beside the
	// writer; nil for PostgreSQL.
	checkpoint *checkpointer
	// analyze gathers PostgreSQL's statistics on tables autovacuum has not
	// reached yet; nil for SQLite.
	analyze *analyzer
}

var _ leadscore.Store = (*Store)(nil)

// Open opens the database named by dsn and migrates it to the current
// schema:
//
//   - "postgres://..." or "postgresql://...": PostgreSQL (any URL pgx
//     accepts; search_path and other run-time parameters may be given as
//     query parameters; the tables go in the current schema, which must
//     exist);
//   - "sqlite:/path/file.db", or a plain file path: SQLite, created if it
//     does not exist (its directory must exist).
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn, opts)
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if strings.HasPrefix(path, "//") {
			path = path[2:]
		}
		return openSQLite(ctx, path, opts)
	}
	return openSQLite(ctx, dsn, opts)
}

func openSQLite(ctx context.Context, path string, opts Options) (*Store, error) {
	switch {
	case path == "":
		return nil, invalid("dsn", "no database file given")
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		// A writer and separate readers must share one file.
		return nil, invalid("dsn", "SQLite needs a file path, not %q", path)
	case strings.ContainsAny(path, "?#"):
		return nil, invalid("dsn", "SQLite file path %q may not contain ? or #", path)
	}
	d := sqliteDialect()
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", opts.BusyTimeout.Milliseconds())
	// WAL lets readers run beside the writer. synchronous=FULL fsyncs the
	// WAL at every commit, so an acknowledged event survives a power cut;
	// throughput comes from group commit, not from skipping that fsync.
	// _txlock=immediate takes the write lock at BEGIN, so a transaction
	// never fails half-way to upgrade its lock against another process.
	// SQLite's default page cache is 2 MB per connection, far below the
	// working set of a busy database, and every miss is a read system
	// call; a larger cache and a memory map keep hot pages in memory.
	// temp_store=MEMORY keeps the writer's statement journals and sorts
	// out of temporary files. The writer leaves most checkpoints to the
	// checkpointer (see walCheckpointPages).
	cache := "&_pragma=cache_size(-65536)&_pragma=mmap_size(1073741824)"
	writeDSN := path + "?" + busy + cache +
		"&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)&_txlock=immediate" +
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", walCheckpointPages)
	wdb, err := sql.Open("sqlite", writeDSN)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	// One writer: SQLite serialises writers anyway, and a single
	// connection makes waiting for it a Go-side queue instead of busy
	// retries.
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	var mode string
	if err := wdb.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		wdb.Close()
		return nil, fmt.Errorf("sqlstore: open %s: the file system does not support SQLite's WAL mode (journal_mode is %s)", path, mode)
	}
	if err := migrate(ctx, wdb, d, opts.Logger, nil); err != nil {
		wdb.Close()
		return nil, err
	}
	rdb, err := sql.Open("sqlite", path+"?"+busy+cache+"&_pragma=foreign_keys(1)&_pragma=query_only(1)")
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(opts.ReadConns)
	rdb.SetMaxIdleConns(opts.ReadConns)
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)
	cdb, err := sql.Open("sqlite", path+"?"+busy)
	if err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	s := &Store{d: d, write: newPool(wdb, d), read: newPool(rdb, d), now: opts.Now,
		checkpoint: startCheckpointer(cdb, opts.Logger)}
	if err := s.write.prepareAll(ctx, staticQueries(d)); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, invalid("dsn", "%v", err)
	}
	d := postgresDialect()
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: connect to PostgreSQL at %s: %w", redact(dsn), err)
	}
	// Several nodes may start at once: an advisory lock serialises their
	// migrations. It is keyed by schema so that databases holding several
	// leadscore schemas do not wait for each other.
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	if !schema.Valid {
		db.Close()
		return nil, fmt.Errorf("sqlstore: no schema to create tables in: the search_path names none that exists")
	}
	h := fnv.New64a()
	h.Write([]byte("leadscore migrations " + schema.String))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	if err := migrate(ctx, db, d, opts.Logger, locker); err != nil {
		db.Close()
		return nil, err
	}
	p := newPool(db, d)
	s := &Store{d: d, write: p, read: p, now: opts.Now}
	if err := p.prepareAll(ctx, staticQueries(d)); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	s.analyze = startAnalyzer(db, opts.Logger)
	return s, nil
}

// migrate brings the schema to the newest embedded version.
func migrate(ctx context.Context, db *sql.DB, d *dialect, log *slog.Logger, locker lock.SessionLocker) error {
	fsys, err := d.migrationFS()
	if err != nil {
		return fmt.Errorf("sqlstore: migrations: %w", err)
	}
	popts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithTableName("leadscore_migrations"),
		goose.WithSlog(log),
	}
	if locker != nil {
		popts = append(popts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(d.goose, db, fsys, popts...)
	if err != nil {
		return fmt.Errorf("sqlstore: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate the %s database: %w", d.name, err)
	}
	return nil
}

// redact hides a password in a connection URL for error messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Dialect names the database behind the store: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// Close closes the pools. Transactions still running fail.
func (s *Store) Close() error {
	var errs []error
	// The checkpointer stops first, so that the writer, closing last, is
	// the connection that checkpoints the whole WAL and removes it.
	if s.checkpoint != nil {
		errs = append(errs, s.checkpoint.close())
	}
	if s.analyze != nil {
		s.analyze.close()
	}
	if s.read != s.write {
		errs = append(errs, s.read.close())
	}
	errs = append(errs, s.write.close())
	return errors.Join(errs...)
}

// Workspace returns the view of one workspace. The empty id is the
// default workspace.
func (s *Store) Workspace(ws leadscore.WorkspaceID) leadscore.WorkspaceStore {
	if ws == "" {
		ws = leadscore.DefaultWorkspace
	}
	r := &runner{d: s.d, pool: s.read, unprepared: &s.unprepared, statements: &s.statements}
	return &workspace{reader: reader{ws: string(ws), now: s.now, r: r}, s: s}
}

type workspace struct {
	reader
	s *Store
}

// cancelled reports a statement that failed because the transaction's
// context ended (database/sql then answers sql.ErrTxDone) as that
// context's error.
func cancelled(ctx context.Context, err error) error {
	if errors.Is(err, sql.ErrTxDone) && ctx.Err() != nil {
		return fmt.Errorf("sqlstore: %w", ctx.Err())
	}
	return err
}

// Write runs fn in one transaction. fn's error rolls everything back and
// is returned as is (one caused by ctx ending, as ctx's error); so does a
// panic, which is re-raised. Reads through tx
// see its own writes. After any database error inside the transaction
// Write rolls back even when fn swallowed the error, because PostgreSQL
// has already aborted the transaction and SQLite must behave the same.
// The workspace's own row is created by its first write.
func (w *workspace) Write(ctx context.Context, fn func(tx leadscore.Tx) error) (err error) {
	sqlTx, err := w.s.write.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin: %w", err)
	}
	r := &runner{d: w.s.d, pool: w.s.write, tx: sqlTx, unprepared: &w.s.unprepared, statements: &w.s.statements}
	t := &tx{reader: reader{ws: w.ws, now: w.now, r: r}}
	committed := false
	defer func() {
		if !committed {
			sqlTx.Rollback()
		}
	}()
	if _, ok := w.s.known.Load(w.ws); !ok {
		if _, err := r.exec(ctx, qEnsureWorkspace, w.ws, w.ws, micros(w.now())); err != nil {
			return err
		}
	}
	if err := fn(t); err != nil {
		return cancelled(ctx, err)
	}
	if err := t.flushActivity(ctx); err != nil {
		return cancelled(ctx, err)
	}
	if err := r.failure(); err != nil {
		return fmt.Errorf("sqlstore: transaction rolled back after an earlier error: %w", err)
	}
	// database/sql rolls a transaction back on its own as soon as its
	// context ends, racing with the statements above; a cancelled write
	// must report the cancellation whichever side won, and never commit.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	if err := sqlTx.Commit(); err != nil {
		return cancelled(ctx, fmt.Errorf("sqlstore: commit: %w", err))
	}
	committed = true
	if w.s.checkpoint != nil {
		w.s.checkpoint.committed()
	}
	if w.s.analyze != nil {
		w.s.analyze.committed()
	}
	w.s.known.Store(w.ws, true)
	return nil
}
