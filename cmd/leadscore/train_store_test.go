package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi"
	"github.com/leadscore/leadscore/sqlstore"
)

// --rules turns a rule model's rules into features; the artefact carries
// the rule model, so that leadscore score evaluates the same rules.
func TestTrainWithRules(t *testing.T) {
	dir := t.TempDir()
	if _, code := runCmd(t, "generate", "--leads", "2000", "--events-per-lead", "10", "--seed", "5", "--out", dir, "--no-progress"); code != 0 {
		t.Fatalf("generate exited %d", code)
	}
	leads, events, artefact := filepath.Join(dir, "leads.csv"), filepath.Join(dir, "events.jsonl"), filepath.Join(dir, "model.json")
	rules := filepath.Join("..", "..", "examples", "b2b-saas.yaml")
	out, code := runCmd(t, "train", "--leads", leads, "--target", "converted", "--events", events, "--as-of", "2026-10-15",
		"--outcome-at", "converted_at", "--folds", "2", "--min-conversions", "10", "--rules", rules, "--json", "-o", artefact)
	if code != 0 {
		t.Fatalf("train --rules exited %d:\n%s", code, out)
	}
	var res struct {
		Features []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	rulesUsed := 0
	for _, f := range res.Features {
		if strings.HasPrefix(f.Name, "rule.") && f.Status == "used" {
			rulesUsed++
		}
	}
	if rulesUsed < 3 {
		t.Errorf("%d rules used as features: %+v", rulesUsed, res.Features)
	}
	model := filepath.Join(dir, "learned.yaml")
	if err := os.WriteFile(model, []byte("name: learned\nkind: predictive\nartifact: model.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text, code := runCmd(t, "score", "--model", model, "--leads", leads, "--events", events, "--as-of", "2026-10-15", "--lead", "L0000002", "--explain")
	if code != 0 || !strings.Contains(text, "predicted conversion probability") {
		t.Errorf("scoring with rule features exited %d:\n%s", code, text)
	}
	if _, code := runCmd(t, "train", "--leads", leads, "--target", "converted", "--rules", filepath.Join(dir, "nope.yaml")); code != 2 {
		t.Errorf("a missing rule model exited %d, want 2", code)
	}
}

// train --name learns from a database's leads and outcomes, stores the
// artefact with its report and prints the report.
func TestTrainFromTheStore(t *testing.T) {
	db := seedOutcomes(t)
	out, code := runCmd(t, "train", "--name", "learned", "--db", db, "--folds", "2", "--min-conversions", "10", "--learner", "logistic")
	if code != 0 {
		t.Fatalf("train --name exited %d:\n%s", code, out)
	}
	for _, want := range []string{"logistic model", "out-of-time AUC", "from the store: 400 leads looked at", "stored as the current version (artifact: store:learned)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	// Trained again under the name: a challenger, judged in the report.
	out, code = runCmd(t, "train", "--name", "learned", "--db", db, "--folds", "2", "--min-conversions", "10", "--seed", "9")
	if code != 0 || !strings.Contains(out, "challenger: ") {
		t.Errorf("retraining exited %d:\n%s", code, out)
	}
	if _, code := runCmd(t, "train", "--name", "learned", "--db", db, "--leads", "x.csv"); code != 2 {
		t.Errorf("--name with --leads exited %d, want 2", code)
	}
}

// seedOutcomes makes a SQLite database of 400 leads, a third of them won,
// with vice presidents winning more often than engineers.
func seedOutcomes(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "ls.db")
	st, err := sqlstore.Open(ctx, db, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	err = st.Workspace(leadscore.DefaultWorkspace).Write(ctx, func(tx leadscore.Tx) error {
		for i := range 400 {
			id := fmt.Sprintf("l%04d", i)
			created := now.Add(-time.Duration(120+i%60) * 24 * time.Hour)
			title := []string{"vp sales", "engineer"}[i%2]
			if err := tx.UpsertLead(ctx, &leadscore.Lead{ID: id, Title: title, CreatedAt: created}); err != nil {
				return err
			}
			if i%3 == 0 || (title == "vp sales" && i%5 == 1) {
				o := &leadscore.Outcome{LeadID: id, Result: leadscore.OutcomeWon, At: created.Add(20 * 24 * time.Hour), RecordedAt: now}
				if err := tx.(leadscore.AutomationTx).PutOutcome(ctx, o); err != nil {
					return err
				}
			}
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// score and model test read artifact: store:NAME from the data directory's
// database or from a running server, and say where they looked when the
// artefact is missing.
func TestScoreWithAStoredArtifact(t *testing.T) {
	db := seedOutcomes(t)
	if out, code := runCmd(t, "train", "--name", "learned", "--db", db, "--folds", "2", "--min-conversions", "10", "--learner", "logistic"); code != 0 {
		t.Fatalf("train --name exited %d:\n%s", code, out)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "learned.yaml")
	writeAt(t, model, "name: propensity\nkind: predictive\nartifact: store:learned\n")
	missing := filepath.Join(dir, "missing.yaml")
	writeAt(t, missing, "name: propensity\nkind: predictive\nartifact: store:nothing\n")
	leads := filepath.Join(dir, "leads.csv")
	writeAt(t, leads, "id,title\nvp,vp sales\neng,engineer\n")
	writeAt(t, filepath.Join(dir, "learned.tests.yaml"), `cases:
  - name: the stored model scores a lead
    model: propensity
    as_of: 2026-11-01T00:00:00Z
    lead: {id: vp, title: vp sales}
    expect: {disqualified: false}
`)

	probability := func(csv string) map[string]float64 {
		t.Helper()
		rows := strings.Split(strings.TrimSpace(csv), "\n")
		head := strings.Split(rows[0], ",")
		col := slices.Index(head, "propensity.score")
		if col < 0 || len(rows) != 3 {
			t.Fatalf("unexpected scores:\n%s", csv)
		}
		out := map[string]float64{}
		for _, r := range rows[1:] {
			f := strings.Split(r, ",")
			v, err := strconv.ParseFloat(f[col], 64)
			if err != nil {
				t.Fatalf("score %q: %v", f[col], err)
			}
			out[f[0]] = v
		}
		return out
	}

	local, code := runCmd(t, "score", "--model", model, "--leads", leads, "--db", db, "--no-progress")
	if code != 0 {
		t.Fatalf("score with --db exited %d:\n%s", code, local)
	}
	p := probability(local)
	if !(p["vp"] > p["eng"]) {
		t.Errorf("the stored model gives a vice president %v and an engineer %v; want the vice president higher", p["vp"], p["eng"])
	}
	if out, code := runCmd(t, "model", "test", model, "--db", db); code != 0 || !strings.Contains(out, "1 passed") {
		t.Errorf("model test with --db exited %d:\n%s", code, out)
	}

	// The same through a running server's API, with a read key.
	ctx := context.Background()
	cfg := defaultConfig()
	cfg.DB = db
	rt, err := openInstance(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer rt.close()
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Service: rt.svc, Logger: slog.New(slog.DiscardHandler), Clock: time.Now}))
	defer srv.Close()
	key, err := rt.svc.CreateAPIKey(ctx, "reader", []leadscore.Scope{leadscore.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	remote, code := runCmd(t, "score", "--model", model, "--leads", leads, "--server", srv.URL, "--key", key.Secret, "--no-progress")
	if code != 0 || remote != local {
		t.Errorf("score with --server exited %d and wrote\n%s\nwant, as from the database,\n%s", code, remote, local)
	}

	// The configuration is read only for a stored artefact: a setting
	// the command does not use cannot break a rule model's run.
	t.Setenv("LEADSCORE_CACHE_SIZE", "lots")
	rules := filepath.Join("..", "..", "batch", "testdata", "model.yaml")
	if out, code := runCmd(t, "score", "--model", rules, "--leads", leads, "--no-progress"); code != 0 {
		t.Errorf("a rule model with a bad unrelated setting exited %d:\n%s", code, out)
	}
	if _, code := runCmd(t, "score", "--model", model, "--leads", leads, "--db", db); code != 2 {
		t.Errorf("a stored artefact with a bad setting exited %d, want 2", code)
	}
	os.Unsetenv("LEADSCORE_CACHE_SIZE")

	for _, args := range [][]string{
		{"score", "--model", missing, "--leads", leads, "--db", db},
		{"score", "--model", model, "--leads", leads, "--data-dir", filepath.Join(dir, "nowhere")},
		{"score", "--model", model, "--leads", leads, "--server", srv.URL},
		{"score", "--model", model, "--leads", leads, "--server", srv.URL, "--db", db, "--key", key.Secret},
	} {
		if out, code := runCmd(t, args...); code != 2 {
			t.Errorf("%v exited %d, want 2:\n%s", args, code, out)
		}
	}
}

// writeAt writes a file at path (writeFile picks a directory itself).
func writeAt(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
