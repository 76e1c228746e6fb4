package postgres

import (
	"context"
	"fmt"

	"github.com/integrator-oss/integrator/internal/record"
)

// Manager resolution runs in two statements over disjoint sets of reports,
// each an index range the run's size bounds:
//
//   - resolveWritten: the user links the run wrote (links_run), each
//     resolved through its manager_ref by one lookup of the links' key;
//   - resolveReports: the user links the run did not write whose
//     manager_ref names a link the run wrote (links_manager), so that a
//     manager created, re-linked or unlinked in the run reaches its
//     unchanged reports.
//
// Both write a user only when its manager changes, and only when the
// integration may set the manager under the field-ownership rules (a user
// that several sources link records the owner of its manager).
const (
	resolveWritten = `
		WITH want AS (
			SELECT l.entity_id AS user_id, m.entity_id AS manager_id
			FROM links l
			LEFT JOIN links m ON m.integration_id = l.integration_id AND m.kind = l.kind
				AND m.external_id = l.manager_ref
			WHERE l.integration_id = $1 AND l.kind = $2 AND l.last_run_id = $3
				AND l.entity_id IS NOT NULL
		)
		UPDATE users SET manager_id = want.manager_id, updated_at = $4
		FROM want
		WHERE users.id = want.user_id AND users.manager_id IS DISTINCT FROM want.manager_id
			AND (users.owners = '' OR COALESCE((users.owners::jsonb ->> 'manager')::bigint, $1) = $1)`
	resolveReports = `
		WITH want AS MATERIALIZED (
			SELECT r.entity_id AS user_id, m.entity_id AS manager_id
			FROM links m
			JOIN links r ON r.integration_id = m.integration_id AND r.kind = m.kind
				AND r.manager_ref = m.external_id
			WHERE m.integration_id = $1 AND m.kind = $2 AND m.last_run_id = $3
				AND r.last_run_id <> m.last_run_id AND r.entity_id IS NOT NULL
		)
		UPDATE users SET manager_id = want.manager_id, updated_at = $4
		FROM want
		WHERE users.id = want.user_id AND users.manager_id IS DISTINCT FROM want.manager_id
			AND (users.owners = '' OR COALESCE((users.owners::jsonb ->> 'manager')::bigint, $1) = $1)`
	// resolveOthers tells whether the integration has user links the run
	// did not write: two index probes, where "<>" would scan the range.
	resolveOthers = `
		SELECT EXISTS (SELECT 1 FROM links
				WHERE integration_id = $1 AND kind = $2 AND last_run_id < $3)
			OR EXISTS (SELECT 1 FROM links
				WHERE integration_id = $1 AND kind = $2 AND last_run_id > $3)`
)

// UserManagersResolve sets manager_id on the users the integration's user
// links point at, from each link's manager_ref: to the entity of the user
// link of that external ID in the same integration, or to none when there
// is no such link, it has no entity, or the link names no manager. It
// considers only the links written in run runID and the links whose
// manager_ref names one of those; other users keep their manager. Only rows
// whose manager changes are written; their count is returned.
func (t *tx) UserManagersResolve(ctx context.Context, integrationID, runID int64) (int, error) {
	if err := t.freshStats(ctx, "links", "users"); err != nil {
		return 0, fmt.Errorf("resolving managers of integration %d: %w", integrationID, err)
	}
	now := t.s.clock()
	kind := string(record.KindUser)
	steps := []string{resolveWritten}
	// A run that wrote every user link (a first sync) leaves no other
	// report to look for.
	var others bool
	if err := t.q.QueryRow(ctx, resolveOthers, integrationID, kind, runID).Scan(&others); err != nil {
		return 0, fmt.Errorf("resolving managers: %w", interpretError(err))
	}
	if others {
		steps = append(steps, resolveReports)
	}
	var total int64
	for _, q := range steps {
		tag, err := t.q.Exec(ctx, q, integrationID, kind, runID, now)
		if err != nil {
			return 0, fmt.Errorf("resolving managers of integration %d: %w", integrationID, interpretError(err))
		}
		total += tag.RowsAffected()
	}
	t.count("users", total)
	return int(total), nil
}
