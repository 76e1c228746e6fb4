package migrate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/entra"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/migrate"
	"github.com/integrator-oss/integrator/internal/store/postgres"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

const (
	defaultTestDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	testSecret     = "migrate-test-secret"
)

var (
	serverOnce sync.Once
	serverDSN  string
	serverWhy  string
)

// testSchema returns a DSN on a fresh schema of the test server, dropped
// when t ends, or skips without a server (see the postgres package's
// tests for the same rule).
func testSchema(t *testing.T) string {
	t.Helper()
	serverOnce.Do(func() {
		dsn := os.Getenv("INTEGRATOR_TEST_POSTGRES")
		if dsn == "" {
			dsn = defaultTestDSN
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			serverWhy = "no PostgreSQL: set INTEGRATOR_TEST_POSTGRES to a DSN (" + err.Error() + ")"
			return
		}
		_ = conn.Close(ctx)
		serverDSN = dsn
	})
	if serverDSN == "" {
		if os.Getenv("INTEGRATOR_TEST_POSTGRES") != "" {
			t.Fatal(serverWhy)
		}
		t.Skip(serverWhy)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "integ_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, serverDSN)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, conn.Close(ctx))
	require.NoError(t, err)
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), serverDSN)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(serverDSN)
	require.NoError(t, err, "INTEGRATOR_TEST_POSTGRES must be a URL for these tests")
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// tenant is an emulated Entra tenant and a way to sync it into a store.
type tenant struct {
	em   *graph.Emulator
	base string
}

func newTenant(t *testing.T, users, groups int) *tenant {
	em := graph.New(graph.Options{ClientSecret: testSecret, PageSize: 100})
	em.Generate(users, groups, 11)
	srv := em.Start()
	t.Cleanup(srv.Close)
	return &tenant{em: em, base: srv.URL}
}

// sync runs the engine once for the integration "contoso" of st.
func (tn *tenant) sync(t *testing.T, st store.Store, full bool) *engine.Result {
	t.Helper()
	ctx := t.Context()
	logger := slog.New(slog.DiscardHandler)
	var in *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		var err error
		in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "contoso", Type: "entra", Enabled: true})
		return err
	}))
	cfg := (&entra.Config{TenantID: tn.em.TenantID(), ClientID: tn.em.ClientID(), ClientSecret: secret.New(testSecret),
		TokenURL: tn.em.TokenURL(tn.base), GraphURL: tn.em.GraphURL(tn.base)}).WithDefaults()
	var src connector.Source
	src, err := cfg.Open("contoso", logger)
	require.NoError(t, err)
	set := integration.Settings{Name: "contoso", Type: "entra", Enabled: true,
		Scope:     integration.Scope{AllUsers: true},
		Threshold: integration.Threshold{MaxCount: -1, MaxPercent: -1}}.WithDefaults()
	res, err := engine.New(st, logger).Run(ctx, engine.RunParams{Integration: in, Settings: set, Source: src, Full: full, Trigger: "test"})
	require.NoError(t, err)
	require.Equal(t, store.RunSucceeded, res.Run.Status, res.Run.Error)
	return res
}

// snapshot is what a store holds, read through the Reader API.
type snapshot struct {
	integrations []store.Integration
	cursor       store.Cursor
	runs         []store.Run
	users        []store.User
	groups       []store.Group
	audit        []store.AuditEvent
	members      map[int64][]int64
	links        []store.Link
	sites        []store.Site
}

func read(t *testing.T, st store.Store) snapshot {
	t.Helper()
	ctx := t.Context()
	var s snapshot
	var err error
	s.integrations, err = st.IntegrationList(ctx)
	require.NoError(t, err)
	require.Len(t, s.integrations, 1)
	s.cursor, err = st.CursorGet(ctx, s.integrations[0].ID)
	require.NoError(t, err)
	s.runs, err = st.RunList(ctx, &store.RunListParams{})
	require.NoError(t, err)
	s.users, err = st.UserList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	s.groups, err = st.GroupList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	s.audit, err = st.AuditList(ctx, &store.AuditListParams{})
	require.NoError(t, err)
	s.sites, err = st.SiteList(ctx)
	require.NoError(t, err)
	s.members = map[int64][]int64{}
	for _, g := range s.groups {
		s.members[g.ID], err = st.GroupMembers(ctx, g.ID)
		require.NoError(t, err)
		links, err := st.LinkListByEntity(ctx, record.KindGroup, g.ID)
		require.NoError(t, err)
		s.links = append(s.links, links...)
	}
	for _, u := range s.users {
		links, err := st.LinkListByEntity(ctx, record.KindUser, u.ID)
		require.NoError(t, err)
		s.links = append(s.links, links...)
	}
	return s
}

// A SQLite deployment with history moves to PostgreSQL with its IDs,
// links, cursor, runs and audit trail, and the next delta run there
// continues from the migrated cursor: it fetches only the changes and
// creates nobody it already had.
func TestCopyThenDelta(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testSchema(t)
	tn := newTenant(t, 300, 6)
	path := filepath.Join(t.TempDir(), "integrator.db")
	src, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	tn.sync(t, src, true)
	users := tn.em.Users()
	for i := range 5 {
		require.NoError(t, tn.em.UpdateUser(users[i].ID, func(u *graph.User) { u.JobTitle = fmt.Sprintf("Title %d", i) }))
	}
	second := tn.sync(t, src, false)
	require.False(t, second.Run.Full)
	before := read(t, src)
	require.NoError(t, src.Close())
	require.NotEmpty(t, before.cursor.Value)
	require.NotEmpty(t, before.audit)

	var progress []string
	rep, err := migrate.Copy(ctx, path, dsn, migrate.Options{Progress: func(tb migrate.Table) { progress = append(progress, tb.Name) }})
	require.NoError(t, err)
	counts := map[string]migrate.Table{}
	for _, tb := range rep.Tables {
		counts[tb.Name] = tb
		require.Equal(t, tb.Source, tb.Target, tb.Name)
		require.Equal(t, tb.Source, tb.Copied, tb.Name)
	}
	require.Equal(t, len(rep.Tables), len(progress))
	for _, name := range []string{"clients", "sites", "integrations", "cursors", "runs", "users", "groups",
		"memberships", "links", "audit_events", "review_items", "integration_defs", "admins", "credentials"} {
		require.Contains(t, counts, name)
	}
	require.EqualValues(t, len(before.users), counts["users"].Source)
	require.EqualValues(t, 2, counts["runs"].Source)
	require.Positive(t, counts["memberships"].Source)
	require.Less(t, slicesIndex(progress, "integrations"), slicesIndex(progress, "runs"), "parents first")
	require.Less(t, slicesIndex(progress, "sites"), slicesIndex(progress, "users"), "parents first")

	dst, err := postgres.Open(ctx, dsn, nil)
	require.NoError(t, err)
	defer dst.Close()
	after := read(t, dst)
	require.Equal(t, before.integrations, after.integrations)
	require.Equal(t, before.cursor, after.cursor)
	require.Equal(t, before.runs, after.runs)
	require.Equal(t, before.users, after.users)
	require.Equal(t, before.groups, after.groups)
	require.Equal(t, before.audit, after.audit)
	require.Equal(t, before.members, after.members)
	require.Equal(t, before.links, after.links)
	require.Equal(t, before.sites, after.sites)

	require.Zero(t, rep.Abandoned)

	// A second copy into the same target is refused, naming what is there.
	_, err = migrate.Copy(ctx, path, dsn, migrate.Options{})
	require.ErrorIs(t, err, migrate.ErrTargetNotEmpty)
	require.Contains(t, err.Error(), fmt.Sprintf("users has %d rows", len(before.users)))

	// The tenant changes; the next run on PostgreSQL is a delta from the
	// migrated cursor.
	for i := 10; i < 13; i++ {
		require.NoError(t, tn.em.UpdateUser(users[i].ID, func(u *graph.User) { u.Department = "Moved" }))
	}
	tn.em.AddUser(graph.User{UserPrincipalName: "new.hire@contoso.example", Mail: "new.hire@contoso.example",
		DisplayName: "New Hire", GivenName: "New", Surname: "Hire", AccountEnabled: true})
	third := tn.sync(t, dst, false)
	require.False(t, third.Run.Full, "the migrated cursor was used")
	require.Equal(t, "delta", third.Run.Mode)
	uc := third.Run.ByKind[record.KindUser]
	// Graph's delta may hand a change over twice; a full enumeration
	// would have fetched every user.
	require.GreaterOrEqual(t, uc.Fetched, int64(4))
	require.Less(t, uc.Fetched, int64(20), "only the changes were fetched")
	require.EqualValues(t, 1, uc.Created, "only the new hire was created")
	require.EqualValues(t, 3, uc.Updated)
	final, err := dst.UserList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	require.Len(t, final, len(before.users)+1, "no duplicate of a migrated user")
	require.Greater(t, final[len(final)-1].ID, before.users[len(before.users)-1].ID, "new IDs continue after the migrated ones")
	runs, err := dst.RunList(ctx, &store.RunListParams{})
	require.NoError(t, err)
	require.Greater(t, runs[0].ID, before.runs[0].ID)
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// A run the source left "running" (its process died) is closed as failed
// in the copy: no process would finish it there.
func TestCopyClosesRunsLeftRunning(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := testSchema(t)
	path := filepath.Join(t.TempDir(), "integrator.db")
	src, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	var done, left *store.Run
	require.NoError(t, src.Tx(ctx, func(tx store.Tx) error {
		in, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "contoso", Type: "entra", Enabled: true})
		if err != nil {
			return err
		}
		if done, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full", Trigger: "schedule"}); err != nil {
			return err
		}
		if err := tx.RunFinish(ctx, &store.RunFinishParams{ID: done.ID, Status: store.RunSucceeded}); err != nil {
			return err
		}
		left, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "delta", Trigger: "schedule"})
		return err
	}))
	require.NoError(t, src.Close())
	rep, err := migrate.Copy(ctx, path, dsn, migrate.Options{})
	require.NoError(t, err)
	require.EqualValues(t, 1, rep.Abandoned)
	dst, err := postgres.Open(ctx, dsn, nil)
	require.NoError(t, err)
	defer dst.Close()
	got, err := dst.RunGet(ctx, left.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunFailed, got.Status)
	require.Contains(t, got.Error, "stopped before the end")
	require.False(t, got.FinishedAt.IsZero())
	got, err = dst.RunGet(ctx, done.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunSucceeded, got.Status)
}
