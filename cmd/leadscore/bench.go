package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/leadscore/leadscore/bench"
	"github.com/leadscore/leadscore/examples"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
	"github.com/leadscore/leadscore/synth"
	"github.com/spf13/cobra"
)

func newBenchCmd() *cobra.Command {
	var (
		models        []string
		leads         int
		eventsPerLead float64
		seed          uint64
		workers       int
		rounds        int
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure scoring throughput and latency on a reproducible synthetic data set",
		Long: `bench generates a seeded synthetic data set, reads it with the same readers
'leadscore score' uses, and measures the engine: scoring a lead from scratch,
scoring from a lead's cached state, and applying one new event to a state.
It reports mean and p50/p90/p99/max latencies and throughput on all workers.
With no --model it uses the built-in example model.`,
		Example: "  leadscore bench\n  leadscore bench --model examples/b2b-saas.yaml --leads 20000 --events-per-lead 100 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			checker := quality.NewChecker()
			set, err := loadModelsOrExample(cmd, models, checker)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "generating %d leads with about %g events each...\n", leads, eventsPerLead)
			ds, err := bench.NewDataset(cmd.Context(), synth.Options{Leads: leads, EventsPerLead: eventsPerLead, Seed: seed}, checker)
			if err != nil {
				return err
			}
			rep, err := bench.RunEngine(cmd.Context(), set, ds, bench.EngineOptions{Workers: workers, Rounds: rounds})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			rep.WriteText(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&models, "model", nil, "model file or directory (repeatable); default: the built-in example")
	f.IntVar(&leads, "leads", 5000, "number of synthetic leads")
	f.Float64Var(&eventsPerLead, "events-per-lead", 100, "mean events per lead")
	f.Uint64Var(&seed, "seed", 1, "seed of the synthetic data set")
	f.IntVar(&workers, "workers", 0, "goroutines for throughput runs (0: all cores)")
	f.IntVar(&rounds, "rounds", 1, "times each measurement goes over the data set")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.AddCommand(newBenchIngestCmd(), newBenchJobsCmd())
	return cmd
}

func newBenchJobsCmd() *cobra.Command {
	var (
		opts    bench.JobsOptions
		asJSON  bool
		cpuProf string
	)
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "Measure the background jobs: re-scoring every lead on activation, and the time job",
		Long: `bench jobs stores --leads leads with --events-per-lead events each straight into
a temporary SQLite database (or --db, a fresh PostgreSQL database or schema),
activates the example models, which scores every lead in the background as the
activation of any new model version does, and times that job to its end. Then
it marks --due-percent of the leads due, as a decay step or a closing window
would, and times one run of the time job over them.`,
		Example: "  leadscore bench jobs\n  leadscore bench jobs --leads 1000000",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Progress = progressTo(cmd.ErrOrStderr())
			return runBenchReport(cmd.OutOrStdout(), cpuProf, asJSON, func() (textReport, error) { return bench.RunJobs(cmd.Context(), opts) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DSN, "db", "", "database: a postgres:// URL of an empty database or schema (default: a temporary SQLite file)")
	f.IntVar(&opts.Leads, "leads", 100_000, "number of leads")
	f.IntVar(&opts.EventsPerLead, "events-per-lead", 10, "events stored per lead")
	f.Float64Var(&opts.DuePercent, "due-percent", 1, "share of leads made due for the time job")
	f.Uint64Var(&opts.Seed, "seed", 1, "seed of the generated data")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.StringVar(&cpuProf, "cpuprofile", "", "write a CPU profile of the run to this file (for go tool pprof)")
	return cmd
}

// textReport is a benchmark report that prints itself for a person.
type textReport interface{ WriteText(io.Writer) }

func progressTo(w io.Writer) func(string) {
	return func(phase string) { fmt.Fprintln(w, phase+"...") }
}

// runBenchReport runs a service benchmark under an optional CPU profile
// and prints its report as text or JSON.
func runBenchReport(stdout io.Writer, cpuProf string, asJSON bool, run func() (textReport, error)) error {
	stop, err := startCPUProfile(cpuProf)
	if err != nil {
		return err
	}
	defer stop()
	rep, err := run()
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(stdout, rep)
	}
	rep.WriteText(stdout)
	return nil
}

// startCPUProfile starts a CPU profile into path, if one is given, and
// returns the function that stops it.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	pf, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); pf.Close() }, nil
}

func newBenchIngestCmd() *cobra.Command {
	var (
		opts    bench.IngestOptions
		asJSON  bool
		cpuProf string
	)
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Measure the service: events/s through /v1/batch, latency, raw insert rate, reads while ingesting",
		Long: `bench ingest starts the service in-process on a temporary SQLite database
(or --db, a fresh PostgreSQL database or schema) with the example model
active, serves the HTTP API on a loopback port, identifies --leads leads, then
sends --requests /v1/batch requests of --batch tracked events from --clients
concurrent clients. It reports sustained events/s and request latency, the
rate of inserting the same events straight into the database without scoring
(the difference is the cost of scoring), and the latency of reading one lead
with its explanation at --read-rate per second while events are ingested.`,
		Example: "  leadscore bench ingest\n  leadscore bench ingest --db 'postgres://postgres@127.0.0.1/bench?sslmode=disable' --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Progress = progressTo(cmd.ErrOrStderr())
			return runBenchReport(cmd.OutOrStdout(), cpuProf, asJSON, func() (textReport, error) { return bench.RunIngest(cmd.Context(), opts) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DSN, "db", "", "database: a postgres:// URL of an empty database or schema (default: a temporary SQLite file)")
	f.IntVar(&opts.Leads, "leads", 100_000, "number of leads")
	f.IntVar(&opts.Requests, "requests", 3000, "number of /v1/batch requests of tracked events")
	f.IntVar(&opts.BatchSize, "batch", 100, "events per request")
	f.IntVar(&opts.Clients, "clients", 8, "concurrent clients")
	f.IntVar(&opts.ReadRate, "read-rate", 1000, "lead reads per second while ingesting")
	f.IntVar(&opts.ReadCount, "reads", 3000, "number of lead reads")
	f.Uint64Var(&opts.Seed, "seed", 1, "seed of the generated events")
	f.IntVar(&opts.CacheSize, "cache-size", 0, "lead states the service keeps in memory (default: the service's)")
	f.IntVar(&opts.MaxBatch, "max-batch", 0, "most messages per transaction (default: the service's)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.StringVar(&cpuProf, "cpuprofile", "", "write a CPU profile of the run to this file (for go tool pprof)")
	return cmd
}

// loadModelsOrExample compiles the given model files, or the built-in
// example when there are none.
func loadModelsOrExample(cmd *cobra.Command, paths []string, checker *quality.Checker) (*scoring.Set, error) {
	if len(paths) > 0 {
		return loadModelSet(paths, checker, predict.LoadPredictor, cmd.ErrOrStderr())
	}
	data, err := examples.Files.ReadFile(examples.ModelFile)
	if err != nil {
		return nil, err
	}
	return modelfile.Parse(examples.ModelFile, data).Compile(scoring.Options{Checker: checker})
}
