package main_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/jobs/jobstest"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/postgres"
)

// These tests run several `integrator serve` processes of the real binary
// on one PostgreSQL database, each an ordinary replica with the same
// configuration, against Graph emulators.

// heavy reports whether the long variants were asked for.
func heavy() bool { return os.Getenv("INTEGRATOR_HEAVY") == "1" }

// sharedKey seals the secrets of API-created integrations alike in every
// replica, as a deployment of several processes must.
const sharedKey = "c2hhcmVkLWtleS1mb3ItYWxsLXJlcGxpY2FzLTMyYiE="

// tenant is one emulated Entra ID tenant and its server.
type tenant struct {
	em   *graph.Emulator
	base string
}

// newTenant starts tenant i: its own tenant ID, domain and generated
// directory, so no two tenants share a user key.
func newTenant(t *testing.T, i, users, groups int, o graph.Options, wrap func(http.Handler) http.Handler) tenant {
	t.Helper()
	o.ClientSecret = e2eSecret
	o.TenantID = fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)
	o.Domain = fmt.Sprintf("t%04d.example.com", i)
	o.Organization = fmt.Sprintf("Tenant %d", i)
	em := graph.New(o)
	em.Generate(users, groups, int64(i+1))
	h := em.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return tenant{em: em, base: srv.URL}
}

// writeMultiConfig writes one config for every replica: the store on
// PostgreSQL and one integration per tenant, named i0000, i0001, ...
func writeMultiConfig(t *testing.T, dir, dsn string, tenants []tenant, integration string) string {
	t.Helper()
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, []byte(e2eSecret), 0o600))
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s\nlisten: 127.0.0.1:0\nintegrations:\n", dsn)
	for i, tn := range tenants {
		fmt.Fprintf(&b, `  - name: i%04d
    type: entra
%s
    config:
      tenant_id: %s
      client_id: %s
      client_secret: {file: %s}
      token_url: %s
      graph_url: %s
`, i, integration, tn.em.TenantID(), tn.em.ClientID(), secret, tn.em.TokenURL(tn.base), tn.em.GraphURL(tn.base))
	}
	path := filepath.Join(dir, "integrator.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// node is one `integrator serve` process.
type node struct {
	name   string
	cmd    *exec.Cmd
	logs   *syncBuf
	done   chan error
	termed bool
}

func startNode(t *testing.T, name, cfg string) *node {
	t.Helper()
	n := &node{name: name, logs: &syncBuf{}, done: make(chan error, 1)}
	n.cmd = exec.Command(binary, "-c", cfg, "serve")
	n.cmd.Env = append(os.Environ(), "INTEGRATOR_CONFIG=", "INTEGRATOR_SECRET_KEY="+sharedKey)
	n.cmd.Stdout, n.cmd.Stderr = n.logs, n.logs
	require.NoError(t, n.cmd.Start())
	go func() { n.done <- n.cmd.Wait() }()
	t.Cleanup(func() {
		if n.cmd.ProcessState == nil {
			_ = n.cmd.Process.Kill()
			<-n.done
		}
		if t.Failed() {
			t.Logf("%s logs (tail):\n%s", n.name, tail(n.logs.String(), 4000))
		}
	})
	return n
}

// term sends SIGTERM, once.
func (n *node) term(t *testing.T) {
	t.Helper()
	if !n.termed {
		require.NoError(t, n.cmd.Process.Signal(syscall.SIGTERM))
		n.termed = true
	}
}

// stop sends SIGTERM unless term did, and waits for a clean exit.
func (n *node) stop(t *testing.T) {
	t.Helper()
	n.term(t)
	select {
	case err := <-n.done:
		require.NoError(t, err, "%s: clean shutdown on SIGTERM:\n%s", n.name, tail(n.logs.String(), 4000))
	case <-time.After(90 * time.Second):
		t.Fatalf("%s did not stop within 90s of SIGTERM", n.name)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *node) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, n.cmd.Process.Signal(syscall.SIGKILL))
	<-n.done
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// openStore opens the shared store from the test, as a reader.
func openStore(t *testing.T, dsn string) store.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// runsOf returns every run record of an integration, oldest first.
func runsOf(t *testing.T, st store.Store, name string) []store.Run {
	t.Helper()
	in, err := st.IntegrationGet(t.Context(), name)
	require.NoError(t, err)
	runs, err := st.RunList(t.Context(), &store.RunListParams{IntegrationID: in.ID, Limit: 100_000})
	require.NoError(t, err)
	sort.Slice(runs, func(i, j int) bool { return runs[i].ID < runs[j].ID })
	return runs
}

// startedRuns is runsOf without the skipped ticks.
func startedRuns(t *testing.T, st store.Store, name string) []store.Run {
	t.Helper()
	var out []store.Run
	for _, r := range runsOf(t, st, name) {
		if r.Status != store.RunSkipped {
			out = append(out, r)
		}
	}
	return out
}

func TestMultiNodeRunsNeverOverlapTicksAreKeptAndAllConverge(t *testing.T) {
	dsn := jobstest.PostgresDSN(t)
	const every = 10 * time.Second // config.MinInterval
	integrations, users, window := 200, 20, 100*time.Second
	if heavy() {
		window = 6 * time.Minute
	}
	// Every twentieth tenant answers so slowly that its runs outlast the
	// interval: its ticks find a run going and are skipped, and its runs
	// hold workers that the others then wait for.
	tenants := make([]tenant, integrations)
	for i := range tenants {
		var wrap func(http.Handler) http.Handler
		if i%20 == 0 {
			wrap = slowGraph(4 * time.Second)
		}
		tenants[i] = newTenant(t, i, users, 3, graph.Options{PageSize: 10}, wrap)
	}
	cfg := writeMultiConfig(t, t.TempDir(), dsn, tenants, `    schedule: 10s
    full_sync_every: 1m
    scope: {all_users: true}
    threshold: {max_count: -1, max_percent: -1}`)

	began := time.Now()
	nodes := []*node{startNode(t, "node1", cfg), startNode(t, "node2", cfg), startNode(t, "node3", cfg)}

	// Halfway, the tenants change: every integration must catch up.
	time.Sleep(window / 2)
	for _, tn := range tenants {
		us := tn.em.Users()
		require.NoError(t, tn.em.UpdateUser(us[0].ID, func(u *graph.User) { u.DisplayName += " (renamed)" }))
		require.NoError(t, tn.em.UpdateUser(us[1].ID, func(u *graph.User) { u.AccountEnabled = !u.AccountEnabled }))
		tn.em.AddUser(graph.User{
			DisplayName: "New Starter", UserPrincipalName: "new.starter@" + strings.SplitN(us[0].UserPrincipalName, "@", 2)[1],
			AccountEnabled: true, GivenName: "New", Surname: "Starter",
		})
	}
	time.Sleep(window - time.Since(began))
	// All at once: a leader still running while the others shut down
	// would go on ticking past the window.
	stopped := time.Now()
	for _, n := range nodes {
		n.term(t)
	}
	for _, n := range nodes {
		n.stop(t)
	}
	t.Logf("3 processes, %d integrations every %s, for %s", integrations, every, stopped.Sub(began).Round(time.Second))

	st := openStore(t, dsn)
	var totalRuns, totalSkips, failed int
	var firstTick time.Time
	all := make([][]store.Run, integrations)
	for i := range integrations {
		all[i] = runsOf(t, st, fmt.Sprintf("i%04d", i))
		for _, r := range all[i] {
			if r.Trigger == "schedule" && (firstTick.IsZero() || r.StartedAt.Before(firstTick)) {
				firstTick = r.StartedAt
			}
		}
	}
	require.False(t, firstTick.IsZero(), "no scheduled run at all")
	// Ticks come every interval from the leader's first one; one more or
	// one fewer at the edges of the window.
	wantTicks := int(stopped.Sub(firstTick)/every) + 1
	for i, runs := range all {
		name := fmt.Sprintf("i%04d", i)
		var real []store.Run
		ticks := 0
		for _, r := range runs {
			switch {
			case r.Status == store.RunSkipped:
				totalSkips++
				ticks++
				continue
			case r.Trigger == "schedule":
				ticks++
			}
			require.NotEqual(t, store.RunRunning, r.Status, "%s: run %d still running after every process stopped", name, r.ID)
			if r.Status == store.RunFailed {
				failed++
				t.Logf("%s: run %d failed: %s", name, r.ID, r.Error)
			}
			real = append(real, r)
		}
		totalRuns += len(real)
		sort.Slice(real, func(a, b int) bool { return real[a].StartedAt.Before(real[b].StartedAt) })
		for k := 1; k < len(real); k++ {
			require.False(t, real[k].StartedAt.Before(real[k-1].FinishedAt),
				"%s: run %d started at %s before run %d finished at %s", name,
				real[k].ID, real[k].StartedAt.Format(time.StampMicro), real[k-1].ID, real[k-1].FinishedAt.Format(time.StampMicro))
		}
		if ticks < wantTicks-2 || ticks > wantTicks+1 {
			t.Logf("%s: %d ticks where %d were due:\n%s%s", name, ticks, wantTicks, tickTimeline(runs), tickJobs(t, dsn, name))
		}
		require.GreaterOrEqual(t, ticks, wantTicks-2, "%s: %d ticks (runs and skips) where %d were due: ticks lost", name, ticks, wantTicks)
		require.LessOrEqual(t, ticks, wantTicks+1, "%s: %d ticks where %d were due: ticks enqueued twice", name, ticks, wantTicks)
	}
	require.Zero(t, failed, "failed runs")
	t.Logf("%d runs and %d skipped ticks; %d ticks were due per integration", totalRuns, totalSkips, wantTicks)
	require.NotZero(t, totalSkips, "the slow tenants' runs outlast the interval: some ticks must have been skipped")

	// Every integration converged on its tenant, with no duplicate.
	for i, tn := range tenants {
		requireConverged(t, st, fmt.Sprintf("i%04d", i), tn.em)
	}

	// River spread the runs over the three processes.
	conn, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	defer conn.Close(t.Context())
	var workers int
	require.NoError(t, conn.QueryRow(t.Context(),
		`SELECT count(DISTINCT attempted_by[1]) FROM river_job WHERE kind = 'integrator_sync' AND state = 'completed'`).Scan(&workers))
	require.Equal(t, 3, workers, "runs worked by every process")
}

// tickTimeline lists an integration's scheduled runs and skips.
func tickTimeline(runs []store.Run) string {
	var b strings.Builder
	for _, r := range runs {
		if r.Status == store.RunSkipped || r.Trigger == "schedule" {
			fmt.Fprintf(&b, "  %s run %d %s\n", r.StartedAt.Format("15:04:05.000"), r.ID, r.Status)
		}
	}
	return b.String()
}

// tickJobs lists the tick jobs River kept for an integration.
func tickJobs(t *testing.T, dsn, name string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), `SELECT id, state, attempt, created_at, attempted_by, errors::text FROM river_job
		WHERE kind = 'integrator_tick' AND args->>'integration' = $1 ORDER BY id`, name)
	require.NoError(t, err)
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id int64
		var state string
		var attempt int
		var created time.Time
		var by []string
		var errs *string
		require.NoError(t, rows.Scan(&id, &state, &attempt, &created, &by, &errs))
		fmt.Fprintf(&b, "  tick job %d %s attempt %d created %s by %v errors %v\n", id, state, attempt, created.Format("15:04:05.000"), by, errs)
	}
	return b.String()
}

// requireConverged checks that the integration's platform users are the
// tenant's enabled users, each exactly once and up to date.
func requireConverged(t *testing.T, st store.Store, name string, em *graph.Emulator) {
	t.Helper()
	ctx := t.Context()
	in, err := st.IntegrationGet(ctx, name)
	require.NoError(t, err)
	want := map[string]graph.User{}
	enabled := 0
	for _, u := range em.Users() {
		want[u.ID] = u
		if u.AccountEnabled {
			enabled++
		}
	}
	c, err := st.EntityCount(ctx, in.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, int64(enabled), c.Active, "%s: active users", name)

	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	seen := map[int64]string{}
	for chunk := range slices.Chunk(ids, 1000) {
		links, err := st.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: in.ID, Kind: record.KindUser, ExternalIDs: chunk})
		require.NoError(t, err)
		var entityIDs []int64
		for _, l := range links {
			if l.EntityID == 0 {
				continue
			}
			other, dup := seen[l.EntityID]
			require.False(t, dup, "%s: users %s and %s share platform user %d", name, other, l.ExternalID, l.EntityID)
			seen[l.EntityID] = l.ExternalID
			entityIDs = append(entityIDs, l.EntityID)
		}
		got, err := st.UserGetMany(ctx, entityIDs)
		require.NoError(t, err)
		for _, p := range got {
			u := want[seen[p.ID]]
			require.Equal(t, u.UserPrincipalName, p.UPN, "%s: UPN of %s", name, u.ID)
			require.Equal(t, u.DisplayName, p.DisplayName, "%s: name of %s", name, u.UserPrincipalName)
			require.Equal(t, u.AccountEnabled, p.Active, "%s: active state of %s", name, u.UserPrincipalName)
		}
	}
	for id, u := range want {
		if !u.AccountEnabled {
			continue
		}
		require.True(t, slices.Contains(mapValues(seen), id), "%s: enabled user %s not imported", name, u.UserPrincipalName)
	}
}

func mapValues(m map[int64]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// slowGraph delays every Graph page by d, as a far-away or loaded tenant
// does; the token endpoint answers at once.
func slowGraph(d time.Duration) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/v1.0/") {
				select {
				case <-time.After(d):
				case <-r.Context().Done():
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestMultiNodeKilledProcessRunIsCompletedByAnother(t *testing.T) {
	// The job of a dead process waits for its run timeout, the rescue
	// grace (30 s) and the rescuer's next look (every 30 s) before another
	// process takes it over, and the run timeout must hold a whole run:
	// this takes minutes, so it runs in CI and in the heavy suite only.
	// 10,000 users are enough for the engine to have committed a
	// transaction of 8,000 records before the kill and to have more to do
	// after it.
	users, runTimeout := 10_000, "2m"
	switch {
	case heavy():
		users, runTimeout = 50_000, "6m"
	case os.Getenv("CI") == "":
		t.Skip("takes several minutes: runs with CI=true (10,000 users) or INTEGRATOR_HEAVY=1 (50,000 users)")
	}
	dsn := jobstest.PostgresDSN(t)
	tn := newTenant(t, 0, users, 20, graph.Options{PageSize: 200, DisableReplay: true}, slowGraph(20*time.Millisecond))
	cfg := writeMultiConfig(t, t.TempDir(), dsn, []tenant{tn}, fmt.Sprintf(`    schedule: 10s
    run_timeout: %s
    scope: {all_users: true}
    threshold: {max_count: -1, max_percent: -1}`, runTimeout))

	nodes := []*node{startNode(t, "node1", cfg), startNode(t, "node2", cfg), startNode(t, "node3", cfg)}

	// Wait for the first run to be well under way, then kill -9 the
	// process running it.
	conn, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	defer conn.Close(t.Context())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var n int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FROM users`).Scan(&n)
		if err == nil && n >= users/4 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the first run did not get going")
		time.Sleep(20 * time.Millisecond)
	}
	var victim *node
	for _, n := range nodes {
		if strings.Contains(n.logs.String(), `msg="run started" integration=i0000`) {
			victim = n
		}
	}
	require.NotNil(t, victim, "no process logged the run's start")
	victim.kill(t)
	killed := time.Now()
	st := openStore(t, dsn)
	runs := startedRuns(t, st, "i0000")
	require.Len(t, runs, 1)
	require.Equal(t, store.RunRunning, runs[0].Status, "the kill came before the end")
	cur, err := st.CursorGet(t.Context(), 1)
	require.NoError(t, err)
	require.Empty(t, cur.Value, "no cursor committed by the killed run")

	// Another process takes the job over once the run timeout and the
	// rescue grace have passed, and finishes the run.
	var done *store.Run
	for done == nil {
		require.Less(t, time.Since(killed), 20*time.Minute, "the killed process's run was never completed")
		time.Sleep(time.Second)
		for _, r := range startedRuns(t, st, "i0000") {
			if r.Status == store.RunSucceeded {
				done = &r
				break
			}
		}
	}
	t.Logf("run of %d users completed by another process %s after the kill", users, time.Since(killed).Round(time.Second))
	require.Equal(t, "retry", done.Trigger, "the rescued job's next attempt")
	runs = startedRuns(t, st, "i0000")
	require.Equal(t, store.RunFailed, runs[0].Status, "the killed run is closed")
	require.Contains(t, runs[0].Error, "taken over")
	for _, n := range nodes {
		if n != victim {
			n.stop(t)
		}
	}

	// The end state is that of an uninterrupted run: every user once,
	// links unique, groups and their members complete.
	requireConverged(t, st, "i0000", tn.em)
	var dupLinks, userRows, linkRows int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT 1 FROM links GROUP BY integration_id, kind, external_id HAVING count(*) > 1) d`).Scan(&dupLinks))
	require.Zero(t, dupLinks, "duplicate links")
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM users`).Scan(&userRows))
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(DISTINCT entity_id) FROM links WHERE kind = 'user' AND entity_id IS NOT NULL`).Scan(&linkRows))
	require.Equal(t, linkRows, userRows, "every platform user linked, none twice")
	for _, g := range tn.em.Groups() {
		gs, err := st.GroupList(t.Context(), &store.EntityListParams{Search: g.DisplayName})
		require.NoError(t, err)
		var id int64
		for _, pg := range gs {
			if pg.Name == g.DisplayName {
				id = pg.ID
			}
		}
		require.NotZero(t, id, "group %s imported", g.DisplayName)
		members, err := st.GroupMembers(t.Context(), id)
		require.NoError(t, err)
		enabled := 0
		for _, m := range tn.em.Members(g.ID) {
			if u, ok := tn.em.UserByID(m); ok && u.AccountEnabled {
				enabled++
			}
		}
		require.Len(t, members, enabled, "members of %s", g.DisplayName)
	}
}
