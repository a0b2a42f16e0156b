package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to create a schema per test
)

// TestRunIngest runs a tiny service benchmark and checks what it counted,
// never how fast it was: every event is accepted, stored exactly once,
// every lead scored, every read made.
func TestRunIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a service")
	}
	opts := IngestOptions{Leads: 60, Requests: 12, BatchSize: 25, Clients: 3, ReadRate: 500, ReadCount: 40, RawBatch: 100}
	rep, err := RunIngest(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkIngestReport(t, rep, opts)
}

// The PostgreSQL variant runs in a fresh schema when a server is
// configured.
func TestRunIngestPostgres(t *testing.T) {
	base := os.Getenv("LEADSCORE_TEST_POSTGRES_URL")
	if base == "" || testing.Short() {
		t.Skip("LEADSCORE_TEST_POSTGRES_URL is not set")
	}
	dsn := freshSchema(t, base)
	opts := IngestOptions{DSN: dsn, Leads: 60, Requests: 12, BatchSize: 25, Clients: 3, ReadRate: 500, ReadCount: 40, RawBatch: 100}
	rep, err := RunIngest(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Dialect != "postgres" {
		t.Errorf("dialect %q", rep.Dialect)
	}
	checkIngestReport(t, rep, opts)
}

func checkIngestReport(t *testing.T, rep *IngestReport, opts IngestOptions) {
	t.Helper()
	if rep.Identify.Accepted != opts.Leads {
		t.Errorf("identified %d leads, want %d", rep.Identify.Accepted, opts.Leads)
	}
	want := opts.Requests * opts.BatchSize
	if rep.Track.Requests != opts.Requests || rep.Track.Accepted != want {
		t.Errorf("track: %d requests, %d accepted; want %d and %d", rep.Track.Requests, rep.Track.Accepted, opts.Requests, want)
	}
	if rep.Track.Latency.Count != opts.Requests {
		t.Errorf("%d request latencies for %d requests", rep.Track.Latency.Count, opts.Requests)
	}
	if rep.Checked == 0 || rep.Stored != rep.Sent {
		t.Errorf("stored %d of the %d events sent to %d checked leads", rep.Stored, rep.Sent, rep.Checked)
	}
	if rep.Scored != int64(opts.Leads) {
		t.Errorf("%d leads scored, want %d", rep.Scored, opts.Leads)
	}
	if rep.Reads.Count != opts.ReadCount {
		t.Errorf("%d reads, want %d", rep.Reads.Count, opts.ReadCount)
	}
	if rep.RawInsertPerSecond <= 0 {
		t.Error("no raw insert rate")
	}
	if rep.Commits.Transactions == 0 {
		t.Error("no commit was recorded")
	}
	var b bytes.Buffer
	rep.WriteText(&b)
	for _, s := range []string{"track via /v1/batch", "raw insert", "read lead"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("the text report lacks %q:\n%s", s, b.String())
		}
	}
}

// TestEventGenIsDeterministic checks that a seed gives the same requests,
// so that runs are comparable.
func TestEventGenIsDeterministic(t *testing.T) {
	a, ea := newEventGen(3, 50, fixedNow).trackBodies(4, 10)
	b, eb := newEventGen(3, 50, fixedNow).trackBodies(4, 10)
	if len(a) != 4 || len(ea) != 40 || len(eb) != 40 {
		t.Fatalf("%d bodies, %d events", len(a), len(ea))
	}
	for i := range a {
		if !bytes.Equal(a[i].data, b[i].data) || a[i].messages != 10 {
			t.Fatalf("body %d differs between runs with one seed", i)
		}
	}
	c, _ := newEventGen(4, 50, fixedNow).trackBodies(4, 10)
	if bytes.Equal(a[0].data, c[0].data) {
		t.Error("another seed gave the same events")
	}
}

var fixedNow = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// freshSchema creates a schema of its own for this test on the PostgreSQL
// server at base and returns a URL that uses it; the schema is dropped at
// the end.
func freshSchema(t *testing.T, base string) string {
	t.Helper()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "bench_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestRunJobs runs the background-jobs benchmark small: every lead is
// scored by the activation, and the leads made due are re-scored by the
// time job.
func TestRunJobs(t *testing.T) {
	rep, err := RunJobs(context.Background(), JobsOptions{Leads: 300, EventsPerLead: 4, DuePercent: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Leads != 300 || rep.Events != 1200 || rep.Activation.N != 300 || rep.Seed.N != 1200 {
		t.Errorf("report %+v", rep)
	}
	// 2% of 300 are made due; others may be due on their own by then.
	if rep.DueLeads < 6 {
		t.Errorf("the time job re-scored %d leads, want at least the 6 made due", rep.DueLeads)
	}
	var out strings.Builder
	rep.WriteText(&out)
	if !strings.Contains(out.String(), "activation: score every lead") {
		t.Errorf("text report:\n%s", out.String())
	}
}
