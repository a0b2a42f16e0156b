package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportInBrowser builds a calibration report with the real binary
// from generated leads with outcomes, then opens it in headless Chromium:
// the four charts must render as sized SVG with no console errors.
func TestReportInBrowser(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := run(t, "generate", "--leads", "1500", "--seed", "5", "--out", dir, "--no-progress"); err != nil {
		t.Fatalf("generate: %v\n%s", err, stderr)
	}
	page := filepath.Join(dir, "report.html")
	stdout, stderr, err := run(t, "report", "--model", filepath.Join(repoRoot, "examples", "b2b-saas.yaml"),
		"--leads", filepath.Join(dir, "leads.csv"), "--events", filepath.Join(dir, "events.jsonl"),
		"--as-of", "2026-11-01", "--html", page)
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "ROC AUC") || !strings.Contains(stdout, "wrote "+page) {
		t.Errorf("report summary:\n%s", stdout)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), "<script") {
		t.Error("the report has a script; it must work without JavaScript")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/report.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(html)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	out := runBrowserCheck(t, "report.browser.mjs", "LEADSCORE_URL="+srv.URL+"/report.html")
	if !strings.Contains(out, "pass 2") || !strings.Contains(out, "fail 0") {
		t.Errorf("node --test output does not report the check as passed:\n%s", out)
	}
}
