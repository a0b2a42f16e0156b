package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	// Routing calendars name IANA timezones; embedding the database keeps
	// deadlines right on hosts and containers that have none installed.
	_ "time/tzdata"

	"github.com/leadscore/leadscore/automation"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/spf13/cobra"
)

func newRoutingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "routing",
		Short: "Validate and test routing files",
		Long: `routing works on routing files: the YAML that says who gets a lead once it
qualifies and how long they have to follow up (see docs/automation.md).

  validate  reports every error and warning with file:line:column
  test      runs the fixture cases of <file>.tests.yaml against the file
  upload    makes the file the active one on a running server
  show      prints the server's active routing file
  owners    lists the server's owners with open MQLs and SLA breaches`,
	}
	cmd.AddCommand(newRoutingValidateCmd(), newRoutingTestCmd(), newRoutingUploadCmd(), newRoutingShowCmd(), newRoutingOwnersCmd())
	return cmd
}

func newRoutingValidateCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "validate <routing file>",
		Short: "Check a routing file and report every problem at once",
		Long: `validate reads a routing file and reports every error and warning with its
position. The exit code is 1 when there are errors, 0 when there are only
warnings.`,
		Example: `  leadscore routing validate examples/routing.yaml
  leadscore routing validate routing.yaml --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRoutingValidate(cmd.OutOrStdout(), args[0], format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// routingUsageError is a problem with the command line itself (exit 2).
func routingUsageError(format string, args ...any) error {
	return exitError{code: 2, msg: "leadscore routing: " + fmt.Sprintf(format, args...)}
}

func readRoutingFile(file string) (*automation.RoutingResult, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return automation.ParseRouting(file, data), nil
}

// routingSummary is the file's line in the validate report.
type routingSummary struct {
	Name        string `json:"name,omitempty"`
	File        string `json:"file"`
	Owners      int    `json:"owners"`
	Teams       int    `json:"teams"`
	Territories int    `json:"territories"`
	Rules       int    `json:"rules"`
	Errors      int    `json:"errors"`
	Warnings    int    `json:"warnings"`
}

func summarizeRouting(file string, r *automation.RoutingResult) routingSummary {
	s := routingSummary{
		Name: r.Spec.Name, File: file, Owners: len(r.Spec.Owners), Teams: len(r.Spec.Teams),
		Territories: len(r.Spec.Territories), Rules: len(r.Spec.Rules),
	}
	for _, d := range r.Diagnostics {
		if d.Severity == modelfile.Error {
			s.Errors++
		} else {
			s.Warnings++
		}
	}
	return s
}

func (s routingSummary) String() string {
	name := s.Name
	if name == "" {
		name = s.File
	}
	if s.Errors > 0 {
		return fmt.Sprintf("%s: %s, %s", name, countOf(s.Errors, "error", "errors"), countOf(s.Warnings, "warning", "warnings"))
	}
	status := "OK"
	if s.Warnings > 0 {
		status += " (" + countOf(s.Warnings, "warning", "warnings") + ")"
	}
	return fmt.Sprintf("%s: %s, %s, %s, %s — %s", name, countOf(s.Owners, "owner", "owners"), countOf(s.Teams, "team", "teams"),
		countOf(s.Territories, "territory", "territories"), countOf(s.Rules, "rule", "rules"), status)
}

func runRoutingValidate(out io.Writer, file, format string) error {
	if format != "text" && format != "json" {
		return routingUsageError("--format must be text or json, not %q", format)
	}
	r, err := readRoutingFile(file)
	if err != nil {
		return err
	}
	summary := summarizeRouting(file, r)
	if format == "json" {
		report := struct {
			OK          bool                   `json:"ok"`
			Routing     routingSummary         `json:"routing"`
			Diagnostics []modelfile.Diagnostic `json:"diagnostics"`
		}{!r.HasErrors(), summary, r.Diagnostics}
		if report.Diagnostics == nil {
			report.Diagnostics = []modelfile.Diagnostic{}
		}
		if err := printJSON(out, report); err != nil {
			return err
		}
	} else {
		for _, d := range r.Diagnostics {
			fmt.Fprintln(out, d.String())
		}
		if len(r.Diagnostics) > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintln(out, summary.String())
	}
	if r.HasErrors() {
		return exitError{code: 1}
	}
	return nil
}

type routingTestFlags struct {
	tests   string
	run     string
	verbose bool
}

func newRoutingTestCmd() *cobra.Command {
	var f routingTestFlags
	cmd := &cobra.Command{
		Use:   "test <routing file> [--tests file]",
		Short: "Run a routing file's fixture cases",
		Long: `test routes each fixture case of <file>.tests.yaml (routing.yaml's cases live in
routing.tests.yaml next to it; --tests names another file) and compares the
decision with what the case expects. Each case prints PASS or FAIL; a failure
lists what differed and how the decision was reached, rule by rule. The exit
code is 1 when any case fails.`,
		Example: `  leadscore routing test examples/routing.yaml
  leadscore routing test routing.yaml --run priority -v`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRoutingTest(cmd.OutOrStdout(), args[0], &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.tests, "tests", "", "fixture file (default: <routing file>.tests.yaml)")
	fl.StringVar(&f.run, "run", "", "run only cases whose name matches this regular expression")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "show how passing cases were decided too")
	return cmd
}

func runRoutingTest(out io.Writer, file string, f *routingTestFlags) error {
	var filter *regexp.Regexp
	if f.run != "" {
		var err error
		if filter, err = regexp.Compile(f.run); err != nil {
			return routingUsageError("--run: %v", err)
		}
	}
	r, err := readRoutingFile(file)
	if err != nil {
		return err
	}
	if r.HasErrors() {
		for _, d := range r.Diagnostics {
			if d.Severity == modelfile.Error {
				fmt.Fprintln(out, d.String())
			}
		}
		return exitError{code: 1, msg: "the routing file has errors; fix them before testing (leadscore routing validate shows warnings too)"}
	}
	router, err := r.Compile(automation.RouterOptions{})
	if err != nil {
		return err
	}
	tests := f.tests
	if tests == "" {
		tests = modelfile.TestFileName(file)
	}
	data, err := os.ReadFile(tests)
	if errors.Is(err, fs.ErrNotExist) && f.tests == "" {
		return exitError{code: 1, msg: fmt.Sprintf("no fixture file: write %s next to the routing file, or pass --tests", tests)}
	}
	if err != nil {
		return err
	}
	cases, diags := automation.ParseRoutingTests(tests, data)
	broken := false
	for _, d := range diags {
		fmt.Fprintln(out, d.String())
		broken = broken || d.Severity == modelfile.Error
	}
	if filter != nil {
		kept := cases[:0]
		for _, c := range cases {
			if filter.MatchString(c.Name) {
				kept = append(kept, c)
			}
		}
		cases = kept
	}
	passed, failed := 0, 0
	for _, res := range automation.RunRoutingTests(router, cases) {
		printRoutingResult(out, router, &res, f.verbose)
		if res.Passed() {
			passed++
		} else {
			failed++
		}
	}
	fmt.Fprintf(out, "%d passed, %d failed\n", passed, failed)
	switch {
	case failed > 0 || broken:
		return exitError{code: 1}
	case passed == 0:
		return exitError{code: 1, msg: "no case ran"}
	}
	return nil
}

func printRoutingResult(out io.Writer, router *automation.Router, res *automation.RoutingTestResult, verbose bool) {
	if res.Passed() {
		fmt.Fprintf(out, "PASS %s\n", res.Case.Name)
	} else {
		fmt.Fprintf(out, "FAIL %s: %s\n", res.Case.Name, strings.Join(res.Failures, "; "))
		fmt.Fprintf(out, "    at %s:%d\n", res.Case.File, res.Case.Line)
	}
	if !verbose && res.Passed() {
		return
	}
	for i, d := range res.Decisions {
		if len(res.Decisions) > 1 {
			fmt.Fprintf(out, "    routing %d:\n", i+1)
		}
		for _, line := range d.Trace {
			fmt.Fprintf(out, "    %s\n", line)
		}
		if d.SLA != nil {
			// The deadline reads best in the calendar's own timezone.
			cal, loc := "clock time", res.Case.Input.Now.Location()
			if d.SLA.Calendar != "" {
				cal, loc = "calendar "+d.SLA.Calendar, router.Calendar(d.SLA.Calendar).Location()
			}
			fmt.Fprintf(out, "    sla: %s (%s), due %s\n", d.SLA.Within, cal, d.SLA.Due.In(loc).Format("Mon 2006-01-02 15:04 MST"))
		}
	}
}

func newRoutingUploadCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upload <routing file>",
		Short: "Make a routing file the active one on a running server",
		Long: `upload sends a routing file to a running server (--server URL --key ADMIN_KEY),
which validates it as validate does and makes it active at once. A file with
errors is refused whole, the errors are printed with file:line:column, the
active file stays, and the exit code is 1.`,
		Example: "  leadscore routing upload examples/routing.yaml --server http://127.0.0.1:8080 --key $ADMIN_KEY",
		Args:    cobra.ExactArgs(1),
	}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		data, err := os.ReadFile(args[0])
		if err != nil {
			return routingUsageError("%v", err)
		}
		c, err := serverClient(cf, "routing upload")
		if err != nil {
			return err
		}
		res, err := c.UploadRouting(cmd.Context(), args[0], data)
		if res != nil {
			for _, d := range res.Diagnostics {
				fmt.Fprintf(cmd.OutOrStdout(), "%s:%d:%d: %s: %s\n", args[0], d.Line, d.Column, d.Severity, d.Message)
			}
		}
		if err != nil {
			if res != nil && len(res.Diagnostics) > 0 {
				return exitError{code: 1, msg: "leadscore routing upload: the server refused the file; the active routing file is unchanged"}
			}
			return serverError("routing upload", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "routing file %s is active (version %s)\n", args[0], res.File.Version)
		return nil
	}
	return cmd
}

func newRoutingShowCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "show", Short: "Print the server's active routing file", Args: cobra.NoArgs}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := serverClient(cf, "routing show")
		if err != nil {
			return err
		}
		f, err := c.ActiveRouting(cmd.Context())
		if err != nil {
			return serverError("routing show", err)
		}
		fmt.Fprintf(os.Stderr, "# version %s, uploaded %s by %s\n", f.Version, f.CreatedAt.UTC().Format(time.RFC3339), f.CreatedBy)
		_, err = io.WriteString(cmd.OutOrStdout(), f.Source)
		return err
	}
	return cmd
}

func newRoutingOwnersCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{Use: "owners", Short: "List owners with their open MQLs and SLA breaches", Args: cobra.NoArgs}
	cf := bindConfigFlags(cmd.Flags(), serverKeys...)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the owners as JSON")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c, err := serverClient(cf, "routing owners")
		if err != nil {
			return err
		}
		owners, err := c.Owners(cmd.Context())
		if err != nil {
			return serverError("routing owners", err)
		}
		if asJSON {
			return writeJSONOut(cmd.OutOrStdout(), owners)
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "OWNER\tTEAMS\tOPEN MQLS\tCAPACITY\tSLA BREACHES")
		for _, o := range owners {
			capacity := "-"
			if o.Capacity != nil {
				capacity = strconv.Itoa(*o.Capacity)
			}
			name := o.Name
			if !o.InFile {
				name += " (not in the routing file)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\n", name, strings.Join(o.Teams, ","), o.OpenMQLs, capacity, o.Breaches)
		}
		return tw.Flush()
	}
	return cmd
}
