package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrainCommand(t *testing.T) {
	dir := t.TempDir()
	if _, code := runCmd(t, "generate", "--leads", "3000", "--events-per-lead", "10", "--seed", "5", "--out", dir, "--no-progress"); code != 0 {
		t.Fatalf("generate exited %d", code)
	}
	leads, events := filepath.Join(dir, "leads.csv"), filepath.Join(dir, "events.jsonl")
	artefact, html := filepath.Join(dir, "model.json"), filepath.Join(dir, "report.html")
	base := []string{"train", "--leads", leads, "--target", "converted", "--events", events, "--as-of", "2026-10-15", "--folds", "3"}

	if _, code := runCmd(t, "train", "--leads", leads, "--target", "converted", "--events", events); code != 2 {
		t.Errorf("--events without --as-of exited %d, want 2", code)
	}
	if _, code := runCmd(t, "train", "--leads", leads, "--target", "nope"); code != 2 {
		t.Errorf("an unknown target exited %d, want 2", code)
	}

	// Without --outcome-at, converted_at is a candidate feature: it only
	// has values for converted leads, so the leakage guard excludes it.
	out, code := runCmd(t, append(base, "--json", "--html", html, "-o", artefact, "--min-conversions", "10")...)
	if code != 0 {
		t.Fatalf("train exited %d:\n%s", code, out)
	}
	var res struct {
		Features  []struct{ Name, Status, Reason string }
		OutOfTime struct{ AUC float64 } `json:"out_of_time"`
		CV        struct {
			Mean        float64
			FoldSeconds []float64 `json:"fold_seconds"`
		} `json:"cross_validation"`
		Summary struct {
			OutOfTimeAUC float64 `json:"out_of_time_auc"`
		}
		Written string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	leak := false
	for _, f := range res.Features {
		if f.Name == "lead.converted_at" {
			leak = f.Status == "leak"
		}
	}
	if !leak || res.CV.Mean < 0.55 || len(res.CV.FoldSeconds) != 3 || res.OutOfTime.AUC == 0 || res.Written != artefact {
		t.Errorf("report: %+v", res)
	}
	if b, err := os.ReadFile(html); err != nil || !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "Out-of-time AUC") {
		t.Errorf("HTML report: %v", err)
	}

	// The artefact is a model kind: scored alone and in a combined model.
	model := filepath.Join(dir, "models.yaml")
	yaml := "name: learned\nkind: predictive\nartifact: model.json\n---\nname: fit\ncategories:\n  fit:\n    rules:\n      - {name: big, when: \"account.employees >= 100\", points: 50}\n---\nname: overall\nkind: combined\ncombine: {parts: {learned: 0.6, fit: 0.4}}\n"
	if err := os.WriteFile(model, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	text, code := runCmd(t, "score", "--model", model, "--leads", leads, "--events", events, "--as-of", "2026-10-15", "--lead", "L0000002", "--explain")
	if code != 0 || !strings.Contains(text, "\nlearned: ") || !strings.Contains(text, "predicted conversion probability") || !strings.Contains(text, "learned (weight 0.6") {
		t.Errorf("score with a predictive model exited %d:\n%s", code, text)
	}

	// A challenger that is not better leaves the current model alone.
	before, _ := os.ReadFile(artefact)
	out, code = runCmd(t, append(base, "--challenge", artefact, "-o", artefact, "--min-conversions", "10")...)
	after, _ := os.ReadFile(artefact)
	if code != 0 || !strings.Contains(out, "kept the current model") || string(before) != string(after) {
		t.Errorf("challenger exited %d, artefact changed: %v:\n%s", code, string(before) != string(after), out)
	}

	// Too few conversions: written, but marked and refused by score.
	thin, features := filepath.Join(dir, "thin.json"), filepath.Join(dir, "features.yaml")
	if err := os.WriteFile(features, []byte("drop: [converted_at, city]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = runCmd(t, append(base, "-o", thin, "--min-conversions", "100000", "--learner", "logistic", "--features", features)...)
	if code != 0 || !strings.Contains(out, "NOT ACTIVATABLE") || !strings.Contains(out, "dropped  lead.city") {
		t.Errorf("minimum-data guard and --features: exit %d:\n%s", code, out)
	}
	if err := os.WriteFile(model, []byte("name: learned\nkind: predictive\nartifact: thin.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, code := runCmd(t, "score", "--model", model, "--leads", leads, "--events", events, "--lead", "L0000002"); code != 2 {
		t.Errorf("scoring with a non-activatable model exited %d, want 2", code)
	}
}
