package daemon_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/api"
	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// These tests run the whole path a scheduled run takes — configuration,
// the River job, the Entra connector, the engine and the SQLite store —
// against the Graph emulator.

const testSecret = "s3cr3t-Value-That-Must-Never-Leak-7f2a"

type testBundle struct {
	em     *graph.Emulator
	base   string
	dir    string
	app    *daemon.App
	logs   *syncBuffer
	mu     sync.Mutex
	result *engine.Result
	// store is the store setting; "" means a SQLite file in dir.
	store string
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// setup starts an emulated tenant and an App whose one integration, "t",
// points at it. scope is the YAML of the integration's scope block.
func setup(t *testing.T, users, groups int, scope string, emo graph.Options) *testBundle {
	t.Helper()
	emo.ClientSecret = testSecret
	em := graph.New(emo)
	em.Generate(users, groups, 7)
	srv := em.Start()
	t.Cleanup(srv.Close)
	b := &testBundle{em: em, base: srv.URL, dir: t.TempDir(), logs: &syncBuffer{}}
	b.open(t, scope, 0)
	return b
}

// setupAttempts is setup with the job engine trying a run at most
// attempts times, so a test sees a failed run as it is.
func setupAttempts(t *testing.T, users, groups int, scope string, attempts int) *testBundle {
	t.Helper()
	em := graph.New(graph.Options{ClientSecret: testSecret})
	em.Generate(users, groups, 7)
	srv := em.Start()
	t.Cleanup(srv.Close)
	b := &testBundle{em: em, base: srv.URL, dir: t.TempDir(), logs: &syncBuffer{}}
	b.open(t, scope, attempts)
	return b
}

func (b *testBundle) open(t *testing.T, scope string, attempts int) {
	t.Helper()
	secretFile := filepath.Join(b.dir, "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(testSecret+"\n"), 0o600))
	storeSetting := b.store
	if storeSetting == "" {
		storeSetting = "sqlite:" + filepath.Join(b.dir, "i.db")
	}
	yaml := fmt.Sprintf(`store: %s
integrations:
  - name: t
    type: entra
    schedule: 1h
    client: Contoso
%s
    config:
      tenant_id: %s
      client_id: %s
      client_secret: {file: %s}
      token_url: %s
      graph_url: %s
      max_retries: 2
`, storeSetting, scope, b.em.TenantID(), b.em.ClientID(), secretFile, b.em.TokenURL(b.base), b.em.GraphURL(b.base))
	path := filepath.Join(b.dir, "integrator.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	cfg, err := config.Load(path, all.Registry())
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, err := daemon.Open(t.Context(), cfg, logger, daemon.Options{
		MaxAttempts: attempts,
		Finished: func(_ string, res *engine.Result, _ error) {
			b.mu.Lock()
			b.result = res
			b.mu.Unlock()
		},
	})
	require.NoError(t, err)
	require.NoError(t, app.StartJobs(context.WithoutCancel(t.Context()), false))
	t.Cleanup(func() {
		app.StopJobs(context.Background())
		app.Close()
	})
	b.app = app
}

// sync runs the integration through the job engine and returns the run.
func (b *testBundle) sync(t *testing.T, req jobs.RunRequest) (*engine.Result, error) {
	t.Helper()
	req.Integration = "t"
	err := b.app.RunNow(t.Context(), req)
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.result, err
}

func (b *testBundle) mustSync(t *testing.T, req jobs.RunRequest) store.Run {
	t.Helper()
	res, err := b.sync(t, req)
	require.NoError(t, err)
	require.NotNil(t, res)
	return res.Run
}

// platform returns the platform users linked to the integration by their
// Graph ID, and fails on a duplicate.
func (b *testBundle) platform(t *testing.T) map[string]store.User {
	t.Helper()
	ctx := t.Context()
	users, err := b.app.Store.UserList(ctx, &store.EntityListParams{Limit: 1 << 20})
	require.NoError(t, err)
	out := map[string]store.User{}
	for _, u := range users {
		links, err := b.app.Store.LinkListByEntity(ctx, record.KindUser, u.ID)
		require.NoError(t, err)
		require.Len(t, links, 1, "user %d has one link", u.ID)
		_, dup := out[links[0].ExternalID]
		require.False(t, dup, "source user %s became two platform users", links[0].ExternalID)
		out[links[0].ExternalID] = u
	}
	return out
}

func (b *testBundle) cursor(t *testing.T) store.Cursor {
	t.Helper()
	in, err := b.app.Store.IntegrationGet(t.Context(), "t")
	require.NoError(t, err)
	c, err := b.app.Store.CursorGet(t.Context(), in.ID)
	require.NoError(t, err)
	return c
}

// requireMirrors checks that the platform holds exactly the tenant's
// users, active as the tenant has them.
func (b *testBundle) requireMirrors(t *testing.T) {
	t.Helper()
	got := b.platform(t)
	want := b.em.Users()
	active := 0
	for _, u := range want {
		p, ok := got[u.ID]
		if !u.AccountEnabled && !ok {
			continue // disabled before it was ever imported
		}
		require.True(t, ok, "user %s (%s) imported", u.ID, u.UserPrincipalName)
		require.Equal(t, u.AccountEnabled, p.Active, "active state of %s", u.UserPrincipalName)
		require.Equal(t, u.UserPrincipalName, p.UPN)
		require.Equal(t, u.DisplayName, p.DisplayName)
		if p.Active {
			active++
		}
	}
	n := 0
	for _, p := range got {
		if p.Active {
			n++
		}
	}
	require.Equal(t, active, n, "no platform user is active that the tenant does not have enabled")
}

const allUsers = `    scope: {all_users: true, default_site: Main}
    threshold: {max_count: -1, max_percent: -1}`

func TestEntraFirstSyncThenNoOpWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, 1500, 6, `    scope:
      mappings:
        - {group: Sales, site: London}
        - {group: Support, site: Leeds, role: agent}`, graph.Options{})
	run := b.mustSync(t, jobs.RunRequest{})
	require.Equal(t, store.RunSucceeded, run.Status)
	require.True(t, run.Full)
	require.Equal(t, int64(6), run.ByKind[record.KindGroup].Created)

	// Users in Sales are in London, in Support are agents in Leeds, the
	// rest are out of scope.
	groups := map[string]string{}
	for _, g := range b.em.Groups() {
		groups[g.DisplayName] = g.ID
	}
	sales, support := map[string]bool{}, map[string]bool{}
	for _, id := range b.em.Members(groups["Sales"]) {
		sales[id] = true
	}
	for _, id := range b.em.Members(groups["Support"]) {
		support[id] = true
	}
	sites := map[int64]string{}
	ss, err := b.app.Store.SiteList(t.Context())
	require.NoError(t, err)
	for _, s := range ss {
		sites[s.ID] = s.Name
	}
	got := b.platform(t)
	inScope := 0
	for _, u := range b.em.Users() {
		p, ok := got[u.ID]
		if !sales[u.ID] && !support[u.ID] {
			require.False(t, ok, "%s is in no mapped group", u.UserPrincipalName)
			continue
		}
		if !u.AccountEnabled {
			require.False(t, ok, "%s is disabled at source: not imported", u.UserPrincipalName)
			continue
		}
		inScope++
		require.True(t, ok)
		if sales[u.ID] {
			require.Equal(t, "London", sites[p.SiteID], "first mapping wins the site")
		} else {
			require.Equal(t, "Leeds", sites[p.SiteID])
		}
		require.Equal(t, support[u.ID], p.Role == store.RoleAgent)
	}
	require.Len(t, got, inScope)
	require.Equal(t, int64(inScope), run.ByKind[record.KindUser].Created)

	// Group memberships are there.
	gs, err := b.app.Store.GroupList(t.Context(), &store.EntityListParams{Search: "Sales"})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	members, err := b.app.Store.GroupMembers(t.Context(), gs[0].ID)
	require.NoError(t, err)
	enabledSales := 0
	for id := range sales {
		if u, _ := b.em.UserByID(id); u.AccountEnabled {
			enabledSales++
		}
	}
	require.Len(t, members, enabledSales)

	// No change at the source: a delta and a full resync write nothing.
	run = b.mustSync(t, jobs.RunRequest{})
	require.False(t, run.Full)
	require.Zero(t, run.Counts.Writes)
	run = b.mustSync(t, jobs.RunRequest{Full: true})
	require.True(t, run.Full)
	require.Zero(t, run.Counts.Writes, "a no-op full resync writes no row")
	require.Zero(t, run.Counts.Created+run.Counts.Updated+run.Counts.Deactivated+run.Counts.Reactivated)
}

func TestEntraDeltaChanges(t *testing.T) {
	t.Parallel()
	b := setup(t, 300, 4, `    scope:
      mappings:
        - {group: Sales, site: London}
        - {group: Support, site: Leeds}`, graph.Options{})
	b.mustSync(t, jobs.RunRequest{})
	groups := map[string]string{}
	for _, g := range b.em.Groups() {
		groups[g.DisplayName] = g.ID
	}
	sales := b.enabledOnlyIn(t, groups["Sales"], groups["Support"])
	support := b.enabledOnlyIn(t, groups["Support"], groups["Sales"])
	require.GreaterOrEqual(t, len(sales), 8)
	require.GreaterOrEqual(t, len(support), 2)
	before := b.platform(t)

	// Each change in a run of its own.
	hire := b.em.AddUser(graph.User{UserPrincipalName: "new.hire@contoso.com", DisplayName: "New Hire", AccountEnabled: true})
	require.NoError(t, b.em.AddMember(groups["Sales"], hire))
	run := b.mustSync(t, jobs.RunRequest{})
	require.Equal(t, int64(1), run.ByKind[record.KindUser].Created)
	require.Equal(t, "New Hire", b.platform(t)[hire].DisplayName)

	require.NoError(t, b.em.UpdateUser(sales[0], func(u *graph.User) { u.DisplayName = "Renamed Person" }))
	run = b.mustSync(t, jobs.RunRequest{})
	require.Equal(t, int64(1), run.ByKind[record.KindUser].Updated)
	require.Equal(t, "Renamed Person", b.platform(t)[sales[0]].DisplayName)

	require.NoError(t, b.em.UpdateUser(sales[1], func(u *graph.User) { u.AccountEnabled = false }))
	run = b.mustSync(t, jobs.RunRequest{})
	require.Equal(t, int64(1), run.ByKind[record.KindUser].Deactivated)
	require.False(t, b.platform(t)[sales[1]].Active)

	require.NoError(t, b.em.SoftDeleteUser(sales[2]))
	run = b.mustSync(t, jobs.RunRequest{})
	require.Equal(t, int64(1), run.ByKind[record.KindUser].Deactivated)
	require.False(t, b.platform(t)[sales[2]].Active)
	require.Contains(t, b.platform(t)[sales[2]].DeactivatedReason, "removed at source")

	require.NoError(t, b.em.RestoreUser(sales[2]))
	run = b.mustSync(t, jobs.RunRequest{})
	require.Equal(t, int64(1), run.ByKind[record.KindUser].Reactivated)
	restored := b.platform(t)[sales[2]]
	require.True(t, restored.Active)
	require.Equal(t, before[sales[2]].ID, restored.ID, "restore reactivates the same platform record")

	// Group move: Sales (London) → Support (Leeds); only memberships change.
	require.NoError(t, b.em.RemoveMember(groups["Sales"], sales[3]))
	require.NoError(t, b.em.AddMember(groups["Support"], sales[3]))
	run = b.mustSync(t, jobs.RunRequest{})
	require.Equal(t, int64(1), run.ByKind[record.KindUser].Updated)
	moved := b.platform(t)[sales[3]]
	require.NotEqual(t, before[sales[3]].SiteID, moved.SiteID)

	// Member removal from the only mapped group → out of scope → deactivated.
	require.NoError(t, b.em.RemoveMember(groups["Support"], support[0]))
	run = b.mustSync(t, jobs.RunRequest{})
	require.Equal(t, int64(1), run.ByKind[record.KindUser].Deactivated)
	require.Contains(t, b.platform(t)[support[0]].DeactivatedReason, "not a member of any mapped group")

	// All of them together in one run.
	hire2 := b.em.AddUser(graph.User{UserPrincipalName: "second.hire@contoso.com", DisplayName: "Second Hire", AccountEnabled: true})
	require.NoError(t, b.em.AddMember(groups["Support"], hire2))
	require.NoError(t, b.em.UpdateUser(sales[4], func(u *graph.User) { u.JobTitle = "Head of Sales" }))
	require.NoError(t, b.em.UpdateUser(sales[5], func(u *graph.User) { u.AccountEnabled = false }))
	require.NoError(t, b.em.SoftDeleteUser(sales[6]))
	require.NoError(t, b.em.UpdateUser(sales[1], func(u *graph.User) { u.AccountEnabled = true }))
	require.NoError(t, b.em.RemoveMember(groups["Sales"], sales[7]))
	require.NoError(t, b.em.AddMember(groups["Support"], sales[7]))
	require.NoError(t, b.em.RemoveMember(groups["Support"], support[1]))
	run = b.mustSync(t, jobs.RunRequest{})
	u := run.ByKind[record.KindUser]
	require.Equal(t, int64(1), u.Created)
	require.Equal(t, int64(3), u.Deactivated, "disabled, soft-deleted, left scope")
	require.Equal(t, int64(1), u.Reactivated)
	require.Equal(t, int64(2), u.Updated, "title change and group move")
	got := b.platform(t)
	require.Equal(t, "Head of Sales", got[sales[4]].JobTitle)
	require.True(t, got[sales[1]].Active)
	require.False(t, got[support[1]].Active)

	// A full resync agrees with the deltas: nothing left to do.
	run = b.mustSync(t, jobs.RunRequest{Full: true})
	require.Zero(t, run.Counts.Created+run.Counts.Updated+run.Counts.Deactivated+run.Counts.Reactivated)
}

// enabledOnlyIn lists the enabled members of group that are not members of
// other.
func (b *testBundle) enabledOnlyIn(t *testing.T, group, other string) []string {
	t.Helper()
	not := map[string]bool{}
	for _, id := range b.em.Members(other) {
		not[id] = true
	}
	var out []string
	for _, id := range b.em.Members(group) {
		u, ok := b.em.UserByID(id)
		if ok && u.AccountEnabled && !not[id] {
			out = append(out, id)
		}
	}
	return out
}

func TestEntraExpiredDeltaTokenResyncsAndSweeps(t *testing.T) {
	t.Parallel()
	b := setup(t, 400, 3, allUsers, graph.Options{})
	b.mustSync(t, jobs.RunRequest{})
	users := b.em.Users()
	// A user is hard-deleted and the delta token expires: the removal
	// would be lost with the token; the full resync finds it missing.
	require.NoError(t, b.em.HardDeleteUser(users[10].ID))
	b.em.ExpireDeltaTokens()
	run := b.mustSync(t, jobs.RunRequest{})
	require.True(t, run.Full)
	require.Contains(t, run.Notes, "full resync")
	require.Equal(t, int64(1), run.ByKind[record.KindUser].Deactivated)
	require.False(t, b.platform(t)[users[10].ID].Active)
	b.requireMirrorsExcept(t, users[10].ID)
}

func (b *testBundle) requireMirrorsExcept(t *testing.T, gone string) {
	t.Helper()
	got := b.platform(t)
	require.False(t, got[gone].Active)
	delete(got, gone)
	for _, u := range b.em.Users() {
		require.Equal(t, u.AccountEnabled, got[u.ID].Active, u.UserPrincipalName)
	}
}

func TestEntraThrottledMidPagingCompletesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t, 700, 3, allUsers, graph.Options{})
	b.em.Inject(graph.Fault{Path: "/users/delta", After: 3, Times: 2, Status: 429, RetryAfter: "1"})
	run := b.mustSync(t, jobs.RunRequest{})
	require.Equal(t, store.RunSucceeded, run.Status)
	require.Equal(t, int64(enabled(b.em)), run.ByKind[record.KindUser].Created)
	b.requireMirrors(t)
	require.Positive(t, b.em.Stats().Throttled)
}

func TestEntraFailingPageFailsRunAndNextRunCompletes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		fault      graph.Fault
		errContain string
	}{
		// max_retries is 2: three 503s exhaust one run's attempts at a page.
		{"5xx after retries", graph.Fault{Path: "/users/delta", After: 2, Times: 3, Status: 503, RetryAfter: "0"}, "503"},
		{"malformed JSON", graph.Fault{Path: "/users/delta", After: 2, Kind: graph.FaultMalformed}, "decod"},
		{"connection cut mid-body", graph.Fault{Path: "/users/delta", After: 2, Kind: graph.FaultTruncate}, "page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupAttempts(t, 500, 3, allUsers, 1)
			b.mustSync(t, jobs.RunRequest{})
			cur := b.cursor(t)
			users := b.em.Users()
			// Changes that a full run would apply, and a removal it
			// would sweep, if it were allowed to finish.
			require.NoError(t, b.em.HardDeleteUser(users[0].ID))
			require.NoError(t, b.em.UpdateUser(users[1].ID, func(u *graph.User) { u.DisplayName = "Changed" }))
			b.em.Inject(tc.fault)
			res, err := b.sync(t, jobs.RunRequest{Full: true})
			require.Error(t, err)
			require.ErrorContains(t, err, tc.errContain)
			require.Equal(t, store.RunFailed, res.Run.Status)
			require.Zero(t, res.Run.Counts.Deactivated, "a failed run deactivates nothing")
			require.True(t, b.platform(t)[users[0].ID].Active)
			require.Equal(t, cur, b.cursor(t), "a failed run does not move the cursor")

			run := b.mustSync(t, jobs.RunRequest{Full: true})
			require.Equal(t, store.RunSucceeded, run.Status)
			require.Equal(t, int64(1), run.ByKind[record.KindUser].Deactivated)
			require.Equal(t, "Changed", b.platform(t)[users[1].ID].DisplayName)
			require.NotEqual(t, cur.Value, b.cursor(t).Value)
		})
	}
}

func TestEntraEmptyTenantIsHeldThenConfirmed(t *testing.T) {
	t.Parallel()
	b := setup(t, 300, 3, `    scope: {all_users: true}`, graph.Options{})
	b.mustSync(t, jobs.RunRequest{})
	active := activeCount(b.platform(t))
	require.Equal(t, enabled(b.em), active)
	b.em.Empty(true)
	res, err := b.sync(t, jobs.RunRequest{Full: true})
	require.NoError(t, err)
	require.True(t, res.Held)
	require.Equal(t, store.RunHeld, res.Run.Status)
	require.Contains(t, res.Run.Notes, "--allow-mass-deactivation")
	require.Equal(t, active, activeCount(b.platform(t)), "nothing was deactivated by the held run")

	run := b.mustSync(t, jobs.RunRequest{Full: true, AllowMassDeactivation: true})
	require.Equal(t, store.RunSucceeded, run.Status)
	for _, u := range b.platform(t) {
		require.False(t, u.Active)
	}
}

func TestSecretNeverLeaks(t *testing.T) {
	t.Parallel()
	b := setup(t, 50, 2, allUsers, graph.Options{})
	b.mustSync(t, jobs.RunRequest{})
	// A refused secret: the emulator now expects another.
	b.em.Inject(graph.Fault{Path: "token", Times: 100, Status: 401})
	b.em.Inject(graph.Fault{Path: "/users", Times: 100, Kind: graph.FaultExpireToken})
	_, err := b.sync(t, jobs.RunRequest{Full: true})
	require.Error(t, err)
	require.NotContains(t, err.Error(), testSecret)

	var seen []string
	seen = append(seen, b.logs.String(), err.Error())
	runs, err := b.app.Store.RunList(t.Context(), &store.RunListParams{})
	require.NoError(t, err)
	seen = append(seen, fmt.Sprintf("%+v", runs))
	audit, err := b.app.Store.AuditList(t.Context(), &store.AuditListParams{Limit: 100000})
	require.NoError(t, err)
	seen = append(seen, fmt.Sprintf("%+v", audit))
	ins, err := b.app.Store.IntegrationList(t.Context())
	require.NoError(t, err)
	seen = append(seen, fmt.Sprintf("%+v %s", ins, ins[0].Settings))
	st, err := b.app.Status(t.Context())
	require.NoError(t, err)
	seen = append(seen, fmt.Sprintf("%+v", st))
	seen = append(seen, fmt.Sprintf("%+v %v", *b.app.Config(), b.app.Config()))
	// Every API route.
	srv := httptest.NewServer(api.New(b.app.Store, b.app, slog.New(slog.NewTextHandler(b.logs, nil))))
	defer srv.Close()
	users, err := b.app.Store.UserList(t.Context(), &store.EntityListParams{Limit: 1})
	require.NoError(t, err)
	groups, err := b.app.Store.GroupList(t.Context(), &store.EntityListParams{Limit: 1})
	require.NoError(t, err)
	for _, path := range []string{"/api/v1/integrations", "/api/v1/integrations/t", "/api/v1/runs", "/api/v1/runs/1",
		"/api/v1/runs?integration=t", fmt.Sprintf("/api/v1/users/%d", users[0].ID), "/api/v1/users",
		"/api/v1/groups", fmt.Sprintf("/api/v1/groups/%d", groups[0].ID), "/api/v1/audit"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, body)
		seen = append(seen, string(body))
	}
	seen[0] = b.logs.String()
	for i, s := range seen {
		require.NotContains(t, s, testSecret, "output %d", i)
	}
	require.Contains(t, seen[0], "level=", "the logs were captured")
}

var _ io.Writer = (*syncBuffer)(nil)

func enabled(em *graph.Emulator) int {
	n := 0
	for _, u := range em.Users() {
		if u.AccountEnabled {
			n++
		}
	}
	return n
}

func activeCount(users map[string]store.User) int {
	n := 0
	for _, u := range users {
		if u.Active {
			n++
		}
	}
	return n
}
