package sqlite

import (
	"context"
	"fmt"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// Manager resolution runs in two statements over disjoint sets of reports,
// each an index range the run's size bounds:
//
//   - resolveWritten: the user links the run wrote (links_run), each
//     resolved through its manager_ref by one links_key lookup;
//   - resolveReports: the user links the run did not write whose
//     manager_ref names a link the run wrote (links_manager), so that a
//     manager created, re-linked or unlinked in the run reaches its
//     unchanged reports.
//
// Both write a user only when its manager changes, and only when the
// integration may set the manager under the field-ownership rules (a user
// that several sources link records the owner of its manager). The second materializes
// its reports first: joined in place, the planner may walk users once per
// manager link.
const (
	resolveWritten = `
		WITH want (user_id, manager_id) AS (
			SELECT l.entity_id, m.entity_id
			FROM links l INDEXED BY links_run
			LEFT JOIN links m ON m.integration_id = l.integration_id AND m.kind = l.kind
				AND m.external_id = l.manager_ref
			WHERE l.integration_id = ?1 AND l.kind = ?2 AND l.last_run_id = ?3
				AND l.entity_id IS NOT NULL
		)
		UPDATE users SET manager_id = want.manager_id, updated_at = ?4
		FROM want
		WHERE users.id = want.user_id AND users.manager_id IS NOT want.manager_id
			AND (users.owners = '' OR COALESCE(json_extract(users.owners, '$.manager'), ?1) = ?1)`
	resolveReports = `
		WITH want (user_id, manager_id) AS MATERIALIZED (
			SELECT r.entity_id, m.entity_id
			FROM links m INDEXED BY links_run
			CROSS JOIN links r INDEXED BY links_manager
				ON r.integration_id = m.integration_id AND r.kind = m.kind
					AND r.manager_ref = m.external_id
			WHERE m.integration_id = ?1 AND m.kind = ?2 AND m.last_run_id = ?3
				AND r.manager_ref IS NOT NULL AND r.last_run_id <> m.last_run_id
				AND r.entity_id IS NOT NULL
		)
		UPDATE users SET manager_id = want.manager_id, updated_at = ?4
		FROM want
		WHERE users.id = want.user_id AND users.manager_id IS NOT want.manager_id
			AND (users.owners = '' OR COALESCE(json_extract(users.owners, '$.manager'), ?1) = ?1)`
	// resolveOthers tells whether the integration has user links the run
	// did not write.
	resolveOthers = `
		SELECT EXISTS (SELECT 1 FROM links INDEXED BY links_run
				WHERE integration_id = ?1 AND kind = ?2 AND last_run_id < ?3)
			OR EXISTS (SELECT 1 FROM links INDEXED BY links_run
				WHERE integration_id = ?1 AND kind = ?2 AND last_run_id > ?3)`
)

// UserManagersResolve sets manager_id on the users the integration's user
// links point at, from each link's manager_ref: to the entity of the user
// link of that external ID in the same integration, or to none when there
// is no such link, it has no entity, or the link names no manager. It
// considers only the links written in run runID and the links whose
// manager_ref names one of those; other users keep their manager. Only rows
// whose manager changes are written; their count is returned.
func (t *tx) UserManagersResolve(ctx context.Context, integrationID, runID int64) (int, error) {
	now := timeValue(t.s.clock())
	steps := []struct{ key, sql string }{{"managers.written", resolveWritten}}
	// A run that wrote every user link (a first sync) leaves no other
	// report to look for.
	var others bool
	if err := t.queryRow(ctx, "managers.others", text(resolveOthers), integrationID, string(record.KindUser), runID).
		Scan(&others); err != nil {
		return 0, fmt.Errorf("resolving managers: %w", interpretError(err))
	}
	if others {
		steps = append(steps, struct{ key, sql string }{"managers.reports", resolveReports})
	}
	var total int64
	for _, q := range steps {
		res, err := t.exec(ctx, q.key, text(q.sql), integrationID, string(record.KindUser), runID, now)
		if err != nil {
			return 0, fmt.Errorf("resolving managers: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("resolving managers: %w", err)
		}
		total += n
	}
	return int(total), nil
}

var _ store.Tx = (*tx)(nil)
