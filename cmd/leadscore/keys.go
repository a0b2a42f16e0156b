package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadscore/leadscore"
)

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys",
		Long: `keys manages API keys, in a data directory (in-process) or on a running server
(--server URL --key KEY, with an admin key).

Scopes: write keys only ingest events (use one as the Segment write key: it
can read nothing, so it is safe in a web page); read keys read leads, scores
and models; admin keys do everything, including managing models and keys.
A key's secret is shown once, when it is created; only its hash is stored.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newKeysCreateCmd(), newKeysListCmd(), newKeysRevokeCmd())
	return cmd
}

func newKeysCreateCmd() *cobra.Command {
	var (
		name   string
		scopes []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "create --name NAME --scope write|read|admin",
		Short: "Create a key and print its secret (shown only this once)",
		Long: `create makes a key and prints its secret alone on stdout, so that a script can
capture it: KEY=$(leadscore keys create --name web --scope write). The key's
id and scopes go to stderr. For write keys the name is the source recorded
with every event the key sends.`,
		Example: "  leadscore keys create --name website --scope write\n  leadscore keys create --name crm-sync --scope read --server http://127.0.0.1:8080 --key $ADMIN_KEY",
		Args:    cobra.NoArgs,
	}
	cf := bindConfigFlags(cmd.Flags(), targetKeys...)
	cmd.Flags().StringVar(&name, "name", "", "name of the key (required)")
	cmd.Flags().StringSliceVar(&scopes, "scope", nil, "scope: write, read or admin (repeatable or comma-separated)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the created key as JSON, secret included")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if strings.TrimSpace(name) == "" {
			return exitError{code: 2, msg: "leadscore keys create: --name is required"}
		}
		if len(scopes) == 0 {
			return exitError{code: 2, msg: "leadscore keys create: --scope is required (write, read or admin)"}
		}
		var sc []leadscore.Scope
		for _, s := range scopes {
			switch s = strings.ToLower(strings.TrimSpace(s)); leadscore.Scope(s) {
			case leadscore.ScopeWrite, leadscore.ScopeRead, leadscore.ScopeAdmin:
				sc = append(sc, leadscore.Scope(s))
			default:
				return exitError{code: 2, msg: fmt.Sprintf("leadscore keys create: unknown scope %q (use write, read or admin)", s)}
			}
		}
		cfg, err := cf.load(os.LookupEnv)
		if err != nil {
			return exitError{code: 2, msg: "leadscore keys: " + err.Error()}
		}
		tgt, err := openTarget(cmd.Context(), "keys", cfg, os.Stderr)
		if err != nil {
			return err
		}
		defer tgt.Close()
		k, err := tgt.CreateAPIKey(cmd.Context(), strings.TrimSpace(name), sc)
		if err != nil {
			return keysError(err)
		}
		if asJSON {
			return writeJSONOut(cmd.OutOrStdout(), k)
		}
		fmt.Fprintln(cmd.OutOrStdout(), k.Secret)
		fmt.Fprintf(os.Stderr, "created key %s (%s, scopes %s) in %s; the secret above is shown only this once\n",
			k.ID, k.Name, joinScopes(k.Scopes), tgt)
		return nil
	}
	return cmd
}

func newKeysListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List keys (never their secrets)",
		Args:  cobra.NoArgs,
	}
	cf := bindConfigFlags(cmd.Flags(), targetKeys...)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the keys as JSON")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := cf.load(os.LookupEnv)
		if err != nil {
			return exitError{code: 2, msg: "leadscore keys: " + err.Error()}
		}
		tgt, err := openTarget(cmd.Context(), "keys", cfg, os.Stderr)
		if err != nil {
			return err
		}
		defer tgt.Close()
		keys, err := tgt.APIKeys(cmd.Context())
		if err != nil {
			return keysError(err)
		}
		if asJSON {
			if keys == nil {
				keys = []leadscore.APIKey{}
			}
			return writeJSONOut(cmd.OutOrStdout(), keys)
		}
		writeKeyTable(cmd.OutOrStdout(), keys)
		return nil
	}
	return cmd
}

func newKeysRevokeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "revoke ID",
		Short:   "Revoke a key: it stops working at once",
		Example: "  leadscore keys revoke key_3f9a...",
		Args:    cobra.ExactArgs(1),
	}
	cf := bindConfigFlags(cmd.Flags(), targetKeys...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := cf.load(os.LookupEnv)
		if err != nil {
			return exitError{code: 2, msg: "leadscore keys: " + err.Error()}
		}
		tgt, err := openTarget(cmd.Context(), "keys", cfg, os.Stderr)
		if err != nil {
			return err
		}
		defer tgt.Close()
		if err := tgt.RevokeAPIKey(cmd.Context(), args[0]); err != nil {
			return keysError(err)
		}
		fmt.Fprintf(os.Stderr, "revoked key %s in %s\n", args[0], tgt)
		return nil
	}
	return cmd
}

func keysError(err error) error {
	switch leadscore.CodeOf(err) {
	case leadscore.CodeInvalid:
		return exitError{code: 2, msg: "leadscore keys: " + err.Error()}
	case leadscore.CodeNotFound, leadscore.CodeUnauthorized, leadscore.CodeForbidden:
		return exitError{code: 1, msg: "leadscore keys: " + err.Error()}
	}
	return err
}

func writeKeyTable(w io.Writer, keys []leadscore.APIKey) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKEY\tSCOPES\tCREATED\tLAST USED\tSTATUS")
	stamp := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, k := range keys {
		status := "active"
		if k.RevokedAt != nil {
			status = "revoked " + stamp(k.RevokedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\tlsk_%s_…\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, joinScopes(k.Scopes),
			k.CreatedAt.UTC().Format(time.RFC3339), stamp(k.LastUsed), status)
	}
	tw.Flush()
}

func joinScopes(sc []leadscore.Scope) string {
	s := make([]string, len(sc))
	for i, x := range sc {
		s[i] = string(x)
	}
	return strings.Join(s, ",")
}

func writeJSONOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
