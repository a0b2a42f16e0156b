package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNodeSDK runs e2e/node's `node --test`, which sends identify, group,
// track and page calls through the official Segment Node SDK, then checks
// through the REST API that the lead, its account and its events arrived
// and were scored. In CI it must run; elsewhere it is skipped when the
// Node dependencies are not installed (npm ci in e2e/node installs them).
func TestNodeSDK(t *testing.T) {
	nodeDir := filepath.Join(repoRoot, "e2e", "node")
	_, statErr := os.Stat(filepath.Join(nodeDir, "node_modules", "@segment", "analytics-node"))
	node, pathErr := exec.LookPath("node")
	if statErr != nil || pathErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("in CI the Node test must run: node %v, node_modules %v (bash .ci/run runs npm ci in e2e/node)", pathErr, statErr)
		}
		t.Skip("e2e/node/node_modules is missing: run `npm ci` in e2e/node to run this test")
	}

	srv := startServer(t, nil, "--data-dir", filepath.Join(t.TempDir(), "data"), "--addr", "127.0.0.1:0",
		"--model", filepath.Join(repoRoot, "examples", "b2b-saas.yaml"))
	const (
		userID  = "node-user-1"
		groupID = "node-example-corp"
		email   = "ada@node-example-corp.com"
	)
	cmd := exec.Command(node, "--test", "segment.test.mjs")
	cmd.Dir = nodeDir
	cmd.Env = append(cleanEnv(),
		"LEADSCORE_URL="+srv.URL, "LEADSCORE_WRITE_KEY="+srv.WriteKey,
		"LEADSCORE_USER_ID="+userID, "LEADSCORE_GROUP_ID="+groupID, "LEADSCORE_EMAIL="+email)
	done := make(chan error, 1)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("node --test failed: %v\n%s\nserver log:\n%s", err, out.String(), srv.logs())
		}
	case <-time.After(startupBound):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("node --test did not finish within %s:\n%s", startupBound, out.String())
	}
	t.Logf("node --test:\n%s", out.String())

	ctx := context.Background()
	c := srv.client()
	view, err := c.GetLead(ctx, userID)
	if err != nil {
		t.Fatalf("the lead the Node SDK identified: %v", err)
	}
	if view.Lead.Email != email || view.Lead.Title != "VP Engineering" || view.Lead.FirstName != "Ada" {
		t.Errorf("lead from identify: %+v", view.Lead)
	}
	if view.Lead.AccountID != groupID || view.Account == nil || view.Account.Name != "Node Example Corp" ||
		view.Account.Employees == nil || *view.Account.Employees != 1200 {
		t.Errorf("account from group: lead.account_id %q, account %+v", view.Lead.AccountID, view.Account)
	}
	if byEmail, err := c.GetLead(ctx, email); err != nil || byEmail.Lead.ID != userID {
		t.Errorf("the lead by its email: %v %v", byEmail, err)
	}
	evs, err := c.LeadEvents(ctx, userID, 100)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, e := range evs {
		types[e.Type]++
		if e.Type == "page.viewed" && e.Properties["path"] != "/pricing" {
			t.Errorf("page view properties: %v", e.Properties)
		}
	}
	if types["demo.requested"] != 1 || types["page.viewed"] != 1 || len(evs) != 2 {
		t.Errorf("events %v, want one demo.requested and one page.viewed", types)
	}
	var scored bool
	for _, s := range view.Scores {
		if s.Model != "b2b-saas" {
			continue
		}
		scored = true
		// A demo request (25 points) and a senior title (15) at a 1,200
		// person company: the score is well above zero and names them.
		if s.Score < 40 || s.Evaluation == nil {
			t.Errorf("b2b-saas score %v with evaluation %v", s.Score, s.Evaluation != nil)
		}
	}
	if !scored {
		t.Errorf("no b2b-saas score: %+v", view.Scores)
	}
	checkStoredScores(t, c, []string{userID})
}
