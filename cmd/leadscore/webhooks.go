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
	"time"

	"github.com/leadscore/leadscore/automation"
	"github.com/spf13/cobra"
)

func newWebhooksCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Work with outgoing webhooks",
		Long: `webhooks helps with leadscore's outgoing webhooks (see docs/webhooks.md). These
verbs work offline, for writing and testing a receiver:

  secret  generates a signing secret (whsec_...)
  sign    prints the Standard Webhooks headers for a body
  verify  checks a body and its headers, as a receiver must`,
	}
	cmd.AddCommand(newWebhooksSecretCmd(), newWebhooksSignCmd(), newWebhooksVerifyCmd())
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
