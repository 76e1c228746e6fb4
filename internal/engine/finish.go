package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const finishBatch = 500

// finish runs a complete fetch's end phase: membership sweep and
// re-scoping, the threshold check, deactivations, managers, and the cursor
// with the run record in the last transaction.
func (r *runner) finish(ctx context.Context, fres connector.FetchResult) (*Result, error) {
	integ := r.p.Integration.ID
	if !r.full {
		// A full run fetched every user still at the source, each scoped
		// with the memberships as they are now; the queued users it did not
		// fetch have vanished and are the sweep's to judge (or to leave
		// alone, when deactivate-when-not-found is off). Only a delta run
		// needs to re-scope.
		if err := r.rescope(ctx); err != nil {
			return nil, err
		}
	}

	// Count what would be deactivated before touching anything.
	sweep := r.full && *r.p.Settings.DeactivateWhenNotFound
	var users, groups int64
	unseen := map[record.Kind]int64{}
	err := r.tx(ctx, func(tx store.Tx) error {
		var after int64
		for {
			ps, err := tx.PendingList(ctx, r.run.ID, after, finishBatch)
			if err != nil {
				return fmt.Errorf("reading queued deactivations: %w", err)
			}
			for _, p := range ps {
				if p.Kind != record.KindGroup {
					users++
				} else {
					groups++
				}
				after = p.Seq
			}
			if len(ps) < finishBatch {
				break
			}
		}
		if !sweep {
			return nil
		}
		for _, k := range r.sweepKinds() {
			n, err := r.countUnseen(ctx, tx, integ, k, r.run.ID)
			if err != nil {
				return err
			}
			unseen[k] = n
			if k != record.KindGroup {
				users += n
			} else {
				groups += n
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Deactivations: users}
	count, err := r.e.store.EntityCount(ctx, integ, record.KindUser)
	if err != nil {
		return nil, fmt.Errorf("counting active users: %w", err)
	}
	if r.dry != nil {
		if count, err = r.dry.EntityCount(ctx, integ, record.KindUser); err != nil {
			return nil, fmt.Errorf("counting active users: %w", err)
		}
	}
	res.ActiveBase = count.Active
	for _, k := range []record.Kind{record.KindContact, record.KindAsset, record.KindLicence} {
		if !r.p.Settings.Imports(k) {
			continue
		}
		var rd store.Reader = r.e.store
		if r.dry != nil {
			rd = r.dry
		}
		cc, err := rd.EntityCount(ctx, integ, k)
		if err != nil {
			return nil, fmt.Errorf("counting active %ss: %w", k, err)
		}
		res.ActiveBase += cc.Active
	}
	if over := r.overThreshold(users, res.ActiveBase); over != "" && !r.p.AllowMassDeactivation {
		res.Held = true
		r.notes = append(r.notes, over)
		return r.close(ctx, res, store.RunHeld, "")
	}

	if err := r.applyPending(ctx); err != nil {
		return nil, err
	}
	if r.full {
		// Memberships a full run did not see are gone at the source. They
		// are dropped only past the threshold check, so a held run leaves
		// the directory exactly as it was.
		err := r.tx(ctx, func(tx store.Tx) error {
			removed, err := tx.MemberSweep(ctx, integ, r.run.ID)
			r.writes += int64(len(removed))
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("sweeping memberships: %w", err)
		}
	}
	if sweep {
		for _, k := range r.sweepKinds() {
			if unseen[k] == 0 {
				continue
			}
			if err := r.sweepUnseen(ctx, k); err != nil {
				return nil, err
			}
		}
	}
	if r.usersChanged {
		err := r.tx(ctx, func(tx store.Tx) error {
			n, err := tx.UserManagersResolve(ctx, integ, r.run.ID)
			r.writes += int64(n)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("resolving managers: %w", err)
		}
	}
	return r.close(ctx, res, store.RunSucceeded, fres.Cursor)
}

// sweepKinds are the kinds a full run sweeps for objects it no longer
// saw: people first, then groups.
func (r *runner) sweepKinds() []record.Kind {
	ks := []record.Kind{record.KindUser}
	for _, k := range []record.Kind{record.KindContact, record.KindAsset, record.KindLicence} {
		if r.p.Settings.Imports(k) {
			ks = append(ks, k)
		}
	}
	return append(ks, record.KindGroup)
}

// overThreshold explains in words why n deactivations out of active users
// cross the threshold, or returns "".
func (r *runner) overThreshold(n, active int64) string {
	t := r.p.Settings.Threshold
	if n == 0 {
		return ""
	}
	pct := 100.0
	if active > 0 {
		pct = float64(n) * 100 / float64(active)
	}
	noun := "users"
	switch {
	case r.p.Settings.Imports(record.KindUser):
	case r.p.Settings.Imports(record.KindAsset):
		noun = "assets"
	case r.p.Settings.Imports(record.KindLicence):
		noun = "licences"
	case r.p.Settings.Imports(record.KindContact):
		noun = "contacts"
	}
	var why []string
	if t.MaxCount >= 0 && n > int64(t.MaxCount) {
		why = append(why, fmt.Sprintf("more than %d %s", t.MaxCount, noun))
	}
	if t.MaxPercent >= 0 && pct > t.MaxPercent {
		why = append(why, fmt.Sprintf("more than %g%% of the %d active %s", t.MaxPercent, active, noun))
	}
	if len(why) == 0 {
		return ""
	}
	return fmt.Sprintf("held: this run would deactivate %d %s (%.1f%% of %d active), %s. Nothing was deactivated and the cursor was not moved. "+
		"If this is expected, confirm with: integrator sync %s --allow-mass-deactivation",
		n, noun, pct, active, strings.Join(why, " and "), r.p.Integration.Name)
}

// close writes the cursor (for a succeeded run), clears the run's scratch
// and closes the run record, in one transaction.
func (r *runner) close(ctx context.Context, res *Result, status, cursor string) (*Result, error) {
	now := r.e.now()
	err := r.tx(ctx, func(tx store.Tx) error {
		if status == store.RunSucceeded {
			err := tx.CursorSet(ctx, &store.CursorSetParams{
				IntegrationID: r.p.Integration.ID, Value: cursor, RunID: r.run.ID, Full: r.full, At: now,
			})
			if err != nil {
				return fmt.Errorf("committing cursor: %w", err)
			}
		}
		if err := tx.RunScratchClear(ctx, r.run.ID); err != nil {
			return fmt.Errorf("clearing run scratch: %w", err)
		}
		return tx.RunFinish(ctx, &store.RunFinishParams{
			ID: r.run.ID, Status: status, Full: r.full, Counts: r.total(), ByKind: r.kinds(),
			Notes: strings.Join(r.notes, "\n"), At: now,
		})
	})
	if err != nil {
		return nil, err
	}
	r.run.Status, r.run.Full, r.run.Counts, r.run.ByKind, r.run.FinishedAt = status, r.full, r.total(), r.kinds(), now
	r.run.Notes = strings.Join(r.notes, "\n")
	res.Run = r.run
	if r.plan != nil {
		res.Plan = *r.plan
	}
	r.report(ctx, "done")
	t := r.run.Counts
	r.e.logger.Info("run finished", "integration", r.p.Integration.Name, "run", r.run.ID, "status", status,
		"created", t.Created, "updated", t.Updated, "deactivated", t.Deactivated,
		"reactivated", t.Reactivated, "unchanged", t.Unchanged, "failed", t.Failed, "writes", t.Writes)
	return res, nil
}

func (r *runner) countUnseen(ctx context.Context, tx store.Tx, integ int64, k record.Kind, run int64) (int64, error) {
	var n, after int64
	for {
		ls, err := tx.LinkListUnseen(ctx, &store.LinkListUnseenParams{IntegrationID: integ, Kind: k, RunID: run, AfterID: after, Limit: finishBatch})
		if err != nil {
			return 0, fmt.Errorf("listing %ss not seen: %w", k, err)
		}
		for _, l := range ls {
			if !r.inFailedPart(l) {
				n++
			}
		}
		if len(ls) < finishBatch {
			return n, nil
		}
		after = ls[len(ls)-1].ID
	}
}

// rescope re-evaluates users whose group membership changed but whom this
// run did not fetch, from what their links keep.
func (r *runner) rescope(ctx context.Context) error {
	after := ""
	for {
		done := false
		err := r.tx(ctx, func(tx store.Tx) error {
			ids, err := tx.RescopeList(ctx, r.run.ID, after, finishBatch)
			if err != nil {
				return fmt.Errorf("reading users to re-scope: %w", err)
			}
			if len(ids) < finishBatch {
				done = true
			}
			if len(ids) == 0 {
				return nil
			}
			after = ids[len(ids)-1]
			links, err := tx.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: r.p.Integration.ID, Kind: record.KindUser, ExternalIDs: ids})
			if err != nil {
				return fmt.Errorf("reading links to re-scope: %w", err)
			}
			recs := make([]record.Record, 0, len(links))
			for _, l := range links {
				d, err := decodeLinkData(l.Data)
				if err != nil {
					return fmt.Errorf("user %s: %w", l.ExternalID, err)
				}
				recs = append(recs, record.Record{Kind: record.KindUser, ID: l.ExternalID, State: stateOf(d.State), Reason: d.Reason, Attrs: d.Attrs})
			}
			return r.applyUsers(ctx, tx, recs, true)
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// applyPending applies the queued deactivations, a batch per transaction.
func (r *runner) applyPending(ctx context.Context) error {
	var after int64
	for {
		n := 0
		err := r.tx(ctx, func(tx store.Tx) error {
			ps, err := tx.PendingList(ctx, r.run.ID, after, finishBatch)
			if err != nil {
				return fmt.Errorf("reading queued deactivations: %w", err)
			}
			n = len(ps)
			if n == 0 {
				return nil
			}
			after = ps[n-1].Seq
			return r.deactivate(ctx, tx, ps)
		})
		if err != nil {
			return err
		}
		if n < finishBatch {
			return nil
		}
	}
}

// sweepUnseen deactivates the entities of links a full run did not see.
func (r *runner) sweepUnseen(ctx context.Context, k record.Kind) error {
	var after int64
	for {
		n := 0
		err := r.tx(ctx, func(tx store.Tx) error {
			ls, err := tx.LinkListUnseen(ctx, &store.LinkListUnseenParams{
				IntegrationID: r.p.Integration.ID, Kind: k, RunID: r.run.ID, AfterID: after, Limit: finishBatch,
			})
			if err != nil {
				return fmt.Errorf("listing %ss not seen: %w", k, err)
			}
			n = len(ls)
			if n == 0 {
				return nil
			}
			after = ls[n-1].ID
			ps := make([]store.Pending, 0, n)
			for _, l := range ls {
				if r.inFailedPart(l) {
					// Its part failed: not seen says nothing.
					continue
				}
				d, err := decodeLinkData(l.Data)
				if err != nil {
					return fmt.Errorf("%s %s: %w", k, l.ExternalID, err)
				}
				d.State, d.Reason = record.Removed.String(), "not returned by a full run"
				ps = append(ps, store.Pending{Kind: k, ExternalID: l.ExternalID, Record: d.encode(),
					Reason: "not found at source: a full run no longer returned it"})
			}
			return r.deactivate(ctx, tx, ps)
		})
		if err != nil {
			return err
		}
		if n < finishBatch {
			return nil
		}
	}
}

// inFailedPart reports whether a link's object belongs to a part of the
// source that failed in this run.
func (r *runner) inFailedPart(l store.Link) bool {
	if len(r.failedParts) == 0 {
		return false
	}
	d, err := decodeLinkData(l.Data)
	return err == nil && r.failedParts[d.Attrs[record.AttrPart]]
}
