package main

import (
	"context"
	"fmt"
	"io"

	"github.com/leadscore/leadscore/analytics"
	"github.com/spf13/cobra"
)

// Champion/challenger on a running server: `model shadow` starts and stops
// a version in shadow, `report --shadow` compares it with the active one.

func newModelShadowCmd() *cobra.Command {
	var stop, asJSON bool
	cmd := &cobra.Command{
		Use:   "shadow <model> <version> [--stop]",
		Short: "Run a stored version of a model in shadow beside the active one, on a server",
		Long: `shadow runs a stored, inactive version of a model in shadow on a running server
(--server URL --key ADMIN_KEY, or $LEADSCORE_SERVER and $LEADSCORE_KEY): every
lead the server scores is also scored by this version, and its scores are kept
apart. A shadow never writes the ledger, never qualifies, routes or sends
webhooks, and never shows as a lead's score. The server also scores the leads
it already holds with the version, in a background job.

A model has at most one shadow: starting another replaces it (and says so).
--stop stops the shadow and deletes its scores. Compare the two versions with
leadscore report --shadow <model>.`,
		Example: `  leadscore model shadow b2b-saas 3f9a1c2e7b4d --server http://localhost:8080 --key ls_admin_...
  leadscore report --shadow b2b-saas --server http://localhost:8080 --key ls_read_...
  leadscore model shadow b2b-saas 3f9a1c2e7b4d --stop`,
		Args: cobra.ExactArgs(2),
	}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.Flags().BoolVar(&stop, "stop", false, "stop the shadow and delete its scores")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the server's answer as JSON")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		const verb = "model shadow"
		c, err := serverClient(cf, verb)
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		name, version := args[0], args[1]
		if stop {
			if err := c.StopShadow(cmd.Context(), name, version); err != nil {
				return serverError(verb, err)
			}
			fmt.Fprintf(out, "stopped the shadow of %s (version %s); its scores are deleted\n", name, version)
			return nil
		}
		res, err := c.StartShadow(cmd.Context(), name, version)
		if err != nil {
			return serverError(verb, err)
		}
		if asJSON {
			return printJSON(out, res)
		}
		if res.Replaced != nil {
			fmt.Fprintf(out, "replaced the shadow of %s: version %s (started %s) no longer runs and its scores are deleted\n",
				name, res.Replaced.Version, res.Replaced.StartedAt.Format("2006-01-02 15:04 MST"))
		}
		fmt.Fprintf(out, "version %s of %s runs in shadow beside the active version\n", version, name)
		fmt.Fprintf(out, "job %s scores the %d stored leads with it; compare with: leadscore report --shadow %s\n",
			res.Job.ID, res.Job.Total, name)
		return nil
	}
	return cmd
}

// runServerShadowReport is report --shadow: the champion/challenger
// comparison of a model on the server.
func runServerShadowReport(ctx context.Context, f *reportFlags, s *serverReportFlags, model string, stdout io.Writer) error {
	const verb = "report"
	if f.leads != "" || len(f.models) > 0 || f.html != "" || f.charts != "" {
		return f.usage("--shadow compares the versions of a model on a server: give --shadow MODEL with --server, without --model, --leads, --html or --charts")
	}
	q := analytics.ShadowQuery{Model: model, MaxLeads: s.maxLeads}
	var err error
	if q.LostAfter, err = parseDurationFlag(&f.outcomeFlags, "--lost-after", s.lostAfter); err != nil {
		return err
	}
	if s.maxLeads < 0 {
		return f.usage("--max-leads must not be negative")
	}
	c, err := serverClient(s.cf, verb)
	if err != nil {
		return err
	}
	res, err := c.ShadowReport(ctx, q)
	if err != nil {
		return serverError(verb, err)
	}
	if f.json {
		return printJSON(stdout, res)
	}
	return res.WriteText(stdout)
}
