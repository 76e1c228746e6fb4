package daemon_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/jobs/jobstest"
	"github.com/integrator-oss/integrator/internal/secretbox"
	"github.com/integrator-oss/integrator/internal/store"
)

// openOn opens an App of its own (as another process would) on the store
// setting, with one integration "t" against the bundle's tenant.
func (b *testBundle) openOn(t *testing.T, storeSetting string) *testBundle {
	t.Helper()
	o := &testBundle{em: b.em, base: b.base, dir: t.TempDir(), logs: &syncBuffer{}, store: storeSetting}
	o.open(t, allUsers, 0)
	return o
}

func TestPostgresProcessesShareTheStore(t *testing.T) {
	t.Parallel()
	dsn := jobstest.PostgresDSN(t)
	em := graph.New(graph.Options{ClientSecret: testSecret})
	em.Generate(400, 4, 7)
	srv := em.Start()
	t.Cleanup(srv.Close)
	seed := &testBundle{em: em, base: srv.URL}
	a, b := seed.openOn(t, dsn), seed.openOn(t, dsn)

	run := a.mustSync(t, jobs.RunRequest{})
	require.Equal(t, store.RunSucceeded, run.Status)
	require.True(t, run.Full)
	a.requireMirrors(t)

	// A run queued by the other process (and worked by either) continues
	// from the cursor the first committed.
	u := em.Users()[3]
	require.NoError(t, em.UpdateUser(u.ID, func(u *graph.User) { u.AccountEnabled = !u.AccountEnabled }))
	require.NoError(t, b.app.RunNow(t.Context(), jobs.RunRequest{Integration: "t"}))
	runs, err := b.app.Store.RunList(t.Context(), &store.RunListParams{Limit: 1})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	run = runs[0]
	require.Equal(t, store.RunSucceeded, run.Status)
	require.False(t, run.Full, "a delta from the shared cursor")
	require.Equal(t, int64(1), run.Counts.Deactivated+run.Counts.Reactivated+run.Counts.Updated)
	b.requireMirrors(t)
	a.requireMirrors(t)
}

func TestRunLeftByAStoppedProcessIsClosedWhenItsJobIsTakenOver(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, store string }{{"sqlite", ""}, {"postgres", "postgres"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			em := graph.New(graph.Options{ClientSecret: testSecret})
			em.Generate(50, 2, 3)
			srv := em.Start()
			t.Cleanup(srv.Close)
			seed := &testBundle{em: em, base: srv.URL}
			setting := ""
			if tc.store != "" {
				setting = jobstest.PostgresDSN(t)
			}
			b := seed.openOn(t, setting)
			ctx := t.Context()

			// A run record as a process that died mid-run leaves it.
			in, err := b.app.Store.IntegrationGet(ctx, "t")
			require.NoError(t, err)
			var stale *store.Run
			require.NoError(t, b.app.Store.Tx(ctx, func(tx store.Tx) error {
				stale, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full", Trigger: "schedule", At: time.Now()})
				return err
			}))

			run := b.mustSync(t, jobs.RunRequest{Trigger: jobs.TriggerRetry})
			require.Equal(t, store.RunSucceeded, run.Status)
			got, err := b.app.Store.RunGet(ctx, stale.ID)
			require.NoError(t, err)
			require.Equal(t, store.RunFailed, got.Status)
			require.Contains(t, got.Error, "stopped before the end")
			require.Contains(t, got.Error, "taken over")
			require.False(t, got.FinishedAt.IsZero())
			require.Contains(t, b.logs.String(), "closed runs left running by a stopped process")
		})
	}
}

func TestPostgresIntegrationCreatedThroughOneProcessRunsThroughAnother(t *testing.T) {
	dsn := jobstest.PostgresDSN(t)
	// Every process seals and opens stored secrets with the same key.
	t.Setenv(secretbox.EnvKey, "c2hhcmVkLWtleS1mb3ItYWxsLXJlcGxpY2FzLTMyYiE=")
	em := graph.New(graph.Options{ClientSecret: testSecret})
	em.Generate(30, 3, 7)
	base := em.StartTest(t)
	path := filepath.Join(t.TempDir(), "integrator.yaml")
	require.NoError(t, os.WriteFile(path, []byte("store: "+dsn+"\n"), 0o600))
	open := func() *daemon.App {
		cfg, err := config.Load(path, all.Registry())
		require.NoError(t, err)
		app, err := daemon.Open(t.Context(), cfg, slog.New(slog.DiscardHandler), daemon.Options{MaxAttempts: 1})
		require.NoError(t, err)
		require.NoError(t, app.StartJobs(context.WithoutCancel(t.Context()), true))
		t.Cleanup(func() {
			app.StopJobs(context.Background())
			app.Close()
		})
		return app
	}
	a, b := open(), open()

	_, err := a.IntegrationCreate(t.Context(), entraDoc(em, base))
	require.NoError(t, err)
	// b has not reloaded yet (no watcher runs here): it finds the new
	// integration when asked for it, and whichever process works the job
	// knows it.
	require.NoError(t, b.RunNow(t.Context(), jobs.RunRequest{Integration: "api-entra", Full: true, Trigger: jobs.TriggerAPI}))
	st, err := a.Status(t.Context())
	require.NoError(t, err)
	require.Len(t, st, 1)
	require.Equal(t, store.RunSucceeded, st[0].LastRun.Status)
	require.Positive(t, st[0].ActiveUsers)
}
