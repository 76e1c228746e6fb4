package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// GroupMembers lists, ascending, the platform users that are members of a
// platform group: a source membership whose group links to groupID and
// whose member links (in the same integration) to a user.
func (r reader) GroupMembers(ctx context.Context, groupID int64) ([]int64, error) {
	rows, err := r.q.Query(ctx, `
		SELECT DISTINCT lu.entity_id
		FROM links lg
		JOIN memberships m ON m.integration_id = lg.integration_id
			AND m.group_external_id = lg.external_id
		JOIN links lu ON lu.integration_id = m.integration_id
			AND lu.kind = $1 AND lu.external_id = m.member_external_id
		WHERE lg.kind = $2 AND lg.entity_id = $3 AND lu.entity_id IS NOT NULL
		ORDER BY lu.entity_id`,
		string(record.KindUser), string(record.KindGroup), groupID)
	if err != nil {
		return nil, fmt.Errorf("listing members of group %d: %w", groupID, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("listing members of group %d: %w", groupID, interpretError(err))
	}
	return out, nil
}

// MemberApply removes p.Removed and then adds p.Added to one group's source
// memberships, marks the added ones seen in the run (including those that
// already existed), and returns the number of memberships it inserted or
// deleted. Members are added in key order.
func (t *tx) MemberApply(ctx context.Context, p *store.MemberApplyParams) (int, error) {
	var changed int64
	if len(p.Removed) > 0 {
		tag, err := t.q.Exec(ctx, `DELETE FROM memberships
			WHERE integration_id = $1 AND group_external_id = $2 AND member_external_id = ANY($3::text[])`,
			p.IntegrationID, p.GroupExternalID, p.Removed)
		if err != nil {
			return 0, fmt.Errorf("removing members of group %q: %w", p.GroupExternalID, interpretError(err))
		}
		changed += tag.RowsAffected()
	}
	added := sortedSet(p.Added)
	if len(added) > 0 {
		tag, err := t.q.Exec(ctx, `INSERT INTO memberships (integration_id, group_external_id, member_external_id)
			SELECT $1, $2, m FROM unnest($3::text[]) AS m ON CONFLICT DO NOTHING`,
			p.IntegrationID, p.GroupExternalID, added)
		if err != nil {
			return 0, fmt.Errorf("adding members of group %q: %w", p.GroupExternalID, interpretError(err))
		}
		changed += tag.RowsAffected()
		tag, err = t.q.Exec(ctx, `INSERT INTO run_seen_members (run_id, group_external_id, member_external_id)
			SELECT $1, $2, m FROM unnest($3::text[]) AS m ON CONFLICT DO NOTHING`,
			p.RunID, p.GroupExternalID, added)
		if err != nil {
			return 0, fmt.Errorf("marking members of group %q seen: %w", p.GroupExternalID, interpretError(err))
		}
		t.count("run_seen_members", tag.RowsAffected())
	}
	t.count("memberships", changed)
	return int(changed), nil
}

// MemberGroupsOf returns, for each member external ID that belongs to any
// group of the integration, the group external IDs (ascending).
func (t *tx) MemberGroupsOf(ctx context.Context, integrationID int64, memberIDs []string) (map[string][]string, error) {
	out := make(map[string][]string)
	if len(memberIDs) == 0 {
		return out, nil
	}
	rows, err := t.q.Query(ctx, perKey("text", `SELECT member_external_id, group_external_id FROM memberships
		WHERE integration_id = $1 AND member_external_id = k.v`, 2)+`
		ORDER BY member_external_id, group_external_id`, integrationID, sortedSet(memberIDs))
	if err != nil {
		return nil, fmt.Errorf("listing groups of members: %w", interpretError(err))
	}
	var m, g string
	if _, err := pgx.ForEachRow(rows, []any{&m, &g}, func() error {
		if !slices.Contains(out[m], g) {
			out[m] = append(out[m], g)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing groups of members: %w", interpretError(err))
	}
	return out, nil
}

// MemberList returns a group's member external IDs in ascending order.
func (t *tx) MemberList(ctx context.Context, integrationID int64, groupExternalID string) ([]string, error) {
	rows, err := t.q.Query(ctx, `SELECT member_external_id FROM memberships
		WHERE integration_id = $1 AND group_external_id = $2 ORDER BY member_external_id`, integrationID, groupExternalID)
	if err != nil {
		return nil, fmt.Errorf("listing members of group %s: %w", groupExternalID, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing members of group %s: %w", groupExternalID, interpretError(err))
	}
	return out, nil
}

// MemberSweep deletes the integration's memberships that MemberApply did
// not mark seen in the run, and returns the distinct member external IDs
// it removed, ascending.
func (t *tx) MemberSweep(ctx context.Context, integrationID, runID int64) ([]string, error) {
	if err := t.freshStats(ctx, "memberships", "run_seen_members"); err != nil {
		return nil, fmt.Errorf("sweeping memberships of integration %d: %w", integrationID, err)
	}
	rows, err := t.q.Query(ctx, `
		DELETE FROM memberships m
		WHERE m.integration_id = $1 AND NOT EXISTS (SELECT 1 FROM run_seen_members s
			WHERE s.run_id = $2 AND s.group_external_id = m.group_external_id
				AND s.member_external_id = m.member_external_id)
		RETURNING m.member_external_id`, integrationID, runID)
	if err != nil {
		return nil, fmt.Errorf("sweeping memberships of integration %d: %w", integrationID, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("sweeping memberships of integration %d: %w", integrationID, interpretError(err))
	}
	t.count("memberships", int64(len(out)))
	slices.Sort(out)
	return slices.Compact(out), nil
}
