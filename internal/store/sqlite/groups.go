package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/store"
)

const groupColumns = `id, name, mail, active, created_at, updated_at, deactivated_at, deactivated_reason`

// groupWriteColumns are the columns GroupInsertMany writes, in groupArgs
// order.
const groupWriteColumns = groupColumns + `, name_key, mail_key`

const groupWidth = 10

func scanGroup(sc interface{ Scan(...any) error }) (store.Group, error) {
	var (
		g                             store.Group
		created, updated, deactivated sql.NullInt64
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

func groupArgs(args []any, g *store.Group) []any {
	return append(args, g.ID, g.Name, g.Mail, g.Active, timeValue(g.CreatedAt), timeValue(g.UpdatedAt),
		timeValue(g.DeactivatedAt), g.DeactivatedReason, strings.ToLower(g.Name), strings.ToLower(g.Mail))
}

// GroupGet returns a group by ID, or store.ErrNotFound.
func (r reader) GroupGet(ctx context.Context, id int64) (*store.Group, error) {
	g, err := scanGroup(r.queryRow(ctx, "groups.get", text(`SELECT `+groupColumns+` FROM groups WHERE id = ?`), id))
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
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing groups: %w", interpretError(err))
	}
	defer rows.Close()
	var out []store.Group
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("listing groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing groups: %w", interpretError(err))
	}
	return out, nil
}

// GroupInsertMany inserts groups, setting their IDs and their CreatedAt and
// UpdatedAt to now (IDs allocated as in UserInsertMany).
func (t *tx) GroupInsertMany(ctx context.Context, groups []store.Group) error {
	if len(groups) == 0 {
		return nil
	}
	var maxID int64
	if err := t.queryRow(ctx, "groups.maxid", text(`SELECT COALESCE(MAX(id), 0) FROM groups`)).Scan(&maxID); err != nil {
		return fmt.Errorf("inserting groups: %w", interpretError(err))
	}
	now := t.s.clock()
	for i := range groups {
		groups[i].ID = maxID + int64(i) + 1
		groups[i].CreatedAt = now
		groups[i].UpdatedAt = now
	}
	err := forBatches(len(groups), groupWidth, func(start, rows int) error {
		args := t.args(rows * groupWidth)
		for i := start; i < start+rows; i++ {
			args = groupArgs(args, &groups[i])
		}
		_, err := t.exec(ctx, batchKey("groups.insert", rows), func() string {
			return `INSERT INTO groups (` + groupWriteColumns + `) VALUES ` + placeholders(groupWidth, rows)
		}, args...)
		return err
	})
	if err != nil {
		for i := range groups {
			groups[i].ID = 0
		}
		return fmt.Errorf("inserting groups: %w", err)
	}
	return nil
}

// GroupUpdateMany replaces the stored fields of groups by ID (CreatedAt
// excepted) and sets their UpdatedAt to now. It returns store.ErrNotFound
// if any ID does not exist.
func (t *tx) GroupUpdateMany(ctx context.Context, groups []store.Group) error {
	if len(groups) == 0 {
		return nil
	}
	now := t.s.clock()
	for i := range groups {
		groups[i].UpdatedAt = now
	}
	err := forBatches(len(groups), groupWidth, func(start, rows int) error {
		args := t.args(rows * groupWidth)
		ids := make(map[int64]bool, rows)
		for i := start; i < start+rows; i++ {
			args = groupArgs(args, &groups[i])
			ids[groups[i].ID] = true
		}
		res, err := t.exec(ctx, batchKey("groups.update", rows), func() string {
			return `
			WITH v (` + groupWriteColumns + `) AS (VALUES ` + placeholders(groupWidth, rows) + `)
			UPDATE groups SET
				name = v.name, mail = v.mail, active = v.active, updated_at = v.updated_at,
				deactivated_at = v.deactivated_at, deactivated_reason = v.deactivated_reason,
				name_key = v.name_key, mail_key = v.mail_key
			FROM v WHERE groups.id = v.id`
		}, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n < int64(len(ids)) {
			return fmt.Errorf("%w: %d of %d groups", store.ErrNotFound, int64(len(ids))-n, len(ids))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("updating groups: %w", err)
	}
	return nil
}
