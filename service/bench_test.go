package service

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/examples"
	"github.com/leadscore/leadscore/sqlstore"
)

// benchService starts a service on the store at dsn with the example
// b2b-saas model active; it stops when the benchmark ends.
func benchService(b *testing.B, dsn string) *Service {
	b.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	svc := startTestService(b, Config{Store: st, Clock: time.Now, DueInterval: time.Hour})
	src, _ := examples.Files.ReadFile(examples.ModelFile)
	up, err := svc.UploadModel(ctx, "m.yaml", src, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range up.Versions {
		if v.Name == "b2b-saas" {
			if _, err := svc.ActivateModel(ctx, v.Name, v.Version); err != nil {
				b.Fatal(err)
			}
		}
	}
	return svc
}

// benchDB is the database of a benchmark that may run on PostgreSQL:
// LEADSCORE_BENCH_DB when set, else a new SQLite file.
func benchDB(b *testing.B) string {
	if dsn := os.Getenv("LEADSCORE_BENCH_DB"); dsn != "" {
		return dsn
	}
	return filepath.Join(b.TempDir(), "ls.db")
}

// BenchmarkIngest sends batches of 100 track events for random leads from
// 8 goroutines, as SDK clients do; events/s is the sustained rate with
// scoring. LEADSCORE_BENCH_DB selects PostgreSQL.
func BenchmarkIngest(b *testing.B) {
	ctx := context.Background()
	svc := benchService(b, benchDB(b))
	const leads = 10000
	types := []string{"page.viewed", "email.opened", "email.clicked", "session.started", "form.submitted", "webinar.attended"}
	var seq atomic.Int64
	run := fmt.Sprint(time.Now().UnixNano())
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/8 + 1
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				msgs := make([]leadscore.Message, 100)
				for j := range msgs {
					n := seq.Add(1)
					msgs[j] = leadscore.Message{Kind: leadscore.MsgTrack, MessageID: fmt.Sprintf("%s-%d", run, n), Source: "bench",
						UserID: fmt.Sprintf("u%d", (n*7919)%leads), Event: types[n%int64(len(types))],
						Properties: map[string]any{"path": "/pricing"}, Timestamp: time.Now(), ReceivedAt: time.Now()}
				}
				if _, err := svc.Ingest(ctx, msgs); err != nil {
					b.Error(err)
					return
				}
			}
			_ = w
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(per*8*100)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkGetAccount reads an account of 2,000 scored people with its
// account score, as the account page and GET /api/v1/accounts/{id} do.
func BenchmarkGetAccount(b *testing.B) {
	ctx := context.Background()
	svc := benchService(b, filepath.Join(b.TempDir(), "ls.db"))
	const people = 2000
	msgs := make([]leadscore.Message, people)
	for i := range msgs {
		msgs[i] = leadscore.Message{Kind: leadscore.MsgIdentify, MessageID: fmt.Sprint("id-", i), Source: "bench",
			UserID: fmt.Sprint("p", i), Traits: map[string]any{"email": fmt.Sprintf("p%d@bigco.example", i), "title": "Engineer"},
			Timestamp: time.Now(), ReceivedAt: time.Now()}
	}
	if _, err := svc.Ingest(ctx, msgs); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		v, err := svc.GetAccount(ctx, "bigco.example")
		if err != nil || len(v.People) != people {
			b.Fatalf("account: %d people, %v", len(v.People), err)
		}
	}
}

// BenchmarkGetLead reads one lead with its account, scores and
// explanations, and automation, as GET /api/v1/leads/{id} does, from 1,000
// scored leads with a few events each. LEADSCORE_BENCH_DB selects
// PostgreSQL (a fresh database or schema).
func BenchmarkGetLead(b *testing.B) {
	ctx := context.Background()
	svc := benchService(b, benchDB(b))
	const leads = 1000
	var msgs []leadscore.Message
	now := time.Now()
	for i := range leads {
		msgs = append(msgs, leadscore.Message{Kind: leadscore.MsgIdentify, MessageID: fmt.Sprint("id-", i), Source: "bench",
			UserID: fmt.Sprint("p", i), Traits: map[string]any{"email": fmt.Sprintf("p%d@co%d.example", i, i/5), "title": "VP Marketing"},
			Timestamp: now, ReceivedAt: now})
		for j, typ := range []string{"page.viewed", "email.clicked", "webinar.attended"} {
			msgs = append(msgs, leadscore.Message{Kind: leadscore.MsgTrack, MessageID: fmt.Sprintf("ev-%d-%d", i, j), Source: "bench",
				UserID: fmt.Sprint("p", i), Event: typ, Properties: map[string]any{"path": "/pricing"}, Timestamp: now, ReceivedAt: now})
		}
	}
	if _, err := svc.Ingest(ctx, msgs); err != nil {
		b.Fatal(err)
	}
	svc.Settle()
	i := 0
	for b.Loop() {
		v, err := svc.GetLead(ctx, fmt.Sprint("p", i%leads))
		if err != nil || len(v.Scores) == 0 || v.Scores[0].Evaluation == nil {
			b.Fatalf("lead: %+v %v", v, err)
		}
		i++
	}
}
