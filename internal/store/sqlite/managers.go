package sqlite

import (
	"context"
	"fmt"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// UserManagersResolve sets manager_id on the users the integration links
// whose link data carries a manager attribute ({"attrs":{"manager":"<source
// ID>"}}): to the user the manager's own link points at, or to none when
// the manager is not linked or the attribute is empty. Links without the
// attribute leave their user alone. Only rows whose manager changes are
// written; their count is returned.
func (t *tx) UserManagersResolve(ctx context.Context, integrationID int64) (int, error) {
	res, err := t.q.ExecContext(ctx, `
		WITH m AS (
			SELECT lu.entity_id AS user_id,
				(SELECT lm.entity_id FROM links lm
					WHERE lm.integration_id = lu.integration_id AND lm.kind = lu.kind
						AND lm.external_id = json_extract(lu.data, '$.attrs.manager')) AS manager_id
			FROM links lu INDEXED BY links_key
			WHERE lu.integration_id = ? AND lu.kind = ? AND lu.entity_id IS NOT NULL
				AND json_valid(lu.data) AND json_type(lu.data, '$.attrs.manager') = 'text'
		)
		UPDATE users SET manager_id = m.manager_id, updated_at = ?
		FROM m
		WHERE users.id = m.user_id AND users.manager_id IS NOT m.manager_id`,
		integrationID, string(record.KindUser), timeValue(t.s.clock()))
	if err != nil {
		return 0, fmt.Errorf("resolving managers: %w", interpretError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("resolving managers: %w", err)
	}
	return int(n), nil
}

var _ store.Tx = (*tx)(nil)
