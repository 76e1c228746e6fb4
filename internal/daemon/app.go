// Package daemon wires the parts of a running integrator together: the
// store, the connectors of the configured integrations, the engine, the
// job engine and the API. The CLI builds one App per command.
package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/store"
)

// App is one process's integrator.
type App struct {
	cfg    *config.Config
	logger *slog.Logger
	Store  store.Store
	engine *engine.Engine
	// loc is where the store lives.
	loc storeLocation
	// jobsPath is the job database's path on SQLite; River's tables are
	// in the store's own database on PostgreSQL.
	jobsPath string

	mu       sync.Mutex
	sched    *jobs.Scheduler
	lockFile *os.File
	// hooks observe runs (the CLI's progress bar, the demo's narration).
	progress    func(name string, p engine.Progress)
	finished    func(name string, res *engine.Result, err error)
	maxAttempts int
	// defs are the integrations created through the API (defs.go).
	defs *defs
}

// Options tune an App.
type Options struct {
	// Progress is called after each page of every run.
	Progress func(integration string, p engine.Progress)
	// Finished is called when a run ends.
	Finished func(integration string, res *engine.Result, err error)
	// MaxAttempts is how many times the job engine tries a run that
	// failed transiently; 0 keeps the job engine's default.
	MaxAttempts int
}

// Open opens the store named by the configuration, applies its
// migrations, and records the configured integrations in it.
func Open(ctx context.Context, cfg *config.Config, logger *slog.Logger, o Options) (*App, error) {
	loc := parseStore(cfg.Store)
	st, err := loc.open(ctx, logger)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, logger: logger, Store: st, engine: engine.New(st, logger), loc: loc,
		progress: o.Progress, finished: o.Finished, maxAttempts: o.MaxAttempts}
	if loc.sqlitePath != "" {
		a.jobsPath = jobsPathFor(loc.sqlitePath)
	}
	if err := a.recordIntegrations(ctx); err != nil {
		st.Close()
		return nil, err
	}
	loc.warnSharedKey(logger)
	if err := a.openDefs(ctx, loc.sqlitePath); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// jobsPathFor keeps River's tables in a database beside the store's, so
// the job engine's polling never waits behind a sync's write batches.
func jobsPathFor(path string) string {
	if path == ":memory:" || strings.Contains(path, "mode=memory") {
		return ":memory:"
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + ".jobs" + cmpOr(ext, ".db")
}

func cmpOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// recordIntegrations upserts the configured integrations (their
// non-secret settings) into the store.
func (a *App) recordIntegrations(ctx context.Context) error {
	return a.Store.Tx(ctx, func(tx store.Tx) error {
		for _, in := range a.cfg.Integrations {
			s := in.Settings
			b, err := json.Marshal(s)
			if err != nil {
				return fmt.Errorf("encoding settings of %s: %w", s.Name, err)
			}
			if _, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{
				Name: s.Name, Type: s.Type, Enabled: s.Enabled, Settings: b,
			}); err != nil {
				return fmt.Errorf("recording integration %s: %w", s.Name, err)
			}
		}
		return nil
	})
}

// Config returns the configuration the App runs.
func (a *App) Config() *config.Config { return a.cfg }

// Close stops the scheduler if started and closes the store.
func (a *App) Close() error {
	a.mu.Lock()
	s := a.sched
	a.sched = nil
	a.mu.Unlock()
	var errs []error
	if s != nil {
		errs = append(errs, s.Close())
	}
	errs = append(errs, a.Store.Close())
	return errors.Join(errs...)
}

// integration finds a configured integration and its store row.
func (a *App) integration(ctx context.Context, name string) (*config.Integration, *store.Integration, error) {
	in, ok := a.lookup(name)
	if !ok && a.defs != nil {
		// Created through another process's API since this one last
		// looked (WatchIntegrations): a job of it may reach any process.
		if err := a.ReloadIntegrations(ctx); err != nil {
			return nil, nil, fmt.Errorf("reloading integrations to find %q: %w", name, err)
		}
		in, ok = a.lookup(name)
	}
	if !ok {
		return nil, nil, fmt.Errorf("no integration named %q in %s", name, a.cfg.Path)
	}
	row, err := a.Store.IntegrationGet(ctx, name)
	if err != nil {
		return nil, nil, fmt.Errorf("reading integration %s: %w", name, err)
	}
	return in, row, nil
}

// Run executes one run of an integration. It implements jobs.Runner: the
// schedule, the CLI and the API all come through here.
func (a *App) Run(ctx context.Context, req jobs.RunRequest) error {
	_, err := a.run(ctx, req, false)
	return err
}

// Plan computes what a run would do, writing nothing.
func (a *App) Plan(ctx context.Context, name string, full bool) (*engine.Result, error) {
	return a.run(ctx, jobs.RunRequest{Integration: name, Full: full, Trigger: "manual"}, true)
}

func (a *App) run(ctx context.Context, req jobs.RunRequest, dry bool) (*engine.Result, error) {
	in, row, err := a.integration(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	if !in.Settings.Enabled && req.Trigger == "schedule" {
		return nil, nil
	}
	logger := a.logger.With("integration", in.Settings.Name, "type", in.Settings.Type)
	src, err := in.Connector.Open(in.Settings.Name, logger)
	if err != nil {
		return nil, fmt.Errorf("opening connector: %w", err)
	}
	if c, ok := src.(connector.Closer); ok {
		defer c.Close()
	}
	p := engine.RunParams{
		Integration: row, Settings: in.Settings, Source: src, Full: req.Full, DryRun: dry,
		AllowMassDeactivation: req.AllowMassDeactivation, Trigger: req.Trigger, Ownership: a.cfg.Ownership,
	}
	if a.progress != nil {
		p.Progress = func(pr engine.Progress) { a.progress(req.Integration, pr) }
	}
	if !dry {
		if err := a.abandonStale(ctx, row); err != nil {
			return nil, err
		}
	}
	res, err := a.engine.Run(ctx, p)
	if a.finished != nil && !dry {
		a.finished(req.Integration, res, err)
	}
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		// Interrupted (shutdown or timeout): the job engine tries again,
		// from the last committed cursor.
		err = &connector.RetryableError{Err: err}
	}
	return res, err
}

// abandonStale closes the integration's runs still marked running as
// failed. The job engine never runs one integration twice at once, so when
// a run starts, a run record still open is that of a process that stopped
// mid-run and whose job was taken over (by River's rescuer on PostgreSQL,
// or its retry after a lost attempt).
func (a *App) abandonStale(ctx context.Context, row *store.Integration) error {
	var n int
	err := a.Store.Tx(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.RunAbandon(ctx, row.ID, abandonedOnTakeover)
		return err
	})
	if err != nil {
		return fmt.Errorf("closing runs of %s left by a stopped process: %w", row.Name, err)
	}
	if n > 0 {
		a.logger.WarnContext(ctx, "closed runs left running by a stopped process", "integration", row.Name, "runs", n)
	}
	return nil
}

// RecordSkip records a tick that found a run still going. It implements
// jobs.SkipRecorder.
func (a *App) RecordSkip(ctx context.Context, name, reason string) error {
	row, err := a.Store.IntegrationGet(ctx, name)
	if err != nil {
		return fmt.Errorf("reading integration %s: %w", name, err)
	}
	return a.Store.Tx(ctx, func(tx store.Tx) error {
		_, err := tx.RunSkip(ctx, &store.RunSkipParams{IntegrationID: row.ID, Reason: reason, At: time.Now()})
		return err
	})
}

// Logger returns the App's logger.
func (a *App) Logger() *slog.Logger { return a.logger }
