package engine

import (
	"context"
	"fmt"
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
	plan     *[]PlanItem
	progress connector.Progress
	// flushErr keeps an error from a page so Fetch's own error cannot hide it.
	flushErr     error
	lastProgress time.Time
	// usersChanged is set when any user was written, so managers need
	// resolving at the end.
	usersChanged bool
	// managers maps the current page's manager references to platform IDs.
	managers map[string]int64
	// buf holds records of one kind until there are enough for a
	// transaction: sources send pages of a few dozen to a thousand
	// records, and one transaction per small page would cost more in
	// commits than in work.
	buf      []record.Record
	bufUnits int
}

// flushUnits is how much work (records, plus member changes) one
// transaction takes.
const flushUnits = 2000

var _ connector.Sink = (*runner)(nil)

// tx runs fn in a transaction of its own, or in the dry run's.
func (r *runner) tx(ctx context.Context, fn func(store.Tx) error) error {
	if r.dry != nil {
		return fn(r.dry)
	}
	return r.e.store.Tx(ctx, fn)
}

// Page takes one page of records. Records are applied in the order they
// come, a kind at a time, in transactions of about flushUnits records.
func (r *runner) Page(ctx context.Context, recs []record.Record) error {
	for _, rec := range recs {
		r.c(rec.Kind).Fetched++
		if rec.Kind != record.KindGroup && rec.Kind != record.KindUser {
			r.c(rec.Kind).Failed++
			continue
		}
		if len(r.buf) > 0 && r.buf[0].Kind != rec.Kind {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
		r.buf = append(r.buf, rec)
		r.bufUnits++
		if rec.Members != nil {
			r.bufUnits += (len(rec.Members.Added) + len(rec.Members.Removed)) / 4
		}
		if r.bufUnits >= flushUnits {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
	}
	r.report(ctx, "fetching")
	return nil
}

// flush applies the buffered records in one transaction.
func (r *runner) flush(ctx context.Context) error {
	if len(r.buf) == 0 {
		return nil
	}
	recs := r.buf
	r.buf, r.bufUnits = nil, 0
	var groups, users []record.Record
	if recs[0].Kind == record.KindGroup {
		groups = recs
	} else {
		users = recs
	}
	err := r.tx(ctx, func(tx store.Tx) error {
		if len(groups) > 0 {
			if err := r.applyGroups(ctx, tx, groups); err != nil {
				return err
			}
		}
		if len(users) > 0 {
			if err := r.applyUsers(ctx, tx, users, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("applying page: %w", err)
		r.flushErr = err
		return err
	}
	return nil
}

// Progress records the connector's own progress.
func (r *runner) Progress(p connector.Progress) { r.progress = p }

func (r *runner) report(ctx context.Context, phase string) {
	if r.p.Progress != nil {
		r.p.Progress(Progress{Counts: r.total(), ByKind: r.kinds(), Requests: r.progress.Requests, Waiting: r.progress.Waiting, Phase: phase})
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
