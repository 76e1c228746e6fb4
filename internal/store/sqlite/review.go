package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const reviewColumns = `id, integration_id, kind, external_id, rule, reason, candidates, data,
	status, run_id, created_at, updated_at, resolved_at, resolved_by`

func scanReview(sc interface{ Scan(...any) error }) (store.ReviewItem, error) {
	var (
		it                         store.ReviewItem
		kind, cands                string
		data                       sql.NullString
		created, updated, resolved sql.NullInt64
	)
	if err := sc.Scan(&it.ID, &it.IntegrationID, &kind, &it.ExternalID, &it.Rule, &it.Reason, &cands, &data,
		&it.Status, &it.RunID, &created, &updated, &resolved, &it.ResolvedBy); err != nil {
		return it, err
	}
	it.Kind = record.Kind(kind)
	if err := json.Unmarshal([]byte(cands), &it.Candidates); err != nil {
		return it, fmt.Errorf("review item %d: decoding candidates: %w", it.ID, err)
	}
	if data.Valid {
		it.Data = []byte(data.String)
	}
	it.CreatedAt, it.UpdatedAt, it.ResolvedAt = timeOf(created), timeOf(updated), timeOf(resolved)
	return it, nil
}

// ReviewGet returns one review item, or store.ErrNotFound.
func (r reader) ReviewGet(ctx context.Context, id int64) (*store.ReviewItem, error) {
	it, err := scanReview(r.queryRow(ctx, "review.get", text(`SELECT `+reviewColumns+` FROM review_items WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("getting review item %d: %w", id, interpretError(err))
	}
	return &it, nil
}

// ReviewList lists review items by ascending ID after p.AfterID.
func (r reader) ReviewList(ctx context.Context, p *store.ReviewListParams) ([]store.ReviewItem, error) {
	if p == nil {
		p = &store.ReviewListParams{}
	}
	where := []string{"id > ?"}
	args := []any{p.AfterID}
	if p.IntegrationID != 0 {
		where, args = append(where, "integration_id = ?"), append(args, p.IntegrationID)
	}
	if p.Status != "" {
		where, args = append(where, "status = ?"), append(args, p.Status)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + reviewColumns + ` FROM review_items WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id LIMIT ?`
	rows, err := r.query(ctx, "review.list/"+strings.Join(where, ","), text(q), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("listing review items: %w", err)
	}
	defer rows.Close()
	var out []store.ReviewItem
	for rows.Next() {
		it, err := scanReview(rows)
		if err != nil {
			return nil, fmt.Errorf("listing review items: %w", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing review items: %w", interpretError(err))
	}
	return out, nil
}

// ReviewCount counts review items in a status, or all of them.
func (r reader) ReviewCount(ctx context.Context, status string) (int64, error) {
	var n int64
	err := r.queryRow(ctx, "review.count", text(`SELECT COUNT(*) FROM review_items WHERE ?1 = '' OR status = ?1`), status).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting review items: %w", interpretError(err))
	}
	return n, nil
}

// ReviewUpsert creates or replaces review items by (integration, kind,
// external ID).
func (t *tx) ReviewUpsert(ctx context.Context, items []store.ReviewItem) error {
	now := t.s.clock()
	for i := range items {
		it := &items[i]
		cands, _ := json.Marshal(it.Candidates)
		if it.Candidates == nil {
			cands = []byte("[]")
		}
		err := t.queryRow(ctx, "review.upsert", text(`
			INSERT INTO review_items (integration_id, kind, external_id, rule, reason, candidates, data,
				status, run_id, created_at, updated_at, resolved_at, resolved_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (integration_id, kind, external_id) DO UPDATE SET
				rule = excluded.rule, reason = excluded.reason, candidates = excluded.candidates,
				data = excluded.data, status = excluded.status, run_id = excluded.run_id,
				updated_at = excluded.updated_at, resolved_at = excluded.resolved_at,
				resolved_by = excluded.resolved_by
			RETURNING id, created_at`),
			it.IntegrationID, string(it.Kind), it.ExternalID, it.Rule, it.Reason, string(cands), textValue(it.Data),
			it.Status, it.RunID, timeValue(now), timeValue(now), timeValue(it.ResolvedAt), it.ResolvedBy,
		).Scan(&it.ID, new(sql.NullInt64))
		if err != nil {
			return fmt.Errorf("writing review item for %s %s: %w", it.Kind, it.ExternalID, interpretError(err))
		}
		it.UpdatedAt = now
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

// UserDuplicates lists sets of active users and agents sharing a key.
func (r reader) UserDuplicates(ctx context.Context, limit int) ([]store.DuplicateSet, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []store.DuplicateSet
	for _, k := range duplicateKeys {
		if len(out) >= limit {
			break
		}
		q := `SELECT ` + k.col + `, group_concat(id) FROM users
			WHERE active AND role <> 'contact' AND ` + k.col + ` IS NOT NULL AND ` + k.col + ` <> ''
			GROUP BY ` + k.col + ` HAVING COUNT(*) > 1 ORDER BY ` + k.col + ` LIMIT ?`
		rows, err := r.query(ctx, "users.dups."+k.col, text(q), limit-len(out))
		if err != nil {
			return nil, fmt.Errorf("finding duplicate users by %s: %w", k.key, err)
		}
		for rows.Next() {
			var (
				val, ids string
			)
			if err := rows.Scan(&val, &ids); err != nil {
				rows.Close()
				return nil, fmt.Errorf("finding duplicate users by %s: %w", k.key, err)
			}
			set := store.DuplicateSet{Key: k.key, Value: val}
			for _, s := range strings.Split(ids, ",") {
				var id int64
				fmt.Sscan(s, &id)
				set.UserIDs = append(set.UserIDs, id)
			}
			out = append(out, set)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("finding duplicate users by %s: %w", k.key, interpretError(err))
		}
	}
	return out, nil
}
