package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// Engine runs integrations against a store.
type Engine struct {
	store  store.Store
	logger *slog.Logger
	now    func() time.Time
}

// New returns an engine writing to st.
func New(st store.Store, logger *slog.Logger) *Engine {
	return &Engine{store: st, logger: logger, now: time.Now}
}

// WithClock returns the engine reading time from now: simulations and
// tests of what time does (staleness) set it.
func (e *Engine) WithClock(now func() time.Time) *Engine {
	c := *e
	c.now = now
	return &c
}

// RunParams describe one run.
type RunParams struct {
	Integration *store.Integration
	Settings    integration.Settings
	Source      connector.Source
	// Full asks for a full enumeration even if a delta is possible.
	Full bool
	// DryRun computes the plan and writes nothing, not even the run
	// record or the cursor.
	DryRun bool
	// AllowMassDeactivation lets a run deactivate past the threshold.
	AllowMassDeactivation bool
	Trigger               string
	// Progress, when set, is called after each page.
	Progress func(Progress)
	// Ownership ranks integrations per user field for people several
	// sources link (integration.Ownership); nil uses the defaults.
	Ownership integration.Ownership
	// PlanLimit caps the planned changes a dry run keeps (default 1000);
	// the counts always cover everything.
	PlanLimit int
}

// Progress is a running run's state, reported after each page.
type Progress struct {
	Counts   store.Counts
	ByKind   map[record.Kind]store.Counts
	Requests int
	// Budgeted says the integration has a request budget; Budget is the
	// requests it allows right now.
	Budgeted bool
	Budget   int
	Waiting  time.Duration
	Phase    string
}

// Result is what a finished run reports.
type Result struct {
	Run store.Run
	// Held is set when the run stopped before deactivating because of
	// the threshold; Deactivations and ActiveBase give the figures.
	Held          bool
	Deactivations int64
	ActiveBase    int64
	// Plan lists the changes of a dry run (at most PlanLimit).
	Plan []PlanItem
}

// PlanItem is one change a dry run would make.
type PlanItem struct {
	Kind       record.Kind `json:"kind"`
	ExternalID string      `json:"external_id"`
	EntityID   int64       `json:"entity_id,omitempty"`
	Action     string      `json:"action"`
	Name       string      `json:"name"`
	Reason     string      `json:"reason"`
}

// errDryRun rolls back the dry run's transaction.
var errDryRun = errors.New("dry run")

// ErrHeld is returned (wrapped) by nothing: a held run is a successful run
// whose Result.Held is set. It exists for callers that want an error.
var ErrHeld = errors.New("run held: deactivations above the threshold need confirmation")

// Run executes one run to its end. The returned error is nil for a
// succeeded or held run; for a failed run it is the cause, and the run
// record says the same in words.
func (e *Engine) Run(ctx context.Context, p RunParams) (*Result, error) {
	p.Settings = p.Settings.WithDefaults()
	if p.PlanLimit == 0 {
		p.PlanLimit = 1000
	}
	if !p.DryRun {
		return e.run(ctx, p, nil)
	}
	var res *Result
	err := e.store.Tx(ctx, func(tx store.Tx) error {
		var err error
		res, err = e.run(ctx, p, tx)
		if err != nil {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return res, err
}

func (e *Engine) run(ctx context.Context, p RunParams, dry store.Tx) (*Result, error) {
	r := &runner{e: e, p: p, dry: dry, scope: newScoper(p.Settings.Scope), sites: map[string]int64{}}
	if dry != nil {
		r.plan = &[]PlanItem{}
	}
	cur, err := e.store.CursorGet(ctx, p.Integration.ID)
	if err != nil {
		return nil, fmt.Errorf("reading cursor: %w", err)
	}
	full := p.Full || cur.Value == "" ||
		(p.Settings.FullSyncEvery > 0 && e.now().Sub(cur.LastFullAt) >= p.Settings.FullSyncEvery)
	mode := "delta"
	if full {
		mode = "full"
	}
	err = r.tx(ctx, func(tx store.Tx) error {
		run, err := tx.RunStart(ctx, &store.RunStartParams{
			IntegrationID: p.Integration.ID, Mode: mode, DryRun: p.DryRun, Trigger: p.Trigger, At: e.now(),
		})
		if err != nil {
			return err
		}
		r.run = *run
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("starting run: %w", err)
	}
	e.logger.Info("run started", "integration", p.Integration.Name, "run", r.run.ID, "mode", mode, "dry_run", p.DryRun)

	// A full run passes the cursor too: a source may owe what it holds
	// (pending removals behind a calendar's delta link) before it
	// enumerates again.
	req := connector.FetchRequest{Kinds: r.fetchKinds(), Full: full, Cursor: cur.Value}
	fres, err := p.Source.Fetch(ctx, req, r)
	// What was delivered is true even when the fetch then failed: apply it.
	aerr := r.drain(ctx)
	switch {
	case aerr != nil:
		err = aerr
	case err != nil:
		err = fmt.Errorf("fetching from source: %w", err)
	}
	if err != nil {
		return r.fail(ctx, err)
	}
	r.full = fres.Full || full
	if fres.Resynced {
		r.notes = append(r.notes, "the source refused the delta cursor (expired or reset); a full resync was done")
	}
	if len(fres.FailedParts) > 0 {
		r.failedParts = make(map[string]bool, len(fres.FailedParts))
		for _, f := range fres.FailedParts {
			r.failedParts[f.Part] = true
			r.notes = append(r.notes, fmt.Sprintf("%s failed, the rest completed; nothing of it was deactivated and it resumes from where it was: %s", f.Name, f.Err))
		}
	}
	res, err := r.finish(ctx, fres)
	if err != nil {
		return r.fail(ctx, err)
	}
	return res, nil
}

// fetchKinds are the kinds the connector must deliver: the imported ones,
// plus groups whenever mappings need memberships.
func (r *runner) fetchKinds() []record.Kind {
	kinds := append([]record.Kind(nil), r.p.Settings.Entities...)
	if r.scope.needsMembers() && !r.p.Settings.Imports(record.KindGroup) {
		kinds = append(kinds, record.KindGroup)
	}
	return kinds
}

// fail closes the run as failed. Nothing is deactivated and the cursor is
// not moved: whatever pages were applied are kept (they are true), and the
// next run fetches from the old cursor again.
func (r *runner) fail(ctx context.Context, cause error) (*Result, error) {
	msg := cause.Error()
	if errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded) {
		msg = "interrupted before the end (" + msg + "); the next run resumes from the last committed cursor"
	}
	r.run.Status = store.RunFailed
	r.run.Error = msg
	r.run.Counts, r.run.ByKind = r.total(), r.kinds()
	r.run.FinishedAt = r.e.now()
	if r.dry == nil {
		// The run record must be closed even when ctx is done.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err := r.e.store.Tx(fctx, func(tx store.Tx) error {
			if err := tx.RunScratchClear(fctx, r.run.ID); err != nil {
				return err
			}
			return tx.RunFinish(fctx, &store.RunFinishParams{
				ID: r.run.ID, Status: store.RunFailed, Counts: r.total(), ByKind: r.kinds(), Error: msg,
				Notes: strings.Join(r.notes, "\n"), At: r.run.FinishedAt,
			})
		})
		if err != nil {
			r.e.logger.Error("closing failed run", "run", r.run.ID, "err", err)
		}
	}
	r.e.logger.Warn("run failed", "integration", r.p.Integration.Name, "run", r.run.ID, "err", msg)
	return &Result{Run: r.run}, cause
}
