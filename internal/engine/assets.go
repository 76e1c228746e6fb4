package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// assetWork is one device record on its way through placement, matching
// and diff.
type assetWork struct {
	rec   record.Record
	link  *store.Link
	data  linkData
	fp    string
	place assetPlace
	site  *store.Site
	// keys are the device's matching keys, by rule.
	keys map[string]string
	// matched says by which rule a new link joined an existing asset.
	matched string
}

type assetBatch struct {
	inserts []store.Asset
	insertW []*assetWork
	updates []store.Asset
	batchRows
}

// staleReasonPrefix starts the reason of a deactivation for staleness,
// which any source seeing the device again undoes.
const staleReasonPrefix = "not seen by any source since "

// applyAssets places, matches, diffs and applies one page of devices.
// One device reported by several sources is one asset: an existing link,
// then the asset matching rules (serial, primary MAC, hostname within the
// client) find it; ambiguity goes to the review queue.
func (r *runner) applyAssets(ctx context.Context, tx store.Tx, recs []record.Record) error {
	recs = lastOfEach(recs)
	kind := record.KindAsset
	byID, _, err := r.pageLinks(ctx, tx, kind, recs)
	if err != nil {
		return err
	}
	b := &assetBatch{}
	var existing, toMatch, staleCheck []*assetWork
	for _, rec := range recs {
		w := &assetWork{rec: rec, link: byID[rec.ID]}
		if w.link != nil && w.link.Status == store.LinkIgnored {
			r.c(kind).OutOfScope++
			continue
		}
		old := linkData{}
		if w.link != nil {
			if old, err = decodeLinkData(w.link.Data); err != nil {
				return fmt.Errorf("asset %s: %w", rec.ID, err)
			}
		}
		w.data = merge(old, rec)
		if w.place, err = r.placeAsset(ctx, tx, w.data.Attrs); err != nil {
			return fmt.Errorf("asset %s: %w", rec.ID, err)
		}
		w.data.InScope, w.data.Client, w.data.Site = true, w.place.client, w.place.site
		w.fp = w.data.fingerprint()
		active := w.link != nil && w.link.EntityID != 0 && w.link.EntityActive
		if w.link != nil && w.link.Fingerprint == w.fp {
			r.c(kind).Unchanged++
			// A device the source keeps listing unchanged may still have
			// gone stale: its last check-in is what ages.
			if active && r.stale(w.data.Attrs[record.AttrLastSeen]) {
				staleCheck = append(staleCheck, w)
			}
			continue
		}
		switch {
		case rec.State != record.Present:
			reason := leaveReason(rec, placement{})
			if active {
				b.pending = append(b.pending, store.Pending{Kind: kind, ExternalID: rec.ID, Record: w.data.encode(), Reason: reason})
				continue
			}
			if w.link == nil && rec.State == record.Removed {
				r.c(kind).Unchanged++
				continue
			}
			status := store.LinkOutOfScope
			if rec.State == record.Removed {
				status = store.LinkRemoved
			}
			r.c(kind).OutOfScope++
			b.links = append(b.links, r.assetLink(w, linkEntity(w.link), status, linkMatchedBy(w.link), reason))
		case w.link != nil && w.link.EntityID != 0:
			existing = append(existing, w)
		default:
			toMatch = append(toMatch, w)
		}
	}
	users, err := r.resolveAssetUsers(ctx, tx, append(existing, toMatch...))
	if err != nil {
		return err
	}
	if err := r.diffAssets(ctx, tx, existing, users, b); err != nil {
		return err
	}
	if err := r.matchAssets(ctx, tx, toMatch, users, b); err != nil {
		return err
	}
	if err := r.checkStale(ctx, tx, staleCheck, b); err != nil {
		return err
	}
	return r.writeAssets(ctx, tx, b)
}

// stale reports whether a last-seen time is older than the integration's
// stale_after.
func (r *runner) stale(lastSeen string) bool {
	after := r.p.Settings.Assets.StaleAfter
	if after <= 0 || lastSeen == "" {
		return false
	}
	t, err := time.Parse(time.RFC3339, lastSeen)
	return err == nil && t.Before(r.e.now().Add(-after))
}

func (r *runner) staleReason(last time.Time) string {
	return fmt.Sprintf("%s%s (stale after %s)", staleReasonPrefix, last.UTC().Format("2006-01-02"), fmtDays(r.p.Settings.Assets.StaleAfter))
}

func fmtDays(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// checkStale queues the deactivation of unchanged devices that no source
// has seen for stale_after: the asset's last-seen is the latest any source
// reported.
func (r *runner) checkStale(ctx context.Context, tx store.Tx, ws []*assetWork, b *assetBatch) error {
	if len(ws) == 0 {
		return nil
	}
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.link.EntityID
	}
	stored, err := byID(ids, r.assetGetter(ctx, tx), assetID)
	if err != nil {
		return fmt.Errorf("reading assets: %w", err)
	}
	for _, w := range ws {
		a, ok := stored[w.link.EntityID]
		if !ok || !a.Active || !r.stale(a.LastSeen.Format(time.RFC3339)) {
			continue
		}
		b.pending = append(b.pending, store.Pending{Kind: record.KindAsset, ExternalID: w.rec.ID, Record: w.data.encode(), Reason: r.staleReason(a.LastSeen)})
		// The unchanged count took it; the deactivation will count it.
		r.c(record.KindAsset).Unchanged--
	}
	return nil
}

// resolveAssetUsers finds the platform users the devices name, by UPN then
// mail: the primary user, or the last logged-on user (DOMAIN\name becomes
// name@upn_suffix when one is configured).
func (r *runner) resolveAssetUsers(ctx context.Context, tx store.Tx, ws []*assetWork) (map[string]int64, error) {
	out := map[string]int64{}
	var refs []string
	for _, w := range ws {
		if ref := r.assetUserRef(w.data.Attrs); ref != "" && !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return out, nil
	}
	for _, key := range []string{store.KeyUPN, store.KeyEmail} {
		var left []string
		for _, ref := range refs {
			if _, ok := out[ref]; !ok {
				left = append(left, ref)
			}
		}
		if len(left) == 0 {
			break
		}
		hits, err := tx.UserFind(ctx, &store.UserFindParams{Key: key, Values: left})
		if err != nil {
			return nil, fmt.Errorf("finding the users of devices: %w", err)
		}
		for ref, ids := range hits {
			if len(ids) == 1 {
				out[ref] = ids[0]
			}
		}
	}
	return out, nil
}

// assetUserRef is the user reference a device carries under the
// integration's user mode, in a form UserFind can look up.
func (r *runner) assetUserRef(a map[string]string) string {
	mode := r.p.Settings.Assets.User
	primary, last := strings.TrimSpace(a[record.AttrPrimaryUser]), strings.TrimSpace(a[record.AttrLastLoggedOnUser])
	ref := ""
	switch mode {
	case integration.AssetUserPrimary:
		ref = primary
	case integration.AssetUserLastLoggedOn:
		ref = last
	case integration.AssetUserNone:
		return ""
	default:
		ref = cmpOr(primary, last)
	}
	if dom, name, ok := strings.Cut(ref, `\`); ok && dom != "" {
		if r.p.Settings.Assets.UPNSuffix == "" {
			return ""
		}
		ref = name + "@" + strings.TrimPrefix(r.p.Settings.Assets.UPNSuffix, "@")
	}
	if !strings.Contains(ref, "@") {
		return ""
	}
	return strings.ToLower(ref)
}

// assetFrom builds the asset a device record describes.
func (r *runner) assetFrom(w *assetWork, users map[string]int64) store.Asset {
	a := w.data.Attrs
	macs, _ := macKeys(a[record.AttrMACs])
	var ips []string
	for _, ip := range strings.Split(a[record.AttrIPs], ",") {
		if ip = strings.TrimSpace(ip); ip != "" && !slices.Contains(ips, ip) {
			ips = append(ips, ip)
		}
	}
	online := ""
	switch strings.ToLower(a[record.AttrOnline]) {
	case "true", "online", "1":
		online = "online"
	case "false", "offline", "0":
		online = "offline"
	}
	var seen time.Time
	if t, err := time.Parse(time.RFC3339, a[record.AttrLastSeen]); err == nil {
		seen = t.UTC()
	}
	details := map[string]string{}
	for _, k := range []string{record.AttrOwnerType, record.AttrEncrypted, record.AttrWarranty, record.AttrCPU,
		record.AttrMemoryMB, record.AttrDisks, record.AttrSoftware} {
		if v := a[k]; v != "" {
			details[k] = v
		}
	}
	for k, v := range a {
		if strings.HasPrefix(k, record.AttrCustomPrefix) && v != "" {
			details[k] = v
		}
	}
	if len(details) == 0 {
		details = nil
	}
	as := store.Asset{
		ClientID: w.site.ClientID, SiteID: w.site.ID, Type: assetType(a[record.AttrAssetType]),
		Name: cmpOr(a[record.AttrName], a[record.AttrHostname]), Hostname: a[record.AttrHostname],
		Serial: strings.TrimSpace(a[record.AttrSerial]), Manufacturer: a[record.AttrManufacturer], Model: a[record.AttrModel],
		OS: a[record.AttrOS], OSVersion: a[record.AttrOSVersion], MACs: macs, IPs: ips,
		PrimaryUserID: users[r.assetUserRef(a)], LastLoggedOnUser: a[record.AttrLastLoggedOnUser],
		LastSeen: seen, Online: online, Compliance: a[record.AttrCompliance], Details: details, Active: true,
	}
	r.setAssetKeys(&as)
	return as
}

// setAssetKeys computes an asset's matching keys from its fields.
func (r *runner) setAssetKeys(a *store.Asset) {
	a.SerialKey = serialKey(a.Serial, r.p.Settings.Assets.PlaceholderSerials)
	_, a.MACKey = macKeys(strings.Join(a.MACs, ","))
	a.HostnameKey = hostnameKey(a.Hostname, a.Name)
}

var assetTypes = []string{store.AssetWorkstation, store.AssetLaptop, store.AssetServer, store.AssetMobile,
	store.AssetVirtualMachine, store.AssetNetworkDevice, store.AssetPrinter, store.AssetOther}

func assetType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if slices.Contains(assetTypes, t) {
		return t
	}
	return store.AssetOther
}

// assetFields are the asset fields under ownership; details keys join
// them per asset.
var assetFields = []ownedField[store.Asset]{
	strField("name", func(a *store.Asset) *string { return &a.Name }),
	strField("hostname", func(a *store.Asset) *string { return &a.Hostname }),
	strField("serial_number", func(a *store.Asset) *string { return &a.Serial }),
	strField("manufacturer", func(a *store.Asset) *string { return &a.Manufacturer }),
	strField("model", func(a *store.Asset) *string { return &a.Model }),
	strField("asset_type", func(a *store.Asset) *string { return &a.Type }),
	strField("os", func(a *store.Asset) *string { return &a.OS }),
	strField("os_version", func(a *store.Asset) *string { return &a.OSVersion }),
	{name: "mac_addresses", get: func(a *store.Asset) string { return strings.Join(a.MACs, ",") },
		set: func(a *store.Asset, v string) { a.MACs = splitNonEmpty(v) }},
	{name: "ip_addresses", get: func(a *store.Asset) string { return strings.Join(a.IPs, ",") },
		set: func(a *store.Asset, v string) { a.IPs = splitNonEmpty(v) }},
	idField("primary_user", func(a *store.Asset) *int64 { return &a.PrimaryUserID }),
	strField("last_logged_on_user", func(a *store.Asset) *string { return &a.LastLoggedOnUser }),
	strField("online", func(a *store.Asset) *string { return &a.Online }),
	strField("compliance", func(a *store.Asset) *string { return &a.Compliance }),
	{name: "site", get: func(a *store.Asset) string {
		if a.SiteID == 0 {
			return ""
		}
		return fmt.Sprintf("%d/%d", a.ClientID, a.SiteID)
	}, set: func(a *store.Asset, v string) {
		a.ClientID, a.SiteID = 0, 0
		fmt.Sscanf(v, "%d/%d", &a.ClientID, &a.SiteID)
	}},
}

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// detailFields are the ownership fields of an asset's details.
func detailFields(old, nu *store.Asset) []ownedField[store.Asset] {
	keys := slices.Sorted(maps.Keys(old.Details))
	for k := range nu.Details {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	out := make([]ownedField[store.Asset], 0, len(keys))
	for _, k := range keys {
		out = append(out, ownedField[store.Asset]{
			name: k,
			get:  func(a *store.Asset) string { return a.Details[k] },
			set: func(a *store.Asset, v string) {
				if v == "" {
					delete(a.Details, k)
					return
				}
				if a.Details == nil {
					a.Details = map[string]string{}
				}
				a.Details[k] = v
			},
		})
	}
	return out
}

// mergeAsset applies ownership to what this source says of an asset over
// the stored one, keeps the latest last-seen, and guards another source's
// deactivation.
func (r *runner) mergeAsset(ctx context.Context, tx store.Tx, w *assetWork, old, nu store.Asset, firstOwner int64) (store.Asset, string, error) {
	nu.ID, nu.CreatedAt = old.ID, old.CreatedAt
	nu.Details = maps.Clone(nu.Details)
	fields := append(slices.Clone(assetFields), detailFields(&old, &nu)...)
	owners, err := applyOwnership(ctx, r, tx, old.Owners, &old, &nu, fields, firstOwner)
	if err != nil {
		return nu, "", err
	}
	nu.Owners = owners
	if old.LastSeen.After(nu.LastSeen) {
		nu.LastSeen = old.LastSeen
	}
	r.setAssetKeys(&nu)
	why := w.place.why
	if !old.Active {
		held := old.DeactivatedBy != 0 && old.DeactivatedBy != r.p.Integration.ID
		if held || r.stale(nu.LastSeen.Format(time.RFC3339)) {
			nu.Active, nu.DeactivatedAt, nu.DeactivatedReason, nu.DeactivatedBy = false, old.DeactivatedAt, old.DeactivatedReason, old.DeactivatedBy
			why = "inactive: " + old.DeactivatedReason
			if held {
				why += fmt.Sprintf(" (by integration %s, which this source does not override)", r.integrationName(ctx, tx, old.DeactivatedBy))
			}
		}
	}
	return nu, why, nil
}

// diffAssets updates or reactivates the assets devices are linked to.
func (r *runner) diffAssets(ctx context.Context, tx store.Tx, ws []*assetWork, users map[string]int64, b *assetBatch) error {
	if len(ws) == 0 {
		return nil
	}
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.link.EntityID
	}
	stored, err := byID(ids, r.assetGetter(ctx, tx), assetID)
	if err != nil {
		return fmt.Errorf("reading assets: %w", err)
	}
	for _, w := range ws {
		old, ok := stored[w.link.EntityID]
		if !ok {
			if err := r.matchAssets(ctx, tx, []*assetWork{w}, users, b); err != nil {
				return err
			}
			continue
		}
		var first int64
		if w.link.MatchedBy == store.MatchedOperator && w.link.Fingerprint == "" {
			w.matched = "linked by an operator"
			if _, first, err = r.linkedElsewhere(ctx, tx, record.KindAsset, old.ID, w.rec.ID); err != nil {
				return err
			}
		}
		if err := r.updateAsset(ctx, tx, w, old, first, users, b); err != nil {
			return err
		}
	}
	return nil
}

// updateAsset writes what a device record says of the asset it is linked
// or matched to.
func (r *runner) updateAsset(ctx context.Context, tx store.Tx, w *assetWork, old store.Asset, firstOwner int64, users map[string]int64, b *assetBatch) error {
	kind := record.KindAsset
	var err error
	if w.site, err = r.assetSite(ctx, tx, w.place); err != nil {
		return err
	}
	nu, why, err := r.mergeAsset(ctx, tx, w, old, r.assetFrom(w, users), firstOwner)
	if err != nil {
		return err
	}
	if old.Active && r.stale(nu.LastSeen.Format(time.RFC3339)) {
		// Changed, but still not seen for too long.
		nu.Active, nu.DeactivatedAt, nu.DeactivatedReason = false, r.e.now(), r.staleReason(nu.LastSeen)
	}
	changes := assetChanges(old, nu)
	matchedBy := linkMatchedBy(w.link)
	switch {
	case w.matched != "":
		b.updates = append(b.updates, nu)
		b.audits = append(b.audits, r.audit(kind, old.ID, store.ActionLinked, w.matched+"; "+why, changes))
		r.c(kind).Updated++
		r.planned(kind, w.rec.ID, old.ID, store.ActionLinked, nu.Name, w.matched)
		if w.link == nil || w.link.EntityID == 0 {
			matchedBy = strings.TrimPrefix(w.matched, "matched by ")
		}
	case old.Active && !nu.Active:
		b.updates = append(b.updates, nu)
		b.audits = append(b.audits, r.audit(kind, old.ID, store.ActionDeactivated, nu.DeactivatedReason, changes))
		r.c(kind).Deactivated++
		r.planned(kind, w.rec.ID, old.ID, store.ActionDeactivated, nu.Name, nu.DeactivatedReason)
	case !old.Active && nu.Active:
		b.updates = append(b.updates, nu)
		b.audits = append(b.audits, r.audit(kind, old.ID, store.ActionReactivated, "seen at source again; "+why, changes))
		r.c(kind).Reactivated++
		r.planned(kind, w.rec.ID, old.ID, store.ActionReactivated, nu.Name, why)
	case changes != nil:
		b.updates = append(b.updates, nu)
		b.audits = append(b.audits, r.audit(kind, old.ID, store.ActionUpdated, "changed at source", changes))
		r.c(kind).Updated++
		r.planned(kind, w.rec.ID, old.ID, store.ActionUpdated, nu.Name, string(changes))
	default:
		r.c(kind).Unchanged++
	}
	b.links = append(b.links, r.assetLink(w, old.ID, store.LinkLinked, matchedBy, why))
	return nil
}

// matchAssets finds the existing asset of each device without one, rule by
// rule, and creates the others. A device matching several assets, or an
// asset another device of this integration holds, goes to review.
func (r *runner) matchAssets(ctx context.Context, tx store.Tx, ws []*assetWork, users map[string]int64, b *assetBatch) error {
	if len(ws) == 0 {
		return nil
	}
	kind := record.KindAsset
	found := make([]matchResult, len(ws))
	for i, w := range ws {
		var err error
		if w.site, err = r.assetSite(ctx, tx, w.place); err != nil {
			return err
		}
		a := r.assetFrom(w, users)
		w.keys = map[string]string{
			integration.AssetMatchSerial: a.SerialKey, integration.AssetMatchMAC: a.MACKey, integration.AssetMatchHostname: a.HostnameKey,
		}
		if w.link != nil && w.link.MatchedBy == store.MatchedOperatorCreate {
			found[i] = matchResult{rule: "created"}
		}
	}
	m := matcher{
		kind: kind, noun: "platform assets", n: len(ws),
		extID: func(i int) string { return ws[i].rec.ID },
		key:   func(i int, rule string) string { return ws[i].keys[rule] },
		find: func(rule string, idx []int) (map[int][]int64, error) {
			// Hostnames are unique within a client only: look them up
			// client by client.
			byClient := map[int64][]int{}
			for _, i := range idx {
				client := int64(0)
				if rule == integration.AssetMatchHostname {
					client = ws[i].site.ClientID
				}
				byClient[client] = append(byClient[client], i)
			}
			out := map[int][]int64{}
			for client, part := range byClient {
				vals := make([]string, len(part))
				for j, i := range part {
					vals[j] = ws[i].keys[rule]
				}
				hits, err := tx.AssetFind(ctx, &store.AssetFindParams{Key: rule, Values: vals, ClientID: client})
				if err != nil {
					return nil, err
				}
				for _, i := range part {
					if c := hits[ws[i].keys[rule]]; len(c) > 0 {
						out[i] = c
					}
				}
			}
			return out, nil
		},
	}
	if err := r.match(ctx, tx, m, r.p.Settings.Assets.Matching, found); err != nil {
		return err
	}
	matched, err := byID(matchedIDs(found), r.assetGetter(ctx, tx), assetID)
	if err != nil {
		return fmt.Errorf("reading matched assets: %w", err)
	}
	for i, w := range ws {
		f := found[i]
		if _, ok := f.conflict(); ok {
			r.c(kind).Failed++
			b.links = append(b.links, r.assetLink(w, 0, store.LinkConflict, "", f.why))
			b.reviews = append(b.reviews, r.reviewItem(kind, w.rec.ID, f, w.data.encode()))
			r.planned(kind, w.rec.ID, 0, "conflict", w.data.Attrs[record.AttrName], f.why)
			continue
		}
		if w.link != nil && w.link.Status == store.LinkConflict {
			b.reviews = append(b.reviews, r.clearedItem(kind, w.rec.ID, f, w.data.encode()))
		}
		if old, ok := matched[f.id]; ok {
			w.matched = f.why
			if err := r.updateAsset(ctx, tx, w, old, f.owner, users, b); err != nil {
				return err
			}
			continue
		}
		a := r.assetFrom(w, users)
		if r.stale(w.data.Attrs[record.AttrLastSeen]) {
			// Not worth creating: nothing has seen it for too long.
			reason := r.staleReason(a.LastSeen)
			r.c(kind).OutOfScope++
			b.links = append(b.links, r.assetLink(w, 0, store.LinkOutOfScope, "", reason))
			continue
		}
		b.inserts = append(b.inserts, a)
		b.insertW = append(b.insertW, w)
		r.c(kind).Created++
		r.planned(kind, w.rec.ID, 0, store.ActionCreated, a.Name, w.place.why)
	}
	return nil
}

// writeAssets writes a page's batch.
func (r *runner) writeAssets(ctx context.Context, tx store.Tx, b *assetBatch) error {
	if len(b.inserts) > 0 {
		if err := tx.AssetInsertMany(ctx, b.inserts); err != nil {
			return fmt.Errorf("inserting assets: %w", err)
		}
		for i, a := range b.inserts {
			w := b.insertW[i]
			b.links = append(b.links, r.assetLink(w, a.ID, store.LinkLinked, "created", w.place.why))
			b.audits = append(b.audits, r.audit(record.KindAsset, a.ID, store.ActionCreated, "device at source; "+w.place.why, nil))
		}
	}
	if len(b.updates) > 0 {
		if err := tx.AssetUpdateMany(ctx, b.updates); err != nil {
			return fmt.Errorf("updating assets: %w", err)
		}
	}
	r.writes += int64(len(b.inserts) + len(b.updates))
	return r.writeRows(ctx, tx, record.KindAsset, &b.batchRows)
}

func (r *runner) assetLink(w *assetWork, entityID int64, status, matchedBy, reason string) store.Link {
	return store.Link{
		IntegrationID: r.p.Integration.ID, Kind: record.KindAsset, ExternalID: w.rec.ID,
		EntityID: entityID, Status: status, MatchedBy: matchedBy, Fingerprint: w.fp,
		Data: w.data.encode(), Reason: reason, LastRunID: r.run.ID,
	}
}

// assetChanges returns the changed fields as JSON {field: [old, new]}, or
// nil when nothing an operator sees changed.
func assetChanges(old, nu store.Asset) []byte {
	ch := map[string][2]any{}
	cmp := func(name string, a, b any) {
		if a != b {
			ch[name] = [2]any{a, b}
		}
	}
	cmp("client_id", old.ClientID, nu.ClientID)
	cmp("site_id", old.SiteID, nu.SiteID)
	cmp("asset_type", old.Type, nu.Type)
	cmp("name", old.Name, nu.Name)
	cmp("hostname", old.Hostname, nu.Hostname)
	cmp("serial_number", old.Serial, nu.Serial)
	cmp("manufacturer", old.Manufacturer, nu.Manufacturer)
	cmp("model", old.Model, nu.Model)
	cmp("os", old.OS, nu.OS)
	cmp("os_version", old.OSVersion, nu.OSVersion)
	cmp("mac_addresses", strings.Join(old.MACs, ","), strings.Join(nu.MACs, ","))
	cmp("ip_addresses", strings.Join(old.IPs, ","), strings.Join(nu.IPs, ","))
	cmp("primary_user_id", old.PrimaryUserID, nu.PrimaryUserID)
	cmp("last_logged_on_user", old.LastLoggedOnUser, nu.LastLoggedOnUser)
	cmp("online", old.Online, nu.Online)
	cmp("compliance", old.Compliance, nu.Compliance)
	cmp("active", old.Active, nu.Active)
	if !old.LastSeen.Equal(nu.LastSeen) {
		ch["last_seen"] = [2]any{old.LastSeen, nu.LastSeen}
	}
	for k := range nu.Details {
		if old.Details[k] != nu.Details[k] {
			ch[k] = [2]any{old.Details[k], nu.Details[k]}
		}
	}
	for k := range old.Details {
		if _, ok := nu.Details[k]; !ok {
			ch[k] = [2]any{old.Details[k], ""}
		}
	}
	if len(ch) == 0 {
		return nil
	}
	b, _ := json.Marshal(ch)
	return b
}

func (r *runner) assetGetter(ctx context.Context, tx store.Tx) func([]int64) ([]store.Asset, error) {
	return func(ids []int64) ([]store.Asset, error) { return tx.AssetGetMany(ctx, ids) }
}

func assetID(a store.Asset) int64 { return a.ID }
