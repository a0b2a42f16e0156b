package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadscore/leadscore/modelfile"
)

// The analytics verbs on generated leads with outcomes, end to end through
// the command line.
func TestAnalyticsCommands(t *testing.T) {
	dir := t.TempDir()
	if _, code := runCmd(t, "generate", "--leads", "400", "--events-per-lead", "10", "--seed", "4", "--out", dir, "--no-progress"); code != 0 {
		t.Fatalf("generate exited %d", code)
	}
	model := filepath.Join("..", "..", "examples", "b2b-saas.yaml")
	data := []string{"--leads", filepath.Join(dir, "leads.csv"), "--events", filepath.Join(dir, "events.jsonl")}
	args := func(verb string, more ...string) []string {
		return append(append([]string{verb, "--model", model, "--as-of", "2026-11-01"}, data...), more...)
	}

	page := filepath.Join(dir, "report.html")
	out, code := runCmd(t, args("report", "--html", page, "--charts", filepath.Join(dir, "charts"))...)
	if code != 0 || !strings.Contains(out, "400 leads, 400 with an outcome") || !strings.Contains(out, "ROC AUC") {
		t.Fatalf("report exited %d:\n%s", code, out)
	}
	html, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(html), `<svg id="chart-roc"`) {
		t.Errorf("report.html: %v", err)
	}
	for _, c := range []string{"histogram", "bands", "roc", "gains"} {
		if _, err := os.Stat(filepath.Join(dir, "charts", c+".svg")); err != nil {
			t.Error(err)
		}
	}
	out, code = runCmd(t, args("report", "--json")...)
	var rep struct {
		Leads int     `json:"leads"`
		AUC   float64 `json:"auc"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Leads != 400 || rep.AUC <= 0.5 {
		t.Errorf("report --json exited %d: %+v", code, rep)
	}

	out, code = runCmd(t, args("advise", "--capacity", "5")...)
	if code != 0 || !strings.Contains(out, "suggested MQL threshold for at most 5 MQLs per week") || !strings.Contains(out, "<- suggested") {
		t.Errorf("advise exited %d:\n%s", code, out)
	}

	draft := filepath.Join(dir, "draft.yaml")
	out, code = runCmd(t, args("lift", "--suggest", draft)...)
	if code != 0 || !strings.Contains(out, "demo-request") || !strings.Contains(out, "wrote "+draft) {
		t.Errorf("lift exited %d:\n%s", code, out)
	}
	res, err := modelfile.Load(draft)
	if err != nil || res.HasErrors() {
		t.Fatalf("the draft does not validate: %v %v", err, res.Errors())
	}

	out, code = runCmd(t, append(append([]string{"backtest", "--model", draft, "--against", model}, data...),
		"--from", "2026-09-01", "--to", "2026-11-01", "--json", "--mqls", filepath.Join(dir, "mqls.csv"))...)
	var bt struct {
		Model   string `json:"model"`
		Against string `json:"against"`
		Periods []struct {
			Evaluated int `json:"evaluated"`
		} `json:"periods"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &bt) != nil || bt.Model != "b2b-saas@draft" || bt.Against != "b2b-saas" || len(bt.Periods) != 9 {
		t.Errorf("backtest exited %d: %+v\n%s", code, bt, out)
	}
	mqls, err := os.ReadFile(filepath.Join(dir, "mqls.csv"))
	if err != nil || !strings.HasPrefix(string(mqls), "lead_id,line,first_mql,final_score,against_first_mql,against_final_score,converted\n") ||
		strings.Count(string(mqls), "\n") < 2 {
		t.Errorf("mqls.csv: %v\n%.300s", err, mqls)
	}
}

func TestAnalyticsUsageErrors(t *testing.T) {
	model := filepath.Join("..", "..", "analytics", "testdata", "planted.yaml")
	leads := filepath.Join("..", "..", "analytics", "testdata", "leads.csv")
	cases := [][]string{
		{"report", "--leads", leads},
		{"report", "--model", model},
		{"report", "--model", model, "--leads", leads, "--outcome-column", "nope"},
		{"report", "--model", model, "--leads", leads, "--horizon", "14d"},
		{"report", "--model", model, "--leads", leads, "--horizon", "soon", "--outcome-date-column", "converted_at"},
		{"report", "--model", model, "--leads", "missing.csv"},
		{"advise", "--model", model, "--leads", leads},
		{"advise", "--model", model, "--leads", leads, "--capacity", "5", "--best-f1"},
		{"advise", "--model", model, "--leads", leads, "--min-rate", "2"},
		{"lift", "--model", model, "--model", model, "--leads", leads, "--suggest", "x.yaml"},
		{"backtest", "--model", model, "--leads", leads},
		{"backtest", "--model", model, "--leads", leads, "--from", "2026-10-01", "--to", "2026-09-01"},
		{"backtest", "--model", model, "--leads", leads, "--from", "2026-09-01", "--to", "2026-10-01", "--every", "0d"},
	}
	for _, c := range cases {
		if out, code := runCmd(t, c...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)\n%s", c, code, out)
		}
	}
}
