package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/storetest"
)

// postgresEnv names the PostgreSQL server the tests use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Without it the
// PostgreSQL tests are skipped.
const postgresEnv = "LEADSCORE_TEST_POSTGRES_URL"

func openSQLiteT(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "leadscore.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgresT opens a store in a schema of its own, dropped at cleanup,
// so that tests can run in parallel on one database.
func openPostgresT(t testing.TB, opts Options) *Store {
	t.Helper()
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("%s is not set", postgresEnv)
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	admin := stdlib.OpenDB(*cfg)
	var b [6]byte
	rand.Read(b[:])
	schema := pgx.Identifier{"ls_test_" + hex.EncodeToString(b[:])}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema.Sanitize()); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema[0])
	u.RawQuery = q.Encode()
	s, err := Open(ctx, u.String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// conformance runs the suite and checks that every statement a
// transaction ran had been prepared when the store opened.
func conformance(t *testing.T, open func(t testing.TB, opts Options) *Store) {
	storetest.Run(t, func(t *testing.T) leadscore.Store {
		s := open(t, Options{Now: storetest.Clock()})
		t.Cleanup(func() {
			if n := s.unprepared.Load(); n != 0 {
				t.Errorf("%d statements were prepared inside transactions: add them to staticQueries", n)
			}
		})
		return s
	})
}

func TestSQLite(t *testing.T) { conformance(t, openSQLiteT) }

func TestPostgres(t *testing.T) { conformance(t, openPostgresT) }

func TestOpenDSN(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		dsn     string
		dialect string
		code    leadscore.ErrorCode
	}{
		{"plain path", filepath.Join(dir, "a.db"), "sqlite", ""},
		{"sqlite: prefix", "sqlite:" + filepath.Join(dir, "b.db"), "sqlite", ""},
		{"sqlite:// prefix", "sqlite://" + filepath.Join(dir, "c.db"), "sqlite", ""},
		{"empty", "", "", leadscore.CodeInvalid},
		{"memory", ":memory:", "", leadscore.CodeInvalid},
		{"sqlite URI", "file:x.db?mode=memory", "", leadscore.CodeInvalid},
		{"query in a path", filepath.Join(dir, "d.db?_pragma=synchronous(OFF)"), "", leadscore.CodeInvalid},
		{"bad postgres URL", "postgres://%zz", "", leadscore.CodeInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.dsn, Options{})
			if tc.code != "" {
				if leadscore.CodeOf(err) != tc.code {
					t.Fatalf("Open(%q) = %v, want code %s", tc.dsn, err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Dialect() != tc.dialect {
				t.Errorf("dialect %q, want %q", s.Dialect(), tc.dialect)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "c.db")); err != nil {
		t.Errorf("sqlite:// did not create the file at the absolute path: %v", err)
	}
}

// TestPostgresMissingSchema checks that a search_path naming no existing
// schema is refused instead of creating tables somewhere unexpected.
func TestPostgresMissingSchema(t *testing.T) {
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("%s is not set", postgresEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", "ls_test_does_not_exist")
	u.RawQuery = q.Encode()
	s, err := Open(t.Context(), u.String(), Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded without a schema to create tables in")
	}
	if !strings.Contains(err.Error(), "search_path") {
		t.Errorf("error %q does not point at search_path", err)
	}
}

// TestSQLiteDurability checks the settings the durability promise rests on.
func TestSQLiteDurability(t *testing.T) {
	s := openSQLiteT(t, Options{})
	ctx := t.Context()
	tests := []struct {
		pool   *pool
		pragma string
		want   string
	}{
		{s.write, "journal_mode", "wal"},
		{s.write, "synchronous", "2"}, // FULL
		{s.write, "foreign_keys", "1"},
		{s.write, "busy_timeout", "5000"},
		{s.write, "query_only", "0"},
		{s.read, "journal_mode", "wal"},
		{s.read, "query_only", "1"},
		{s.read, "busy_timeout", "5000"},
	}
	for _, tc := range tests {
		var got string
		if err := tc.pool.db.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s pool: PRAGMA %s = %s, want %s", map[bool]string{true: "write", false: "read"}[tc.pool == s.write],
				tc.pragma, got, tc.want)
		}
	}
	if n := s.write.db.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("write pool allows %d connections, want 1", n)
	}
}

// TestReopen checks that migrations run once and data survives a restart.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leadscore.db")
	ctx := t.Context()
	for i := range 2 {
		s, err := Open(ctx, "sqlite:"+path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ws := s.Workspace(leadscore.DefaultWorkspace)
		if i == 0 {
			err = ws.Write(ctx, func(tx leadscore.Tx) error { return tx.UpsertLead(ctx, &leadscore.Lead{ID: "u1"}) })
		} else {
			_, err = ws.Lead(ctx, "u1")
		}
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		var version int64
		var workspaces int
		if err := s.read.db.QueryRowContext(ctx, "SELECT MAX(version_id) FROM leadscore_migrations").Scan(&version); err != nil {
			t.Fatal(err)
		}
		if err := s.read.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM workspaces WHERE id = ?", "default").Scan(&workspaces); err != nil {
			t.Fatal(err)
		}
		if version < 1 || workspaces != 1 {
			t.Errorf("open %d: schema version %d, %d default workspaces", i, version, workspaces)
		}
		s.Close()
	}
}

// TestUpgrade opens a database made by an older binary (only the first
// migration applied) and checks that Open brings it up to date.
func TestUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leadscore.db")
	ctx := t.Context()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := sqliteDialect().migrationFS()
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true),
		goose.WithTableName("leadscore_migrations"), goose.WithLogger(goose.NopLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var version int64
	if err := s.read.db.QueryRowContext(ctx, "SELECT MAX(version_id) FROM leadscore_migrations").Scan(&version); err != nil {
		t.Fatal(err)
	}
	sources := p.ListSources()
	if want := sources[len(sources)-1].Version; version != want {
		t.Errorf("schema version %d after Open, want %d", version, want)
	}
	var n int
	err = s.read.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?",
		"leads_account_updated").Scan(&n)
	if err != nil || n != 1 {
		t.Errorf("the second migration's index: %d found, err %v", n, err)
	}
}

// TestFailedStatementRollsBack checks that a database error inside a
// transaction fails the commit even when fn swallows it: PostgreSQL has
// already aborted such a transaction, and SQLite must behave the same.
func TestFailedStatementRollsBack(t *testing.T) {
	for name, open := range map[string]func(testing.TB, Options) *Store{"sqlite": openSQLiteT, "postgres": openPostgresT} {
		t.Run(name, func(t *testing.T) {
			s := open(t, Options{})
			ctx := t.Context()
			ws := s.Workspace(leadscore.DefaultWorkspace)
			err := ws.Write(ctx, func(ltx leadscore.Tx) error {
				if err := ltx.UpsertLead(ctx, &leadscore.Lead{ID: "u1"}); err != nil {
					return err
				}
				r := ltx.(*tx).r
				if _, err := r.exec(ctx, "INSERT INTO no_such_table (x) VALUES (?)", 1); err == nil {
					t.Error("inserting into a missing table succeeded")
				}
				return nil
			})
			if err == nil {
				t.Fatal("Write committed after a failed statement")
			}
			if _, err := ws.Lead(ctx, "u1"); leadscore.CodeOf(err) != leadscore.CodeNotFound {
				t.Errorf("a write before the failed statement was committed: %v", err)
			}
		})
	}
}

// TestCancelledWrite checks that a context cancelled inside a transaction
// commits nothing.
func TestCancelledWrite(t *testing.T) {
	s := openSQLiteT(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	ws := s.Workspace(leadscore.DefaultWorkspace)
	err := ws.Write(ctx, func(tx leadscore.Tx) error {
		if err := tx.UpsertLead(ctx, &leadscore.Lead{ID: "u1"}); err != nil {
			return err
		}
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write = %v, want context.Canceled", err)
	}
	if _, err := ws.Lead(t.Context(), "u1"); leadscore.CodeOf(err) != leadscore.CodeNotFound {
		t.Errorf("cancelled write was committed: %v", err)
	}
}

// TestListPlans checks on SQLite that listings walk an index instead of
// sorting the whole table, which is what keeps deep pages cheap.
func TestListPlans(t *testing.T) {
	s := openSQLiteT(t, Options{})
	ctx := t.Context()
	scoreAfter := cursor{Order: orderScore, Score: 5, ID: "x"}.encode()
	tests := []struct {
		name  string
		f     leadscore.LeadFilter
		index string
		// sorts: an account's people are few, so sorting them is fine.
		sorts bool
	}{
		{"by score", leadscore.LeadFilter{Model: "m", After: scoreAfter}, "scores_rank", false},
		{"by score, filtered", leadscore.LeadFilter{Model: "m", Qualified: new(bool), Query: "a"}, "scores_rank", false},
		{"one band by score", leadscore.LeadFilter{Model: "m", Band: "warm", After: scoreAfter}, "scores_band", false},
		{"one band by score, filtered", leadscore.LeadFilter{Model: "m", Band: "hot", Qualified: new(bool), Query: "a"}, "scores_band", false},
		{"by update", leadscore.LeadFilter{After: cursor{Order: orderUpdated, Updated: 5, ID: "x"}.encode()}, "leads_updated", false},
		{"by update with a model", leadscore.LeadFilter{Model: "m", OrderBy: orderUpdated}, "leads_updated", false},
		// Any index that seeks the account serves: its people are sorted.
		{"an account by score", leadscore.LeadFilter{Model: "m", AccountID: "a.com", After: scoreAfter}, "leads_(account_updated|by_account)", true},
		{"an account by update", leadscore.LeadFilter{Model: "m", OrderBy: orderUpdated, AccountID: "a.com"}, "leads_account_updated", false},
	}
	for _, tc := range tests {
		var plan []string
		lq, err := buildList("default", s.d, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.read.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+lq.sql, lq.args...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !regexp.MustCompile(`INDEX `+tc.index+` `).MatchString(joined) || strings.Contains(joined, "TEMP B-TREE") != tc.sorts {
			t.Errorf("%s: plan %q does not use %s (sorting: %v)", tc.name, joined, tc.index, tc.sorts)
		}
	}
}
