package e2e

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A HubSpot contacts export as it comes, with one row that names nobody.
const hubspotCSV = `Record ID,First Name,Last Name,Email,Job Title,Company Name,Company Domain Name,Number of Employees,Industry
101,Grace,Hopper,grace@cobol-systems.com,VP Engineering,Cobol Systems,cobol-systems.com,2500,Software
102,Alan,Turing,alan@cobol-systems.com,Engineer,Cobol Systems,cobol-systems.com,2500,Software
,,,,Intern,,,,
104,Ada,Lovelace,ada@engines.io,Head of Marketing,Engines,engines.io,40,Internet
`

func events(now time.Time) string {
	at := now.Add(-time.Hour).Format(time.RFC3339)
	return `{"id":"imp-1","lead_id":"101","type":"demo.requested","timestamp":"` + at + `"}
{"id":"imp-2","email":"ADA@engines.io","type":"page.viewed","timestamp":"` + at + `","properties":{"path":"/pricing"}}
not json at all
{"id":"imp-3","lead_id":"102","type":"webinar.attended","timestamp":"` + at + `"}
`
}

// TestImportExportKeys drives import, export and keys as a person would:
// against a running server, then against its data directory once it has
// stopped.
func TestImportExportKeys(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	model := filepath.Join(repoRoot, "examples", "b2b-saas.yaml")
	srv := startServer(t, nil, "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--model", model)
	remote := []string{"--server", srv.URL, "--key", srv.AdminKey, "--no-progress"}
	leadsFile := writeFile(t, dir, "contacts.csv", hubspotCSV)
	eventsFile := writeFile(t, dir, "events.jsonl", events(time.Now().UTC()))

	_, stderr, err := run(t, append([]string{"import", leadsFile}, remote...)...)
	if err != nil {
		t.Fatalf("import leads: %v\n%s", err, stderr)
	}
	for _, want := range []string{"line 4:", "leads: 4 read, 3 stored, 0 rejected, 1 bad rows skipped"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("import leads: no %q in:\n%s", want, stderr)
		}
	}
	_, stderr, err = run(t, append([]string{"import", eventsFile}, remote...)...)
	if err != nil {
		t.Fatalf("import events: %v\n%s", err, stderr)
	}
	for _, want := range []string{"line 3: not a JSON object", "events: 4 read, 3 stored, 0 already there, 0 rejected, 1 bad rows skipped"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("import events: no %q in:\n%s", want, stderr)
		}
	}
	_, stderr, err = run(t, append([]string{"import", eventsFile}, remote...)...)
	if err != nil || !strings.Contains(stderr, "events: 4 read, 0 stored, 3 already there") {
		t.Errorf("importing the same events again stores nothing new: %v\n%s", err, stderr)
	}

	ctx := context.Background()
	c := srv.client()
	ada, err := c.GetLead(ctx, "104")
	if err != nil {
		t.Fatal(err)
	}
	if ada.Lead.Email != "ada@engines.io" || ada.Account == nil || ada.Account.Domain != "engines.io" {
		t.Errorf("imported lead %+v, account %+v", ada.Lead, ada.Account)
	}
	if evs, err := c.LeadEvents(ctx, "104", 10); err != nil || len(evs) != 1 || evs[0].Type != "page.viewed" {
		t.Errorf("the event keyed by email belongs to lead 104: %+v %v", evs, err)
	}

	// A read key made with `keys create` exports through the server.
	out, stderr, err := run(t, "keys", "create", "--name", "exporter", "--scope", "read", "--server", srv.URL, "--key", srv.AdminKey)
	if err != nil {
		t.Fatalf("keys create: %v\n%s", err, stderr)
	}
	readKey := strings.TrimSpace(out)
	if !strings.HasPrefix(readKey, "lsk_") || strings.Contains(readKey, "\n") {
		t.Fatalf("keys create printed %q on stdout, want the secret alone", out)
	}
	exported := filepath.Join(dir, "leads.csv")
	_, stderr, err = run(t, "export", "--server", srv.URL, "--key", readKey, "--model", "b2b-saas", "--out", exported, "--no-progress")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	rows := readCSV(t, exported)
	if len(rows) != 3 {
		t.Fatalf("exported %d leads, want 3: %v", len(rows), rows)
	}
	for _, r := range rows {
		view, err := c.GetLead(ctx, r["id"])
		if err != nil {
			t.Fatal(err)
		}
		var stored *leadscore.ScoreRecord
		for i := range view.Scores {
			if view.Scores[i].Model == "b2b-saas" {
				stored = &view.Scores[i]
			}
		}
		if stored == nil {
			t.Fatalf("lead %s has no b2b-saas score", r["id"])
		}
		if r["b2b-saas.score"] != strconv.FormatFloat(stored.Score, 'f', -1, 64) || r["b2b-saas.band"] != stored.Band ||
			r["b2b-saas.qualified"] != strconv.FormatBool(stored.Qualified) || r["b2b-saas.display"] != strconv.FormatInt(stored.Display, 10) {
			t.Errorf("exported row %v, stored score %+v", r, stored)
		}
	}

	// Keys: list shows the first-start keys and the new one; a revoked
	// key stops working at once.
	out, stderr, err = run(t, "keys", "list", "--server", srv.URL, "--key", srv.AdminKey)
	if err != nil {
		t.Fatalf("keys list: %v\n%s", err, stderr)
	}
	var exporterID string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "exporter" {
			exporterID = f[0]
		}
	}
	if exporterID == "" || !strings.Contains(out, "admin") || !strings.Contains(out, "ingest") {
		t.Fatalf("keys list:\n%s", out)
	}
	if _, stderr, err := run(t, "keys", "revoke", exporterID, "--server", srv.URL, "--key", srv.AdminKey); err != nil {
		t.Fatalf("keys revoke: %v\n%s", err, stderr)
	}
	_, stderr, err = run(t, "export", "--server", srv.URL, "--key", readKey, "--no-progress")
	if err == nil || !strings.Contains(stderr, "HTTP 401") {
		t.Errorf("export with a revoked key: %v\n%s", err, stderr)
	}

	if err := srv.stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, srv.logs())
	}

	// The same verbs work on the data directory in-process.
	out, stderr, err = run(t, "keys", "list", "--data-dir", dataDir)
	if err != nil || !strings.Contains(out, "revoked") || !strings.Contains(out, exporterID) {
		t.Errorf("keys list on the data directory: %v\n%s%s", err, out, stderr)
	}
	more := writeFile(t, dir, "more.csv", "email,title\nlinus@kernel-works.org,Director of Engineering\n")
	if _, stderr, err := run(t, "import", more, "--data-dir", dataDir, "--no-progress"); err != nil || !strings.Contains(stderr, "1 stored") {
		t.Errorf("import into the data directory: %v\n%s", err, stderr)
	}
	out, stderr, err = run(t, "export", "--data-dir", dataDir, "--no-progress")
	if err != nil {
		t.Fatalf("export from the data directory: %v\n%s", err, stderr)
	}
	all := parseCSV(t, out)
	if len(all) != 4 {
		t.Errorf("exported %d leads from the data directory, want 4", len(all))
	}
	if _, stderr, err := run(t, "export", "--data-dir", filepath.Join(dir, "nowhere")); exitCode(err) != 2 || !strings.Contains(stderr, "no database") {
		t.Errorf("export from a missing data directory: %v %s", err, stderr)
	}

	// A restart prints no new keys: the first-start keys are still there.
	srv2 := startServer(t, srv, "--data-dir", dataDir, "--addr", "127.0.0.1:0")
	if _, err := srv2.client().GetLead(ctx, "linus@kernel-works.org"); err != nil {
		t.Errorf("the lead imported in-process, through the restarted server: %v", err)
	}
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseCSV(t, string(data))
}

func parseCSV(t *testing.T, data string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("CSV: %v\n%s", err, data)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestPrintConfig checks the layering and the masking through the binary:
// the environment and a config file, with a flag on top.
func TestPrintConfig(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "leadscore.yaml", "addr: 127.0.0.1:9999\nmodel: [a.yaml]\nlog_format: json\n")
	cmd := exec.Command(bin, "serve", "--config", file, "--log-format", "text", "--print-config")
	cmd.Env = append(cleanEnv(), "LEADSCORE_DB=postgres://ls:hunter2@db.internal:5432/leadscore")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := string(out)
	if strings.Contains(s, "hunter2") {
		t.Fatalf("the password was printed:\n%s", s)
	}
	for _, want := range []string{
		"db: postgres://ls:xxxxx@db.internal:5432/leadscore  # env LEADSCORE_DB",
		"addr: 127.0.0.1:9999  # file",
		"log_format: text  # flag --log-format",
		"model: [a.yaml]  # file",
		"data_dir: leadscore-data  # default",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in:\n%s", want, s)
		}
	}
}
