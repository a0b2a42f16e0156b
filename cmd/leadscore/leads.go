package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi/client"
)

// serverKeys are the configuration keys of the verbs that only work on a
// running server.
var serverKeys = []string{"server", "key", "log_level", "log_format"}

// serverClient connects to the server named by --server (or
// $LEADSCORE_SERVER) with --key. verb names the command in messages.
func serverClient(cf *configFlags, verb string) (*client.Client, error) {
	cfg, err := cf.load(os.LookupEnv)
	if err != nil {
		return nil, exitError{code: 2, msg: "leadscore " + verb + ": " + err.Error()}
	}
	if cfg.Server == "" {
		return nil, exitError{code: 2, msg: fmt.Sprintf("leadscore %s works on a running server: give --server URL (or $%sSERVER)", verb, envPrefix)}
	}
	if cfg.Key == "" {
		return nil, exitError{code: 2, msg: fmt.Sprintf("leadscore %s: --server needs an API key: --key or $%sKEY", verb, envPrefix)}
	}
	return client.NewClient(cfg.Server, cfg.Key, &http.Client{Timeout: time.Minute}), nil
}

// serverError turns an API error into the exit code scripts can rely on:
// 2 for a request the server refused as invalid, 1 for anything else it
// refused (not found, a conflict, a missing scope).
func serverError(verb string, err error) error {
	switch leadscore.CodeOf(err) {
	case leadscore.CodeInvalid:
		return exitError{code: 2, msg: "leadscore " + verb + ": " + err.Error()}
	case leadscore.CodeNotFound, leadscore.CodeConflict, leadscore.CodeUnauthorized, leadscore.CodeForbidden:
		return exitError{code: 1, msg: "leadscore " + verb + ": " + err.Error()}
	}
	return err
}

func newLeadsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "leads",
		Short: "Move leads through their lifecycle on a running server",
		Long: `leads does what sales does to a lead, on a running server (--server URL
--key ADMIN_KEY, or $LEADSCORE_SERVER and $LEADSCORE_KEY):

  show     the lead's stage, owner, follow-up deadline and outcome
  accept   take an MQL on (stops its follow-up timer)
  reject   close an MQL as other, with a reason
  recycle  send a lead back to marketing (stage lead); --reset-score restarts its behaviour score
  stage    move a lead forward (salesqualifiedlead, opportunity, customer) or close it (other)
  assign   give a lead to an owner by hand
  outcome  record won or lost, with the value and date
  timeline the lead's transitions: qualified, assigned, stage changes, SLA breaches
  import   stages, owners and outcomes from a CSV export

A move the lifecycle does not allow exits 1 with what is allowed instead;
an action that changes nothing (accepting twice) succeeds.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(
		newLeadShowCmd(),
		newLeadActionCmd("accept <lead>", "Accept an MQL", "accept"),
		newLeadActionCmd("reject <lead> --reason TEXT", "Reject an MQL (stage other)", "reject"),
		newLeadActionCmd("recycle <lead> [--reset-score]", "Send a lead back to marketing", "recycle"),
		newLeadActionCmd("stage <lead> <stage>", "Set a lead's lifecycle stage", "set_stage"),
		newLeadActionCmd("assign <lead> <owner>", "Assign a lead to an owner", "assign"),
		newLeadOutcomeCmd(),
		newLeadTimelineCmd(),
		newLeadsImportCmd(),
	)
	return cmd
}

func newLeadShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show <lead>",
		Short: "Show a lead's stage, owner, deadline and outcome as JSON",
		Args:  cobra.ExactArgs(1),
	}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := serverClient(cf, "leads show")
		if err != nil {
			return err
		}
		v, err := c.LeadAutomation(cmd.Context(), args[0])
		if err != nil {
			return serverError("leads show", err)
		}
		return writeJSONOut(cmd.OutOrStdout(), v)
	}
	return cmd
}

func newLeadActionCmd(use, short, action string) *cobra.Command {
	var (
		reason, team, by string
		reset, asJSON    bool
	)
	nargs := 1
	if action == "set_stage" || action == "assign" {
		nargs = 2
	}
	verb := "leads " + strings.Fields(use)[0]
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(nargs),
	}
	switch action {
	case "set_stage":
		cmd.Example = "  leadscore leads stage jana@kleinbau.de opportunity --reason 'demo booked'\n  leadscore leads stage lead_42 lost --reason 'chose a competitor'"
	case "assign":
		cmd.Example = "  leadscore leads assign jana@kleinbau.de ben --team sdr-emea"
	case "recycle":
		cmd.Example = "  leadscore leads recycle jana@kleinbau.de --reason 'no budget until Q3' --reset-score"
	}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.Flags().StringVar(&reason, "reason", "", "why (required to reject; recorded in the lead's history)")
	cmd.Flags().StringVar(&by, "by", "", "who did it (default: the API key's name)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the lead's automation state as JSON")
	if action == "recycle" {
		cmd.Flags().BoolVar(&reset, "reset-score", false, "restart the behaviour score: only events after the recycle count")
	}
	if action == "assign" {
		cmd.Flags().StringVar(&team, "team", "", "the owner's team, recorded with the assignment")
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if action == "reject" && strings.TrimSpace(reason) == "" {
			return exitError{code: 2, msg: "leadscore leads reject: --reason is required"}
		}
		c, err := serverClient(cf, verb)
		if err != nil {
			return err
		}
		a := leadscore.LeadAction{Action: action, Reason: reason, By: by, ResetScore: reset, Team: team}
		switch action {
		case "set_stage":
			a.Stage = args[1]
		case "assign":
			a.Owner = args[1]
		}
		v, err := c.LeadAction(cmd.Context(), args[0], a)
		if err != nil {
			return serverError(verb, err)
		}
		if asJSON {
			return writeJSONOut(cmd.OutOrStdout(), v)
		}
		writeLeadLine(cmd.OutOrStdout(), v)
		return nil
	}
	return cmd
}

func writeLeadLine(w io.Writer, v *leadscore.AutomationView) {
	line := fmt.Sprintf("%s: %s", v.LeadID, v.Stage)
	if v.Owner != "" {
		line += ", owner " + v.Owner
	}
	if !v.SLADue.IsZero() {
		line += ", follow up by " + v.SLADue.UTC().Format(time.RFC3339)
	}
	fmt.Fprintln(w, line)
}

func newLeadOutcomeCmd() *cobra.Command {
	var (
		value                    string
		currency, at, reason, by string
	)
	cmd := &cobra.Command{
		Use:     "outcome <lead> won|lost",
		Short:   "Record what became of a lead",
		Example: "  leadscore leads outcome jana@kleinbau.de won --value 12000 --currency EUR --at 2026-11-20",
		Args:    cobra.ExactArgs(2),
	}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.Flags().StringVar(&value, "value", "", "the deal's value")
	cmd.Flags().StringVar(&currency, "currency", "", "the value's currency (EUR, USD...)")
	cmd.Flags().StringVar(&at, "at", "", "when it was decided: RFC 3339 time or a date (default now)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for a lost deal")
	cmd.Flags().StringVar(&by, "by", "", "who recorded it (default: the API key's name)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		o := leadscore.Outcome{LeadID: args[0], Result: leadscore.OutcomeResult(args[1]), Currency: currency, Reason: reason, By: by}
		if value != "" {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				return exitError{code: 2, msg: fmt.Sprintf("leadscore leads outcome: --value %q is not a number", value)}
			}
			o.Value = &v
		}
		if at != "" {
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				if t, err = time.Parse(time.DateOnly, at); err != nil {
					return exitError{code: 2, msg: fmt.Sprintf("leadscore leads outcome: --at %q is neither an RFC 3339 time nor a date (2026-11-20)", at)}
				}
			}
			o.At = t
		}
		c, err := serverClient(cf, "leads outcome")
		if err != nil {
			return err
		}
		out, err := c.RecordOutcome(cmd.Context(), o)
		if err != nil {
			return serverError("leads outcome", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: %s on %s\n", out.LeadID, out.Result, out.At.UTC().Format(time.RFC3339))
		return nil
	}
	return cmd
}

func newLeadTimelineCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "timeline <lead>",
		Short: "List a lead's transitions, oldest first",
		Args:  cobra.ExactArgs(1),
	}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the entries as JSON")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := serverClient(cf, "leads timeline")
		if err != nil {
			return err
		}
		var all []leadscore.HistoryEntry
		cursor := ""
		for {
			page, next, err := c.LeadTimeline(cmd.Context(), args[0], cursor, 500)
			if err != nil {
				return serverError("leads timeline", err)
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		if asJSON {
			return writeJSONOut(cmd.OutOrStdout(), all)
		}
		for _, h := range all {
			fmt.Fprintf(cmd.OutOrStdout(), "%s  %-30s %s\n", h.At.UTC().Format(time.RFC3339), h.Kind, timelineDetail(h.Data))
		}
		return nil
	}
	return cmd
}

// timelineDetail picks the telling fields of a transition for one line.
func timelineDetail(data []byte) string {
	var t struct {
		Model  string   `json:"model"`
		From   string   `json:"from"`
		To     string   `json:"to"`
		Score  *float64 `json:"score"`
		Owner  string   `json:"owner"`
		Rule   string   `json:"rule"`
		Reason string   `json:"reason"`
		By     string   `json:"by"`
	}
	_ = json.Unmarshal(data, &t)
	var parts []string
	if t.Model != "" {
		parts = append(parts, "model "+t.Model)
	}
	if t.From != "" || t.To != "" {
		parts = append(parts, t.From+" -> "+t.To)
	}
	if t.Owner != "" && t.To != t.Owner {
		parts = append(parts, "owner "+t.Owner)
	}
	if t.Rule != "" {
		parts = append(parts, "rule "+t.Rule)
	}
	if t.Reason != "" {
		parts = append(parts, t.Reason)
	}
	if t.By != "" {
		parts = append(parts, "by "+t.By)
	}
	return strings.Join(parts, "; ")
}

// leadsImportColumns maps the accepted CSV headers (HubSpot's and common
// spellings, compared without case, spaces or underscores) to their field.
var leadsImportColumns = map[string]string{
	"id": "lead", "lead": "lead", "leadid": "lead", "recordid": "lead", "contactid": "lead", "email": "email",
	"lifecyclestage": "stage", "stage": "stage", "reason": "reason", "owner": "owner", "contactowner": "owner",
	"outcome": "outcome", "result": "outcome",
	"amount": "value", "value": "value", "currency": "currency", "dealcurrencycode": "currency",
	"closedate": "at", "closedat": "at", "at": "at",
}

func newLeadsImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import <file.csv>",
		Short: "Set stages, owners and outcomes from a CSV export",
		Long: `import reads a CSV file (a CRM export) and, row by row, assigns the owner, sets
the lifecycle stage and records the outcome of each lead on a running server.

Columns (headers compared without case, spaces or underscores):
  id, lead, record id or email    the lead (one of them is required)
  lifecycle stage or stage        HubSpot's values or labels, or mql/sql/opp/lost/closedwon
  owner                           assigns the lead
  outcome or result               won or lost (closedwon, closedlost)
  amount or value, currency       the deal's value
  close date or at                when it was decided (RFC 3339 or a date)
  reason                          recorded with the stage change or outcome

A row the server refuses (an unknown lead, a backward stage move) is
reported with its line and skipped; the other rows are applied. The exit
code is 1 when any row failed.`,
		Example: "  leadscore leads import hubspot-contacts.csv --server http://127.0.0.1:8080 --key $ADMIN_KEY",
		Args:    cobra.ExactArgs(1),
	}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		f, err := os.Open(args[0])
		if err != nil {
			return exitError{code: 2, msg: "leadscore leads import: " + err.Error()}
		}
		defer f.Close()
		c, err := serverClient(cf, "leads import")
		if err != nil {
			return err
		}
		rep, err := importLeadUpdates(cmd, c, args[0], f)
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%d rows: %d owners assigned, %d stages set, %d outcomes recorded, %d rows failed\n",
			rep.rows, rep.assigned, rep.staged, rep.outcomes, rep.failed)
		if rep.failed > 0 {
			return exitError{code: 1}
		}
		return nil
	}
	return cmd
}

type leadsImportReport struct{ rows, assigned, staged, outcomes, failed int }

func importLeadUpdates(cmd *cobra.Command, c *client.Client, name string, r io.Reader) (*leadsImportReport, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, exitError{code: 2, msg: fmt.Sprintf("leadscore leads import: %s: no header row: %v", name, err)}
	}
	cols := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))))
		if field, ok := leadsImportColumns[key]; ok {
			if _, dup := cols[field]; !dup {
				cols[field] = i
			}
		}
	}
	_, hasLead := cols["lead"]
	_, hasEmail := cols["email"]
	if !hasLead && !hasEmail {
		return nil, exitError{code: 2, msg: fmt.Sprintf("leadscore leads import: %s:1: no lead column (id, lead, record id or email)", name)}
	}
	rep := &leadsImportReport{}
	stderr := cmd.ErrOrStderr()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			fmt.Fprintf(stderr, "%s:%d: %v\n", name, line, err)
			rep.failed++
			continue
		}
		rep.rows++
		get := func(field string) string {
			if i, ok := cols[field]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		lead := get("lead")
		if lead == "" {
			lead = get("email")
		}
		fail := func(format string, args ...any) {
			fmt.Fprintf(stderr, "%s:%d: %s\n", name, line, fmt.Sprintf(format, args...))
			rep.failed++
		}
		if lead == "" {
			fail("no lead id or email")
			continue
		}
		ctx := cmd.Context()
		if owner := get("owner"); owner != "" {
			if _, err := c.LeadAction(ctx, lead, leadscore.LeadAction{Action: "assign", Owner: owner}); err != nil {
				fail("%s: assign %s: %v", lead, owner, err)
				continue
			}
			rep.assigned++
		}
		if stage := get("stage"); stage != "" {
			if _, err := c.LeadAction(ctx, lead, leadscore.LeadAction{Action: "set_stage", Stage: stage, Reason: get("reason")}); err != nil {
				fail("%s: stage %s: %v", lead, stage, err)
				continue
			}
			rep.staged++
		}
		result := strings.ToLower(get("outcome"))
		if result == "" {
			continue
		}
		o := leadscore.Outcome{LeadID: lead, Result: leadscore.OutcomeResult(result), Currency: get("currency"), Reason: get("reason")}
		if v := get("value"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				fail("%s: value %q is not a number", lead, v)
				continue
			}
			o.Value = &f
		}
		if at := get("at"); at != "" {
			t, err := time.Parse(time.RFC3339, at)
			if err != nil {
				if t, err = time.Parse(time.DateOnly, at); err != nil {
					fail("%s: close date %q is neither an RFC 3339 time nor a date", lead, at)
					continue
				}
			}
			o.At = t
		}
		if _, err := c.RecordOutcome(ctx, o); err != nil {
			fail("%s: outcome %s: %v", lead, result, err)
			continue
		}
		rep.outcomes++
	}
	return rep, nil
}
