package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/leadscore/leadscore/analytics"
	"github.com/spf13/cobra"
)

// The report, advise and lift verbs on a running server's stored leads and
// outcomes: the same results, computed by the server
// (GET /api/v1/reports/calibration, /threshold, /lift).

type serverReportFlags struct {
	cf        *configFlags
	lostAfter string
	maxLeads  int
	version   string
}

func (s *serverReportFlags) register(cmd *cobra.Command) {
	s.cf = bindConfigFlags(cmd.Flags(), serverKeys...)
	fl := cmd.Flags()
	fl.StringVar(&s.lostAfter, "lost-after", "", "with --server: count leads older than this with no recorded outcome as not converted (90d); default: leave them out")
	fl.IntVar(&s.maxLeads, "max-leads", 0, "with --server: measure at most this many stored leads (default: the server's limit)")
	fl.StringVar(&s.version, "version", "", "with --server: a stored version of the model (default: the active one)")
}

// wanted says whether the report is asked of a server: --server (or
// $LEADSCORE_SERVER) and no lead file.
func (s *serverReportFlags) wanted(cmd *cobra.Command, f *outcomeFlags) bool {
	if f.leads != "" {
		return false
	}
	_, env := os.LookupEnv(envPrefix + "SERVER")
	return cmd.Flags().Changed("server") || env
}

// query turns the flags into the server's query.
func (s *serverReportFlags) query(f *outcomeFlags) (analytics.Query, error) {
	if len(f.models) != 1 {
		return analytics.Query{}, f.usage("with --server, --model names one model on the server")
	}
	q := analytics.Query{Model: f.models[0], Version: s.version, MaxLeads: s.maxLeads}
	if f.asOf != "" {
		t, err := f.asOfTime()
		if err != nil {
			return q, err
		}
		q.AsOf = t
	}
	var err error
	if q.Horizon, err = f.horizonDuration(); err != nil {
		return q, err
	}
	if q.LostAfter, err = parseDurationFlag(f, "--lost-after", s.lostAfter); err != nil {
		return q, err
	}
	if s.maxLeads < 0 {
		return q, f.usage("--max-leads must not be negative")
	}
	return q, nil
}

// writeScope says which stored leads a result measured.
func writeScope(w io.Writer, sc analytics.Scope) {
	fmt.Fprintf(w, "%d of %d stored leads, scored as of %s", sc.Read, sc.StoredLeads, sc.AsOf.UTC().Format(time.RFC3339))
	if sc.Limited {
		fmt.Fprintf(w, " (limited to the first %d by id)", sc.Limit)
	}
	fmt.Fprintln(w)
}

func runServerAdvise(ctx context.Context, f *adviseFlags, s *serverReportFlags, target analytics.Target, stdout io.Writer) error {
	if f.weeks != 0 {
		return f.usage("--weeks is for lead files; the server counts weeks from the stored leads' creation dates")
	}
	q, err := s.query(&f.outcomeFlags)
	if err != nil {
		return err
	}
	c, err := serverClient(s.cf, f.verb)
	if err != nil {
		return err
	}
	res, err := c.ThresholdAdvice(ctx, q, target)
	if err != nil {
		return serverError(f.verb, err)
	}
	if f.json {
		return printJSON(stdout, res)
	}
	writeScope(stdout, res.Scope)
	return res.Advice.WriteText(stdout)
}

func runServerLift(ctx context.Context, f *liftFlags, s *serverReportFlags, stdout io.Writer) error {
	if f.suggest != "" {
		return f.usage("--suggest rewrites a model file: use it with --model FILE --leads FILE; with --server the suggested points are printed")
	}
	q, err := s.query(&f.outcomeFlags)
	if err != nil {
		return err
	}
	c, err := serverClient(s.cf, f.verb)
	if err != nil {
		return err
	}
	res, err := c.RuleLift(ctx, q)
	if err != nil {
		return serverError(f.verb, err)
	}
	if f.json {
		return printJSON(stdout, res)
	}
	writeScope(stdout, res.Scope)
	if res.SuggestionError != "" {
		fmt.Fprintf(stdout, "no suggested points: %s\n", res.SuggestionError)
	}
	return analytics.WriteLiftText(stdout, res.Rules, res.Suggestion)
}

func runServerReport(ctx context.Context, f *reportFlags, s *serverReportFlags, stdout io.Writer) error {
	const verb = "report"
	q, err := s.query(&f.outcomeFlags)
	if err != nil {
		return err
	}
	c, err := serverClient(s.cf, verb)
	if err != nil {
		return err
	}
	res, err := c.CalibrationReport(ctx, q)
	if err != nil {
		return serverError(verb, err)
	}
	if f.html != "" {
		page, err := c.CalibrationHTML(ctx, q)
		if err != nil {
			return serverError(verb, err)
		}
		if err := writeFileAtomic(f.html, func(w io.Writer) error { _, err := w.Write(page); return err }); err != nil {
			return f.fail(err)
		}
	}
	if f.json {
		return printJSON(stdout, res)
	}
	writeScope(stdout, res.Scope)
	if err := res.Report.WriteText(stdout); err != nil {
		return err
	}
	if f.html != "" {
		fmt.Fprintf(stdout, "\nwrote %s\n", f.html)
	}
	return nil
}
