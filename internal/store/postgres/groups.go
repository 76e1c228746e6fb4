package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/store"
)

const groupColumns = `id, name, mail, active, created_at, updated_at, deactivated_at, deactivated_reason`

// groupWriteNames are the columns GroupInsertMany writes, in groupRow
// order, and groupArrayTypes their array types.
var (
	groupWriteNames = []string{"id", "name", "mail", "active", "created_at", "updated_at",
		"deactivated_at", "deactivated_reason", "name_key", "mail_key"}
	groupArrayTypes = []string{"bigint", "text", "text", "boolean", "timestamptz", "timestamptz",
		"timestamptz", "text", "text", "text"}
)

func scanGroup(sc rowScanner) (store.Group, error) {
	var (
		g                             store.Group
		created, updated, deactivated pgtype.Timestamptz
	)
	if err := sc.Scan(&g.ID, &g.Name, &g.Mail, &g.Active, &created, &updated, &deactivated,
		&g.DeactivatedReason); err != nil {
		return g, err
	}
	g.CreatedAt = timeOf(created)
	g.UpdatedAt = timeOf(updated)
	g.DeactivatedAt = timeOf(deactivated)
	return g, nil
}

func groupRow(g *store.Group) []any {
	return []any{g.ID, g.Name, g.Mail, g.Active, timeValue(g.CreatedAt), timeValue(g.UpdatedAt),
		timeValue(g.DeactivatedAt), g.DeactivatedReason, strings.ToLower(g.Name), strings.ToLower(g.Mail)}
}

// GroupGet returns a group by ID, or store.ErrNotFound.
func (r reader) GroupGet(ctx context.Context, id int64) (*store.Group, error) {
	g, err := scanGroup(r.q.QueryRow(ctx, `SELECT `+groupColumns+` FROM groups WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("getting group %d: %w", id, interpretError(err))
	}
	return &g, nil
}

// GroupList lists groups by ascending ID, filtered by p. Search matches a
// substring of the name or mail, case-insensitively; groups have no site,
// so p.SiteID is ignored.
func (r reader) GroupList(ctx context.Context, p *store.EntityListParams) ([]store.Group, error) {
	q, args := entityListQuery(`SELECT `+groupColumns+` FROM groups`, p, []string{"name_key", "mail_key"}, false)
	rows, err := r.q.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing groups: %w", interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Group, error) { return scanGroup(row) })
	if err != nil {
		return nil, fmt.Errorf("listing groups: %w", interpretError(err))
	}
	return out, nil
}

// GroupInsertMany inserts groups, setting their IDs (ascending, from the
// groups sequence) and their CreatedAt and UpdatedAt to now.
func (t *tx) GroupInsertMany(ctx context.Context, groups []store.Group) error {
	if len(groups) == 0 {
		return nil
	}
	ids, err := t.nextIDs(ctx, "groups", len(groups))
	if err != nil {
		return fmt.Errorf("inserting groups: %w", err)
	}
	now := t.s.clock()
	for i := range groups {
		groups[i].ID = ids[i]
		groups[i].CreatedAt = now
		groups[i].UpdatedAt = now
	}
	_, err = t.q.Exec(ctx, `INSERT INTO groups (`+strings.Join(groupWriteNames, ", ")+`)
		SELECT * FROM `+unnestList(groupArrayTypes),
		columnArrays(len(groupWriteNames), len(groups), func(i int) []any { return groupRow(&groups[i]) })...)
	if err != nil {
		for i := range groups {
			groups[i].ID = 0
		}
		return fmt.Errorf("inserting %d groups: %w", len(groups), interpretError(err))
	}
	t.count("groups", int64(len(groups)))
	return nil
}

// GroupUpdateMany replaces the stored fields of groups by ID (CreatedAt
// excepted) and sets their UpdatedAt to now. It returns store.ErrNotFound
// if any ID does not exist. Rows go in ID order, as in UserUpdateMany.
func (t *tx) GroupUpdateMany(ctx context.Context, groups []store.Group) error {
	if len(groups) == 0 {
		return nil
	}
	now := t.s.clock()
	ids := make(map[int64]bool, len(groups))
	for i := range groups {
		groups[i].UpdatedAt = now
		ids[groups[i].ID] = true
	}
	order := byID(len(groups), func(i int) int64 { return groups[i].ID })
	tag, err := t.q.Exec(ctx, `
		UPDATE groups SET
			name = v.name, mail = v.mail, active = v.active, updated_at = v.updated_at,
			deactivated_at = v.deactivated_at, deactivated_reason = v.deactivated_reason,
			name_key = v.name_key, mail_key = v.mail_key
		FROM `+unnestList(groupArrayTypes)+` AS v (`+strings.Join(groupWriteNames, ", ")+`)
		WHERE groups.id = v.id`,
		columnArrays(len(groupWriteNames), len(groups), func(i int) []any { return groupRow(&groups[order[i]]) })...)
	if err != nil {
		return fmt.Errorf("updating %d groups: %w", len(groups), interpretError(err))
	}
	if n := tag.RowsAffected(); n < int64(len(ids)) {
		return fmt.Errorf("updating groups: %w: %d of %d groups", store.ErrNotFound, int64(len(ids))-n, len(ids))
	}
	t.count("groups", tag.RowsAffected())
	return nil
}
