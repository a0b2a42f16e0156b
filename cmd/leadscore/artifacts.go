package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/httpapi/client"
	"github.com/leadscore/leadscore/predict"
	"github.com/leadscore/leadscore/scoring"
	"github.com/leadscore/leadscore/sqlstore"
)

// artifactKeys are the configuration keys of the offline verbs (score,
// model test) that say where `artifact: store:NAME` is read from.
var artifactKeys = []string{"data_dir", "db", "server", "key"}

// storeArtifacts loads predictive artefacts for the offline verbs: a file
// path as a file, and store:NAME[@VERSION] from a running server (--server)
// or the database of the data directory (--data-dir, --db). The database
// or server is reached on the first store reference only, so rule models
// and file artefacts never need one.
type storeArtifacts struct {
	ctx context.Context
	// config is read on the first store reference too: a command that
	// needs no database does not fail on a configuration it does not use.
	config func() (*config, error)
	cfg    *config

	mu    sync.Mutex
	load  func(string) (scoring.Predictor, error)
	close func() error
	err   error
}

func newStoreArtifacts(ctx context.Context, cf *configFlags) *storeArtifacts {
	return &storeArtifacts{ctx: ctx, config: func() (*config, error) { return cf.load(os.LookupEnv) }}
}

// Load is a scoring.Options.LoadPredictor.
func (a *storeArtifacts) Load(ref string) (scoring.Predictor, error) {
	if _, _, ok := predict.ParseStoreRef(ref); !ok {
		return predict.LoadPredictor(ref)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.load == nil && a.err == nil {
		a.err = a.open()
	}
	if a.err != nil {
		return nil, a.err
	}
	p, err := a.load(ref)
	if err != nil {
		return nil, fmt.Errorf("%s (read from %s): %w", ref, a.where(), err)
	}
	return p, nil
}

// Close releases the database opened for store references, if any.
func (a *storeArtifacts) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.close == nil {
		return nil
	}
	err := a.close()
	a.close = nil
	return err
}

func (a *storeArtifacts) where() string {
	if a.cfg.Server != "" {
		return "server " + a.cfg.Server
	}
	return a.cfg.where()
}

func (a *storeArtifacts) open() error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	a.cfg = cfg
	var reader leadscore.PredictiveReader
	if err := cfg.serverOrDatabase(); err != nil {
		return err
	}
	if cfg.Server != "" {
		if cfg.Key == "" {
			return fmt.Errorf("store: artifacts from --server need an API key with the read scope: --key or $%sKEY", envPrefix)
		}
		reader = client.NewClient(cfg.Server, cfg.Key, &http.Client{Timeout: time.Minute})
	} else {
		if err := cfg.existingDatabase(); err != nil {
			return err
		}
		store, err := sqlstore.Open(a.ctx, cfg.dsn(), sqlstore.Options{Logger: cfg.verbLogger(os.Stderr)})
		if err != nil {
			return fmt.Errorf("open the database %s: %w", maskDSN(cfg.dsn()), err)
		}
		r, ok := store.Workspace(leadscore.DefaultWorkspace).(leadscore.PredictiveReader)
		if !ok {
			store.Close()
			return fmt.Errorf("the database %s holds no predictive models", maskDSN(cfg.dsn()))
		}
		reader, a.close = r, store.Close
	}
	a.load = predict.StoreLoader(reader, predict.LoadPredictor)
	return nil
}
