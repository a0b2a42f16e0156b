package sqlstore

import (
	"embed"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// dialect holds the few differences between SQLite and PostgreSQL that the
// shared SQL cannot hide. Queries are written once, with ? placeholders,
// and use only syntax both accept (ON CONFLICT, RETURNING, TRUE/FALSE,
// partial indexes); types differ only in the migrations.
type dialect struct {
	name  string
	goose goose.Dialect
	// numbered placeholders ($1, $2...) instead of ?.
	numbered bool
	// lastInsertID: the driver reports a new row's id with the insert.
	// SQLite does, and its RETURNING costs a result set per row, which
	// nearly doubles the CPU time of storing an event.
	lastInsertID bool
	// arrays: slices can be bound as array parameters.
	arrays bool
	// ownerExpr reads the "owner" custom field of a lead row aliased l.
	ownerExpr string
	// bulk holds the statements of the bulk operations (bulk.go).
	bulk *bulkQueries
	// auto holds automation's bulk statements (automation.go).
	auto *automationQueries
	// shadow holds the shadow scores' bulk statements (shadow.go).
	shadow *shadowQueries
}

// assignedOwner is the owner routing or a person assigned to the lead row
// aliased l, NULL when none: it wins over an "owner" custom field, which
// is what a CRM import brings.
const assignedOwner = `(SELECT NULLIF(la.owner, '') FROM lead_automation la WHERE la.workspace_id = l.workspace_id AND la.lead_id = l.id)`

func sqliteDialect() *dialect {
	d := &dialect{
		name:         "sqlite",
		goose:        goose.DialectSQLite3,
		lastInsertID: true,
		ownerExpr:    "COALESCE(" + assignedOwner + ", json_extract(l.fields, '$.owner'), '')",
	}
	d.bulk = newBulkQueries(d)
	d.auto = newAutomationQueries(d)
	d.shadow = newShadowQueries(d)
	return d
}

func postgresDialect() *dialect {
	d := &dialect{
		name:      "postgres",
		goose:     goose.DialectPostgres,
		numbered:  true,
		arrays:    true,
		ownerExpr: "COALESCE(" + assignedOwner + ", l.fields->>'owner', '')",
	}
	d.bulk = newBulkQueries(d)
	d.auto = newAutomationQueries(d)
	d.shadow = newShadowQueries(d)
	return d
}

// migrationFS returns the dialect's migration files.
func (d *dialect) migrationFS() (fs.FS, error) {
	return fs.Sub(migrations, "migrations/"+d.name)
}

// rebind rewrites ? placeholders into the dialect's form. Queries never
// hold a ? inside a string literal, but quotes are honoured so that one
// added later cannot be mistaken for a placeholder.
func (d *dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// isUniqueViolation reports whether err is the database refusing a
// duplicate key.
func (d *dialect) isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
