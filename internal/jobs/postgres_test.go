package jobs

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/jobs/jobstest"
)

// These tests run several schedulers on one PostgreSQL database, each with
// its own pool and River client, as separate processes would.

func TestPostgresProcessesStartTogether(t *testing.T) {
	t.Parallel()
	dsn := jobstest.PostgresDSN(t)
	runner := newFakeRunner(func(context.Context, RunRequest, int) error { return nil })

	// All migrate River's tables at once on an empty database.
	const n = 4
	scheds := make([]*Scheduler, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { scheds[i], errs[i] = OpenPostgres(t.Context(), dsn, testConfig(t, runner)) })
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "scheduler %d", i)
		t.Cleanup(func() { require.NoError(t, scheds[i].Close()) })
	}
	for _, s := range scheds {
		start(t, s)
	}
	id, err := scheds[0].RunNow(t.Context(), RunRequest{Integration: "contoso"})
	require.NoError(t, err)
	require.NoError(t, scheds[n-1].Wait(t.Context(), id), "any process sees the run end")
	require.Equal(t, 1, runner.count("contoso"))
}

func TestPostgresOpenErrorsNameNoSecret(t *testing.T) {
	t.Parallel()
	runner := newFakeRunner(func(context.Context, RunRequest, int) error { return nil })
	_, err := OpenPostgres(t.Context(), "postgres://u:s3cret-pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", testConfig(t, runner))
	require.ErrorContains(t, err, "127.0.0.1:1/db")
	require.NotContains(t, err.Error(), "s3cret-pw")
	_, err = OpenPostgres(t.Context(), "postgres://u:s3cret-pw@[bad", testConfig(t, runner))
	require.ErrorContains(t, err, "invalid PostgreSQL connection string")
	require.NotContains(t, err.Error(), "s3cret-pw")
}

func TestPostgresProcessesNeverOverlapAndTickOnce(t *testing.T) {
	t.Parallel()
	dsn := jobstest.PostgresDSN(t)

	// Three periodic schedulers share one runner log. Ticks every 300ms,
	// runs take 500ms: most ticks find a run going, in whichever process.
	const every = 300 * time.Millisecond
	runner := newFakeRunner(func(ctx context.Context, _ RunRequest, _ int) error {
		return sleepCtx(ctx, 500*time.Millisecond)
	})
	skips := &fakeSkips{}
	var scheds []*Scheduler
	for range 3 {
		cfg := testConfig(t, runner)
		cfg.Skips = skips
		cfg.Periodic = true
		cfg.Schedules = []Schedule{{Name: "contoso", Enabled: true, Every: every}}
		s := testDrivers[1].openAt(t, dsn, cfg)
		start(t, s)
		scheds = append(scheds, s)
	}
	began := time.Now()
	time.Sleep(4 * time.Second)
	for _, s := range scheds {
		stopCtx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		require.NoError(t, s.Stop(stopCtx))
		cancel()
	}
	elapsed := time.Since(began)

	runs := runner.runsOf("contoso")
	require.GreaterOrEqual(t, len(runs), 3)
	sort.Slice(runs, func(i, j int) bool { return runs[i].start.Before(runs[j].start) })
	for i := 1; i < len(runs); i++ {
		require.False(t, runs[i].start.Before(runs[i-1].end),
			"run %d started at %s before run %d ended at %s", i, runs[i].start, i-1, runs[i-1].end)
	}
	// Only the leader enqueues ticks: each tick is one run or one skip,
	// not one per process. The first tick comes one interval after the
	// leader is elected.
	ticks := len(runs) + len(skips.list())
	maxTicks := int(elapsed/every) + 1
	require.LessOrEqual(t, ticks, maxTicks, "%d runs and %d skips in %s: ticks enqueued by more than one process", len(runs), len(skips.list()), elapsed)
	require.GreaterOrEqual(t, ticks, maxTicks/2, "ticks lost")
}

func TestPostgresRunNowAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn := jobstest.PostgresDSN(t)
	release := make(chan struct{})
	runner := newFakeRunner(func(ctx context.Context, _ RunRequest, _ int) error { return blockUntil(ctx, release) })
	a := testDrivers[1].openAt(t, dsn, testConfig(t, runner))
	b := testDrivers[1].openAt(t, dsn, testConfig(t, runner))
	start(t, a)
	start(t, b)

	id, err := a.RunNow(t.Context(), RunRequest{Integration: "contoso"})
	require.NoError(t, err)
	runner.waitStarted(t)
	dup, err := b.RunNow(t.Context(), RunRequest{Integration: "contoso", Trigger: TriggerAPI})
	require.ErrorIs(t, err, ErrAlreadyRunning, "the other process sees the run")
	require.Equal(t, id, dup)
	close(release)
	require.NoError(t, b.Wait(t.Context(), id))
	require.Equal(t, 1, runner.count("contoso"))
}

func TestPostgresRescuesDeadProcessJob(t *testing.T) {
	t.Parallel()
	dsn := jobstest.PostgresDSN(t)
	killed := time.Now()
	id := crashMidRun(t, dsn)

	runner := newFakeRunner(func(context.Context, RunRequest, int) error { return nil })
	cfg := testConfig(t, runner)
	cfg.RescueGrace = time.Second
	cfg.Schedules = []Schedule{{Name: "contoso", Enabled: true, RunTimeout: time.Second}}
	s := testDrivers[1].openAt(t, dsn, cfg)

	row, err := s.client.JobGet(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateRunning, row.State, "the dead process left its job running")

	// No RescueOrphans: River's rescuer, on whichever process is elected
	// once the dead leader's term lapses, makes the job available again.
	start(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	require.NoError(t, s.Wait(ctx, id))
	t.Logf("job of the killed process completed elsewhere %s after the kill", time.Since(killed).Round(time.Second))
	runs := runner.runsOf("contoso")
	require.Len(t, runs, 1)
	require.Equal(t, TriggerRetry, runs[0].req.Trigger)

	row, err = s.client.JobGet(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, 2, row.Attempt)
	require.Len(t, row.AttemptedBy, 2)
	require.NotEqual(t, row.AttemptedBy[0], row.AttemptedBy[1], "worked by another process")
}

func TestRescueWaitsForRunTimeoutAndGrace(t *testing.T) {
	t.Parallel()
	// River's rescuer leaves a running job alone until the worker's
	// timeout has passed: the run's own timeout plus the grace, so a live
	// run cancelled at its timeout has time to return first.
	runner := newFakeRunner(func(context.Context, RunRequest, int) error { return nil })
	cfg := testConfig(t, runner)
	cfg.RescueGrace = 45 * time.Second
	cfg.Schedules = []Schedule{{Name: "contoso", Enabled: true, RunTimeout: time.Hour}}
	s, _ := openTest(t, cfg)
	w := &syncWorker{s: s}
	require.Equal(t, time.Hour+45*time.Second, w.Timeout(&river.Job[syncArgs]{Args: syncArgs{Integration: "contoso"}}))
	require.Equal(t, DefaultRunTimeout+45*time.Second, w.Timeout(&river.Job[syncArgs]{Args: syncArgs{Integration: "unknown"}}))
}
