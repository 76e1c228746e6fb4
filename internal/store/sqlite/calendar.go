package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/store"
)

const appointmentColumns = `id, user_id, mailbox, series_id, event_type, subject, start_at, end_at, time_zone,
	all_day, location, organizer, attendees, show_as, private, recurrence, cancelled, active,
	created_at, updated_at, deactivated_at, deactivated_reason`

func scanAppointment(sc interface{ Scan(...any) error }) (store.Appointment, error) {
	var (
		a                                       store.Appointment
		user                                    sql.NullInt64
		start, end, created, updated, deactived sql.NullInt64
	)
	err := sc.Scan(&a.ID, &user, &a.Mailbox, &a.SeriesID, &a.EventType, &a.Subject, &start, &end, &a.TimeZone,
		&a.AllDay, &a.Location, &a.Organizer, &a.Attendees, &a.ShowAs, &a.Private, &a.Recurrence, &a.Cancelled, &a.Active,
		&created, &updated, &deactived, &a.DeactivatedReason)
	a.UserID = user.Int64
	a.Start, a.End, a.CreatedAt, a.UpdatedAt, a.DeactivatedAt = timeOf(start), timeOf(end), timeOf(created), timeOf(updated), timeOf(deactived)
	return a, err
}

func appointmentArgs(a *store.Appointment) []any {
	return []any{a.ID, idValue(a.UserID), a.Mailbox, a.SeriesID, a.EventType, a.Subject, timeValue(a.Start), timeValue(a.End),
		a.TimeZone, a.AllDay, a.Location, a.Organizer, a.Attendees, a.ShowAs, a.Private, a.Recurrence, a.Cancelled, a.Active,
		timeValue(a.CreatedAt), timeValue(a.UpdatedAt), timeValue(a.DeactivatedAt), a.DeactivatedReason}
}

func (r reader) appointments(ctx context.Context, what, q string, args ...any) ([]store.Appointment, error) {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	defer rows.Close()
	var out []store.Appointment
	for rows.Next() {
		a, err := scanAppointment(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	return out, nil
}

// AppointmentGetMany returns the appointments of the given IDs that exist.
func (r reader) AppointmentGetMany(ctx context.Context, ids []int64) ([]store.Appointment, error) {
	var out []store.Appointment
	err := chunks(ids, lookupChunk, func(part []int64) error {
		n, args := inArgs(nil, part)
		got, err := r.appointments(ctx, "getting appointments",
			`SELECT `+appointmentColumns+` FROM appointments WHERE id IN (`+inList(n)+`) ORDER BY id`, args...)
		out = append(out, got...)
		return err
	})
	return out, err
}

// AppointmentList lists appointments by ascending ID, filtered by p.
func (r reader) AppointmentList(ctx context.Context, p *store.AppointmentListParams) ([]store.Appointment, error) {
	if p == nil {
		p = &store.AppointmentListParams{}
	}
	where, args := []string{"id > ?"}, []any{p.AfterID}
	if p.UserID != 0 {
		where, args = append(where, "user_id = ?"), append(args, p.UserID)
	}
	if !p.From.IsZero() {
		where, args = append(where, "end_at > ?"), append(args, timeValue(p.From))
	}
	if !p.To.IsZero() {
		where, args = append(where, "start_at < ?"), append(args, timeValue(p.To))
	}
	if p.Active != nil {
		where, args = append(where, "active = ?"), append(args, *p.Active)
	}
	q := `SELECT ` + appointmentColumns + ` FROM appointments WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id`
	if p.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, p.Limit)
	}
	return r.appointments(ctx, "listing appointments", q, args...)
}

// AppointmentInsertMany inserts appointments and sets their IDs.
func (t *tx) AppointmentInsertMany(ctx context.Context, as []store.Appointment) error {
	if len(as) == 0 {
		return nil
	}
	var maxID int64
	if err := t.queryRow(ctx, "appointments.maxid", text(`SELECT COALESCE(MAX(id), 0) FROM appointments`)).Scan(&maxID); err != nil {
		return fmt.Errorf("inserting appointments: %w", interpretError(err))
	}
	now := t.s.clock()
	for i := range as {
		as[i].ID, as[i].CreatedAt, as[i].UpdatedAt = maxID+int64(i)+1, now, now
		if _, err := t.exec(ctx, "appointments.insert", text(`INSERT INTO appointments (`+appointmentColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), appointmentArgs(&as[i])...); err != nil {
			return fmt.Errorf("inserting appointments: %w", err)
		}
	}
	return nil
}

// AppointmentUpdateMany replaces the stored fields of appointments by ID.
func (t *tx) AppointmentUpdateMany(ctx context.Context, as []store.Appointment) error {
	now := t.s.clock()
	for i := range as {
		as[i].UpdatedAt = now
		args := appointmentArgs(&as[i])
		res, err := t.exec(ctx, "appointments.update", text(`UPDATE appointments SET user_id = ?2, mailbox = ?3,
			series_id = ?4, event_type = ?5, subject = ?6, start_at = ?7, end_at = ?8, time_zone = ?9, all_day = ?10,
			location = ?11, organizer = ?12, attendees = ?13, show_as = ?14, private = ?15, recurrence = ?16,
			cancelled = ?17, active = ?18, updated_at = ?20, deactivated_at = ?21, deactivated_reason = ?22
			WHERE id = ?1 AND ?19 IS ?19`), args...) // ?19, the creation time, is kept
		if err != nil {
			return fmt.Errorf("updating appointments: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("updating appointments: %w: appointment %d", store.ErrNotFound, as[i].ID)
		}
	}
	return nil
}

const licenceColumns = `id, client_id, tenant_id, sku_id, sku_part_number, name, capability_status,
	enabled_units, suspended_units, warning_units, consumed_units, active, created_at, updated_at,
	deactivated_at, deactivated_reason`

func scanLicence(sc interface{ Scan(...any) error }) (store.Licence, error) {
	var (
		l                           store.Licence
		client                      sql.NullInt64
		created, updated, deactived sql.NullInt64
	)
	err := sc.Scan(&l.ID, &client, &l.TenantID, &l.SkuID, &l.SkuPartNumber, &l.Name, &l.CapabilityStatus,
		&l.EnabledUnits, &l.SuspendedUnits, &l.WarningUnits, &l.ConsumedUnits, &l.Active, &created, &updated,
		&deactived, &l.DeactivatedReason)
	l.ClientID = client.Int64
	l.CreatedAt, l.UpdatedAt, l.DeactivatedAt = timeOf(created), timeOf(updated), timeOf(deactived)
	return l, err
}

func licenceArgs(l *store.Licence) []any {
	return []any{l.ID, idValue(l.ClientID), l.TenantID, l.SkuID, l.SkuPartNumber, l.Name, l.CapabilityStatus,
		l.EnabledUnits, l.SuspendedUnits, l.WarningUnits, l.ConsumedUnits, l.Active, timeValue(l.CreatedAt),
		timeValue(l.UpdatedAt), timeValue(l.DeactivatedAt), l.DeactivatedReason}
}

func (r reader) licences(ctx context.Context, what, q string, args ...any) ([]store.Licence, error) {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	defer rows.Close()
	var out []store.Licence
	for rows.Next() {
		l, err := scanLicence(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	return out, nil
}

// LicenceGetMany returns the licences of the given IDs that exist.
func (r reader) LicenceGetMany(ctx context.Context, ids []int64) ([]store.Licence, error) {
	var out []store.Licence
	err := chunks(ids, lookupChunk, func(part []int64) error {
		n, args := inArgs(nil, part)
		got, err := r.licences(ctx, "getting licences", `SELECT `+licenceColumns+` FROM licences WHERE id IN (`+inList(n)+`) ORDER BY id`, args...)
		out = append(out, got...)
		return err
	})
	return out, err
}

// LicenceFind returns a tenant's licences of the given SKUs, by "tenant/sku".
func (r reader) LicenceFind(ctx context.Context, tenantID string, skuIDs []string) (map[string]store.Licence, error) {
	out := map[string]store.Licence{}
	err := chunks(skuIDs, lookupChunk, func(part []string) error {
		n, args := inArgs([]any{tenantID}, part)
		got, err := r.licences(ctx, "finding licences", `SELECT `+licenceColumns+` FROM licences
			WHERE tenant_id = ? AND sku_id IN (`+inList(n)+`)`, args...)
		for _, l := range got {
			out[l.TenantID+"/"+l.SkuID] = l
		}
		return err
	})
	return out, err
}

// LicenceList lists licences by ascending ID, filtered by p.
func (r reader) LicenceList(ctx context.Context, p *store.LicenceListParams) ([]store.Licence, error) {
	if p == nil {
		p = &store.LicenceListParams{}
	}
	where, args := []string{"id > ?"}, []any{p.AfterID}
	if p.ClientID != 0 {
		where, args = append(where, "client_id = ?"), append(args, p.ClientID)
	}
	if p.Active != nil {
		where, args = append(where, "active = ?"), append(args, *p.Active)
	}
	q := `SELECT ` + licenceColumns + ` FROM licences WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id`
	if p.Limit > 0 {
		q, args = q+` LIMIT ?`, append(args, p.Limit)
	}
	return r.licences(ctx, "listing licences", q, args...)
}

func (r reader) int64s(ctx context.Context, what, q string, args ...any) ([]int64, error) {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, id)
	}
	return out, interpretError(rows.Err())
}

// LicenceHolders lists the platform users holding a licence.
func (r reader) LicenceHolders(ctx context.Context, licenceID int64) ([]int64, error) {
	return r.int64s(ctx, "listing licence holders", `SELECT user_id FROM licence_assignments WHERE licence_id = ? ORDER BY user_id`, licenceID)
}

// LicencesOf lists the licences a platform user holds.
func (r reader) LicencesOf(ctx context.Context, userID int64) ([]int64, error) {
	return r.int64s(ctx, "listing licences of a user", `SELECT licence_id FROM licence_assignments WHERE user_id = ? ORDER BY licence_id`, userID)
}

// LicenceInsertMany inserts licences and sets their IDs.
func (t *tx) LicenceInsertMany(ctx context.Context, ls []store.Licence) error {
	if len(ls) == 0 {
		return nil
	}
	var maxID int64
	if err := t.queryRow(ctx, "licences.maxid", text(`SELECT COALESCE(MAX(id), 0) FROM licences`)).Scan(&maxID); err != nil {
		return fmt.Errorf("inserting licences: %w", interpretError(err))
	}
	now := t.s.clock()
	for i := range ls {
		ls[i].ID, ls[i].CreatedAt, ls[i].UpdatedAt = maxID+int64(i)+1, now, now
		if _, err := t.exec(ctx, "licences.insert", text(`INSERT INTO licences (`+licenceColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), licenceArgs(&ls[i])...); err != nil {
			return fmt.Errorf("inserting licence %s/%s: %w", ls[i].TenantID, ls[i].SkuID, err)
		}
	}
	return nil
}

// LicenceUpdateMany replaces the stored fields of licences by ID.
func (t *tx) LicenceUpdateMany(ctx context.Context, ls []store.Licence) error {
	now := t.s.clock()
	for i := range ls {
		ls[i].UpdatedAt = now
		res, err := t.exec(ctx, "licences.update", text(`UPDATE licences SET client_id = ?2, tenant_id = ?3, sku_id = ?4,
			sku_part_number = ?5, name = ?6, capability_status = ?7, enabled_units = ?8, suspended_units = ?9,
			warning_units = ?10, consumed_units = ?11, active = ?12, updated_at = ?14, deactivated_at = ?15,
			deactivated_reason = ?16 WHERE id = ?1 AND ?13 IS ?13`), licenceArgs(&ls[i])...) // ?13, the creation time, is kept
		if err != nil {
			return fmt.Errorf("updating licences: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("updating licences: %w: licence %d", store.ErrNotFound, ls[i].ID)
		}
	}
	return nil
}

// LicenceAssign sets the tenant's licences a user holds to exactly ids.
func (t *tx) LicenceAssign(ctx context.Context, userID int64, tenantID string, ids []int64) (int, error) {
	res, err := t.exec(ctx, "licences.unassign", text(`DELETE FROM licence_assignments WHERE user_id = ?1
		AND licence_id IN (SELECT id FROM licences WHERE tenant_id = ?2)
		AND licence_id NOT IN (SELECT value FROM json_each(?3))`), userID, tenantID, int64JSON(ids))
	if err != nil {
		return 0, fmt.Errorf("assigning licences: %w", err)
	}
	removed, _ := res.RowsAffected()
	res, err = t.exec(ctx, "licences.assign", text(`INSERT INTO licence_assignments (licence_id, user_id)
		SELECT value, ?1 FROM json_each(?2) WHERE true ON CONFLICT DO NOTHING`), userID, int64JSON(ids))
	if err != nil {
		return 0, fmt.Errorf("assigning licences: %w", err)
	}
	added, _ := res.RowsAffected()
	return int(removed + added), nil
}

func int64JSON(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
