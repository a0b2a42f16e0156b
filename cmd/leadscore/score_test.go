package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs a root command with args and returns stdout and the exit
// code main would use.
func runCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	code := 0
	if err != nil {
		var exit exitError
		if !errors.As(err, &exit) {
			t.Fatalf("%v: error %v is not an exitError", args, err)
		}
		code = exit.code
	}
	return out.String(), code
}

func TestScoreCommand(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join("..", "..", "batch", "testdata", "model.yaml")
	if _, code := runCmd(t, "generate", "--leads", "60", "--events-per-lead", "8", "--seed", "3", "--out", dir, "--no-progress"); code != 0 {
		t.Fatalf("generate exited %d", code)
	}
	leads, events := filepath.Join(dir, "leads.csv"), filepath.Join(dir, "events.jsonl")
	out := filepath.Join(dir, "scores.csv")

	if _, code := runCmd(t, "score", "--model", model, "--leads", leads, "--events", events, "--as-of", "2026-11-01", "--out", out, "--no-progress"); code != 0 {
		t.Fatalf("score exited %d", code)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(data), "\n"); lines != 61 || !strings.HasPrefix(string(data), "lead_id,email,account_id,b2b.score,") {
		t.Errorf("scores.csv has %d lines and starts %q", lines, string(data[:min(len(data), 60)]))
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".scores.csv.tmp-*")); len(matches) != 0 {
		t.Errorf("temporary output left behind: %v", matches)
	}

	text, code := runCmd(t, "score", "--model", model, "--leads", leads, "--events", events, "--as-of", "2026-11-01", "--lead", "L0000002", "--explain")
	if code != 0 || !strings.HasPrefix(text, "L0000002 <") || !strings.Contains(text, "\nb2b: ") {
		t.Errorf("--lead exited %d with:\n%s", code, text)
	}

	usage := [][]string{
		{"score", "--leads", leads},
		{"score", "--model", model},
		{"score", "--model", model, "--leads", leads, "--as-of", "someday"},
		{"score", "--model", model, "--leads", leads, "--format", "xml"},
		{"score", "--model", model, "--leads", filepath.Join(dir, "missing.csv")},
		{"score", "--model", model, "--leads", filepath.Join(dir, "leads.xlsx")},
		{"generate", "--leads", "10"},
		{"generate", "--leads", "10", "--out", dir, "--start", "2026-12-01", "--end", "2026-11-01"},
	}
	for _, args := range usage {
		if _, code := runCmd(t, args...); code != 2 {
			t.Errorf("%v exited %d, want 2", args, code)
		}
	}

	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("id,created_at\n1,never\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, code := runCmd(t, "score", "--model", model, "--leads", bad, "--out", filepath.Join(dir, "none.csv")); code != 1 {
		t.Errorf("nothing scored exited %d, want 1", code)
	}
	if _, code := runCmd(t, "score", "--model", model, "--leads", leads, "--lead", "nobody"); code != 1 {
		t.Errorf("unknown --lead exited %d, want 1", code)
	}
}
