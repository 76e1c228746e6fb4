package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// applyAppointments writes one page of calendar events. An event is
// linked to its platform appointment by its source ID; an event the
// source reports removed (deleted, or moved out of the synchronised
// window) is deactivated at once with the reason: a calendar is not access
// and no threshold guards it. A private event keeps only its busy time.
func (r *runner) applyAppointments(ctx context.Context, tx store.Tx, recs []record.Record) error {
	recs = lastOfEach(recs)
	kind := record.KindAppointment
	integ := r.p.Integration.ID
	byID, entityIDs, err := r.pageLinks(ctx, tx, kind, recs)
	if err != nil {
		return err
	}
	olds, err := tx.AppointmentGetMany(ctx, entityIDs)
	if err != nil {
		return err
	}
	stored := make(map[int64]store.Appointment, len(olds))
	for _, a := range olds {
		stored[a.ID] = a
	}
	owners, err := r.mailboxUsers(ctx, tx, recs)
	if err != nil {
		return err
	}
	var (
		inserts  []store.Appointment
		insertL  []int // index into newLinks
		updates  []store.Appointment
		newLinks []store.Link
		audits   []store.AuditEvent
	)
	for _, rec := range recs {
		link := byID[rec.ID]
		d := linkData{}
		if link != nil {
			if d, err = decodeLinkData(link.Data); err != nil {
				return fmt.Errorf("appointment %s: %w", rec.ID, err)
			}
		}
		d = merge(d, rec)
		d.InScope = rec.State == record.Present
		if isPrivate(d.Attrs) {
			// Busy time only, whatever the source sent.
			for _, k := range []string{record.AttrSubject, record.AttrLocation, record.AttrAttendees} {
				delete(d.Attrs, k)
			}
		}
		fp := d.fingerprint()
		if link != nil && link.Fingerprint == fp {
			r.c(kind).Unchanged++
			continue
		}
		l := store.Link{IntegrationID: integ, Kind: kind, ExternalID: rec.ID, Status: store.LinkLinked, MatchedBy: "created",
			Fingerprint: fp, Data: d.encode(), LastRunID: r.run.ID}
		if link != nil {
			l.EntityID, l.MatchedBy = link.EntityID, link.MatchedBy
		}
		old, exists := stored[l.EntityID]
		if rec.State != record.Present {
			l.Status = store.LinkRemoved
			l.Reason = "removed at source (" + cmpOr(rec.Reason, "deleted or moved out of the window") + ")"
			if exists && old.Active {
				nu := old
				nu.Active, nu.DeactivatedAt, nu.DeactivatedReason = false, r.e.now(), l.Reason
				updates = append(updates, nu)
				audits = append(audits, r.audit(kind, old.ID, store.ActionDeactivated, l.Reason, nil))
				r.c(kind).Deactivated++
			} else {
				r.c(kind).Unchanged++
			}
			newLinks = append(newLinks, l)
			continue
		}
		nu, err := appointmentFrom(d, owners[strings.ToLower(d.Attrs[record.AttrMailboxUPN])])
		if err != nil {
			r.c(kind).Failed++
			l.Status, l.Reason = store.LinkConflict, err.Error()
			newLinks = append(newLinks, l)
			continue
		}
		switch {
		case !exists:
			inserts = append(inserts, nu)
			insertL = append(insertL, len(newLinks))
			r.c(kind).Created++
		default:
			nu.ID, nu.CreatedAt = old.ID, old.CreatedAt
			action := store.ActionUpdated
			if !old.Active {
				action = store.ActionReactivated
				r.c(kind).Reactivated++
			} else {
				r.c(kind).Updated++
			}
			updates = append(updates, nu)
			audits = append(audits, r.audit(kind, old.ID, action, "changed at source", nil))
		}
		newLinks = append(newLinks, l)
	}
	if err := tx.AppointmentInsertMany(ctx, inserts); err != nil {
		return err
	}
	for i, a := range inserts {
		newLinks[insertL[i]].EntityID = a.ID
		audits = append(audits, r.audit(kind, a.ID, store.ActionCreated, "event at source", nil))
	}
	if err := tx.AppointmentUpdateMany(ctx, updates); err != nil {
		return err
	}
	if err := tx.LinkUpsertMany(ctx, newLinks); err != nil {
		return fmt.Errorf("writing appointment links: %w", err)
	}
	if err := tx.AuditInsertMany(ctx, audits); err != nil {
		return fmt.Errorf("writing audit events: %w", err)
	}
	r.writes += int64(len(inserts) + len(updates) + len(newLinks) + len(audits))
	return nil
}

func isPrivate(a map[string]string) bool {
	s := strings.ToLower(a[record.AttrSensitivity])
	return s == "private" || s == "confidential"
}

// mailboxUsers finds the platform users of the page's mailboxes by UPN.
func (r *runner) mailboxUsers(ctx context.Context, tx store.Tx, recs []record.Record) (map[string]int64, error) {
	var upns []string
	seen := map[string]bool{}
	for _, rec := range recs {
		if u := strings.ToLower(rec.Attrs[record.AttrMailboxUPN]); u != "" && !seen[u] {
			seen[u] = true
			upns = append(upns, u)
		}
	}
	out := map[string]int64{}
	if len(upns) == 0 {
		return out, nil
	}
	hits, err := tx.UserFind(ctx, &store.UserFindParams{Key: store.KeyUPN, Values: upns})
	if err != nil {
		return nil, fmt.Errorf("finding mailbox owners: %w", err)
	}
	for u, ids := range hits {
		if len(ids) == 1 {
			out[u] = ids[0]
		}
	}
	return out, nil
}

// appointmentFrom builds the appointment an event record describes.
func appointmentFrom(d linkData, userID int64) (store.Appointment, error) {
	a := d.Attrs
	start, err := time.Parse(time.RFC3339, a[record.AttrStart])
	if err != nil {
		return store.Appointment{}, fmt.Errorf("start %q is not an RFC 3339 time", a[record.AttrStart])
	}
	end, err := time.Parse(time.RFC3339, a[record.AttrEnd])
	if err != nil {
		return store.Appointment{}, fmt.Errorf("end %q is not an RFC 3339 time", a[record.AttrEnd])
	}
	attendees := a[record.AttrAttendees]
	if attendees == "" {
		attendees = "[]"
	}
	return store.Appointment{
		UserID: userID, Mailbox: a[record.AttrMailbox], SeriesID: a[record.AttrSeriesID],
		EventType: cmpOr(a[record.AttrEventType], "singleInstance"), Subject: a[record.AttrSubject],
		Start: start.UTC(), End: end.UTC(), TimeZone: a[record.AttrTimeZone], AllDay: a[record.AttrAllDay] == "true",
		Location: a[record.AttrLocation], Organizer: a[record.AttrOrganizer], Attendees: attendees,
		ShowAs: a[record.AttrShowAs], Private: isPrivate(a), Recurrence: a[record.AttrRecurrence],
		Cancelled: a[record.AttrCancelled] == "true", Active: true,
	}, nil
}
