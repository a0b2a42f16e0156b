package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadscore/leadscore"
)

// usersAdd runs `leadscore users add` with the password on stdin.
func usersAdd(t *testing.T, dataDir, email, role, password string) {
	t.Helper()
	cmd := exec.Command(bin, "users", "add", "--data-dir", dataDir, "--email", email, "--role", role, "--password-stdin")
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(password + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("users add %s: %v\n%s", email, err, out.String())
	}
}

// uiServer prepares a data directory with users, starts the real binary
// with the example model, and imports generated demo leads and events.
func uiServer(t *testing.T) (*server, string) {
	t.Helper()
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	usersAdd(t, dataDir, "admin@example.com", "admin", "browser-check-password")
	usersAdd(t, dataDir, "rep@example.com", "sales", "browser-check-password")
	model := filepath.Join(repoRoot, "examples", "b2b-saas.yaml")
	srv := startServer(t, nil, "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--model", model)
	demo := filepath.Join(dir, "demo")
	if _, stderr, err := run(t, "generate", "--leads", "300", "--seed", "7", "--out", demo, "--no-progress"); err != nil {
		t.Fatalf("generate: %v\n%s", err, stderr)
	}
	for _, f := range []string{"leads.csv", "events.jsonl"} {
		if _, stderr, err := run(t, "import", filepath.Join(demo, f), "--server", srv.URL, "--key", srv.AdminKey, "--no-progress"); err != nil {
			t.Fatalf("import %s: %v\n%s", f, err, stderr)
		}
	}
	rows, _, err := srv.client().ListLeads(context.Background(), leadscore.LeadFilter{Model: "b2b-saas", Limit: 1})
	if err != nil || len(rows) == 0 {
		t.Fatalf("no scored lead after the import: %v", err)
	}
	return srv, rows[0].Lead.ID
}

// TestWebUIServed checks the UI is mounted beside the API in the real
// binary: pages at /, the API still at /api/v1, a first admin's password
// not printed when users exist.
func TestWebUIServed(t *testing.T) {
	srv, top := uiServer(t)
	if strings.Contains(srv.logs(), "web UI password") {
		t.Errorf("a first admin was created although users exist")
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(srv.URL + "/leads/" + top)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/signin" || !strings.Contains(string(body), `name="password"`) {
		t.Fatalf("a signed-out visitor is not sent to the sign-in page: %s", resp.Request.URL)
	}
	resp, err = hc.PostForm(srv.URL+"/signin", url.Values{"email": {"admin@example.com"}, "password": {"browser-check-password"}, "next": {"/leads/" + top}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<svg") {
		t.Fatalf("the lead page after sign-in: %d\n%.2000s", resp.StatusCode, body)
	}
	if _, err := srv.client().GetLead(context.Background(), top); err != nil {
		t.Errorf("the API beside the UI: %v", err)
	}
}

// TestWebUIBrowser drives the UI in headless Chromium.
func TestWebUIBrowser(t *testing.T) {
	srv, top := uiServer(t)
	out := runBrowserCheck(t, "ui.browser.mjs", "LEADSCORE_URL="+srv.URL, "LEADSCORE_UI_EMAIL=admin@example.com",
		"LEADSCORE_UI_PASSWORD=browser-check-password", "LEADSCORE_UI_LEAD="+top)
	if !strings.Contains(out, "fail 0") {
		t.Errorf("browser check output:\n%s", out)
	}
}
