package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// userWork is one user record on its way through scope, match and diff.
type userWork struct {
	rec   record.Record
	link  *store.Link
	data  linkData
	place placement
	fp    string
	// why is the outcome the link records; matched, for a record just
	// matched to an existing user, says by which rule.
	why     string
	matched string
}

// applyUsers scopes, matches, diffs and applies one page of user records.
// fromLinks marks records rebuilt from link data for re-scoping: they were
// not fetched in this run, so they are not marked seen.
//
// Users and organisational contacts (kind contact) take the same path:
// contacts are platform users with the contact role, matched only among
// contacts.
func (r *runner) applyUsers(ctx context.Context, tx store.Tx, recs []record.Record, fromLinks bool) error {
	recs = lastOfEach(recs)
	kind := recs[0].Kind
	ids := make([]string, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
	}
	integ := r.p.Integration.ID
	links, err := tx.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: integ, Kind: kind, ExternalIDs: ids})
	if err != nil {
		return fmt.Errorf("reading %s links: %w", kind, err)
	}
	byID := make(map[string]*store.Link, len(links))
	for i := range links {
		byID[links[i].ExternalID] = &links[i]
	}
	if !fromLinks {
		if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: r.run.ID, Kind: kind, ExternalIDs: ids}); err != nil {
			return fmt.Errorf("marking %ss seen: %w", kind, err)
		}
	}
	var groupsOf map[string][]string
	if r.scope.needsMembers() {
		if err := r.scope.resolve(ctx, tx, integ); err != nil {
			return err
		}
		if groupsOf, err = tx.MemberGroupsOf(ctx, integ, ids); err != nil {
			return fmt.Errorf("reading memberships: %w", err)
		}
	}

	b := &userBatch{}
	var toMatch []*userWork
	var existing []*userWork
	for _, rec := range recs {
		w := &userWork{rec: rec, link: byID[rec.ID]}
		if w.link != nil && w.link.Status == store.LinkIgnored {
			// An operator chose to leave this object alone.
			r.c(kind).OutOfScope++
			continue
		}
		ou, err := r.orgUnitOf(rec, w.link)
		if err != nil {
			return err
		}
		if kind == record.KindContact {
			w.place = r.scope.placeContact(groupsOf[rec.ID], ou)
		} else {
			w.place = r.scope.place(groupsOf[rec.ID], ou)
		}
		if w.link != nil {
			// Fast path: a record that carries every attribute the link
			// kept, unchanged, fingerprints the same without the link's
			// data being decoded.
			if w.setData(linkData{}); w.link.Fingerprint == w.fp {
				r.c(kind).Unchanged++
				continue
			}
			old, err := decodeLinkData(w.link.Data)
			if err != nil {
				return fmt.Errorf("%s %s: %w", kind, rec.ID, err)
			}
			if w.setData(old); w.link.Fingerprint == w.fp {
				r.c(kind).Unchanged++
				continue
			}
		} else {
			w.setData(linkData{})
		}
		active := w.link != nil && w.link.EntityID != 0 && w.link.EntityActive
		switch {
		case rec.State != record.Present || !w.place.InScope:
			reason := leaveReason(rec, w.place)
			if active {
				b.pending = append(b.pending, store.Pending{Kind: kind, ExternalID: rec.ID, Record: w.data.encode(), Reason: reason})
				continue
			}
			if w.link == nil && rec.State == record.Removed {
				// Removal of something never seen: nothing to keep.
				r.c(kind).Unchanged++
				continue
			}
			status := store.LinkOutOfScope
			if rec.State == record.Removed {
				status = store.LinkRemoved
			}
			r.c(kind).OutOfScope++
			b.links = append(b.links, r.linkOf(w, linkEntity(w.link), status, linkMatchedBy(w.link), reason))
		case w.link != nil && w.link.EntityID != 0:
			existing = append(existing, w)
		default:
			toMatch = append(toMatch, w)
		}
	}
	if err := r.resolveManagers(ctx, tx, append(existing, toMatch...)); err != nil {
		return err
	}
	if err := r.diffExisting(ctx, tx, existing, b); err != nil {
		return err
	}
	if err := r.matchNew(ctx, tx, toMatch, b); err != nil {
		return err
	}
	return r.writeUsers(ctx, tx, b)
}

// orgUnitOf returns the organisational unit a record is filed in: from the
// record, or from what its link kept when the record does not carry it.
func (r *runner) orgUnitOf(rec record.Record, link *store.Link) (string, error) {
	if !r.scope.needsOrgUnit() {
		return "", nil
	}
	if ou, ok := rec.Attrs[record.AttrOrgUnit]; ok || link == nil {
		return ou, nil
	}
	d, err := decodeLinkData(link.Data)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", rec.Kind, rec.ID, err)
	}
	return d.Attrs[record.AttrOrgUnit], nil
}

// setData merges the record over what the link kept, with the scope
// outcome, and fingerprints the result.
func (w *userWork) setData(old linkData) {
	w.data = merge(old, w.rec)
	w.data.InScope, w.data.Site, w.data.Role = w.place.InScope, w.place.Site, w.place.Role
	w.fp = w.data.fingerprint()
}

// userBatch collects one page's writes.
type userBatch struct {
	inserts []store.User
	insertW []*userWork // parallel to inserts
	updates []store.User
	batchRows
}

// diffExisting updates or reactivates users that already have an entity.
func (r *runner) diffExisting(ctx context.Context, tx store.Tx, ws []*userWork, b *userBatch) error {
	if len(ws) == 0 {
		return nil
	}
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.link.EntityID
	}
	users, err := tx.UserGetMany(ctx, ids)
	if err != nil {
		return fmt.Errorf("reading users: %w", err)
	}
	byID := make(map[int64]store.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	for _, w := range ws {
		old, ok := byID[w.link.EntityID]
		if !ok {
			// The entity was deleted behind the link's back: treat as new.
			if err := r.matchNew(ctx, tx, []*userWork{w}, b); err != nil {
				return err
			}
			continue
		}
		var first int64
		if w.link.MatchedBy == store.MatchedOperator && w.link.Fingerprint == "" {
			// An operator just linked this object: it joins the person
			// like a match would.
			w.matched = "linked by an operator"
			if _, first, err = r.linkedElsewhere(ctx, tx, w.rec.Kind, old.ID, w.rec.ID); err != nil {
				return err
			}
		}
		if err := r.updateLinked(ctx, tx, w, old, first, b); err != nil {
			return err
		}
		b.links = append(b.links, r.linkOf(w, old.ID, store.LinkLinked, w.link.MatchedBy, w.why))
	}
	return nil
}

// updateLinked writes what a source record says of the platform user it
// is linked (or just matched) to, under the field-ownership rules, and
// reactivates the user unless another integration's deactivation stands.
// firstOwner is, for a user another integration links and this one just
// matched, the integration that owned its fields until now.
func (r *runner) updateLinked(ctx context.Context, tx store.Tx, w *userWork, old store.User, firstOwner int64, b *userBatch) error {
	kind := w.rec.Kind
	siteID, err := r.siteID(ctx, tx, w.place.Site)
	if err != nil {
		return err
	}
	nu := userFrom(w.data, siteID, w.place.Role)
	nu.ID, nu.CreatedAt, nu.ManagerID = old.ID, old.CreatedAt, r.managerOf(w, old.ManagerID)
	if nu, err = r.own(ctx, tx, old, nu, firstOwner); err != nil {
		return err
	}
	w.why = w.place.Why
	held := !old.Active && old.DeactivatedBy != 0 && old.DeactivatedBy != r.p.Integration.ID
	if held {
		// Another source deactivated this person: this one does not undo it.
		nu.Active, nu.DeactivatedAt, nu.DeactivatedReason, nu.DeactivatedBy = false, old.DeactivatedAt, old.DeactivatedReason, old.DeactivatedBy
		w.why = fmt.Sprintf("inactive: %s (by integration %s, which this source does not override)", old.DeactivatedReason, r.integrationName(ctx, tx, old.DeactivatedBy))
	}
	changes := userChanges(old, nu)
	switch {
	case firstOwner != 0 || w.matched != "":
		b.updates = append(b.updates, nu)
		b.audits = append(b.audits, r.audit(kind, old.ID, store.ActionLinked, w.matched+"; "+w.why, changes))
		r.c(kind).Updated++
		r.planned(kind, w.rec.ID, old.ID, store.ActionLinked, nu.DisplayName, w.matched)
	case !old.Active && !held:
		b.updates = append(b.updates, nu)
		b.audits = append(b.audits, r.audit(kind, old.ID, store.ActionReactivated, "present and in scope at source again; "+w.place.Why, changes))
		r.c(kind).Reactivated++
		r.planned(kind, w.rec.ID, old.ID, store.ActionReactivated, nu.DisplayName, w.place.Why)
	case changes != nil:
		b.updates = append(b.updates, nu)
		b.audits = append(b.audits, r.audit(kind, old.ID, store.ActionUpdated, "changed at source", changes))
		r.c(kind).Updated++
		r.planned(kind, w.rec.ID, old.ID, store.ActionUpdated, nu.DisplayName, string(changes))
	default:
		r.c(kind).Unchanged++
	}
	return nil
}

// matchNew finds an existing platform user for each in-scope record that
// has no entity yet, rule by rule in the configured order, and creates a
// user for those that match none. A record matching several users, or a
// user already linked to another object of this integration, is a
// conflict: nothing is created or merged, the link says why, and the
// record goes to the review queue for an operator to decide.
func (r *runner) matchNew(ctx context.Context, tx store.Tx, ws []*userWork, b *userBatch) error {
	if len(ws) == 0 {
		return nil
	}
	found := make([]matchResult, len(ws))
	for i, w := range ws {
		if w.link != nil && w.link.MatchedBy == store.MatchedOperatorCreate {
			found[i] = matchResult{rule: "created", why: "an operator asked for a new user"}
		}
	}
	contacts := ws[0].rec.Kind == record.KindContact
	m := matcher{
		kind: ws[0].rec.Kind, noun: "platform users", n: len(ws),
		extID: func(i int) string { return ws[i].rec.ID },
		key:   func(i int, rule string) string { return ws[i].data.Attrs[matchAttr(rule)] },
		find: func(rule string, idx []int) (map[int][]int64, error) {
			values := make([]string, len(idx))
			for j, i := range idx {
				values[j] = strings.ToLower(ws[i].data.Attrs[matchAttr(rule)])
			}
			hits, err := tx.UserFind(ctx, &store.UserFindParams{Key: rule, Values: values, Contacts: contacts})
			if err != nil {
				return nil, err
			}
			out := make(map[int][]int64, len(hits))
			for j, i := range idx {
				if c := hits[values[j]]; len(c) > 0 {
					out[i] = c
				}
			}
			return out, nil
		},
	}
	if err := r.match(ctx, tx, m, r.p.Settings.Matching, found); err != nil {
		return err
	}
	matched, err := byID(matchedIDs(found), func(ids []int64) ([]store.User, error) { return tx.UserGetMany(ctx, ids) },
		func(u store.User) int64 { return u.ID })
	if err != nil {
		return fmt.Errorf("reading matched users: %w", err)
	}
	for i, w := range ws {
		f := found[i]
		kind := w.rec.Kind
		if _, ok := f.conflict(); ok {
			r.c(kind).Failed++
			b.links = append(b.links, r.linkOf(w, 0, store.LinkConflict, "", f.why))
			b.reviews = append(b.reviews, r.reviewItem(kind, w.rec.ID, f, w.data.encode()))
			r.planned(kind, w.rec.ID, 0, "conflict", w.data.Attrs[record.AttrDisplayName], f.why)
			continue
		}
		if w.link != nil && w.link.Status == store.LinkConflict {
			// No longer ambiguous: the queue item is settled by this run.
			b.reviews = append(b.reviews, r.clearedItem(kind, w.rec.ID, f, w.data.encode()))
		}
		if old, ok := matched[f.id]; ok {
			w.matched = f.why
			if err := r.updateLinked(ctx, tx, w, old, f.owner, b); err != nil {
				return err
			}
			b.links = append(b.links, r.linkOf(w, old.ID, store.LinkLinked, f.rule, w.why))
			continue
		}
		siteID, err := r.siteID(ctx, tx, w.place.Site)
		if err != nil {
			return err
		}
		nu := userFrom(w.data, siteID, w.place.Role)
		nu.ManagerID = r.managerOf(w, 0)
		b.inserts = append(b.inserts, nu)
		b.insertW = append(b.insertW, w)
		r.c(kind).Created++
		r.planned(kind, w.rec.ID, 0, store.ActionCreated, nu.DisplayName, w.place.Why)
	}
	return nil
}

func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ", ")
}

// linkedElsewhere returns the external ID of another object of this
// integration already linked to the user (or ""), and the integration
// whose link to the user is oldest among the other integrations (or 0).
func (r *runner) linkedElsewhere(ctx context.Context, tx store.Tx, kind record.Kind, userID int64, extID string) (string, int64, error) {
	links, err := tx.LinkListByEntity(ctx, kind, userID)
	if err != nil {
		return "", 0, fmt.Errorf("reading links of user %d: %w", userID, err)
	}
	var owner int64
	var oldest store.Link
	for _, l := range links {
		if l.IntegrationID == r.p.Integration.ID {
			if l.ExternalID != extID {
				return l.ExternalID, 0, nil
			}
			continue
		}
		if l.Status != store.LinkLinked {
			continue
		}
		if owner == 0 || l.CreatedAt.Before(oldest.CreatedAt) || (l.CreatedAt.Equal(oldest.CreatedAt) && l.ID < oldest.ID) {
			owner, oldest = l.IntegrationID, l
		}
	}
	return "", owner, nil
}

// writeUsers writes a page's batch: inserts first (to learn their IDs),
// then updates, links, audit events and queued deactivations.
func (r *runner) writeUsers(ctx context.Context, tx store.Tx, b *userBatch) error {
	if len(b.inserts) > 0 {
		if err := tx.UserInsertMany(ctx, b.inserts); err != nil {
			return fmt.Errorf("inserting users: %w", err)
		}
		for i, u := range b.inserts {
			w := b.insertW[i]
			b.links = append(b.links, r.linkOf(w, u.ID, store.LinkLinked, "created", w.place.Why))
			b.audits = append(b.audits, r.audit(w.rec.Kind, u.ID, store.ActionCreated, w.place.Why, nil))
		}
	}
	if len(b.updates) > 0 {
		if err := tx.UserUpdateMany(ctx, b.updates); err != nil {
			return fmt.Errorf("updating users: %w", err)
		}
	}
	if len(b.inserts)+len(b.updates) > 0 {
		r.usersChanged = true
	}
	r.writes += int64(len(b.inserts) + len(b.updates))
	return r.writeRows(ctx, tx, record.KindUser, &b.batchRows)
}

// linkOf builds the link row for a user work item.
func (r *runner) linkOf(w *userWork, entityID int64, status, matchedBy, reason string) store.Link {
	return store.Link{
		IntegrationID: r.p.Integration.ID, Kind: w.rec.Kind, ExternalID: w.rec.ID,
		EntityID: entityID, Status: status, MatchedBy: matchedBy, Fingerprint: w.fp,
		Data: w.data.encode(), ManagerRef: w.data.Attrs[record.AttrManager], Reason: reason, LastRunID: r.run.ID,
	}
}

func linkEntity(l *store.Link) int64 {
	if l == nil {
		return 0
	}
	return l.EntityID
}

func linkMatchedBy(l *store.Link) string {
	if l == nil {
		return ""
	}
	return l.MatchedBy
}

// leaveReason says in words why a record takes its user out of the platform.
func leaveReason(rec record.Record, p placement) string {
	switch rec.State {
	case record.Removed:
		return "removed at source (" + cmpOr(rec.Reason, "deleted") + ")"
	case record.Disabled:
		return "disabled at source (" + cmpOr(rec.Reason, "disabled") + ")"
	}
	return "out of scope: " + p.Why
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// lastOfEach keeps the last record of each ID, in first-seen order: a
// source may replay an object within a page, and the last is the latest.
func lastOfEach(recs []record.Record) []record.Record {
	idx := make(map[string]int, len(recs))
	out := recs[:0:0]
	for _, rec := range recs {
		if i, ok := idx[rec.ID]; ok {
			out[i] = rec
			continue
		}
		idx[rec.ID] = len(out)
		out = append(out, rec)
	}
	return out
}

func matchAttr(rule string) string {
	switch rule {
	case store.KeyImmutableID:
		return record.AttrImmutableID
	case store.KeyUPN:
		return record.AttrUPN
	case store.KeyEmail:
		return record.AttrEmail
	case store.KeyEmployeeID:
		return record.AttrEmployeeID
	}
	return rule
}

// userFrom builds the platform user a source record describes.
func userFrom(d linkData, siteID int64, role string) store.User {
	a := d.Attrs
	name := a[record.AttrDisplayName]
	if name == "" {
		name = strings.TrimSpace(a[record.AttrGivenName] + " " + a[record.AttrSurname])
	}
	return store.User{
		SiteID: siteID, Role: role, Active: true,
		DisplayName: name, GivenName: a[record.AttrGivenName], Surname: a[record.AttrSurname],
		UPN: a[record.AttrUPN], Email: a[record.AttrEmail], JobTitle: a[record.AttrJobTitle],
		Department: a[record.AttrDepartment], EmployeeID: a[record.AttrEmployeeID],
		ImmutableID: a[record.AttrImmutableID], UserType: a[record.AttrUserType],
	}
}

// userChanges returns the changed fields as JSON {field: [old, new]}, or
// nil when nothing an operator sees changed.
func userChanges(old, nu store.User) []byte {
	ch := map[string][2]any{}
	cmp := func(name string, a, b any) {
		if a != b {
			ch[name] = [2]any{a, b}
		}
	}
	cmp("display_name", old.DisplayName, nu.DisplayName)
	cmp("given_name", old.GivenName, nu.GivenName)
	cmp("surname", old.Surname, nu.Surname)
	cmp("upn", old.UPN, nu.UPN)
	cmp("email", old.Email, nu.Email)
	cmp("job_title", old.JobTitle, nu.JobTitle)
	cmp("department", old.Department, nu.Department)
	cmp("employee_id", old.EmployeeID, nu.EmployeeID)
	cmp("immutable_id", old.ImmutableID, nu.ImmutableID)
	cmp("user_type", old.UserType, nu.UserType)
	cmp("site_id", old.SiteID, nu.SiteID)
	cmp("role", old.Role, nu.Role)
	cmp("manager_id", old.ManagerID, nu.ManagerID)
	cmp("active", old.Active, nu.Active)
	if len(ch) == 0 {
		return nil
	}
	b, _ := json.Marshal(ch)
	return b
}

// resolveManagers looks up, in one query, the platform users of the
// managers the page's users name. A manager the store does not link yet
// (one later in this run's stream) is resolved at the end of the run by
// the store, from the links' ManagerRef.
func (r *runner) resolveManagers(ctx context.Context, tx store.Tx, ws []*userWork) error {
	r.managers = map[string]int64{}
	var refs []string
	for _, w := range ws {
		if m := w.data.Attrs[record.AttrManager]; m != "" {
			if _, ok := r.managers[m]; !ok {
				r.managers[m] = 0
				refs = append(refs, m)
			}
		}
	}
	if len(refs) == 0 {
		return nil
	}
	links, err := tx.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: r.p.Integration.ID, Kind: ws[0].rec.Kind, ExternalIDs: refs})
	if err != nil {
		return fmt.Errorf("reading managers' links: %w", err)
	}
	for _, l := range links {
		r.managers[l.ExternalID] = l.EntityID
	}
	return nil
}

// managerOf returns the platform ID of a user's manager: none when the
// source names none, the resolved one when known, else what it was.
func (r *runner) managerOf(w *userWork, was int64) int64 {
	m, ok := w.data.Attrs[record.AttrManager]
	switch {
	case !ok:
		return was
	case m == "":
		return 0
	}
	if id := r.managers[m]; id != 0 {
		return id
	}
	return was
}
