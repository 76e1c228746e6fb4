package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// applyGroups upserts one page of groups and applies their membership
// changes. Groups arrive before users, so the users of the same run are
// scoped with the memberships as they are now. Members of a mapped group
// whose membership changed are queued for re-scoping, in case the run does
// not fetch them again.
func (r *runner) applyGroups(ctx context.Context, tx store.Tx, recs []record.Record) error {
	integ := r.p.Integration.ID
	ids := make([]string, 0, len(recs))
	for _, rec := range recs {
		ids = append(ids, rec.ID)
	}
	links, err := tx.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: integ, Kind: record.KindGroup, ExternalIDs: ids})
	if err != nil {
		return fmt.Errorf("reading group links: %w", err)
	}
	byID := make(map[string]*store.Link, len(links))
	for i := range links {
		byID[links[i].ExternalID] = &links[i]
	}
	if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: r.run.ID, Kind: record.KindGroup, ExternalIDs: ids}); err != nil {
		return fmt.Errorf("marking groups seen: %w", err)
	}
	var writes int64
	for _, rec := range recs {
		link := byID[rec.ID]
		n, nl, err := r.applyGroup(ctx, tx, rec, link)
		if err != nil {
			return fmt.Errorf("group %s: %w", rec.ID, err)
		}
		writes += n
		if nl != nil {
			// A large group repeats within a batch: later slices must
			// see the link the first one wrote.
			byID[rec.ID] = nl
		}
		if rec.Members == nil || rec.State == record.Removed {
			continue
		}
		removed := rec.Members.Removed
		if rec.Members.Complete {
			// The source sent the whole membership: whoever else the
			// group held has left it.
			if removed, err = r.leavers(ctx, tx, rec); err != nil {
				return err
			}
		}
		changed, err := tx.MemberApply(ctx, &store.MemberApplyParams{
			IntegrationID: integ, RunID: r.run.ID, GroupExternalID: rec.ID,
			Added: rec.Members.Added, Removed: removed,
		})
		if err != nil {
			return fmt.Errorf("applying members of group %s: %w", rec.ID, err)
		}
		writes += int64(changed)
		name := rec.Attrs[record.AttrName]
		if name == "" && link != nil {
			if d, err := decodeLinkData(link.Data); err == nil {
				name = d.Attrs[record.AttrName]
			}
		}
		if r.scope.mapped(rec.ID, name) {
			moved := append(append([]string(nil), rec.Members.Added...), removed...)
			if err := tx.RescopeAdd(ctx, r.run.ID, moved); err != nil {
				return fmt.Errorf("queueing members for re-scoping: %w", err)
			}
		}
	}
	r.writes += writes
	// Group names may have changed: resolve mappings again before users.
	r.scope.invalidate()
	return nil
}

// leavers returns the members the store holds for a group that a
// complete member list no longer names.
func (r *runner) leavers(ctx context.Context, tx store.Tx, rec record.Record) ([]string, error) {
	cur, err := tx.MemberList(ctx, r.p.Integration.ID, rec.ID)
	if err != nil {
		return nil, fmt.Errorf("reading members of group %s: %w", rec.ID, err)
	}
	keep := make(map[string]bool, len(rec.Members.Added))
	for _, m := range rec.Members.Added {
		keep[m] = true
	}
	var gone []string
	for _, m := range cur {
		if !keep[m] {
			gone = append(gone, m)
		}
	}
	return gone, nil
}

// applyGroup creates or updates one group's entity and link. Memberships
// are applied by the caller. It returns the rows written and the link as it
// now is (nil when no link was written).
func (r *runner) applyGroup(ctx context.Context, tx store.Tx, rec record.Record, link *store.Link) (int64, *store.Link, error) {
	d := merge(linkData{}, rec)
	d.InScope = rec.State == record.Present
	fp := d.fingerprint()
	if link != nil && link.Fingerprint != fp {
		// Not the fast path: overlay on what the link kept.
		old, err := decodeLinkData(link.Data)
		if err != nil {
			return 0, nil, err
		}
		d = merge(old, rec)
		d.InScope = rec.State == record.Present
		fp = d.fingerprint()
	}
	if link != nil && link.Fingerprint == fp {
		r.c(record.KindGroup).Unchanged++
		return 0, nil, nil
	}
	name := d.Attrs[record.AttrName]
	l := store.Link{
		IntegrationID: r.p.Integration.ID, Kind: record.KindGroup, ExternalID: rec.ID,
		Status: store.LinkLinked, MatchedBy: "created", Fingerprint: fp, Data: d.encode(), LastRunID: r.run.ID,
	}
	if link != nil {
		l.EntityID, l.MatchedBy = link.EntityID, link.MatchedBy
	}
	var audits []store.AuditEvent
	var writes int64
	switch {
	case rec.State == record.Removed:
		if link != nil && link.EntityID != 0 && link.EntityActive {
			// Deactivations wait for the threshold check.
			return 0, nil, tx.PendingAdd(ctx, r.run.ID, []store.Pending{{
				Kind: record.KindGroup, ExternalID: rec.ID, Record: d.encode(), Reason: leaveReason(rec, placement{}),
			}})
		}
		if link == nil {
			r.c(record.KindGroup).Unchanged++
			return 0, nil, nil
		}
		l.Status = store.LinkRemoved
		r.c(record.KindGroup).OutOfScope++
	case l.EntityID == 0:
		g := []store.Group{{Name: name, Mail: d.Attrs[record.AttrMail], Active: true}}
		if err := tx.GroupInsertMany(ctx, g); err != nil {
			return 0, nil, fmt.Errorf("inserting group: %w", err)
		}
		l.EntityID = g[0].ID
		audits = append(audits, r.audit(record.KindGroup, g[0].ID, store.ActionCreated, "group at source", nil))
		r.c(record.KindGroup).Created++
		writes++
		r.planned(record.KindGroup, rec.ID, 0, store.ActionCreated, name, "group at source")
	default:
		old, err := tx.GroupGet(ctx, l.EntityID)
		if err != nil {
			return 0, nil, fmt.Errorf("reading group %d: %w", l.EntityID, err)
		}
		nu := *old
		nu.Name, nu.Mail = name, d.Attrs[record.AttrMail]
		action, reason := store.ActionUpdated, "changed at source"
		if !old.Active {
			nu.Active = true
			action, reason = store.ActionReactivated, "present at source again"
			r.c(record.KindGroup).Reactivated++
		} else if nu.Name == old.Name && nu.Mail == old.Mail {
			r.c(record.KindGroup).Unchanged++
			action = ""
		} else {
			r.c(record.KindGroup).Updated++
		}
		if action != "" {
			if err := tx.GroupUpdateMany(ctx, []store.Group{nu}); err != nil {
				return 0, nil, fmt.Errorf("updating group: %w", err)
			}
			ch, _ := json.Marshal(map[string][2]string{"name": {old.Name, nu.Name}, "mail": {old.Mail, nu.Mail}})
			audits = append(audits, r.audit(record.KindGroup, nu.ID, action, reason, ch))
			writes++
			r.planned(record.KindGroup, rec.ID, nu.ID, action, name, reason)
		}
	}
	if err := tx.LinkUpsertMany(ctx, []store.Link{l}); err != nil {
		return 0, nil, fmt.Errorf("writing group link: %w", err)
	}
	writes++
	if len(audits) > 0 {
		if err := tx.AuditInsertMany(ctx, audits); err != nil {
			return 0, nil, fmt.Errorf("writing audit events: %w", err)
		}
		writes += int64(len(audits))
	}
	l.EntityActive = rec.State == record.Present
	return writes, &l, nil
}
