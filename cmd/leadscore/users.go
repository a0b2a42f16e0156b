package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/webui"
)

// usersKeys are the configuration keys of the users verbs: users live in
// the database, so the verbs work in-process only.
var usersKeys = []string{"data_dir", "db", "log_level", "log_format"}

func newUsersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Add, list, edit, disable and enable the people who sign in to the web UI",
		Long: `users manages web UI accounts in a data directory or database (--db).

Roles: admin (everything: users, API keys, settings), editor (models:
edit, validate, activate), viewer (reads leads, accounts and models) and
sales (works the leads owned by them or anyone in their team). A lead's
owner names a user by the user's id, email or name, or by the routing
file's owner name whose email is the user's. Teams are set with --team
on add and edit; a user with no team works only their own leads.
Passwords are stored as bcrypt hashes. On its first start, serve creates
an admin user and prints its password once.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newUsersAddCmd(), newUsersListCmd(), newUsersEditCmd(), newUsersSetDisabledCmd(true), newUsersSetDisabledCmd(false))
	return cmd
}

// openUsers opens the database in-process. Unlike other verbs it may
// create a data directory, so that accounts can be prepared before the
// first start of serve.
func openUsers(ctx context.Context, cf *configFlags) (*instance, error) {
	cfg, err := cf.load(os.LookupEnv)
	if err != nil {
		return nil, exitError{code: 2, msg: "leadscore users: " + err.Error()}
	}
	return openInstance(ctx, cfg, cfg.verbLogger(os.Stderr))
}

func usersError(err error) error {
	switch leadscore.CodeOf(err) {
	case leadscore.CodeInvalid, leadscore.CodeConflict:
		return exitError{code: 2, msg: "leadscore users: " + err.Error()}
	case leadscore.CodeNotFound:
		return exitError{code: 1, msg: "leadscore users: " + err.Error()}
	}
	return err
}

func newUsersAddCmd() *cobra.Command {
	var (
		email, name, role, team string
		passwordStdin           bool
	)
	cmd := &cobra.Command{
		Use:   "add --email EMAIL --role admin|editor|viewer|sales [--team TEAM] [--password-stdin]",
		Short: "Add a user; without --password-stdin a password is generated and printed once",
		Example: `  leadscore users add --email ana@example.com --role editor
  printf '%s' "$PASSWORD" | leadscore users add --email rep@example.com --role sales --team emea --password-stdin`,
		Args: cobra.NoArgs,
	}
	cf := bindConfigFlags(cmd.Flags(), usersKeys...)
	cmd.Flags().StringVar(&email, "email", "", "email the user signs in with (required)")
	cmd.Flags().StringVar(&name, "name", "", "the user's name")
	cmd.Flags().StringVar(&role, "role", "", "admin, editor, viewer or sales (required)")
	cmd.Flags().StringVar(&team, "team", "", "the sales team the user works in (a sales rep works the team's leads)")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of stdin")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if email == "" || role == "" {
			return exitError{code: 2, msg: "leadscore users add: --email and --role are required"}
		}
		password, generated := "", false
		if passwordStdin {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			if err != nil && err != io.EOF {
				return err
			}
			password = strings.TrimRight(line, "\r\n")
		} else {
			var err error
			if password, err = newPassword(); err != nil {
				return err
			}
			generated = true
		}
		rt, err := openUsers(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer rt.close()
		u, err := rt.svc.CreateUser(cmd.Context(), leadscore.NewUser{Email: email, Name: name, Role: leadscore.Role(role), Team: team, Password: password})
		if err != nil {
			return usersError(err)
		}
		if generated {
			fmt.Fprintln(cmd.OutOrStdout(), password)
			fmt.Fprintf(os.Stderr, "added %s (%s, %s); the password above is shown only this once\n", u.Email, u.Role, u.ID)
		} else {
			fmt.Fprintf(os.Stderr, "added %s (%s, %s)\n", u.Email, u.Role, u.ID)
		}
		return nil
	}
	return cmd
}

func newUsersListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "list", Short: "List users", Args: cobra.NoArgs}
	cf := bindConfigFlags(cmd.Flags(), usersKeys...)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the users as JSON")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		rt, err := openUsers(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer rt.close()
		users, err := rt.svc.Users(cmd.Context())
		if err != nil {
			return usersError(err)
		}
		if asJSON {
			if users == nil {
				users = []leadscore.User{}
			}
			return writeJSONOut(cmd.OutOrStdout(), users)
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tTEAM\tCREATED\tSTATUS")
		for _, u := range users {
			status := "active"
			if u.DisabledAt != nil {
				status = "disabled " + u.DisabledAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, u.Team, u.CreatedAt.UTC().Format(time.RFC3339), status)
		}
		return tw.Flush()
	}
	return cmd
}

// newUsersSetDisabledCmd is `users disable EMAIL` or `users enable EMAIL`.
// Disabling ends the user's sessions at once.
func newUsersSetDisabledCmd(disable bool) *cobra.Command {
	verb, short := "enable", "Let a disabled user sign in again"
	if disable {
		verb, short = "disable", "Stop a user from signing in and end their sessions"
	}
	cmd := &cobra.Command{Use: verb + " EMAIL", Short: short, Args: cobra.ExactArgs(1)}
	cf := bindConfigFlags(cmd.Flags(), usersKeys...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		rt, err := openUsers(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer rt.close()
		u, err := userByEmail(cmd.Context(), rt.svc, verb, args[0])
		if err != nil {
			return err
		}
		if _, err := rt.svc.UpdateUser(cmd.Context(), u.ID, leadscore.UserChange{Disabled: &disable}); err != nil {
			return usersError(err)
		}
		fmt.Fprintf(os.Stderr, "%sd %s\n", verb, u.Email)
		return nil
	}
	return cmd
}

// userByEmail finds the user a users verb names, or fails with exit code 1.
func userByEmail(ctx context.Context, svc leadscore.Service, verb, email string) (*leadscore.User, error) {
	users, err := svc.Users(ctx)
	if err != nil {
		return nil, usersError(err)
	}
	e := strings.ToLower(strings.TrimSpace(email))
	for i := range users {
		if users[i].Email == e {
			return &users[i], nil
		}
	}
	return nil, exitError{code: 1, msg: fmt.Sprintf("leadscore users %s: no user with email %q", verb, email)}
}

// newUsersEditCmd is `users edit EMAIL` with the fields to change: only
// the flags given change anything, and --team "" takes the user out of
// their team. A new role ends the user's sessions; a new team or name
// holds from their next page.
func newUsersEditCmd() *cobra.Command {
	var name, role, team string
	cmd := &cobra.Command{
		Use:   "edit EMAIL [--team TEAM] [--role ROLE] [--name NAME]",
		Short: "Change a user's team, role or name",
		Example: `  leadscore users edit rep@example.com --team emea
  leadscore users edit rep@example.com --team ""      # no team: their own leads only`,
		Args: cobra.ExactArgs(1),
	}
	cf := bindConfigFlags(cmd.Flags(), usersKeys...)
	cmd.Flags().StringVar(&team, "team", "", `the user's sales team ("" for none)`)
	cmd.Flags().StringVar(&role, "role", "", "admin, editor, viewer or sales")
	cmd.Flags().StringVar(&name, "name", "", "the user's name")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var ch leadscore.UserChange
		if cmd.Flags().Changed("team") {
			ch.Team = &team
		}
		if cmd.Flags().Changed("role") {
			r := leadscore.Role(role)
			ch.Role = &r
		}
		if cmd.Flags().Changed("name") {
			ch.Name = &name
		}
		if ch.Team == nil && ch.Role == nil && ch.Name == nil {
			return exitError{code: 2, msg: "leadscore users edit: nothing to change (use --team, --role or --name)"}
		}
		rt, err := openUsers(cmd.Context(), cf)
		if err != nil {
			return err
		}
		defer rt.close()
		u, err := userByEmail(cmd.Context(), rt.svc, "edit", args[0])
		if err != nil {
			return err
		}
		if u, err = rt.svc.UpdateUser(cmd.Context(), u.ID, ch); err != nil {
			return usersError(err)
		}
		inTeam := "no team"
		if u.Team != "" {
			inTeam = "team " + u.Team
		}
		fmt.Fprintf(os.Stderr, "changed %s (%s, %s)\n", u.Email, u.Role, inTeam)
		return nil
	}
	return cmd
}

// newPassword makes a password nobody chose: 20 base32 characters, 100
// random bits.
func newPassword() (string, error) {
	var b [13]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))[:20], nil
}

// firstAdminEmail is the first admin's email when serve creates one.
const firstAdminEmail = "admin@localhost"

// firstStartAdmin creates an admin user when the database has no user at
// all, and prints the password once: only its hash is stored.
func firstStartAdmin(ctx context.Context, svc leadscore.Service, w io.Writer) error {
	users, err := svc.Users(ctx)
	if err != nil || len(users) > 0 {
		return err
	}
	password, err := newPassword()
	if err != nil {
		return err
	}
	if _, err := svc.CreateUser(ctx, leadscore.NewUser{Email: firstAdminEmail, Name: "Admin", Role: leadscore.RoleAdmin, Password: password}); err != nil {
		return err
	}
	fmt.Fprintln(w, "First start: created the web UI's admin user. The password is shown only this once.")
	fmt.Fprintf(w, "web UI user: %s\n", firstAdminEmail)
	fmt.Fprintf(w, "web UI password: %s\n", password)
	fmt.Fprintln(w, "  (more users: leadscore users add --email EMAIL --role admin|editor|viewer|sales)")
	return nil
}

// withWebUI serves the web UI at / beside the API: /api/, /v1/ and the
// operational endpoints stay the API's.
func withWebUI(api http.Handler, svc leadscore.Service, log *slog.Logger) (http.Handler, error) {
	ui, err := webui.New(webui.Config{Service: svc, Logger: log, Clock: time.Now})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", "/v1/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, api)
	}
	mux.Handle("/", ui)
	return mux, nil
}
