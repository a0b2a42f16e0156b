package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
)

// usersCLI runs the users verbs with stdin; it returns stdout and the exit
// code the binary would end with.
func usersCLI(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	var exit exitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String() + exit.msg, exit.code
	}
	return out.String() + err.Error(), 1
}

func TestUsersVerbs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, code := usersCLI(t, "a long password\n", "users", "add", "--data-dir", dir, "--email", "Ana@Example.com", "--role", "editor", "--password-stdin")
	if code != 0 {
		t.Fatalf("users add: %d %s", code, out)
	}
	out, code = usersCLI(t, "", "users", "add", "--data-dir", dir, "--email", "bo@example.com", "--role", "sales")
	if code != 0 || len(strings.TrimSpace(out)) != 20 {
		t.Fatalf("users add without a password prints a generated one: %d %q", code, out)
	}
	out, code = usersCLI(t, "short\n", "users", "add", "--data-dir", dir, "--email", "cy@example.com", "--role", "viewer", "--password-stdin")
	if code != 2 || !strings.Contains(out, "at least 10") {
		t.Errorf("a short password: %d %s", code, out)
	}
	out, code = usersCLI(t, "a long password\n", "users", "add", "--data-dir", dir, "--email", "ana@example.com", "--role", "viewer", "--password-stdin")
	if code != 2 || !strings.Contains(out, "already exists") {
		t.Errorf("a taken email: %d %s", code, out)
	}
	out, code = usersCLI(t, "", "users", "add", "--data-dir", dir, "--email", "dee@example.com", "--role", "boss")
	if code != 2 || !strings.Contains(out, `unknown role "boss"`) {
		t.Errorf("an unknown role: %d %s", code, out)
	}
	if _, code = usersCLI(t, "", "users", "disable", "--data-dir", dir, "BO@example.com"); code != 0 {
		t.Errorf("disable: %d", code)
	}
	if out, code = usersCLI(t, "", "users", "disable", "--data-dir", dir, "nobody@example.com"); code != 1 {
		t.Errorf("disable nobody: %d %s", code, out)
	}
	out, code = usersCLI(t, "", "users", "list", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("list: %d %s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "ana@example.com") || !strings.Contains(lines[1], "editor") ||
		!strings.Contains(lines[2], "bo@example.com") || !strings.Contains(lines[2], "disabled") {
		t.Errorf("users list:\n%s", out)
	}
}

func TestUsersTeams(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if out, code := usersCLI(t, "a long password\n", "users", "add", "--data-dir", dir, "--email", "rep@example.com", "--role", "sales",
		"--team", " emea ", "--password-stdin"); code != 0 {
		t.Fatalf("users add --team: %d %s", code, out)
	}
	if out, code := usersCLI(t, "a long password\n", "users", "add", "--data-dir", dir, "--email", "mo@example.com", "--role", "sales",
		"--password-stdin"); code != 0 {
		t.Fatalf("users add: %d %s", code, out)
	}
	teams := func() map[string]string {
		t.Helper()
		cfg := defaultConfig()
		cfg.DataDir = dir
		rt, err := openInstance(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer rt.close()
		users, err := rt.svc.Users(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, u := range users {
			out[u.Email] = u.Team + "/" + string(u.Role)
		}
		return out
	}
	if got := teams(); got["rep@example.com"] != "emea/sales" || got["mo@example.com"] != "/sales" {
		t.Errorf("after add: %v", got)
	}
	cases := []struct {
		args []string
		code int
		out  string
		want map[string]string
	}{
		{[]string{"MO@example.com", "--team", "EMEA"}, 0, "", map[string]string{"mo@example.com": "EMEA/sales"}},
		{[]string{"rep@example.com", "--team", ""}, 0, "", map[string]string{"rep@example.com": "/sales"}},
		{[]string{"rep@example.com", "--role", "viewer", "--name", "Rep"}, 0, "", map[string]string{"rep@example.com": "/viewer", "mo@example.com": "EMEA/sales"}},
		{[]string{"rep@example.com"}, 2, "nothing to change", nil},
		{[]string{"nobody@example.com", "--team", "x"}, 1, `no user with email "nobody@example.com"`, nil},
		{[]string{"mo@example.com", "--team", strings.Repeat("x", 65)}, 2, "at most 64", map[string]string{"mo@example.com": "EMEA/sales"}},
		{[]string{"mo@example.com", "--role", "boss"}, 2, `unknown role "boss"`, nil},
	}
	for _, tc := range cases {
		out, code := usersCLI(t, "", append([]string{"users", "edit", "--data-dir", dir}, tc.args...)...)
		if code != tc.code || !strings.Contains(out, tc.out) {
			t.Errorf("users edit %q: %d %q, want %d with %q", tc.args, code, out, tc.code, tc.out)
		}
		got := teams()
		for email, want := range tc.want {
			if got[email] != want {
				t.Errorf("users edit %q: %s is %q, want %q", tc.args, email, got[email], want)
			}
		}
	}
	out, code := usersCLI(t, "", "users", "list", "--data-dir", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.Contains(lines[0], "TEAM") || !strings.Contains(lines[1], "EMEA") {
		t.Errorf("users list with teams: %d\n%s", code, out)
	}
	out, code = usersCLI(t, "", "users", "list", "--data-dir", dir, "--json")
	if code != 0 || !strings.Contains(out, `"team": "EMEA"`) {
		t.Errorf("users list --json with teams: %d\n%s", code, out)
	}
}

func TestFirstStartAdmin(t *testing.T) {
	dir := t.TempDir()
	cfg := defaultConfig()
	cfg.DataDir = dir
	rt, err := openInstance(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.close()
	ctx := context.Background()
	var out bytes.Buffer
	if err := firstStartAdmin(ctx, rt.svc, &out); err != nil {
		t.Fatal(err)
	}
	var password string
	for _, l := range strings.Split(out.String(), "\n") {
		if p, ok := strings.CutPrefix(l, "web UI password: "); ok {
			password = p
		}
	}
	if password == "" || !strings.Contains(out.String(), "web UI user: admin@localhost") {
		t.Fatalf("first start printed:\n%s", out.String())
	}
	s, err := rt.svc.SignIn(ctx, "admin@localhost", password)
	if err != nil {
		t.Fatalf("the printed password does not sign in: %v", err)
	}
	who, err := rt.svc.SessionUser(ctx, s.Token, time.Hour)
	if err != nil || who.User.Role != leadscore.RoleAdmin {
		t.Errorf("the first user: %+v %v", who, err)
	}
	out.Reset()
	if err := firstStartAdmin(ctx, rt.svc, &out); err != nil || out.Len() != 0 {
		t.Errorf("a second start creates no admin: %v %q", err, out.String())
	}
}
