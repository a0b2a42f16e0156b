package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
	"github.com/leadscore/leadscore/quality"
)

type importFlags struct {
	kind       string
	batch      int
	noProgress bool
}

func newImportCmd() *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import leads (CSV) or events (JSONL) into a data directory or a running server",
		Long: `import reads a lead file (CSV with canonical, HubSpot or Salesforce columns, or
JSONL with --type leads) or an event file (JSON lines) and stores it, in
batches: into a running server with --server URL --key KEY, or straight into
the database of a data directory (--data-dir, or --db). Files may be gzipped.

Leads create or update leads and their accounts; events are deduplicated by
their id, so importing a file twice stores each event once. Bad rows are
reported with their line and skipped. Do not import into the data directory
of a server that is running: import through the server instead.`,
		Example: `  leadscore import contacts.csv --server http://127.0.0.1:8080 --key $LEADSCORE_KEY
  leadscore import events.jsonl.gz --data-dir ./leadscore-data`,
		Args: cobra.ExactArgs(1),
	}
	cf := bindConfigFlags(cmd.Flags(), targetKeys...)
	fl := cmd.Flags()
	fl.StringVar(&f.kind, "type", "", "what the file holds: leads or events (default: leads for CSV, events for JSONL)")
	fl.IntVar(&f.batch, "batch", 500, "rows per request or transaction")
	fl.BoolVar(&f.noProgress, "no-progress", false, "never show a progress bar")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := cf.load(os.LookupEnv)
		if err != nil {
			return exitError{code: 2, msg: "leadscore import: " + err.Error()}
		}
		return runImport(cmd.Context(), cfg, &f, args[0], os.Stderr)
	}
	return cmd
}

func runImport(ctx context.Context, cfg *config, f *importFlags, path string, stderr *os.File) error {
	format := ingest.FormatOf(path)
	if format == ingest.FormatUnknown {
		return exitError{code: 2, msg: fmt.Sprintf("leadscore import: %s: unknown file type (use .csv, .tsv or .jsonl, optionally .gz)", path)}
	}
	kind := f.kind
	if kind == "" {
		kind = "leads"
		if format == ingest.FormatJSONL {
			kind = "events"
		}
	}
	if kind != "leads" && kind != "events" {
		return exitError{code: 2, msg: fmt.Sprintf("leadscore import: --type must be leads or events, not %q", f.kind)}
	}
	if kind == "events" && format != ingest.FormatJSONL {
		return exitError{code: 2, msg: "leadscore import: events are read from JSON lines (.jsonl)"}
	}
	if f.batch <= 0 || f.batch > 1000 {
		return exitError{code: 2, msg: "leadscore import: --batch must be between 1 and 1000"}
	}
	file, err := ingest.OpenFile(path)
	if err != nil {
		return exitError{code: 2, msg: "leadscore import: " + err.Error()}
	}
	defer file.Close()
	tgt, err := openTarget(ctx, "import", cfg, stderr)
	if err != nil {
		return err
	}
	defer tgt.Close()

	im := &importer{tgt: tgt, batch: f.batch, problems: &rowProblems{w: stderr}, file: file, checker: quality.NewChecker()}
	if !f.noProgress && term.IsTerminal(int(stderr.Fd())) {
		im.bar = newBar(stderr, file.Size, "import "+kind, true)
		im.problems.before = func() { _ = im.bar.Clear() }
	}
	start := time.Now()
	if kind == "leads" {
		err = im.leads(ctx, format)
	} else {
		err = im.events(ctx)
	}
	if im.bar != nil {
		_ = im.bar.Finish()
	}
	im.problems.flush()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			err = errors.New("interrupted")
		}
		im.summary(stderr, kind, time.Since(start))
		return exitError{code: 1, msg: "leadscore import: " + err.Error() + " (what is reported above as stored is stored)"}
	}
	im.summary(stderr, kind, time.Since(start))
	if im.read > 0 && im.stored == 0 && im.duplicates == 0 {
		return exitError{code: 1, msg: "leadscore import: nothing could be imported"}
	}
	return nil
}

// importer sends a file's rows to a target in batches and counts what
// became of them.
type importer struct {
	tgt      target
	batch    int
	problems *rowProblems
	file     *ingest.File
	checker  *quality.Checker
	bar      *progressbar.ProgressBar

	read, stored, duplicates, rejected, bad int
}

func (im *importer) progress() {
	if im.bar != nil {
		_ = im.bar.Set64(im.file.Offset())
	}
}

func (im *importer) leads(ctx context.Context, format ingest.Format) error {
	rd, err := ingest.NewLeadReader(im.file, format, im.checker)
	if err != nil {
		return err
	}
	return readBatches(ctx, im, rd.Next, im.sendLeads)
}

// readBatches reads records with next, reports bad rows by line, and hands
// full batches (and the last, partial one) to send.
func readBatches[T any](ctx context.Context, im *importer, next func() (T, error), send func(context.Context, []T) error) error {
	var recs []T
	for {
		rec, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *ingest.RowError
		if errors.As(err, &rowErr) {
			im.read++
			im.bad++
			im.problems.add(rowErr.Line, rowErr.Reason())
			continue
		}
		if err != nil {
			return err
		}
		im.read++
		recs = append(recs, rec)
		if len(recs) == im.batch {
			if err := send(ctx, recs); err != nil {
				return err
			}
			recs = recs[:0]
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if len(recs) > 0 {
		return send(ctx, recs)
	}
	return nil
}

// sendLeads stores the accounts of a batch, then its leads, so that each
// lead finds its account. A batch the target refuses as invalid is sent
// again one lead at a time, to name the rows at fault and keep the rest.
func (im *importer) sendLeads(ctx context.Context, recs []ingest.LeadRecord) error {
	var accounts []leadscore.Account
	seen := map[string]int{}
	for _, r := range recs {
		// An account without an id holds company facts that no other lead
		// shares (a free-mail address with a company name): there is no
		// account to store them under.
		if r.Account == nil || r.Account.ID == "" {
			continue
		}
		if i, ok := seen[r.Account.ID]; ok {
			accounts[i] = *r.Account // the last row about a company wins
			continue
		}
		seen[r.Account.ID] = len(accounts)
		accounts = append(accounts, *r.Account)
	}
	if len(accounts) > 0 {
		if err := im.tgt.UpsertAccounts(ctx, accounts); err != nil {
			return fmt.Errorf("storing accounts: %w", err)
		}
	}
	leads := make([]leadscore.Lead, len(recs))
	for i := range recs {
		leads[i] = recs[i].Lead
	}
	err := im.tgt.UpsertLeads(ctx, leads)
	if err == nil {
		im.stored += len(leads)
		im.progress()
		return nil
	}
	if leadscore.CodeOf(err) != leadscore.CodeInvalid || len(leads) == 1 {
		if leadscore.CodeOf(err) == leadscore.CodeInvalid {
			im.rejected++
			im.problems.add(recs[0].Line, err.Error())
			return nil
		}
		return fmt.Errorf("storing leads: %w", err)
	}
	for i := range recs {
		if err := im.sendLeads(ctx, recs[i:i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) events(ctx context.Context) error {
	return readBatches(ctx, im, ingest.NewEventReader(im.file, im.checker).Next, im.sendEvents)
}

// sendEvents stores a batch of events as tracked events of their leads.
func (im *importer) sendEvents(ctx context.Context, recs []ingest.EventRecord) error {
	msgs := make([]leadscore.Message, len(recs))
	for i := range recs {
		ev := &recs[i].Event
		msgs[i] = leadscore.Message{Kind: leadscore.MsgTrack, MessageID: ev.ID, Event: ev.Type,
			Properties: ev.Properties, UserAgent: ev.UserAgent, Timestamp: ev.At.UTC()}
		if recs[i].KeyKind == ingest.KeyEmail {
			// The service finds the lead with this email, or makes one
			// keyed by it, as for an identify call with only an email.
			msgs[i].Traits = map[string]any{"email": ev.LeadID}
		} else {
			msgs[i].UserID = ev.LeadID
		}
	}
	results, err := im.tgt.IngestEvents(ctx, msgs)
	if err != nil {
		return fmt.Errorf("storing events: %w", err)
	}
	for i, r := range results {
		switch r.Status {
		case leadscore.IngestAccepted:
			im.stored++
		case leadscore.IngestDuplicate:
			im.duplicates++
		default:
			im.rejected++
			im.problems.add(recs[i].Line, "rejected: "+r.Error)
		}
	}
	im.progress()
	return nil
}

func (im *importer) summary(w io.Writer, kind string, elapsed time.Duration) {
	fmt.Fprintf(w, "%s: %d read, %d stored", kind, im.read, im.stored)
	if kind == "events" {
		fmt.Fprintf(w, ", %d already there", im.duplicates)
	}
	fmt.Fprintf(w, ", %d rejected, %d bad rows skipped (into %s in %s)\n", im.rejected, im.bad, im.tgt, elapsed.Round(time.Millisecond))
}

// rowProblems prints the first bad rows by line and counts the rest.
type rowProblems struct {
	w      io.Writer
	n      int
	before func()
}

func (p *rowProblems) add(line int, msg string) {
	p.n++
	if p.n > maxShownProblems {
		return
	}
	if p.before != nil {
		p.before()
	}
	fmt.Fprintf(p.w, "line %d: %s\n", line, strings.TrimSpace(msg))
}

func (p *rowProblems) flush() {
	if p.n > maxShownProblems {
		fmt.Fprintf(p.w, "... and %d more bad rows\n", p.n-maxShownProblems)
	}
}
