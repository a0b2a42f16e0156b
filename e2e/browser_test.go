package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium, which bash .ci/run installs; the
// browser checks never download a browser of their own.
const chromiumPath = "/usr/bin/chromium"

// runBrowserCheck runs one e2e/node/browser/*.browser.mjs script with
// `node --test` in real headless Chromium, with env added to its
// environment (LEADSCORE_URL and the like). Screenshots go to
// e2e/artifacts. In CI the check must run; elsewhere it is skipped when
// Node, playwright-core or Chromium is missing.
func runBrowserCheck(t *testing.T, script string, env ...string) string {
	t.Helper()
	nodeDir := filepath.Join(repoRoot, "e2e", "node")
	_, modErr := os.Stat(filepath.Join(nodeDir, "node_modules", "playwright-core"))
	_, chromeErr := os.Stat(chromiumPath)
	node, pathErr := exec.LookPath("node")
	if modErr != nil || chromeErr != nil || pathErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("in CI the browser checks must run: node %v, playwright-core %v, chromium %v (bash .ci/run installs them)", pathErr, modErr, chromeErr)
		}
		t.Skip("browser checks need node, `npm ci` in e2e/node and Debian's chromium")
	}
	artifacts := filepath.Join(repoRoot, "e2e", "artifacts")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", filepath.Join("browser", script))
	cmd.Dir = nodeDir
	cmd.Env = append(cleanEnv(), append([]string{"LEADSCORE_CHROMIUM=" + chromiumPath, "LEADSCORE_ARTIFACTS=" + artifacts}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser check %s failed: %v\n%s", script, err, out)
	}
	return string(out)
}

// TestBrowserHarness proves the harness can fail: a page with a deliberate
// script error must be reported, and an inaccessible page must fail the
// accessibility check; a clean page must pass both.
func TestBrowserHarness(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>ok</title><main><h1>ready</h1></main></html>`)
	})
	mux.HandleFunc("/inaccessible", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>bad</title><main><a href="/ok"><img src="/favicon.ico"></a></main></html>`)
	})
	// Chromium asks every site for a favicon; a 404 would be a console error.
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>broken</title><body><script>
setTimeout(() => { document.body.dataset.done = '1'; }, 10);
throw new Error('deliberate failure');
</script></body>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	out := runBrowserCheck(t, "smoke.browser.mjs", "LEADSCORE_URL="+srv.URL)
	if !strings.Contains(out, "pass 1") {
		t.Errorf("node --test output does not report the check as passed:\n%s", out)
	}
}
