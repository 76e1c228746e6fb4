package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/jobs/jobstest"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/postgres"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// A single-node deployment moves to PostgreSQL: migrate-store copies it
// and says what it copied, refuses to copy twice, and the daemon pointed
// at PostgreSQL continues with a delta run from the migrated cursor.
func TestCLIMigrateStoreThenDelta(t *testing.T) {
	t.Parallel()
	dsn := jobstest.PostgresDSN(t)
	e := newE2E(t, 40, graph.Options{}, allUsers)
	_, stderr, code := e.run(t, "sync", "t")
	require.Zero(t, code, stderr)
	dbPath := filepath.Join(e.dir, "i.db")
	src, err := sqlite.Open(t.Context(), dbPath, nil)
	require.NoError(t, err)
	before, err := src.UserList(t.Context(), &store.EntityListParams{})
	require.NoError(t, err)
	require.NotEmpty(t, before)
	require.NoError(t, src.Close())

	_, stderr, code = e.run(t, "migrate-store", "--from", "postgres://nope", "--to", dsn)
	require.NotZero(t, code)
	require.Contains(t, stderr, "--from")

	out, stderr, code := e.run(t, "migrate-store", "--from", "sqlite:"+dbPath, "--to", dsn)
	require.Zero(t, code, stderr)
	require.Contains(t, out, "row counts verified")
	require.Regexp(t, regexp.MustCompile(`(?m)^\s+users\s+`+itoa(len(before))+`\s+`+itoa(len(before))+`\s+\d+$`), out)
	for _, table := range []string{"links", "cursors", "runs", "audit_events", "memberships"} {
		require.Regexp(t, regexp.MustCompile(`(?m)^\s+`+table+`\s+[1-9]`), out, "%s copied", table)
	}

	_, stderr, code = e.run(t, "migrate-store", "--from", "sqlite:"+dbPath, "--to", dsn)
	require.NotZero(t, code)
	require.Contains(t, stderr, "not empty")
	require.Contains(t, stderr, "users has "+itoa(len(before))+" rows")

	// Point the configuration at PostgreSQL; the tenant changes.
	cfg, err := os.ReadFile(e.cfg)
	require.NoError(t, err)
	lines := strings.SplitN(string(cfg), "\n", 2)
	require.True(t, strings.HasPrefix(lines[0], "store: sqlite:"))
	require.NoError(t, os.WriteFile(e.cfg, []byte("store: "+dsn+"\n"+lines[1]), 0o600))
	e.em.AddUser(graph.User{UserPrincipalName: "new.hire@contoso.example", Mail: "new.hire@contoso.example",
		DisplayName: "New Hire", GivenName: "New", Surname: "Hire", AccountEnabled: true})
	_, stderr, code = e.run(t, "sync", "t")
	require.Zero(t, code, stderr)

	st, err := postgres.Open(t.Context(), dsn, nil)
	require.NoError(t, err)
	defer st.Close()
	in, err := st.IntegrationGet(t.Context(), "t")
	require.NoError(t, err)
	runs, err := st.RunList(t.Context(), &store.RunListParams{IntegrationID: in.ID, Limit: 1})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	last := runs[0]
	require.Equal(t, store.RunSucceeded, last.Status, last.Error)
	require.False(t, last.Full, "a delta from the migrated cursor, not a full resync")
	require.EqualValues(t, 1, last.ByKind[record.KindUser].Created, "only the new hire is created")
	after, err := st.UserList(t.Context(), &store.EntityListParams{})
	require.NoError(t, err)
	require.Len(t, after, len(before)+1, "no migrated user was created again")
}

func itoa(n int) string { return strconv.Itoa(n) }
