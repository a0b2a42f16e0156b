package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/automation"
	"github.com/spf13/cobra"
)

func newWebhooksCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Work with outgoing webhooks",
		Long: `webhooks manages leadscore's outgoing webhooks (see docs/webhooks.md).

On a running server (--server URL --key ADMIN_KEY, or $LEADSCORE_SERVER and
$LEADSCORE_KEY):

  add         subscribes a URL to event types and prints its signing secret (once)
  list        lists the subscriptions
  remove      deletes a subscription (its pending deliveries are cancelled)
  enable      re-enables a subscription (after a 410, say); disable pauses one
  test        sends a signed test event now and shows the answer
  deliveries  lists deliveries with their state and last answer
  replay      sends a delivery again, with the same event id

Offline, for writing and testing a receiver:

  secret  generates a signing secret (whsec_...)
  sign    prints the Standard Webhooks headers for a body
  verify  checks a body and its headers, as a receiver must`,
	}
	cmd.AddCommand(newWebhooksSecretCmd(), newWebhooksSignCmd(), newWebhooksVerifyCmd(),
		newWebhooksAddCmd(), newWebhooksListCmd(), newWebhooksRemoveCmd(), newWebhooksEnableCmd(true),
		newWebhooksEnableCmd(false), newWebhooksTestCmd(), newWebhooksDeliveriesCmd(), newWebhooksReplayCmd())
	return cmd
}

func webhookUsageError(format string, args ...any) error {
	return exitError{code: 2, msg: "leadscore webhooks: " + fmt.Sprintf(format, args...)}
}

func newWebhooksSecretCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "secret",
		Short: "Generate a webhook signing secret",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := automation.GenerateSecret(rand.Reader)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), s.Encode())
			return nil
		},
	}
}

// readWebhookBody reads the body to sign or verify: a file, or standard
// input for "-" or no argument.
func readWebhookBody(cmd *cobra.Command, args []string) ([]byte, error) {
	if len(args) == 0 || args[0] == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(args[0])
}

func webhookSecret(s string) (automation.Secret, error) {
	if s == "" {
		s = os.Getenv("LEADSCORE_WEBHOOK_SECRET")
	}
	if s == "" {
		return automation.Secret{}, webhookUsageError("give the secret with --secret or LEADSCORE_WEBHOOK_SECRET")
	}
	sec, err := automation.ParseSecret(s)
	if err != nil {
		return automation.Secret{}, webhookUsageError("%v", err)
	}
	return sec, nil
}

// webhookTime reads --timestamp or --now as Unix seconds, defaulting to
// the clock.
func webhookTime(v int64) time.Time {
	if v == 0 {
		return time.Now()
	}
	return time.Unix(v, 0)
}

func newWebhooksSignCmd() *cobra.Command {
	var secret, id string
	var ts int64
	cmd := &cobra.Command{
		Use:   "sign [body file|-]",
		Short: "Print the signature headers for a webhook body",
		Long: `sign prints the webhook-id, webhook-timestamp and webhook-signature headers
leadscore would send with a body (read from the file, or standard input), so
that a receiver can be tested with curl. The id defaults to the body's
CloudEvents id.`,
		Example: `  leadscore webhooks sign --secret whsec_... event.json
  curl -H "content-type: application/cloudevents+json" \
       $(leadscore webhooks sign --secret whsec_... event.json | sed 's/^/-H /; s/: /:/') \
       --data-binary @event.json http://localhost:8000/hooks`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sec, err := webhookSecret(secret)
			if err != nil {
				return err
			}
			body, err := readWebhookBody(cmd, args)
			if err != nil {
				return err
			}
			if id == "" {
				var ev struct {
					ID string `json:"id"`
				}
				if json.Unmarshal(body, &ev) != nil || ev.ID == "" {
					return webhookUsageError("the body has no CloudEvents id; give one with --id")
				}
				id = ev.ID
			}
			h := http.Header{}
			automation.SignHeaders(h, []automation.Secret{sec}, id, webhookTime(ts), body)
			out := cmd.OutOrStdout()
			for _, k := range []string{automation.HeaderID, automation.HeaderTimestamp, automation.HeaderSignature} {
				fmt.Fprintf(out, "%s: %s\n", k, h.Get(k))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&secret, "secret", "", "signing secret, whsec_... (default $LEADSCORE_WEBHOOK_SECRET)")
	f.StringVar(&id, "id", "", "message id (default: the body's CloudEvents id)")
	f.Int64Var(&ts, "timestamp", 0, "Unix time to sign with (default: now)")
	return cmd
}

func newWebhooksVerifyCmd() *cobra.Command {
	var secret, id, signature, timestamp string
	var now int64
	var tolerance time.Duration
	cmd := &cobra.Command{
		Use:   "verify [body file|-] --id ID --timestamp T --signature SIG",
		Short: "Check a webhook body against its signature headers",
		Long: `verify does what a receiver must do with a request: check that the timestamp
is recent and that a signature matches the body, the id and the timestamp.
It prints "ok" and exits 0, or says what is wrong and exits 1.`,
		Example: `  leadscore webhooks verify --secret whsec_... --id evt_... --timestamp 1762441200 \
      --signature "v1,K5o..." --now 1762441200 body.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sec, err := webhookSecret(secret)
			if err != nil {
				return err
			}
			if id == "" || timestamp == "" || signature == "" {
				return webhookUsageError("give the request's headers with --id, --timestamp and --signature")
			}
			body, err := readWebhookBody(cmd, args)
			if err != nil {
				return err
			}
			h := http.Header{}
			h.Set(automation.HeaderID, id)
			h.Set(automation.HeaderTimestamp, timestamp)
			h.Set(automation.HeaderSignature, signature)
			v := automation.Verifier{Secrets: []automation.Secret{sec}, Tolerance: tolerance}
			if err := v.Verify(h, body, webhookTime(now)); err != nil {
				msg := err.Error()
				if errors.Is(err, automation.ErrTooOld) || errors.Is(err, automation.ErrTooNew) {
					if secs, perr := strconv.ParseInt(timestamp, 10, 64); perr == nil {
						msg += fmt.Sprintf(" (signed at %s; use --now to check an old request)", time.Unix(secs, 0).UTC().Format(time.RFC3339))
					}
				}
				return exitError{code: 1, msg: msg}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "ok")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&secret, "secret", "", "signing secret, whsec_... (default $LEADSCORE_WEBHOOK_SECRET)")
	f.StringVar(&id, "id", "", "the webhook-id header")
	f.StringVar(&timestamp, "timestamp", "", "the webhook-timestamp header")
	f.StringVar(&signature, "signature", "", "the webhook-signature header")
	f.Int64Var(&now, "now", 0, "Unix time to check the timestamp against (default: now)")
	f.DurationVar(&tolerance, "tolerance", automation.DefaultTolerance, "how far the timestamp may be from now")
	return cmd
}

func newWebhooksAddCmd() *cobra.Command {
	var (
		types, models []string
		minDelta      float64
		description   string
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:   "add <url>",
		Short: "Subscribe a URL to events; prints the signing secret once",
		Long: `add subscribes a URL and prints its signing secret alone on stdout (shown this
once), so that a script can capture it:

  SECRET=$(leadscore webhooks add https://crm.example.com/hooks/leadscore --type lead.qualified)

The subscription's id goes to stderr. Without --type every event is sent.`,
		Example: "  leadscore webhooks add https://crm.example.com/hooks --type lead.qualified --type sla.breached\n" +
			"  leadscore webhooks add https://warehouse.example.com/in --type 'lead.*' --min-score-delta 5",
		Args: cobra.ExactArgs(1),
	}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.Flags().StringSliceVar(&types, "type", nil, "an event type or pattern such as lead.qualified or 'lead.*' (repeatable)")
	cmd.Flags().StringSliceVar(&models, "model", nil, "only lead events of this model (repeatable)")
	cmd.Flags().Float64Var(&minDelta, "min-score-delta", 0, "send lead.score_changed only when the score moved by this many points")
	cmd.Flags().StringVar(&description, "description", "", "what the subscription is for")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the created subscription as JSON, secret included")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := serverClient(cf, "webhooks add")
		if err != nil {
			return err
		}
		w, err := c.CreateWebhook(cmd.Context(), leadscore.Webhook{URL: args[0], Types: types, Models: models,
			MinScoreDelta: minDelta, Description: description})
		if err != nil {
			return serverError("webhooks add", err)
		}
		if asJSON {
			return writeJSONOut(cmd.OutOrStdout(), w)
		}
		fmt.Fprintln(cmd.OutOrStdout(), w.Secret)
		fmt.Fprintf(os.Stderr, "created webhook %s for %s; the secret above is shown only this once\n", w.ID, w.URL)
		return nil
	}
	return cmd
}

func newWebhooksListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "list", Short: "List webhook subscriptions", Args: cobra.NoArgs}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the subscriptions as JSON")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := serverClient(cf, "webhooks list")
		if err != nil {
			return err
		}
		hs, err := c.Webhooks(cmd.Context())
		if err != nil {
			return serverError("webhooks list", err)
		}
		if asJSON {
			return writeJSONOut(cmd.OutOrStdout(), hs)
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tURL\tTYPES\tSTATUS")
		for _, h := range hs {
			status := "enabled"
			if h.Disabled {
				status = "disabled: " + h.DisabledReason
			}
			ts := strings.Join(h.Types, ",")
			if ts == "" {
				ts = "all"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.ID, h.URL, ts, status)
		}
		return tw.Flush()
	}
	return cmd
}

func newWebhooksRemoveCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "remove <id>", Short: "Delete a webhook subscription", Args: cobra.ExactArgs(1)}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := serverClient(cf, "webhooks remove")
		if err != nil {
			return err
		}
		if err := c.DeleteWebhook(cmd.Context(), args[0]); err != nil {
			return serverError("webhooks remove", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "removed webhook %s\n", args[0])
		return nil
	}
	return cmd
}

func newWebhooksEnableCmd(enable bool) *cobra.Command {
	use, short, verb := "enable <id>", "Re-enable a webhook subscription", "webhooks enable"
	if !enable {
		use, short, verb = "disable <id>", "Pause a webhook subscription", "webhooks disable"
	}
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(1)}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := serverClient(cf, verb)
		if err != nil {
			return err
		}
		h, err := c.GetWebhook(cmd.Context(), args[0])
		if err == nil {
			h.Disabled = !enable
			h, err = c.UpdateWebhook(cmd.Context(), *h)
		}
		if err != nil {
			return serverError(verb, err)
		}
		state := "enabled"
		if h.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(cmd.OutOrStdout(), "webhook %s is %s\n", h.ID, state)
		return nil
	}
	return cmd
}

func newWebhooksTestCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "test <id>", Short: "Send a signed test event now and show the answer", Args: cobra.ExactArgs(1)}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := serverClient(cf, "webhooks test")
		if err != nil {
			return err
		}
		a, err := c.TestWebhook(cmd.Context(), args[0])
		if err != nil {
			return serverError("webhooks test", err)
		}
		if a.Outcome != string(automation.OutcomeDelivered) {
			return exitError{code: 1, msg: fmt.Sprintf("leadscore webhooks test: %s (%s)", a.Outcome, a.Error)}
		}
		fmt.Fprintf(cmd.OutOrStdout(), "delivered: the receiver answered %d in %dms\n", a.Status, a.DurationMS)
		return nil
	}
	return cmd
}

func newWebhooksDeliveriesCmd() *cobra.Command {
	var (
		hook, lead, state string
		limit             int
		asJSON            bool
	)
	cmd := &cobra.Command{Use: "deliveries", Short: "List webhook deliveries, newest first", Args: cobra.NoArgs,
		Example: "  leadscore webhooks deliveries --state failed\n  leadscore webhooks deliveries --webhook wh_1a2b --json"}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.Flags().StringVar(&hook, "webhook", "", "only this subscription's deliveries")
	cmd.Flags().StringVar(&lead, "lead", "", "only this lead's deliveries")
	cmd.Flags().StringVar(&state, "state", "", "pending, delivered, failed or cancelled")
	cmd.Flags().IntVar(&limit, "limit", 50, "how many")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the deliveries as JSON")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := serverClient(cf, "webhooks deliveries")
		if err != nil {
			return err
		}
		ds, _, err := c.Deliveries(cmd.Context(), leadscore.DeliveryFilter{WebhookID: hook, LeadID: lead,
			State: leadscore.DeliveryState(state), Limit: limit})
		if err != nil {
			return serverError("webhooks deliveries", err)
		}
		if asJSON {
			return writeJSONOut(cmd.OutOrStdout(), ds)
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTYPE\tLEAD\tSTATE\tATTEMPTS\tLAST ANSWER")
		for _, d := range ds {
			last := d.LastError
			if last == "" && d.LastStatus != 0 {
				last = strconv.Itoa(d.LastStatus)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, strings.TrimPrefix(d.Type, automation.EventTypePrefix), d.LeadID,
				d.State, d.Attempts, last)
		}
		return tw.Flush()
	}
	return cmd
}

func newWebhooksReplayCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "replay <delivery id>...", Short: "Send deliveries again, with their event ids",
		Args: cobra.MinimumNArgs(1)}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := serverClient(cf, "webhooks replay")
		if err != nil {
			return err
		}
		for _, id := range args {
			d, err := c.ReplayDelivery(cmd.Context(), id)
			if err != nil {
				return serverError("webhooks replay", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "replaying %s (%s, event %s)\n", d.ID, strings.TrimPrefix(d.Type, automation.EventTypePrefix), d.EventID)
		}
		return nil
	}
	return cmd
}
