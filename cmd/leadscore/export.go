package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/leadscore/leadscore"
)

// exportPage is how many leads one listing call returns: the most the
// API gives in one page.
const exportPage = 500

func newExportCmd() *cobra.Command {
	var (
		models     []string
		out        string
		noProgress bool
	)
	cmd := &cobra.Command{
		Use:   "export [--model M] [--out leads.csv]",
		Short: "Export leads with their current scores to CSV",
		Long: `export writes every known lead with its current score under each active model
(or the models named with --model) to CSV: the lead's columns as import reads
them (id, email, first_name, ...), then for each model M: M.score,
M.display, M.band, M.grade, M.qualified, M.disqualified, M.version and
M.updated_at. A lead not yet scored under a model has those cells empty.

It reads from a running server (--server URL --key KEY, a read key) or from
a data directory, page by page, so any number of leads is exported in
bounded memory. A file given with --out is written whole or not at all.`,
		Example: `  leadscore export --out leads.csv
  leadscore export --server http://127.0.0.1:8080 --key $LEADSCORE_KEY --model b2b-saas > leads.csv`,
		Args: cobra.NoArgs,
	}
	cf := bindConfigFlags(cmd.Flags(), targetKeys...)
	fl := cmd.Flags()
	fl.StringArrayVar(&models, "model", nil, "model whose scores to export (repeatable; default every active model)")
	fl.StringVar(&out, "out", "", "output CSV file (default stdout)")
	fl.BoolVar(&noProgress, "no-progress", false, "never show a progress indicator")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := cf.load(os.LookupEnv)
		if err != nil {
			return exitError{code: 2, msg: "leadscore export: " + err.Error()}
		}
		tgt, err := openTarget(cmd.Context(), "export", cfg, os.Stderr)
		if err != nil {
			return err
		}
		defer tgt.Close()
		var progress func(n int)
		if !noProgress && term.IsTerminal(int(os.Stderr.Fd())) {
			bar := newBar(os.Stderr, -1, "export", false)
			defer bar.Finish()
			progress = func(n int) { _ = bar.Set(n) }
		}
		start := time.Now()
		n, names, err := exportTo(cmd.Context(), tgt, models, out, cmd.OutOrStdout(), progress)
		if err != nil {
			if leadscore.CodeOf(err) == leadscore.CodeInvalid || leadscore.CodeOf(err) == leadscore.CodeNotFound {
				return exitError{code: 2, msg: "leadscore export: " + err.Error()}
			}
			return exitError{code: 1, msg: "leadscore export: " + err.Error()}
		}
		dest := out
		if dest == "" || dest == "-" {
			dest = "stdout"
		}
		fmt.Fprintf(os.Stderr, "exported %d leads with their scores under %v from %s to %s in %s\n",
			n, names, tgt, dest, time.Since(start).Round(time.Millisecond))
		return nil
	}
	return cmd
}

// exportTo writes the CSV to out, or to stdout when out is empty. A file is
// written under a temporary name and renamed at the end.
func exportTo(ctx context.Context, tgt target, models []string, out string, stdout io.Writer, progress func(int)) (int, []string, error) {
	names, err := exportModels(ctx, tgt, models)
	if err != nil {
		return 0, nil, err
	}
	if out == "" || out == "-" {
		n, err := writeExport(ctx, tgt, names, stdout, progress)
		return n, names, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return 0, nil, err
	}
	defer os.Remove(tmp.Name())
	n, err := writeExport(ctx, tgt, names, tmp, progress)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, names, err
	}
	return n, names, os.Rename(tmp.Name(), out)
}

// exportModels is the models to export: those asked for, or every active
// model, in name order.
func exportModels(ctx context.Context, tgt target, asked []string) ([]string, error) {
	active, err := tgt.ActiveModels(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	isActive := map[string]bool{}
	for _, v := range active {
		names = append(names, v.Name)
		isActive[v.Name] = true
	}
	sort.Strings(names)
	if len(asked) == 0 {
		return names, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range asked {
		if !isActive[m] {
			return nil, leadscore.Invalid("model", "no active model %q (active: %s)", m, strings.Join(names, ", "))
		}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out, nil
}

// exportLeadColumns are the lead's own columns, named as import reads
// them, so that an export can be imported again.
var exportLeadColumns = []string{"id", "email", "first_name", "last_name", "title", "phone", "country", "state", "city", "source", "account_id", "created_at"}

var exportScoreColumns = []string{"score", "display", "band", "grade", "qualified", "disqualified", "version", "updated_at"}

func exportHeader(models []string) []string {
	h := append([]string(nil), exportLeadColumns...)
	for _, m := range models {
		for _, c := range exportScoreColumns {
			h = append(h, m+"."+c)
		}
	}
	return h
}

// writeExport pages through the leads with the API's cursor. The listing
// carries the first model's score; the other models' scores come from each
// lead's own record.
func writeExport(ctx context.Context, tgt target, models []string, w io.Writer, progress func(int)) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader(models)); err != nil {
		return 0, err
	}
	f := leadscore.LeadFilter{OrderBy: "updated", Limit: exportPage}
	if len(models) > 0 {
		f.Model = models[0]
	}
	n := 0
	row := make([]string, 0, len(exportLeadColumns)+len(models)*len(exportScoreColumns))
	for {
		rows, next, err := tgt.ListLeads(ctx, f)
		if err != nil {
			return n, err
		}
		for _, r := range rows {
			scores := map[string]*leadscore.ScoreRecord{}
			if r.Score != nil {
				scores[r.Score.Model] = r.Score
			}
			if len(models) > 1 {
				v, err := tgt.GetLead(ctx, r.Lead.ID)
				if leadscore.CodeOf(err) == leadscore.CodeNotFound {
					continue // deleted (merged) since the page was read
				}
				if err != nil {
					return n, err
				}
				for i := range v.Scores {
					scores[v.Scores[i].Model] = &v.Scores[i]
				}
			}
			row = appendLeadRow(row[:0], &r.Lead, models, scores)
			if err := cw.Write(row); err != nil {
				return n, err
			}
			n++
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
		if progress != nil {
			progress(n)
		}
		if next == "" || len(rows) == 0 {
			return n, nil
		}
		if err := ctx.Err(); err != nil {
			return n, errors.New("interrupted")
		}
		f.After = next
	}
}

func appendLeadRow(row []string, l *leadscore.Lead, models []string, scores map[string]*leadscore.ScoreRecord) []string {
	created := ""
	if !l.CreatedAt.IsZero() {
		created = l.CreatedAt.UTC().Format(time.RFC3339)
	}
	row = append(row, l.ID, l.Email, l.FirstName, l.LastName, l.Title, l.Phone, l.Country, l.State, l.City, l.Source, l.AccountID, created)
	for _, m := range models {
		s := scores[m]
		if s == nil {
			for range exportScoreColumns {
				row = append(row, "")
			}
			continue
		}
		row = append(row, strconv.FormatFloat(s.Score, 'f', -1, 64), strconv.FormatInt(s.Display, 10), s.Band, s.Grade,
			strconv.FormatBool(s.Qualified), strconv.FormatBool(s.Disqualified), s.Version, s.UpdatedAt.UTC().Format(time.RFC3339Nano))
	}
	return row
}
