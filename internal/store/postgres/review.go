package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const reviewColumns = `id, integration_id, kind, external_id, rule, reason, candidates, data,
	status, run_id, created_at, updated_at, resolved_at, resolved_by`

func scanReview(sc rowScanner) (store.ReviewItem, error) {
	var (
		it                         store.ReviewItem
		kind                       string
		cands                      []byte
		data                       *string
		created, updated, resolved pgtype.Timestamptz
	)
	if err := sc.Scan(&it.ID, &it.IntegrationID, &kind, &it.ExternalID, &it.Rule, &it.Reason, &cands, &data,
		&it.Status, &it.RunID, &created, &updated, &resolved, &it.ResolvedBy); err != nil {
		return it, err
	}
	it.Kind = record.Kind(kind)
	if err := json.Unmarshal(cands, &it.Candidates); err != nil {
		return it, fmt.Errorf("review item %d: decoding candidates: %w", it.ID, err)
	}
	it.Data = bytesOf(data)
	it.CreatedAt, it.UpdatedAt, it.ResolvedAt = timeOf(created), timeOf(updated), timeOf(resolved)
	return it, nil
}

// ReviewGet returns one review item, or store.ErrNotFound.
func (r reader) ReviewGet(ctx context.Context, id int64) (*store.ReviewItem, error) {
	it, err := scanReview(r.q.QueryRow(ctx, `SELECT `+reviewColumns+` FROM review_items WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("getting review item %d: %w", id, interpretError(err))
	}
	return &it, nil
}

// ReviewList lists review items by ascending ID after p.AfterID, at most
// p.Limit (default 100).
func (r reader) ReviewList(ctx context.Context, p *store.ReviewListParams) ([]store.ReviewItem, error) {
	if p == nil {
		p = &store.ReviewListParams{}
	}
	var w where
	w.add("id > ", p.AfterID)
	if p.IntegrationID != 0 {
		w.add("integration_id = ", p.IntegrationID)
	}
	if p.Status != "" {
		w.add("status = ", p.Status)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := r.q.Query(ctx, `SELECT `+reviewColumns+` FROM review_items`+w.String()+` ORDER BY id`+w.limit(limit), w.args...)
	if err != nil {
		return nil, fmt.Errorf("listing review items: %w", interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.ReviewItem, error) { return scanReview(row) })
	if err != nil {
		return nil, fmt.Errorf("listing review items: %w", interpretError(err))
	}
	return out, nil
}

// ReviewCount counts review items in a status, or all of them.
func (r reader) ReviewCount(ctx context.Context, status string) (int64, error) {
	var n int64
	if err := r.q.QueryRow(ctx, `SELECT COUNT(*) FROM review_items WHERE $1 = '' OR status = $1`, status).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting review items: %w", interpretError(err))
	}
	return n, nil
}

// ReviewUpsert creates or replaces review items by (integration, kind,
// external ID), keeping an existing item's ID and CreatedAt, and sets each
// item's ID and UpdatedAt. Items are few (ambiguous matches), so one
// statement each.
func (t *tx) ReviewUpsert(ctx context.Context, items []store.ReviewItem) error {
	now := t.s.clock()
	for i := range items {
		it := &items[i]
		cands := []byte("[]")
		if it.Candidates != nil {
			var err error
			if cands, err = json.Marshal(it.Candidates); err != nil {
				return fmt.Errorf("writing review item for %s %s: %w", it.Kind, it.ExternalID, err)
			}
		}
		var created pgtype.Timestamptz
		err := t.q.QueryRow(ctx, `
			INSERT INTO review_items (integration_id, kind, external_id, rule, reason, candidates, data,
				status, run_id, created_at, updated_at, resolved_at, resolved_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)
			ON CONFLICT (integration_id, kind, external_id) DO UPDATE SET
				rule = excluded.rule, reason = excluded.reason, candidates = excluded.candidates,
				data = excluded.data, status = excluded.status, run_id = excluded.run_id,
				updated_at = excluded.updated_at, resolved_at = excluded.resolved_at,
				resolved_by = excluded.resolved_by
			RETURNING id, created_at`,
			it.IntegrationID, string(it.Kind), it.ExternalID, it.Rule, it.Reason, string(cands), textValue(it.Data),
			it.Status, it.RunID, now, timeValue(it.ResolvedAt), it.ResolvedBy,
		).Scan(&it.ID, &created)
		if err != nil {
			return fmt.Errorf("writing review item for %s %s: %w", it.Kind, it.ExternalID, interpretError(err))
		}
		it.CreatedAt, it.UpdatedAt = timeOf(created), now
	}
	return nil
}

// duplicateKeys are the user keys UserDuplicates groups by, strongest first.
var duplicateKeys = []struct{ key, col string }{
	{store.KeyImmutableID, "immutable_id_key"},
	{store.KeyUPN, "upn_key"},
	{store.KeyEmail, "email_key"},
	{store.KeyEmployeeID, "employee_id_key"},
	{"display_name", "name_key"},
}

// UserDuplicates lists sets of active users and agents sharing a key, at
// most limit (default 100), strongest keys first, each set's IDs
// ascending.
func (r reader) UserDuplicates(ctx context.Context, limit int) ([]store.DuplicateSet, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []store.DuplicateSet
	for _, k := range duplicateKeys {
		if len(out) >= limit {
			break
		}
		rows, err := r.q.Query(ctx, `SELECT `+k.col+`, array_agg(id ORDER BY id) FROM users
			WHERE active AND role <> $1 AND `+k.col+` IS NOT NULL AND `+k.col+` <> ''
			GROUP BY `+k.col+` HAVING COUNT(*) > 1 ORDER BY `+k.col+` COLLATE "C" LIMIT $2`,
			store.RoleContact, limit-len(out))
		if err != nil {
			return nil, fmt.Errorf("finding duplicate users by %s: %w", k.key, interpretError(err))
		}
		sets, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DuplicateSet, error) {
			set := store.DuplicateSet{Key: k.key}
			err := row.Scan(&set.Value, &set.UserIDs)
			return set, err
		})
		if err != nil {
			return nil, fmt.Errorf("finding duplicate users by %s: %w", k.key, interpretError(err))
		}
		out = append(out, sets...)
	}
	return out, nil
}
