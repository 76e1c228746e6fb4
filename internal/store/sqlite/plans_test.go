package sqlite

import (
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
		// names a SCAN step may have (subquery results).
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
	}
	for _, tc := range tests {
		plan := explain(t, s, tc.q, tc.args...)
		text := strings.Join(plan, "\n")
		for _, u := range tc.uses {
			require.Contains(t, text, u, "%s:\n%s", tc.name, text)
		}
		for _, step := range plan {
			if name, ok := strings.CutPrefix(step, "SCAN "); ok {
				name, _, _ = strings.Cut(name, " ")
				require.Contains(t, tc.scans, name, "%s walks a table:\n%s", tc.name, text)
			}
		}
	}
}
