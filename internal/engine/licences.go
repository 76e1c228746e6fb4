package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// applyLicences writes one page of subscribed SKUs. Each tenant's SKUs go
// to the platform client the tenant maps to (the organisation mapping of
// devices). A SKU a full listing no longer has is swept like any entity:
// marked inactive with the date, never deleted.
func (r *runner) applyLicences(ctx context.Context, tx store.Tx, recs []record.Record) error {
	recs = lastOfEach(recs)
	kind := record.KindLicence
	integ := r.p.Integration.ID
	byID, entityIDs, err := r.pageLinks(ctx, tx, kind, recs)
	if err != nil {
		return err
	}
	olds, err := tx.LicenceGetMany(ctx, entityIDs)
	if err != nil {
		return err
	}
	stored := make(map[int64]store.Licence, len(olds))
	for _, l := range olds {
		stored[l.ID] = l
	}
	var (
		inserts  []store.Licence
		insertL  []int
		updates  []store.Licence
		newLinks []store.Link
		audits   []store.AuditEvent
		pending  []store.Pending
	)
	for _, rec := range recs {
		link := byID[rec.ID]
		d := linkData{}
		if link != nil {
			if d, err = decodeLinkData(link.Data); err != nil {
				return fmt.Errorf("licence %s: %w", rec.ID, err)
			}
		}
		d = merge(d, rec)
		place, err := r.placeAsset(ctx, tx, d.Attrs)
		if err != nil {
			return fmt.Errorf("licence %s: %w", rec.ID, err)
		}
		d.InScope, d.Client, d.Site = rec.State == record.Present, place.client, ""
		fp := d.fingerprint()
		if link != nil && link.Fingerprint == fp {
			r.c(kind).Unchanged++
			continue
		}
		l := store.Link{IntegrationID: integ, Kind: kind, ExternalID: rec.ID, Status: store.LinkLinked, MatchedBy: "created",
			Fingerprint: fp, Data: d.encode(), Reason: place.why, LastRunID: r.run.ID}
		if link != nil {
			l.EntityID, l.MatchedBy = link.EntityID, link.MatchedBy
		}
		old, exists := stored[l.EntityID]
		if rec.State != record.Present {
			if exists && old.Active {
				pending = append(pending, store.Pending{Kind: kind, ExternalID: rec.ID, Record: d.encode(), Reason: leaveReason(rec, placement{})})
				continue
			}
			l.Status = store.LinkRemoved
			newLinks = append(newLinks, l)
			r.c(kind).Unchanged++
			continue
		}
		site, err := r.assetSite(ctx, tx, assetPlace{client: place.client, site: r.p.Settings.Scope.DefaultSite})
		if err != nil {
			return err
		}
		nu := licenceFrom(d.Attrs, site.ClientID)
		if !exists {
			inserts = append(inserts, nu)
			insertL = append(insertL, len(newLinks))
			newLinks = append(newLinks, l)
			r.c(kind).Created++
			continue
		}
		nu.ID, nu.CreatedAt = old.ID, old.CreatedAt
		action, reason := store.ActionUpdated, "changed at source"
		switch {
		case !old.Active:
			action, reason = store.ActionReactivated, "subscribed again"
			r.c(kind).Reactivated++
		case nu == withTimes(old, nu):
			r.c(kind).Unchanged++
			newLinks = append(newLinks, l)
			continue
		default:
			r.c(kind).Updated++
		}
		updates = append(updates, nu)
		audits = append(audits, r.audit(kind, old.ID, action, reason, nil))
		newLinks = append(newLinks, l)
	}
	if err := tx.LicenceInsertMany(ctx, inserts); err != nil {
		return err
	}
	for i, l := range inserts {
		newLinks[insertL[i]].EntityID = l.ID
		audits = append(audits, r.audit(kind, l.ID, store.ActionCreated, "subscribed at source", nil))
	}
	if err := tx.LicenceUpdateMany(ctx, updates); err != nil {
		return err
	}
	if err := tx.LinkUpsertMany(ctx, newLinks); err != nil {
		return fmt.Errorf("writing licence links: %w", err)
	}
	if err := tx.AuditInsertMany(ctx, audits); err != nil {
		return fmt.Errorf("writing audit events: %w", err)
	}
	if err := tx.PendingAdd(ctx, r.run.ID, pending); err != nil {
		return fmt.Errorf("queueing deactivations: %w", err)
	}
	r.writes += int64(len(inserts) + len(updates) + len(newLinks) + len(audits))
	return nil
}

// withTimes returns old with nu's bookkeeping fields, so that the two
// compare equal exactly when nothing an operator sees changed.
func withTimes(old, nu store.Licence) store.Licence {
	old.CreatedAt, old.UpdatedAt, old.DeactivatedAt, old.DeactivatedReason = nu.CreatedAt, nu.UpdatedAt, nu.DeactivatedAt, nu.DeactivatedReason
	return old
}

func licenceFrom(a map[string]string, clientID int64) store.Licence {
	n := func(k string) int64 {
		v, _ := strconv.ParseInt(a[k], 10, 64)
		return v
	}
	return store.Licence{
		ClientID: clientID, TenantID: a[record.AttrTenantID], SkuID: a[record.AttrSkuID],
		SkuPartNumber: a[record.AttrSkuPartNumber], Name: cmpOr(a[record.AttrName], a[record.AttrSkuPartNumber]),
		CapabilityStatus: a[record.AttrCapabilityStatus], EnabledUnits: n(record.AttrEnabledUnits),
		SuspendedUnits: n(record.AttrSuspendedUnits), WarningUnits: n(record.AttrWarningUnits),
		ConsumedUnits: n(record.AttrConsumedUnits), Active: true,
	}
}

// applyAssignments sets, for each user record, the licences of its tenant
// the platform user holds. Users are found by UPN; licences by tenant and
// SKU (a page of SKUs arrives before the assignments).
func (r *runner) applyAssignments(ctx context.Context, tx store.Tx, recs []record.Record) error {
	recs = lastOfEach(recs)
	kind := record.KindLicenceAssignment
	var upns []string
	for _, rec := range recs {
		if u := strings.ToLower(rec.Attrs[record.AttrUPN]); u != "" && !slices.Contains(upns, u) {
			upns = append(upns, u)
		}
	}
	users, err := tx.UserFind(ctx, &store.UserFindParams{Key: store.KeyUPN, Values: upns})
	if err != nil {
		return fmt.Errorf("finding licence holders: %w", err)
	}
	for _, rec := range recs {
		tenant := rec.Attrs[record.AttrTenantID]
		cands := users[strings.ToLower(rec.Attrs[record.AttrUPN])]
		if len(cands) != 1 {
			// Not a platform user (or ambiguous): nothing to hold.
			r.c(kind).OutOfScope++
			continue
		}
		var skus []string
		if rec.State == record.Present {
			for _, s := range strings.Split(rec.Attrs[record.AttrSkuIDs], ",") {
				if s = strings.TrimSpace(s); s != "" {
					skus = append(skus, s)
				}
			}
		}
		found, err := tx.LicenceFind(ctx, tenant, skus)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(found))
		for _, l := range found {
			ids = append(ids, l.ID)
		}
		slices.Sort(ids)
		n, err := tx.LicenceAssign(ctx, cands[0], tenant, ids)
		if err != nil {
			return err
		}
		if n == 0 {
			r.c(kind).Unchanged++
			continue
		}
		r.c(kind).Updated++
		r.writes += int64(n)
		r.audits = append(r.audits, r.audit(record.KindUser, cands[0], store.ActionUpdated,
			fmt.Sprintf("licences of tenant %s: %s", cmpOr(rec.Attrs[record.AttrTenantName], tenant), cmpOr(strings.Join(skuNames(found), ", "), "none")), nil))
	}
	if len(r.audits) > 0 {
		if err := tx.AuditInsertMany(ctx, r.audits); err != nil {
			return fmt.Errorf("writing audit events: %w", err)
		}
		r.writes += int64(len(r.audits))
		r.audits = nil
	}
	return nil
}

func skuNames(ls map[string]store.Licence) []string {
	var out []string
	for _, l := range ls {
		out = append(out, cmpOr(l.Name, l.SkuPartNumber))
	}
	slices.Sort(out)
	return out
}
