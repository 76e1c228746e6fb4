package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// defaultTestDSN is tried when INTEGRATOR_TEST_POSTGRES is unset.
const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	serverOnce sync.Once
	serverDSN  string
	serverWhy  string
)

// testServer returns the DSN of the PostgreSQL server the tests use, or
// skips the test: INTEGRATOR_TEST_POSTGRES, else the local default if it
// answers within 2 s.
func testServer(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() {
		dsn, set := os.LookupEnv("INTEGRATOR_TEST_POSTGRES")
		if !set || dsn == "" {
			dsn = defaultTestDSN
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			if set {
				serverWhy = "INTEGRATOR_TEST_POSTGRES is set but PostgreSQL does not answer: " + err.Error()
			} else {
				serverWhy = "no PostgreSQL: set INTEGRATOR_TEST_POSTGRES to a DSN (none answered at " +
					strings.Split(defaultTestDSN, "?")[0] + ": " + err.Error() + ")"
			}
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
	return serverDSN
}

// freshSchema creates an empty schema on the test server, dropped when t
// ends, and returns a DSN whose connections use it.
func freshSchema(t testing.TB) string {
	t.Helper()
	dsn := testServer(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "integ_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, conn.Close(ctx))
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})
	return withParam(t, dsn, "search_path", schema)
}

// withParam sets a run-time parameter in a URL or key=value DSN.
func withParam(t testing.TB, dsn, key, value string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		require.NoError(t, err)
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}

// openTest opens a store on a fresh schema, closed when t ends.
func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	dsn := freshSchema(t)
	s, err := Open(context.Background(), dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, dsn
}

func TestConformance(t *testing.T) {
	t.Parallel()
	testServer(t)
	storetest.RunTests(t, func(t *testing.T) store.Store {
		s, _ := openTest(t)
		return s
	})
}

func TestMigrationsApplyOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, dsn := openTest(t)
	list, err := migrations()
	require.NoError(t, err)
	require.NotEmpty(t, list)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, list[len(list)-1].version, v)

	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
		_, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "kept", Type: "fake"})
		return err
	}))
	again, err := Open(ctx, dsn, nil)
	require.NoError(t, err)
	defer again.Close()
	_, err = again.IntegrationGet(ctx, "kept")
	require.NoError(t, err)
	var n int
	require.NoError(t, again.pool.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n))
	require.Equal(t, len(list), n)
}

// Processes starting at once against an empty database: the advisory lock
// lets one migrate and the others find the schema done.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := freshSchema(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			s, err := Open(ctx, dsn, nil)
			if err == nil {
				err = s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	s, err := Open(ctx, dsn, nil)
	require.NoError(t, err)
	defer s.Close()
	list, err := migrations()
	require.NoError(t, err)
	var applied int
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied))
	require.Equal(t, len(list), applied, "each migration applied once")
}

func TestClose(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, freshSchema(t), nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is fine")
	err = s.Tx(ctx, func(store.Tx) error { return nil })
	require.ErrorIs(t, err, errClosed)
	_, err = s.IntegrationList(ctx)
	require.Error(t, err)
}

// Errors name the server and database, never the password.
func TestOpenErrorsHideThePassword(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://integrator:hunter2-secret@127.0.0.1:1/integrator?sslmode=disable&connect_timeout=2", nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2-secret")
	require.Contains(t, err.Error(), "integrator@127.0.0.1:1/integrator")
	_, err = Open(ctx, "host=127.0.0.1 port=notaport password=hunter2-secret", nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2-secret")
}

// The PG* environment variables fill what the DSN leaves out.
func TestOpenUsesEnvironment(t *testing.T) {
	dsn := freshSchema(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	t.Setenv("PGHOST", u.Hostname())
	t.Setenv("PGPORT", u.Port())
	t.Setenv("PGUSER", u.User.Username())
	if pw, ok := u.User.Password(); ok {
		t.Setenv("PGPASSWORD", pw)
	}
	t.Setenv("PGDATABASE", strings.TrimPrefix(u.Path, "/"))
	t.Setenv("PGSSLMODE", u.Query().Get("sslmode"))
	t.Setenv("PGOPTIONS", "-c search_path="+u.Query().Get("search_path"))
	s, err := Open(t.Context(), "", nil)
	require.NoError(t, err)
	defer s.Close()
	v, err := s.SchemaVersion(t.Context())
	require.NoError(t, err)
	require.Positive(t, v)
}

// Batches of a page's size go through COPY (users, audit events) and
// unnest() (links, updates): every field, NULLs included, reads back.
func TestLargeBatches(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTest(t)
	const n = copyThreshold + 234
	var (
		in    *store.Integration
		run   *store.Run
		users = make([]store.User, n)
	)
	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
		var err error
		if in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "big", Type: "fake"}); err != nil {
			return err
		}
		site, err := tx.SiteEnsure(ctx, "Contoso", "HQ")
		if err != nil {
			return err
		}
		if run, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full"}); err != nil {
			return err
		}
		for i := range users {
			users[i] = store.User{Role: store.RoleUser, Active: i%3 != 0, DisplayName: fmt.Sprintf("Ümit %04d", i),
				UPN: fmt.Sprintf("U%04d@Contoso.com", i), ManagerID: int64(i % 7)}
			if i%2 == 0 {
				users[i].SiteID = site.ID
				users[i].Owners = map[string]int64{"email": in.ID}
			}
			if !users[i].Active {
				users[i].DeactivatedAt, users[i].DeactivatedReason = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), "gone"
			}
		}
		if err := tx.UserInsertMany(ctx, users); err != nil {
			return err
		}
		links := make([]store.Link, n)
		events := make([]store.AuditEvent, n)
		for i, u := range users {
			links[i] = store.Link{IntegrationID: in.ID, Kind: record.KindUser, ExternalID: fmt.Sprintf("ext-%04d", i),
				EntityID: u.ID, Status: store.LinkLinked, MatchedBy: "created", Fingerprint: "fp", LastRunID: run.ID}
			events[i] = store.AuditEvent{RunID: run.ID, IntegrationID: in.ID, Kind: record.KindUser, EntityID: u.ID,
				Action: store.ActionCreated, Reason: "new"}
			if i%2 == 1 {
				events[i].Changes = []byte(`{"x":[1,2]}`)
			}
		}
		if err := tx.LinkUpsertMany(ctx, links); err != nil {
			return err
		}
		return tx.AuditInsertMany(ctx, events)
	}))
	ids := make([]int64, n)
	for i, u := range users {
		ids[i] = u.ID
		if i > 0 {
			require.Greater(t, u.ID, users[i-1].ID, "IDs ascend in the caller's order")
		}
	}
	got, err := s.UserGetMany(ctx, ids)
	require.NoError(t, err)
	require.Len(t, got, n)
	for i, g := range got {
		require.Equal(t, users[i], g)
	}
	hits := map[string][]int64{}
	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
		hits, err = tx.UserFind(ctx, &store.UserFindParams{Key: store.KeyUPN, Values: []string{"u0007@contoso.COM"}})
		return err
	}))
	require.Equal(t, map[string][]int64{"u0007@contoso.COM": {users[7].ID}}, hits)
	events, err := s.AuditList(ctx, &store.AuditListParams{RunID: run.ID})
	require.NoError(t, err)
	require.Len(t, events, n)
	require.Empty(t, events[0].Changes)
	require.JSONEq(t, `{"x":[1,2]}`, string(events[1].Changes))
	require.Equal(t, users[1].ID, events[1].EntityID)
	c, err := s.EntityCount(ctx, in.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, store.EntityCount{Active: n - (n+2)/3, Inactive: (n + 2) / 3}, c)

	// An update in any order lands on the right rows.
	changed := make([]store.User, 0, n)
	for i := n - 1; i >= 0; i-- {
		u := users[i]
		u.JobTitle, u.ManagerID = fmt.Sprintf("title of %d", u.ID), users[(i+1)%n].ID
		changed = append(changed, u)
	}
	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error { return tx.UserUpdateMany(ctx, changed) }))
	got, err = s.UserGetMany(ctx, ids)
	require.NoError(t, err)
	for i, g := range got {
		require.Equal(t, fmt.Sprintf("title of %d", g.ID), g.JobTitle)
		require.Equal(t, users[(i+1)%n].ID, g.ManagerID)
		require.Equal(t, users[i].DisplayName, g.DisplayName)
	}
}

func TestConsoleConformance(t *testing.T) {
	t.Parallel()
	testServer(t)
	storetest.RunConsoleTests(t, func(t *testing.T) store.Store {
		s, _ := openTest(t)
		return s
	})
}

func TestLinkListConformance(t *testing.T) {
	t.Parallel()
	testServer(t)
	var _ store.LinkLister = (*Store)(nil)
	storetest.RunLinkListTests(t, func(t *testing.T) store.Store {
		s, _ := openTest(t)
		return s
	})
}

// Rows this process did not write (another process's, a migration's) still
// get the planner fresh statistics before the end of a run reads them.
func TestStaleStatisticsRefreshedBeforeTheSweep(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := freshSchema(t)
	require.NoError(t, BaselineInsert(ctx, dsn, 3*analyzeMin))
	s, err := Open(ctx, dsn, nil)
	require.NoError(t, err)
	defer s.Close()
	analyzed := func() bool {
		var last *time.Time
		require.NoError(t, s.pool.QueryRow(ctx, `SELECT GREATEST(last_analyze, last_autoanalyze) FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname = 'links'`).Scan(&last))
		return last != nil
	}
	require.False(t, analyzed(), "nothing analyzed the links yet")
	in, err := s.IntegrationGet(ctx, "baseline")
	require.NoError(t, err)
	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
		ls, err := tx.LinkListUnseen(ctx, &store.LinkListUnseenParams{IntegrationID: in.ID, Kind: record.KindUser, RunID: 999, Limit: 10})
		require.Len(t, ls, 10)
		return err
	}))
	require.True(t, analyzed())
}

// Every pooled connection plans each execution with its values, unless
// the DSN says otherwise.
func TestConnectionsPlanEachExecution(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, dsn := openTest(t)
	var mode string
	require.NoError(t, s.pool.QueryRow(ctx, "SHOW plan_cache_mode").Scan(&mode))
	require.Equal(t, "force_custom_plan", mode)
	other, err := Open(ctx, withParam(t, dsn, "plan_cache_mode", "auto"), nil)
	require.NoError(t, err)
	defer other.Close()
	require.NoError(t, other.pool.QueryRow(ctx, "SHOW plan_cache_mode").Scan(&mode))
	require.Equal(t, "auto", mode)
}
