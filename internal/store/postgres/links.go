package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// entityTable names the platform table behind a link kind, for the reads
// that join the entity. Kinds without a table yet have none.
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
		return `SELECT ` + linkColumns + `, COALESCE(e.active, false) FROM links l LEFT JOIN ` + table +
			` e ON e.id = l.entity_id`
	}
	return `SELECT ` + linkColumns + `, false FROM links l`
}

func scanLink(sc rowScanner) (store.Link, error) {
	var (
		l                store.Link
		kind             string
		entity           *int64
		data, manager    *string
		created, updated pgtype.Timestamptz
	)
	if err := sc.Scan(&l.ID, &l.IntegrationID, &kind, &l.ExternalID, &entity, &l.Status, &l.MatchedBy,
		&l.Fingerprint, &data, &l.Reason, &manager, &l.LastRunID, &created, &updated, &l.EntityActive); err != nil {
		return l, err
	}
	l.Kind = record.Kind(kind)
	if entity != nil {
		l.EntityID = *entity
	}
	l.Data = bytesOf(data)
	if manager != nil {
		l.ManagerRef = *manager
	}
	l.CreatedAt = timeOf(created)
	l.UpdatedAt = timeOf(updated)
	return l, nil
}

func (r reader) queryLinks(ctx context.Context, sql string, args ...any) ([]store.Link, error) {
	rows, err := r.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Link, error) { return scanLink(row) })
	return out, interpretError(err)
}

// LinkListByEntity lists every link to one platform entity, by ID.
func (r reader) LinkListByEntity(ctx context.Context, kind record.Kind, entityID int64) ([]store.Link, error) {
	out, err := r.queryLinks(ctx, linkSelect(kind)+` WHERE l.kind = $1 AND l.entity_id = $2 ORDER BY l.id`,
		string(kind), entityID)
	if err != nil {
		return nil, fmt.Errorf("listing links of %s %d: %w", kind, entityID, err)
	}
	return out, nil
}

// LinkGetMany returns the existing links of the given external IDs: one
// lookup of the links' key per distinct ID (see perKey).
func (r reader) LinkGetMany(ctx context.Context, p *store.LinkGetManyParams) ([]store.Link, error) {
	if len(p.ExternalIDs) == 0 {
		return nil, nil
	}
	out, err := r.queryLinks(ctx, perKey("text", linkSelect(p.Kind)+
		` WHERE l.integration_id = $1 AND l.kind = $2 AND l.external_id = k.v`, 3),
		p.IntegrationID, string(p.Kind), sortedSet(p.ExternalIDs))
	if err != nil {
		return nil, fmt.Errorf("getting %s links of integration %d: %w", p.Kind, p.IntegrationID, err)
	}
	return out, nil
}

type linkKey struct {
	integrationID int64
	kind          record.Kind
	externalID    string
}

// LinkUpsertMany creates or replaces links by (integration, kind, external
// ID), setting each link's ID, CreatedAt (kept from the existing row) and
// UpdatedAt. When a key comes more than once, the last one wins and every
// one of them gets the row's ID. Rows go in key order, so that two
// transactions writing overlapping keys lock them in the same order.
func (t *tx) LinkUpsertMany(ctx context.Context, links []store.Link) error {
	if len(links) == 0 {
		return nil
	}
	now := t.s.clock()
	last := make(map[linkKey]int, len(links))
	for i := range links {
		l := &links[i]
		last[linkKey{l.IntegrationID, l.Kind, l.ExternalID}] = i
	}
	order := make([]int, 0, len(last))
	for _, i := range last {
		order = append(order, i)
	}
	slices.SortFunc(order, func(a, b int) int {
		x, y := &links[a], &links[b]
		return cmp.Or(cmp.Compare(x.IntegrationID, y.IntegrationID), cmp.Compare(x.Kind, y.Kind),
			cmp.Compare(x.ExternalID, y.ExternalID))
	})
	n := len(order)
	var (
		integs, runs                        = make([]int64, n), make([]int64, n)
		entities                            = make([]*int64, n)
		kinds, exts, statuses, matched, fps = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		reasons                             = make([]string, n)
		data, managers                      = make([]*string, n), make([]*string, n)
	)
	for j, i := range order {
		l := &links[i]
		integs[j], kinds[j], exts[j], entities[j] = l.IntegrationID, string(l.Kind), l.ExternalID, idValue(l.EntityID)
		statuses[j], matched[j], fps[j], data[j] = l.Status, l.MatchedBy, l.Fingerprint, textValue(l.Data)
		reasons[j], managers[j], runs[j] = l.Reason, stringValue(l.ManagerRef), l.LastRunID
	}
	rows, err := t.q.Query(ctx, `
		INSERT INTO links (integration_id, kind, external_id, entity_id, status, matched_by,
			fingerprint, data, reason, manager_ref, last_run_id, created_at, updated_at)
		SELECT v.*, $12, $12 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[],
			$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[]) AS v
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
		RETURNING id, integration_id, kind, external_id, created_at`,
		integs, kinds, exts, entities, statuses, matched, fps, data, reasons, managers, runs, now)
	if err != nil {
		return fmt.Errorf("upserting links: %w", interpretError(err))
	}
	// RETURNING rows come in no guaranteed order: match them by key.
	type idAt struct {
		id      int64
		created pgtype.Timestamptz
	}
	got := make(map[linkKey]idAt, n)
	var (
		k    linkKey
		kind string
		v    idAt
	)
	_, err = pgx.ForEachRow(rows, []any{&v.id, &k.integrationID, &kind, &k.externalID, &v.created}, func() error {
		k.kind = record.Kind(kind)
		got[k] = v
		return nil
	})
	if err != nil {
		return fmt.Errorf("upserting links: %w", interpretError(err))
	}
	t.count("links", int64(n))
	for i := range links {
		l := &links[i]
		v := got[linkKey{l.IntegrationID, l.Kind, l.ExternalID}]
		l.ID = v.id
		l.CreatedAt = timeOf(v.created)
		l.UpdatedAt = now
	}
	return nil
}

// limitValue is a LIMIT argument: NULL (no limit) for 0 or less.
func limitValue(n int) *int64 {
	if n <= 0 {
		return nil
	}
	v := int64(n)
	return &v
}

// LinkListUnseen lists, by ascending ID after p.AfterID, the integration's
// links of p.Kind whose entity is active and that have no seen mark in
// p.RunID. Only kinds with an entity table (users, groups) can be swept.
// The planner runs the NOT EXISTS as an anti-join: a hash of the run's seen
// marks, probed once per link.
func (t *tx) LinkListUnseen(ctx context.Context, p *store.LinkListUnseenParams) ([]store.Link, error) {
	table, ok := entityTable(p.Kind)
	if !ok {
		return nil, fmt.Errorf("listing unseen links: kind %q has no entities to sweep", p.Kind)
	}
	if p.AfterID <= 0 {
		if err := t.freshStats(ctx, "links", "run_seen", table); err != nil {
			return nil, fmt.Errorf("listing unseen %s links: %w", p.Kind, err)
		}
	}
	out, err := t.queryLinks(ctx, `SELECT `+linkColumns+`, e.active
		FROM links l JOIN `+table+` e ON e.id = l.entity_id
		WHERE l.integration_id = $1 AND l.kind = $2 AND l.id > $4 AND e.active
			AND NOT EXISTS (SELECT 1 FROM run_seen s
				WHERE s.run_id = $3 AND s.kind = l.kind AND s.external_id = l.external_id)
		ORDER BY l.id LIMIT $5`,
		p.IntegrationID, string(p.Kind), p.RunID, p.AfterID, limitValue(p.Limit))
	if err != nil {
		return nil, fmt.Errorf("listing unseen %s links of integration %d: %w", p.Kind, p.IntegrationID, err)
	}
	return out, nil
}

// EntityCount counts the distinct platform entities of a kind the
// integration links, by their active state: the distinct linked IDs (from
// the links_integration_entity index) less the inactive ones, which the
// entity table's partial index of inactive rows lists. Entities are never
// deleted, so every linked ID names one.
func (r reader) EntityCount(ctx context.Context, integrationID int64, kind record.Kind) (store.EntityCount, error) {
	table, ok := entityTable(kind)
	if !ok {
		return store.EntityCount{}, fmt.Errorf("counting entities: kind %q has no entities", kind)
	}
	var c store.EntityCount
	err := r.q.QueryRow(ctx, `SELECT n - inactive, inactive FROM
		(SELECT COUNT(DISTINCT entity_id) AS n FROM links
			WHERE integration_id = $1 AND kind = $2 AND entity_id IS NOT NULL) a,
		(SELECT COUNT(*) AS inactive FROM `+table+` e
			WHERE NOT e.active AND EXISTS (SELECT 1 FROM links l
				WHERE l.integration_id = $1 AND l.kind = $2 AND l.entity_id = e.id)) b`,
		integrationID, string(kind)).Scan(&c.Active, &c.Inactive)
	if err != nil {
		return c, fmt.Errorf("counting %s entities of integration %d: %w", kind, integrationID, interpretError(err))
	}
	return c, nil
}
