package webui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/service"
	"github.com/leadscore/leadscore/sqlstore"
)

// BenchmarkLeadsPage measures the server time of the leads page (first
// page, by score, and a filtered page) over a store of
// LEADSCORE_BENCH_LEADS leads (default 100,000), each scored. The rows
// are written straight through the store's bulk writes, so that setting
// up a million leads takes a minute rather than an evening.
func BenchmarkLeadsPage(b *testing.B) {
	n := 100_000
	if s := os.Getenv("LEADSCORE_BENCH_LEADS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "ls.db"), sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	svc, err := service.New(service.Config{Store: st, Clock: c.Now, DueInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	src, err := os.ReadFile(filepath.Join("..", "examples", "b2b-saas.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	res, err := svc.UploadModel(ctx, "b2b-saas.yaml", src, "bench")
	if err != nil {
		b.Fatal(err)
	}
	version := res.Versions[0].Version
	if _, err := svc.ActivateModel(ctx, "b2b-saas", version); err != nil {
		b.Fatal(err)
	}
	fill(b, st.Workspace(leadscore.DefaultWorkspace), n, version)
	if _, err := svc.CreateUser(ctx, leadscore.NewUser{Email: "viewer@example.com", Role: leadscore.RoleViewer, Password: password}); err != nil {
		b.Fatal(err)
	}
	sess, err := svc.SignIn(ctx, "viewer@example.com", password)
	if err != nil {
		b.Fatal(err)
	}
	ui, err := New(Config{Service: svc, Clock: c.Now})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/leads", "/leads?band=warm&qualified=no", "/leads?q=lee"} {
		b.Run(path, func(b *testing.B) {
			var bytes int
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.Token})
				w := httptest.NewRecorder()
				ui.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, w.Code)
				}
				bytes = w.Body.Len()
			}
			b.ReportMetric(float64(bytes), "page-bytes")
		})
	}
}

func fill(b *testing.B, ws leadscore.WorkspaceStore, n int, version string) {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	first := []string{"Ada", "Grace", "Alan", "Linus", "Mary", "Wei", "Priya", "Lukas", "Ana", "José"}
	last := []string{"Lee", "Lovelace", "Hopper", "Turing", "Nguyen", "Schmidt", "Rossi", "Sato", "Silva", "Novak"}
	const chunk = 5000
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += chunk {
		var leads []*leadscore.Lead
		var scores []*leadscore.ScoreRecord
		for i := start; i < min(n, start+chunk); i++ {
			id := fmt.Sprintf("L%07d", i)
			f, l := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
			leads = append(leads, &leadscore.Lead{ID: id, Email: fmt.Sprintf("%s.%s%d@example.com", f, l, i), FirstName: f, LastName: l,
				Title: "Manager", AccountID: fmt.Sprintf("a%d", i/3), CreatedAt: at})
			score := float64(rng.IntN(101))
			band := "cold"
			if score >= 70 {
				band = "hot"
			} else if score >= 40 {
				band = "warm"
			}
			scores = append(scores, &leadscore.ScoreRecord{LeadID: id, Model: "b2b-saas", Version: version, Score: score,
				Display: 1000 + int64(score), Band: band, Grade: "B", Qualified: score >= 70, UpdatedAt: at})
		}
		err := ws.Write(ctx, func(tx leadscore.Tx) error {
			bt := tx.(leadscore.BulkTx)
			if err := bt.UpsertLeads(ctx, leads); err != nil {
				return err
			}
			return bt.PutScores(ctx, scores)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
