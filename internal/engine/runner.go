package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// runner is the state of one run. It is the connector's sink.
type runner struct {
	e     *Engine
	p     RunParams
	dry   store.Tx // the dry run's single transaction, or nil
	run   store.Run
	scope *scoper
	// sites caches site IDs by name for the run.
	sites map[string]int64
	// byKind counts outcomes per entity kind; writes counts platform rows.
	byKind map[record.Kind]*store.Counts
	writes int64
	full   bool
	notes  []string
	// plan collects a dry run's changes.
	plan *[]PlanItem
	// progressMu guards progress, which the connector sets from its own
	// goroutine.
	progressMu   sync.Mutex
	progress     connector.Progress
	lastProgress time.Time
	// usersChanged is set when any user was written, so managers need
	// resolving at the end.
	usersChanged bool
	// managers maps the current page's manager references to platform IDs.
	managers map[string]int64
	// integrations caches the store's integrations by ID, for ownership
	// ranks and messages.
	integrations map[int64]*store.Integration
	// failedParts are the parts of the source that failed in this run
	// (connector.FetchResult.FailedParts), by record.AttrPart.
	failedParts map[string]bool
	// audits collects a batch's audit events where they are built one by
	// one.
	audits []store.AuditEvent
	// orgs places devices by source organisation; assetSites caches the
	// sites assets went to.
	orgs       orgMapper
	assetSites map[string]*store.Site
	// buf holds records of one kind until there are enough for a
	// transaction: sources send pages of a few dozen to a thousand
	// records, and one transaction per small page would cost more in
	// commits than in work.
	buf      []record.Record
	bufUnits int
	// batches carries full buffers to the applier goroutine, so the next
	// page is fetched and decoded while the last one is written; applied
	// is closed when the applier is done and applyErr says how it ended.
	batches  chan []record.Record
	applied  chan struct{}
	applyErr error
}

// flushUnits is how much work (records, plus member changes) one
// transaction takes. Larger transactions write each index page touched by
// many records once instead of once per commit; 8,000 measured 40% faster
// than 2,000 on an initial sync of 200,000 users, for ~60 MB more peak RSS
// (BENCHMARKS.md).
const flushUnits = 8000

var _ connector.Sink = (*runner)(nil)

// tx runs fn in a transaction of its own, or in the dry run's.
func (r *runner) tx(ctx context.Context, fn func(store.Tx) error) error {
	if r.dry != nil {
		return fn(r.dry)
	}
	return r.e.store.Tx(ctx, fn)
}

// Page takes one page of records. Records are applied in the order they
// come, a kind at a time, in transactions of about flushUnits records, by
// an applier goroutine: at most one batch waits while another is applied.
// Page touches only the buffer; all other run state belongs to the applier.
func (r *runner) Page(ctx context.Context, recs []record.Record) error {
	for _, rec := range recs {
		if len(r.buf) > 0 && r.buf[0].Kind != rec.Kind {
			if err := r.submit(ctx); err != nil {
				return err
			}
		}
		r.buf = append(r.buf, rec)
		r.bufUnits++
		if rec.Members != nil {
			r.bufUnits += (len(rec.Members.Added) + len(rec.Members.Removed)) / 4
		}
		if r.bufUnits >= flushUnits {
			if err := r.submit(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// submit hands the buffer to the applier, starting it on first use. It
// fails once the applier has failed, which stops the fetch.
func (r *runner) submit(ctx context.Context) error {
	if len(r.buf) == 0 {
		return nil
	}
	if r.batches == nil {
		r.batches, r.applied = make(chan []record.Record, 1), make(chan struct{})
		go r.applyLoop(ctx)
	}
	batch := r.buf
	r.buf, r.bufUnits = nil, 0
	select {
	case r.batches <- batch:
		return nil
	case <-r.applied:
		return r.applyErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain applies what is still buffered and waits for the applier. It
// returns the first apply error.
func (r *runner) drain(ctx context.Context) error {
	err := r.submit(ctx)
	if r.batches == nil {
		return err
	}
	close(r.batches)
	<-r.applied
	if r.applyErr != nil {
		return r.applyErr
	}
	return err
}

// applyLoop applies batches until the channel closes or one fails.
func (r *runner) applyLoop(ctx context.Context) {
	defer close(r.applied)
	for batch := range r.batches {
		if err := r.apply(ctx, batch); err != nil {
			r.applyErr = fmt.Errorf("applying page: %w", err)
			return
		}
		r.report(ctx, "fetching")
	}
}

// apply writes one batch of records of one kind in one transaction.
func (r *runner) apply(ctx context.Context, recs []record.Record) error {
	kind := recs[0].Kind
	r.c(kind).Fetched += int64(len(recs))
	return r.tx(ctx, func(tx store.Tx) error {
		switch kind {
		case record.KindGroup:
			return r.applyGroups(ctx, tx, recs)
		case record.KindUser, record.KindContact:
			return r.applyUsers(ctx, tx, recs, false)
		case record.KindAsset:
			return r.applyAssets(ctx, tx, recs)
		case record.KindSite:
			return r.applySites(ctx, tx, recs)
		case record.KindAppointment:
			return r.applyAppointments(ctx, tx, recs)
		case record.KindLicence:
			return r.applyLicences(ctx, tx, recs)
		case record.KindLicenceAssignment:
			return r.applyAssignments(ctx, tx, recs)
		}
		r.c(kind).Failed += int64(len(recs))
		return nil
	})
}

// Progress records the connector's own progress.
func (r *runner) Progress(p connector.Progress) {
	r.progressMu.Lock()
	r.progress = p
	r.progressMu.Unlock()
}

func (r *runner) report(ctx context.Context, phase string) {
	if r.p.Progress != nil {
		r.progressMu.Lock()
		cp := r.progress
		r.progressMu.Unlock()
		r.p.Progress(Progress{Counts: r.total(), ByKind: r.kinds(), Requests: cp.Requests,
			Budgeted: cp.Budgeted, Budget: cp.Budget, Waiting: cp.Waiting, Phase: phase})
	}
	if r.dry != nil || time.Since(r.lastProgress) < 2*time.Second {
		return
	}
	r.lastProgress = time.Now()
	err := r.e.store.Tx(ctx, func(tx store.Tx) error { return tx.RunProgress(ctx, r.run.ID, r.total()) })
	if err != nil {
		r.e.logger.Debug("recording run progress", "run", r.run.ID, "err", err)
	}
}

// siteID returns the ID of a site of the integration's client, creating it
// when missing.
func (r *runner) siteID(ctx context.Context, tx store.Tx, name string) (int64, error) {
	if id, ok := r.sites[name]; ok {
		return id, nil
	}
	s, err := tx.SiteEnsure(ctx, r.p.Settings.Client, name)
	if err != nil {
		return 0, fmt.Errorf("ensuring site %q: %w", name, err)
	}
	if r.dry == nil {
		// A dry run's sites vanish with its transaction; a real run's stay.
		r.sites[name] = s.ID
	}
	return s.ID, nil
}

// audit builds an audit event of this run.
func (r *runner) audit(kind record.Kind, entityID int64, action, reason string, changes []byte) store.AuditEvent {
	return store.AuditEvent{
		At: r.e.now(), RunID: r.run.ID, IntegrationID: r.p.Integration.ID,
		Kind: kind, EntityID: entityID, Action: action, Reason: reason, Changes: changes,
	}
}

// planned records a dry run's change.
func (r *runner) planned(kind record.Kind, extID string, entityID int64, action, name, reason string) {
	if r.plan == nil || len(*r.plan) >= r.p.PlanLimit {
		return
	}
	*r.plan = append(*r.plan, PlanItem{Kind: kind, ExternalID: extID, EntityID: entityID, Action: action, Name: name, Reason: reason})
}

// c returns the counts of one kind.
func (r *runner) c(k record.Kind) *store.Counts {
	if r.byKind == nil {
		r.byKind = map[record.Kind]*store.Counts{}
	}
	c, ok := r.byKind[k]
	if !ok {
		c = &store.Counts{}
		r.byKind[k] = c
	}
	return c
}

// kinds returns a copy of the per-kind counts.
func (r *runner) kinds() map[record.Kind]store.Counts {
	out := make(map[record.Kind]store.Counts, len(r.byKind))
	for k, c := range r.byKind {
		out[k] = *c
	}
	return out
}

// total sums the counts over kinds, with the rows written.
func (r *runner) total() store.Counts {
	var t store.Counts
	for _, c := range r.byKind {
		t.Add(*c)
	}
	t.Writes = r.writes
	return t
}
