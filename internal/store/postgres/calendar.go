package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/store"
)

const appointmentColumns = `id, user_id, mailbox, series_id, event_type, subject, start_at, end_at, time_zone,
	all_day, location, organizer, attendees, show_as, private, recurrence, cancelled, active,
	created_at, updated_at, deactivated_at, deactivated_reason`

func scanAppointment(sc rowScanner) (store.Appointment, error) {
	var (
		a                                       store.Appointment
		user                                    *int64
		start, end, created, updated, deactived pgtype.Timestamptz
	)
	err := sc.Scan(&a.ID, &user, &a.Mailbox, &a.SeriesID, &a.EventType, &a.Subject, &start, &end, &a.TimeZone,
		&a.AllDay, &a.Location, &a.Organizer, &a.Attendees, &a.ShowAs, &a.Private, &a.Recurrence, &a.Cancelled, &a.Active,
		&created, &updated, &deactived, &a.DeactivatedReason)
	if user != nil {
		a.UserID = *user
	}
	a.Start, a.End, a.CreatedAt, a.UpdatedAt, a.DeactivatedAt = timeOf(start), timeOf(end), timeOf(created), timeOf(updated), timeOf(deactived)
	return a, err
}

func appointmentArgs(a *store.Appointment) []any {
	return []any{a.ID, idValue(a.UserID), a.Mailbox, a.SeriesID, a.EventType, a.Subject, timeValue(a.Start), timeValue(a.End),
		a.TimeZone, a.AllDay, a.Location, a.Organizer, a.Attendees, a.ShowAs, a.Private, a.Recurrence, a.Cancelled, a.Active,
		timeValue(a.CreatedAt), timeValue(a.UpdatedAt), timeValue(a.DeactivatedAt), a.DeactivatedReason}
}

func (r reader) appointments(ctx context.Context, what, q string, args ...any) ([]store.Appointment, error) {
	rows, err := r.q.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Appointment, error) { return scanAppointment(row) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	return out, nil
}

// AppointmentGetMany returns the appointments of the given IDs that exist.
func (r reader) AppointmentGetMany(ctx context.Context, ids []int64) ([]store.Appointment, error) {
	return r.appointments(ctx, "getting appointments", `SELECT `+appointmentColumns+` FROM appointments WHERE id = ANY($1::bigint[]) ORDER BY id`, ids)
}

// AppointmentList lists appointments by ascending ID, filtered by p.
func (r reader) AppointmentList(ctx context.Context, p *store.AppointmentListParams) ([]store.Appointment, error) {
	if p == nil {
		p = &store.AppointmentListParams{}
	}
	var w where
	w.add("id > ", p.AfterID)
	if p.UserID != 0 {
		w.add("user_id = ", p.UserID)
	}
	if !p.From.IsZero() {
		w.add("end_at > ", timeValue(p.From))
	}
	if !p.To.IsZero() {
		w.add("start_at < ", timeValue(p.To))
	}
	if p.Active != nil {
		w.add("active = ", *p.Active)
	}
	q := `SELECT ` + appointmentColumns + ` FROM appointments` + w.String() + ` ORDER BY id`
	if p.Limit > 0 {
		q += w.limit(p.Limit)
	}
	return r.appointments(ctx, "listing appointments", q, w.args...)
}

// AppointmentInsertMany inserts appointments and sets their IDs.
func (t *tx) AppointmentInsertMany(ctx context.Context, as []store.Appointment) error {
	if len(as) == 0 {
		return nil
	}
	ids, err := t.nextIDs(ctx, "appointments", len(as))
	if err != nil {
		return fmt.Errorf("inserting appointments: %w", err)
	}
	now := t.s.clock()
	for i := range as {
		as[i].ID, as[i].CreatedAt, as[i].UpdatedAt = ids[i], now, now
	}
	_, err = t.q.CopyFrom(ctx, pgx.Identifier{"appointments"}, columnNames(appointmentColumns),
		pgx.CopyFromSlice(len(as), func(i int) ([]any, error) { return appointmentArgs(&as[i]), nil }))
	if err != nil {
		return fmt.Errorf("inserting appointments: %w", interpretError(err))
	}
	t.count("appointments", int64(len(as)))
	return nil
}

// AppointmentUpdateMany replaces the stored fields of appointments by ID.
func (t *tx) AppointmentUpdateMany(ctx context.Context, as []store.Appointment) error {
	now := t.s.clock()
	for i := range as {
		as[i].UpdatedAt = now
		if err := t.updateByID(ctx, "appointments", appointmentColumns, appointmentArgs(&as[i])); err != nil {
			return fmt.Errorf("updating appointments: %w", err)
		}
	}
	return nil
}

const licenceColumns = `id, client_id, tenant_id, sku_id, sku_part_number, name, capability_status,
	enabled_units, suspended_units, warning_units, consumed_units, active, created_at, updated_at,
	deactivated_at, deactivated_reason`

func scanLicence(sc rowScanner) (store.Licence, error) {
	var (
		l                           store.Licence
		client                      *int64
		created, updated, deactived pgtype.Timestamptz
	)
	err := sc.Scan(&l.ID, &client, &l.TenantID, &l.SkuID, &l.SkuPartNumber, &l.Name, &l.CapabilityStatus,
		&l.EnabledUnits, &l.SuspendedUnits, &l.WarningUnits, &l.ConsumedUnits, &l.Active, &created, &updated,
		&deactived, &l.DeactivatedReason)
	if client != nil {
		l.ClientID = *client
	}
	l.CreatedAt, l.UpdatedAt, l.DeactivatedAt = timeOf(created), timeOf(updated), timeOf(deactived)
	return l, err
}

func licenceArgs(l *store.Licence) []any {
	return []any{l.ID, idValue(l.ClientID), l.TenantID, l.SkuID, l.SkuPartNumber, l.Name, l.CapabilityStatus,
		l.EnabledUnits, l.SuspendedUnits, l.WarningUnits, l.ConsumedUnits, l.Active, timeValue(l.CreatedAt),
		timeValue(l.UpdatedAt), timeValue(l.DeactivatedAt), l.DeactivatedReason}
}

func (r reader) licences(ctx context.Context, what, q string, args ...any) ([]store.Licence, error) {
	rows, err := r.q.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Licence, error) { return scanLicence(row) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	return out, nil
}

// LicenceGetMany returns the licences of the given IDs that exist.
func (r reader) LicenceGetMany(ctx context.Context, ids []int64) ([]store.Licence, error) {
	return r.licences(ctx, "getting licences", `SELECT `+licenceColumns+` FROM licences WHERE id = ANY($1::bigint[]) ORDER BY id`, ids)
}

// LicenceFind returns a tenant's licences of the given SKUs, by "tenant/sku".
func (r reader) LicenceFind(ctx context.Context, tenantID string, skuIDs []string) (map[string]store.Licence, error) {
	ls, err := r.licences(ctx, "finding licences", `SELECT `+licenceColumns+` FROM licences
		WHERE tenant_id = $1 AND sku_id = ANY($2::text[])`, tenantID, skuIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.Licence, len(ls))
	for _, l := range ls {
		out[l.TenantID+"/"+l.SkuID] = l
	}
	return out, nil
}

// LicenceList lists licences by ascending ID, filtered by p.
func (r reader) LicenceList(ctx context.Context, p *store.LicenceListParams) ([]store.Licence, error) {
	if p == nil {
		p = &store.LicenceListParams{}
	}
	var w where
	w.add("id > ", p.AfterID)
	if p.ClientID != 0 {
		w.add("client_id = ", p.ClientID)
	}
	if p.Active != nil {
		w.add("active = ", *p.Active)
	}
	q := `SELECT ` + licenceColumns + ` FROM licences` + w.String() + ` ORDER BY id`
	if p.Limit > 0 {
		q += w.limit(p.Limit)
	}
	return r.licences(ctx, "listing licences", q, w.args...)
}

func (r reader) int64s(ctx context.Context, what, q string, args ...any) ([]int64, error) {
	rows, err := r.q.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	return out, nil
}

// LicenceHolders lists the platform users holding a licence.
func (r reader) LicenceHolders(ctx context.Context, licenceID int64) ([]int64, error) {
	return r.int64s(ctx, "listing licence holders", `SELECT user_id FROM licence_assignments WHERE licence_id = $1 ORDER BY user_id`, licenceID)
}

// LicencesOf lists the licences a platform user holds.
func (r reader) LicencesOf(ctx context.Context, userID int64) ([]int64, error) {
	return r.int64s(ctx, "listing licences of a user", `SELECT licence_id FROM licence_assignments WHERE user_id = $1 ORDER BY licence_id`, userID)
}

// LicenceInsertMany inserts licences and sets their IDs.
func (t *tx) LicenceInsertMany(ctx context.Context, ls []store.Licence) error {
	if len(ls) == 0 {
		return nil
	}
	ids, err := t.nextIDs(ctx, "licences", len(ls))
	if err != nil {
		return fmt.Errorf("inserting licences: %w", err)
	}
	now := t.s.clock()
	for i := range ls {
		ls[i].ID, ls[i].CreatedAt, ls[i].UpdatedAt = ids[i], now, now
	}
	_, err = t.q.CopyFrom(ctx, pgx.Identifier{"licences"}, columnNames(licenceColumns),
		pgx.CopyFromSlice(len(ls), func(i int) ([]any, error) { return licenceArgs(&ls[i]), nil }))
	if err != nil {
		return fmt.Errorf("inserting licences: %w", interpretError(err))
	}
	t.count("licences", int64(len(ls)))
	return nil
}

// LicenceUpdateMany replaces the stored fields of licences by ID.
func (t *tx) LicenceUpdateMany(ctx context.Context, ls []store.Licence) error {
	now := t.s.clock()
	for i := range ls {
		ls[i].UpdatedAt = now
		if err := t.updateByID(ctx, "licences", licenceColumns, licenceArgs(&ls[i])); err != nil {
			return fmt.Errorf("updating licences: %w", err)
		}
	}
	return nil
}

// LicenceAssign sets the tenant's licences a user holds to exactly ids.
func (t *tx) LicenceAssign(ctx context.Context, userID int64, tenantID string, ids []int64) (int, error) {
	if ids == nil {
		ids = []int64{}
	}
	del, err := t.q.Exec(ctx, `DELETE FROM licence_assignments WHERE user_id = $1
		AND licence_id IN (SELECT id FROM licences WHERE tenant_id = $2) AND NOT (licence_id = ANY($3::bigint[]))`, userID, tenantID, ids)
	if err != nil {
		return 0, fmt.Errorf("assigning licences: %w", interpretError(err))
	}
	ins, err := t.q.Exec(ctx, `INSERT INTO licence_assignments (licence_id, user_id)
		SELECT unnest($2::bigint[]), $1 ON CONFLICT DO NOTHING`, userID, ids)
	if err != nil {
		return 0, fmt.Errorf("assigning licences: %w", interpretError(err))
	}
	return int(del.RowsAffected() + ins.RowsAffected()), nil
}

// columnNames splits a column list.
func columnNames(cols string) []string {
	return strings.Split(strings.Join(strings.Fields(cols), ""), ",")
}

// updateByID writes every column of a row but its ID and creation time,
// from args in column order, and fails with store.ErrNotFound when the
// row does not exist.
func (t *tx) updateByID(ctx context.Context, table, cols string, args []any) error {
	names := columnNames(cols)
	var sets []string
	vals := []any{args[0]}
	for i, n := range names {
		if n == "id" || n == "created_at" {
			continue
		}
		vals = append(vals, args[i])
		sets = append(sets, n+" = $"+strconv.Itoa(len(vals)))
	}
	tag, err := t.q.Exec(ctx, `UPDATE `+table+` SET `+strings.Join(sets, ", ")+` WHERE id = $1`, vals...)
	if err != nil {
		return interpretError(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s %v", store.ErrNotFound, table, args[0])
	}
	return nil
}
