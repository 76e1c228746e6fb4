package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// entityTable names the platform table behind a link kind, for the reads
// that join the entity. Kinds without a table yet have none. Contacts are
// users with the contact role.
func entityTable(kind record.Kind) (string, bool) {
	switch kind {
	case record.KindUser, record.KindContact:
		return "users", true
	case record.KindGroup:
		return "groups", true
	case record.KindAsset:
		return "assets", true
	case record.KindAppointment:
		return "appointments", true
	case record.KindLicence:
		return "licences", true
	}
	return "", false
}

const linkColumns = `l.id, l.integration_id, l.kind, l.external_id, l.entity_id, l.status, l.matched_by,
	l.fingerprint, l.data, l.reason, l.manager_ref, l.last_run_id, l.created_at, l.updated_at`

// linkSelect is the select list and FROM clause of a link read joining its
// entity's state.
func linkSelect(kind record.Kind) string {
	if table, ok := entityTable(kind); ok {
		return `SELECT ` + linkColumns + `, COALESCE(e.active, 0) FROM links l LEFT JOIN ` + table +
			` e ON e.id = l.entity_id`
	}
	return `SELECT ` + linkColumns + `, 0 FROM links l`
}

func scanLink(sc interface{ Scan(...any) error }) (store.Link, error) {
	var (
		l                store.Link
		kind             string
		entity           sql.NullInt64
		data, manager    sql.NullString
		created, updated sql.NullInt64
	)
	if err := sc.Scan(&l.ID, &l.IntegrationID, &kind, &l.ExternalID, &entity, &l.Status, &l.MatchedBy,
		&l.Fingerprint, &data, &l.Reason, &manager, &l.LastRunID, &created, &updated, &l.EntityActive); err != nil {
		return l, err
	}
	l.Kind = record.Kind(kind)
	l.EntityID = entity.Int64
	l.Data = bytesOf(data)
	l.ManagerRef = manager.String
	l.CreatedAt = timeOf(created)
	l.UpdatedAt = timeOf(updated)
	return l, nil
}

func (r reader) queryLinks(ctx context.Context, key string, build func() string, args ...any) ([]store.Link, error) {
	rows, err := r.query(ctx, key, build, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, interpretError(rows.Err())
}

// LinkListByEntity lists every link to one platform entity, by ID.
func (r reader) LinkListByEntity(ctx context.Context, kind record.Kind, entityID int64) ([]store.Link, error) {
	out, err := r.queryLinks(ctx, "links.byentity."+string(kind), func() string {
		return linkSelect(kind) + ` WHERE l.kind = ? AND l.entity_id = ? ORDER BY l.id`
	}, string(kind), entityID)
	if err != nil {
		return nil, fmt.Errorf("listing links of %s %d: %w", kind, entityID, err)
	}
	return out, nil
}

// LinkGetMany returns the existing links of the given external IDs.
func (r reader) LinkGetMany(ctx context.Context, p *store.LinkGetManyParams) ([]store.Link, error) {
	var out []store.Link
	err := chunks(p.ExternalIDs, lookupChunk, func(part []string) error {
		n, args := inArgs([]any{p.IntegrationID, string(p.Kind)}, part)
		links, err := r.queryLinks(ctx, batchKey("links.getmany."+string(p.Kind), n), func() string {
			return linkSelect(p.Kind) +
				` WHERE l.integration_id = ? AND l.kind = ? AND l.external_id IN (` + inList(n) + `)`
		}, args...)
		out = append(out, links...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("getting links: %w", err)
	}
	return out, nil
}

const linkWriteColumns = `integration_id, kind, external_id, entity_id, status, matched_by,
	fingerprint, data, reason, manager_ref, last_run_id, created_at, updated_at`

const linkWidth = 13

type linkKey struct {
	integrationID int64
	kind          record.Kind
	externalID    string
}

// LinkUpsertMany creates or replaces links by (integration, kind, external
// ID), setting each link's ID, CreatedAt (kept from the existing row) and
// UpdatedAt.
func (t *tx) LinkUpsertMany(ctx context.Context, links []store.Link) error {
	if len(links) == 0 {
		return nil
	}
	now := t.s.clock()
	err := forBatches(len(links), linkWidth, func(start, rows int) error {
		part := links[start : start+rows]
		args := t.args(rows * linkWidth)
		for i := range part {
			l := &part[i]
			args = append(args, l.IntegrationID, string(l.Kind), l.ExternalID, idValue(l.EntityID),
				l.Status, l.MatchedBy, l.Fingerprint, textValue(l.Data), l.Reason, stringValue(l.ManagerRef), l.LastRunID,
				timeValue(now), timeValue(now))
		}
		res, err := t.query(ctx, batchKey("links.upsert", rows), func() string {
			return `INSERT INTO links (` + linkWriteColumns + `) VALUES ` + placeholders(linkWidth, rows) + `
			ON CONFLICT (integration_id, kind, external_id) DO UPDATE SET
				entity_id = excluded.entity_id,
				status = excluded.status,
				matched_by = excluded.matched_by,
				fingerprint = excluded.fingerprint,
				data = excluded.data,
				reason = excluded.reason,
				manager_ref = excluded.manager_ref,
				last_run_id = excluded.last_run_id,
				updated_at = excluded.updated_at
			RETURNING id, integration_id, kind, external_id, created_at`
		}, args...)
		if err != nil {
			return err
		}
		defer res.Close()
		// RETURNING rows come in no guaranteed order: match them by key.
		type idAt struct {
			id      int64
			created sql.NullInt64
		}
		got := make(map[linkKey]idAt, len(part))
		for res.Next() {
			var (
				k    linkKey
				kind string
				v    idAt
			)
			if err := res.Scan(&v.id, &k.integrationID, &kind, &k.externalID, &v.created); err != nil {
				return err
			}
			k.kind = record.Kind(kind)
			got[k] = v
		}
		if err := res.Err(); err != nil {
			return interpretError(err)
		}
		for i := range part {
			l := &part[i]
			v := got[linkKey{l.IntegrationID, l.Kind, l.ExternalID}]
			l.ID = v.id
			l.CreatedAt = timeOf(v.created)
			l.UpdatedAt = now
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("upserting links: %w", err)
	}
	return nil
}

// LinkListUnseen lists, by ascending ID after p.AfterID, the integration's
// links of p.Kind whose entity is active and that have no seen mark in
// p.RunID. Only kinds with an entity table (users, groups) can be swept.
//
// The first page (AfterID 0) finds the unseen links by merging the
// integration's external IDs with the run's seen marks, both read in
// order from their indexes: one sequential pass that, after a full run,
// usually leaves nothing or a page's worth to fetch. A probe of run_seen
// per link costs several times as much. Later pages, which only a run that
// missed many objects asks for, walk the links by ID from AfterID and
// probe.
func (t *tx) LinkListUnseen(ctx context.Context, p *store.LinkListUnseenParams) ([]store.Link, error) {
	table, ok := entityTable(p.Kind)
	if !ok {
		return nil, fmt.Errorf("listing unseen links: kind %q has no entities to sweep", p.Kind)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var (
		out []store.Link
		err error
	)
	if p.AfterID <= 0 {
		out, err = t.queryLinks(ctx, "links.unseen.first."+table, func() string { return unseenFirstQuery(table) },
			p.IntegrationID, string(p.Kind), p.RunID, limit)
	} else {
		out, err = t.queryLinks(ctx, "links.unseen.next."+table, func() string { return unseenNextQuery(table) },
			p.AfterID, p.IntegrationID, string(p.Kind), p.RunID, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("listing unseen links: %w", err)
	}
	return out, nil
}

// unseenFirstQuery lists unseen links of an entity table from the start:
// the EXCEPT merges two index ranges ordered by external ID, and only the
// links it leaves are read. Arguments: integration, kind, run, limit.
func unseenFirstQuery(table string) string {
	return `WITH unseen (external_id) AS (
			SELECT external_id FROM links INDEXED BY links_key
			WHERE integration_id = ?1 AND kind = ?2
			EXCEPT
			SELECT external_id FROM run_seen WHERE run_id = ?3 AND kind = ?2
			ORDER BY 1
		)
		SELECT ` + linkColumns + `, e.active
		FROM unseen u
		CROSS JOIN links l INDEXED BY links_key
			ON l.integration_id = ?1 AND l.kind = ?2 AND l.external_id = u.external_id
		JOIN ` + table + ` e ON e.id = l.entity_id
		WHERE e.active = 1
		ORDER BY l.id LIMIT ?4`
}

// unseenNextQuery lists unseen links of an entity table after a link ID.
// NOT INDEXED walks links by rowid from there, so paging costs one pass
// over the table instead of a sort per page. Arguments: after, integration,
// kind, run, limit.
func unseenNextQuery(table string) string {
	return `SELECT ` + linkColumns + `, e.active
		FROM links l NOT INDEXED JOIN ` + table + ` e ON e.id = l.entity_id
		WHERE l.id > ? AND l.integration_id = ? AND l.kind = ? AND e.active = 1
			AND NOT EXISTS (SELECT 1 FROM run_seen s
				WHERE s.run_id = ? AND s.kind = l.kind AND s.external_id = l.external_id)
		ORDER BY l.id LIMIT ?`
}

// EntityCount counts the distinct platform entities of a kind the
// integration links, by their active state. It reads only indexes: the
// linked entity IDs in order from links_integration_entity, and the
// inactive entities from the entity table's partial index of them. Entities
// are never deleted, so every linked ID names one.
func (r reader) EntityCount(ctx context.Context, integrationID int64, kind record.Kind) (store.EntityCount, error) {
	table, ok := entityTable(kind)
	if !ok {
		return store.EntityCount{}, fmt.Errorf("counting entities: kind %q has no entities", kind)
	}
	var c store.EntityCount
	err := r.queryRow(ctx, "links.count."+table, func() string { return entityCountQuery(table) },
		integrationID, string(kind)).Scan(&c.Active, &c.Inactive)
	if err != nil {
		return c, fmt.Errorf("counting %s entities: %w", kind, interpretError(err))
	}
	return c, nil
}

// entityCountQuery counts the active and inactive entities of a table that
// an integration's links of a kind point at: the distinct linked IDs less
// the inactive ones, which are few. Arguments: integration, kind.
func entityCountQuery(table string) string {
	return `SELECT n - inactive, inactive FROM
		(SELECT COUNT(DISTINCT entity_id) AS n FROM links INDEXED BY links_integration_entity
			WHERE integration_id = ?1 AND kind = ?2 AND entity_id IS NOT NULL),
		(SELECT COUNT(*) AS inactive FROM ` + table + ` e INDEXED BY ` + table + `_inactive
			WHERE e.active = 0 AND EXISTS (SELECT 1 FROM links l INDEXED BY links_integration_entity
				WHERE l.integration_id = ?1 AND l.kind = ?2 AND l.entity_id = e.id))`
}
