package sqlite

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// explain returns the query plan of q, one step per line.
func explain(t *testing.T, s *Store, q string, args ...any) []string {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	require.NoError(t, err)
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		lines = append(lines, detail)
	}
	require.NoError(t, rows.Err())
	return lines
}

// TestQueryPlans pins the plans of the statements whose cost must follow
// the run's size, not the tables': none of them may walk a table, and
// each must use the index it was written for.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	tests := []struct {
		name string
		q    string
		args []any
		// uses are plan steps that must appear; scans are the only
		// things a SCAN step may read (subquery results, small partial
		// indexes).
		uses  []string
		scans []string
	}{
		{"resolve written", resolveWritten, []any{1, "user", 1, 1},
			[]string{"SEARCH l USING INDEX links_run", "SEARCH users USING INTEGER PRIMARY KEY",
				"SEARCH m USING INDEX links_key"}, nil},
		{"resolve reports", resolveReports, []any{1, "user", 1, 1},
			[]string{"SEARCH m USING INDEX links_run", "SEARCH r USING INDEX links_manager",
				"SEARCH users USING INTEGER PRIMARY KEY"}, []string{"want"}},
		{"resolve others", resolveOthers, []any{1, "user", 1},
			[]string{"SEARCH links USING COVERING INDEX links_run (integration_id=? AND kind=? AND last_run_id<?)",
				"SEARCH links USING COVERING INDEX links_run (integration_id=? AND kind=? AND last_run_id>?)"}, []string{"CONSTANT"}},
		{"unseen first", unseenFirstQuery("users"), []any{1, "user", 1, 500},
			[]string{"MERGE (EXCEPT)", "SEARCH l USING INDEX links_key (integration_id=? AND kind=? AND external_id=?)",
				"SEARCH e USING INTEGER PRIMARY KEY"}, []string{"u"}},
		{"entity count", entityCountQuery("users"), []any{1, "user"},
			[]string{"SEARCH links USING COVERING INDEX links_integration_entity (integration_id=? AND kind=? AND entity_id>?)",
				"SEARCH l EXISTS USING COVERING INDEX links_integration_entity (integration_id=? AND kind=? AND entity_id=?)"},
			[]string{"e USING COVERING INDEX users_inactive", "(subquery-1)", "(subquery-3)"}},
		{"member sweep", memberSweepQuery, []any{1, 1},
			[]string{"MERGE (EXCEPT)", "SEARCH memberships USING COVERING INDEX memberships_member (integration_id=? AND member_external_id=? AND group_external_id=?)"},
			[]string{"gone"}},
	}
	for _, tc := range tests {
		plan := explain(t, s, tc.q, tc.args...)
		text := strings.Join(plan, "\n")
		for _, u := range tc.uses {
			require.Contains(t, text, u, "%s:\n%s", tc.name, text)
		}
		for _, step := range plan {
			if what, ok := strings.CutPrefix(step, "SCAN "); ok {
				allowed := slices.ContainsFunc(tc.scans, func(p string) bool {
					return what == p || strings.HasPrefix(what, p+" ")
				})
				require.True(t, allowed, "%s walks a table:\n%s", tc.name, text)
			}
		}
	}
}
