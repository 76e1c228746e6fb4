package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// deactivate applies queued deactivations: the entity becomes inactive
// (never deleted) with the reason, the link keeps the record that caused
// it, and each gets an audit event.
func (r *runner) deactivate(ctx context.Context, tx store.Tx, ps []store.Pending) error {
	byKind := map[record.Kind][]store.Pending{}
	for _, p := range ps {
		byKind[p.Kind] = append(byKind[p.Kind], p)
	}
	for kind, ps := range byKind {
		ids := make([]string, len(ps))
		for i, p := range ps {
			ids[i] = p.ExternalID
		}
		links, err := tx.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: r.p.Integration.ID, Kind: kind, ExternalIDs: ids})
		if err != nil {
			return fmt.Errorf("reading links to deactivate: %w", err)
		}
		byID := make(map[string]store.Link, len(links))
		for _, l := range links {
			byID[l.ExternalID] = l
		}
		var newLinks []store.Link
		var audits []store.AuditEvent
		var userIDs []int64
		people := kind == record.KindUser || kind == record.KindContact
		contributing := (people || kind == record.KindAsset) && r.p.Settings.Lifecycle == integration.Contributing
		var unlinked []int64
		for _, p := range ps {
			l, ok := byID[p.ExternalID]
			if !ok || l.EntityID == 0 {
				continue
			}
			d, err := decodeLinkData(p.Record)
			if err != nil {
				return err
			}
			l.Fingerprint, l.Data, l.Reason, l.LastRunID = d.fingerprint(), p.Record, p.Reason, r.run.ID
			switch {
			case stateOf(d.State) == record.Removed:
				l.Status = store.LinkRemoved
			case !d.InScope && people:
				l.Status = store.LinkOutOfScope
			default:
				l.Status = store.LinkLinked
			}
			if !l.EntityActive {
				newLinks = append(newLinks, l)
				continue
			}
			if contributing {
				others, err := r.otherSources(ctx, tx, kind, l.EntityID)
				if err != nil {
					return err
				}
				if others != "" {
					// A contributing source only drops its own link while
					// another source still vouches for the person.
					l.Reason = p.Reason + "; the user stays active: this source only contributes, and " + others + " still link it"
					newLinks = append(newLinks, l)
					audits = append(audits, r.audit(kind, l.EntityID, store.ActionUnlinked, l.Reason, nil))
					unlinked = append(unlinked, l.EntityID)
					r.c(kind).OutOfScope++
					r.planned(kind, p.ExternalID, l.EntityID, store.ActionUnlinked, d.Attrs[record.AttrDisplayName], l.Reason)
					continue
				}
			}
			newLinks = append(newLinks, l)
			audits = append(audits, r.audit(kind, l.EntityID, store.ActionDeactivated, p.Reason, nil))
			userIDs = append(userIDs, l.EntityID)
			r.c(kind).Deactivated++
			r.planned(kind, p.ExternalID, l.EntityID, store.ActionDeactivated, d.Attrs[record.AttrDisplayName]+d.Attrs[record.AttrName], p.Reason)
		}
		reasons := make(map[int64]string, len(audits))
		for _, a := range audits {
			reasons[a.EntityID] = a.Reason
		}
		now := r.e.now()
		switch {
		case people:
			us, err := tx.UserGetMany(ctx, append(userIDs, unlinked...))
			if err != nil {
				return fmt.Errorf("reading users to deactivate: %w", err)
			}
			deact := make(map[int64]bool, len(userIDs))
			for _, id := range userIDs {
				deact[id] = true
			}
			for i := range us {
				if deact[us[i].ID] {
					us[i].Active, us[i].DeactivatedAt, us[i].DeactivatedReason = false, now, reasons[us[i].ID]
					us[i].DeactivatedBy = r.p.Integration.ID
				}
				// The fields this source owned are free for the others.
				for f, owner := range us[i].Owners {
					if owner == r.p.Integration.ID && !deact[us[i].ID] {
						delete(us[i].Owners, f)
					}
				}
			}
			if err := tx.UserUpdateMany(ctx, us); err != nil {
				return fmt.Errorf("deactivating users: %w", err)
			}
			r.usersChanged = r.usersChanged || len(us) > 0
			r.writes += int64(len(us))
		case kind == record.KindAsset:
			as, err := tx.AssetGetMany(ctx, append(userIDs, unlinked...))
			if err != nil {
				return fmt.Errorf("reading assets to deactivate: %w", err)
			}
			deact := make(map[int64]bool, len(userIDs))
			for _, id := range userIDs {
				deact[id] = true
			}
			for i := range as {
				if deact[as[i].ID] {
					as[i].Active, as[i].DeactivatedAt, as[i].DeactivatedReason = false, now, reasons[as[i].ID]
					as[i].DeactivatedBy = r.p.Integration.ID
					if strings.HasPrefix(reasons[as[i].ID], staleReasonPrefix) {
						// Staleness is no source's decision: any source
						// that sees the device again brings it back.
						as[i].DeactivatedBy = 0
					}
					continue
				}
				for f, owner := range as[i].Owners {
					if owner == r.p.Integration.ID {
						delete(as[i].Owners, f)
					}
				}
			}
			if err := tx.AssetUpdateMany(ctx, as); err != nil {
				return fmt.Errorf("deactivating assets: %w", err)
			}
			r.writes += int64(len(as))
		case kind == record.KindLicence:
			ls, err := tx.LicenceGetMany(ctx, userIDs)
			if err != nil {
				return fmt.Errorf("reading licences to deactivate: %w", err)
			}
			for i := range ls {
				ls[i].Active, ls[i].DeactivatedAt, ls[i].DeactivatedReason = false, now, reasons[ls[i].ID]
			}
			if err := tx.LicenceUpdateMany(ctx, ls); err != nil {
				return fmt.Errorf("deactivating licences: %w", err)
			}
			r.writes += int64(len(ls))
		case kind == record.KindGroup:
			for _, id := range userIDs {
				g, err := tx.GroupGet(ctx, id)
				if err != nil {
					return fmt.Errorf("reading group %d: %w", id, err)
				}
				g.Active, g.DeactivatedAt, g.DeactivatedReason = false, now, reasons[id]
				if err := tx.GroupUpdateMany(ctx, []store.Group{*g}); err != nil {
					return fmt.Errorf("deactivating group %d: %w", id, err)
				}
				r.writes++
			}
		}
		if err := tx.LinkUpsertMany(ctx, newLinks); err != nil {
			return fmt.Errorf("writing links: %w", err)
		}
		if err := tx.AuditInsertMany(ctx, audits); err != nil {
			return fmt.Errorf("writing audit events: %w", err)
		}
		r.writes += int64(len(newLinks) + len(audits))
	}
	return nil
}

// otherSources names the other integrations whose links still tie an
// active source object to the entity ("" when none).
func (r *runner) otherSources(ctx context.Context, tx store.Tx, kind record.Kind, entityID int64) (string, error) {
	links, err := tx.LinkListByEntity(ctx, kind, entityID)
	if err != nil {
		return "", fmt.Errorf("reading links of %s %d: %w", kind, entityID, err)
	}
	var names []string
	for _, l := range links {
		if l.IntegrationID != r.p.Integration.ID && l.Status == store.LinkLinked {
			names = append(names, r.integrationName(ctx, tx, l.IntegrationID))
		}
	}
	return strings.Join(names, ", "), nil
}
