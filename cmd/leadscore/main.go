// Command leadscore is the single binary of the product: it scores leads
// offline, validates and tests model files, and (with serve) runs the service.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/leadscore/leadscore"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			if exit.msg != "" {
				fmt.Fprintln(os.Stderr, exit.msg)
			}
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "leadscore:", err)
		if leadscore.CodeOf(err) == leadscore.CodeInvalid {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "leadscore",
		Short:         "Lead scoring with models as code",
		Long:          "leadscore scores leads with rule models written as YAML, explains every point, and says what any score was on any date.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newModelCmd(),
		newScoreCmd(),
		newGenerateCmd(),
		newDemoCmd(),
		newBenchCmd(),
		newServeCmd(),
		newImportCmd(),
		newExportCmd(),
		newKeysCmd(),
		newRoutingCmd(),
		newWebhooksCmd(),
		newLeadsCmd(),
		newTrainCmd(),
		newUsersCmd(),
		newReportCmd(), newAdviseCmd(), newLiftCmd(), newBacktestCmd(),
	)
	return root
}

// exitError ends the process with a specific code after the command has
// already printed what the user needs (validation reports, test results).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// printJSON writes v as indented JSON for a person or a script. HTML
// escaping is off because model conditions are full of < > &.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
