package sqlite

import (
	"context"
	"fmt"
	"slices"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// GroupMembers lists, ascending, the platform users that are members of a
// platform group: a source membership whose group links to groupID and
// whose member links (in the same integration) to a user. CROSS JOIN fixes
// the join order (group link, its memberships, their user links): left to
// itself, SQLite may walk every user link for the member side.
func (r reader) GroupMembers(ctx context.Context, groupID int64) ([]int64, error) {
	rows, err := r.query(ctx, "members.ofgroup", text(`
		SELECT DISTINCT lu.entity_id
		FROM links lg
		CROSS JOIN memberships m ON m.integration_id = lg.integration_id
			AND m.group_external_id = lg.external_id
		CROSS JOIN links lu ON lu.integration_id = m.integration_id
			AND lu.kind = ? AND lu.external_id = m.member_external_id
		WHERE lg.kind = ? AND lg.entity_id = ? AND lu.entity_id IS NOT NULL
		ORDER BY lu.entity_id`),
		string(record.KindUser), string(record.KindGroup), groupID)
	if err != nil {
		return nil, fmt.Errorf("listing members of group %d: %w", groupID, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("listing members of group %d: %w", groupID, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
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
	err := chunks(p.Removed, lookupChunk, func(part []string) error {
		n, args := inArgs([]any{p.IntegrationID, p.GroupExternalID}, part)
		res, err := t.exec(ctx, batchKey("members.remove", n), func() string {
			return `DELETE FROM memberships
			WHERE integration_id = ? AND group_external_id = ? AND member_external_id IN (` + inList(n) + `)`
		}, args...)
		if err != nil {
			return err
		}
		removed, _ := res.RowsAffected()
		changed += removed
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("removing members: %w", err)
	}
	added := sortedSet(p.Added)
	err = forBatches(len(added), 3, func(start, rows int) error {
		args := t.args(rows * 3)
		for _, m := range added[start : start+rows] {
			args = append(args, p.IntegrationID, p.GroupExternalID, m)
		}
		res, err := t.exec(ctx, batchKey("members.add", rows), func() string {
			return `INSERT INTO memberships (integration_id, group_external_id, member_external_id)
			VALUES ` + placeholders(3, rows) + ` ON CONFLICT DO NOTHING`
		}, args...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		changed += n
		for i := 0; i < len(args); i += 3 {
			args[i] = p.RunID
		}
		_, err = t.exec(ctx, batchKey("members.seen", rows), func() string {
			return `INSERT INTO run_seen_members (run_id, group_external_id, member_external_id)
			VALUES ` + placeholders(3, rows) + ` ON CONFLICT DO NOTHING`
		}, args...)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("adding members: %w", err)
	}
	return int(changed), nil
}

// MemberGroupsOf returns, for each member external ID that belongs to any
// group of the integration, the group external IDs (ascending).
func (t *tx) MemberGroupsOf(ctx context.Context, integrationID int64, memberIDs []string) (map[string][]string, error) {
	out := make(map[string][]string)
	err := chunks(memberIDs, lookupChunk, func(part []string) error {
		n, args := inArgs([]any{integrationID}, part)
		rows, err := t.query(ctx, batchKey("members.groupsof", n), func() string {
			return `SELECT member_external_id, group_external_id FROM memberships
			WHERE integration_id = ? AND member_external_id IN (` + inList(n) + `)
			ORDER BY member_external_id, group_external_id`
		}, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m, g string
			if err := rows.Scan(&m, &g); err != nil {
				return err
			}
			if !slices.Contains(out[m], g) {
				out[m] = append(out[m], g)
			}
		}
		return interpretError(rows.Err())
	})
	if err != nil {
		return nil, fmt.Errorf("listing groups of members: %w", err)
	}
	return out, nil
}

// MemberList returns a group's member external IDs in ascending order.
func (t *tx) MemberList(ctx context.Context, integrationID int64, groupExternalID string) ([]string, error) {
	rows, err := t.query(ctx, "members.list", text(`SELECT member_external_id FROM memberships
		WHERE integration_id = ? AND group_external_id = ? ORDER BY member_external_id`), integrationID, groupExternalID)
	if err != nil {
		return nil, fmt.Errorf("listing members of group %s: %w", groupExternalID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("listing members of group %s: %w", groupExternalID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing members of group %s: %w", groupExternalID, interpretError(err))
	}
	return out, nil
}

// memberSweepQuery deletes an integration's memberships not seen in a run.
// The EXCEPT merges the memberships and the run's seen marks, both read in
// key order, in one pass; only what it leaves is looked up and deleted.
// A probe of run_seen_members per membership costs several times as much.
// Arguments: integration, run.
const memberSweepQuery = `
	WITH gone (group_external_id, member_external_id) AS (
		SELECT group_external_id, member_external_id FROM memberships WHERE integration_id = ?1
		EXCEPT
		SELECT group_external_id, member_external_id FROM run_seen_members WHERE run_id = ?2
		ORDER BY 1, 2
	)
	DELETE FROM memberships
	WHERE integration_id = ?1 AND (group_external_id, member_external_id) IN (SELECT * FROM gone)
	RETURNING member_external_id`

// MemberSweep deletes the integration's memberships that MemberApply did
// not mark seen in the run, and returns the distinct member external IDs
// it removed, ascending.
func (t *tx) MemberSweep(ctx context.Context, integrationID, runID int64) ([]string, error) {
	rows, err := t.query(ctx, "members.sweep", text(memberSweepQuery), integrationID, runID)
	if err != nil {
		return nil, fmt.Errorf("sweeping memberships: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("sweeping memberships: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sweeping memberships: %w", interpretError(err))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
