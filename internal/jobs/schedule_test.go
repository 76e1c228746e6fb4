package jobs

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/require"
)

func TestScheduleNeverOverlapsAndRecordsSkips(t *testing.T) {
	forEachDriver(t, testScheduleNeverOverlapsAndRecordsSkips)
}

func testScheduleNeverOverlapsAndRecordsSkips(t *testing.T, d testDriver) {

	// Ticks every 200ms, runs take 700ms: most ticks find a run going.
	runner := newFakeRunner(func(ctx context.Context, _ RunRequest, _ int) error {
		return sleepCtx(ctx, 700*time.Millisecond)
	})
	skips := &fakeSkips{}
	cfg := testConfig(t, runner)
	cfg.Skips = skips
	cfg.Periodic = true
	cfg.Schedules = []Schedule{{Name: "contoso", Enabled: true, Every: 200 * time.Millisecond}}
	s, _ := d.openTest(t, cfg)
	start(t, s)

	require.Eventually(t, func() bool {
		return runner.count("contoso") >= 3 && len(skips.list()) >= 3
	}, 20*time.Second, 20*time.Millisecond)
	stopCtx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.Stop(stopCtx))

	runs := runner.runsOf("contoso")
	sort.Slice(runs, func(i, j int) bool { return runs[i].start.Before(runs[j].start) })
	for i, r := range runs {
		require.False(t, r.end.IsZero(), "run %d still going after a graceful stop", i)
		require.NoError(t, r.ctxErr, "run %d was cancelled", i)
		require.Equal(t, TriggerSchedule, r.req.Trigger)
		if i > 0 {
			require.False(t, r.start.Before(runs[i-1].end),
				"run %d started at %s before run %d ended at %s", i, r.start, i-1, runs[i-1].end)
		}
	}
	for _, sk := range skips.list() {
		require.Equal(t, "contoso: "+skipReason, sk)
	}
}

func TestTwoIntegrationsRunConcurrently(t *testing.T) {
	forEachDriver(t, testTwoIntegrationsRunConcurrently)
}

func testTwoIntegrationsRunConcurrently(t *testing.T, d testDriver) {

	// Each run waits until both have started: if they could not run at the
	// same time, the first would give up after 5s and fail.
	bothStarted := make(chan struct{})
	arrived := make(chan struct{}, 2)
	go func() {
		<-arrived
		<-arrived
		close(bothStarted)
	}()
	runner := newFakeRunner(func(ctx context.Context, _ RunRequest, _ int) error {
		arrived <- struct{}{}
		select {
		case <-bothStarted:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("the other integration never started")
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	s, _ := d.openTest(t, testConfig(t, runner))
	start(t, s)

	idA, err := s.RunNow(t.Context(), RunRequest{Integration: "a"})
	require.NoError(t, err)
	idB, err := s.RunNow(t.Context(), RunRequest{Integration: "b"})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t.Context(), idA))
	require.NoError(t, s.Wait(t.Context(), idB))

	a, b := runner.runsOf("a"), runner.runsOf("b")
	require.Len(t, a, 1)
	require.Len(t, b, 1)
	require.True(t, a[0].start.Before(b[0].end) && b[0].start.Before(a[0].end), "runs did not overlap")
}

func TestSetSchedulesAddsAndRemoves(t *testing.T) { forEachDriver(t, testSetSchedulesAddsAndRemoves) }

func testSetSchedulesAddsAndRemoves(t *testing.T, d testDriver) {

	runner := newFakeRunner(func(context.Context, RunRequest, int) error { return nil })
	cfg := testConfig(t, runner)
	cfg.Periodic = true
	every := 200 * time.Millisecond
	cfg.Schedules = []Schedule{{Name: "a", Enabled: true, Every: every}}
	s, _ := d.openTest(t, cfg)
	start(t, s)
	ctx := t.Context()

	require.Eventually(t, func() bool { return runner.count("a") >= 1 }, 10*time.Second, 10*time.Millisecond)
	_, ok := s.Next("b")
	require.False(t, ok)

	require.NoError(t, s.SetSchedules(ctx, []Schedule{{Name: "b", Enabled: true, Every: every}}))
	_, ok = s.Next("a")
	require.False(t, ok, "a removed")
	nextB, ok := s.Next("b")
	require.True(t, ok, "b added")
	require.WithinDuration(t, time.Now().Add(every), nextB, every)

	// Runs are fetched in insertion order, so once b has run, a run of a
	// queued before the change has started too.
	require.Eventually(t, func() bool { return runner.count("b") >= 1 }, 10*time.Second, 10*time.Millisecond)
	aRuns := runner.count("a")
	require.Eventually(t, func() bool { return runner.count("b") >= 4 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, aRuns, runner.count("a"), "a still runs after its removal")

	// A new timeout alone keeps the tick; an invalid list changes nothing.
	trackedOf := func(name string) *trackedSchedule {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.entries[name].tracked
	}
	before := trackedOf("b")
	require.NoError(t, s.SetSchedules(ctx, []Schedule{{Name: "b", Enabled: true, Every: every, RunTimeout: time.Minute}}))
	require.Equal(t, time.Minute, s.runTimeout("b"))
	require.Same(t, before, trackedOf("b"), "periodic job replaced on a timeout change")
	require.NoError(t, s.SetSchedules(ctx, []Schedule{{Name: "b", Enabled: true, Every: 2 * every, RunTimeout: time.Minute}}))
	require.NotSame(t, before, trackedOf("b"), "periodic job kept on an interval change")
	require.NoError(t, s.SetSchedules(ctx, []Schedule{{Name: "b", Enabled: true, Every: every, RunTimeout: time.Minute}}))

	err := s.SetSchedules(ctx, []Schedule{{Name: "b", Enabled: true, Cron: "not cron"}})
	require.ErrorContains(t, err, `schedule "b"`)
	_, ok = s.Next("b")
	require.True(t, ok)
	require.Equal(t, time.Minute, s.runTimeout("b"))

	// Disabling stops the ticks and refuses RunNow.
	require.NoError(t, s.SetSchedules(ctx, []Schedule{{Name: "b", Enabled: false, Every: every}}))
	_, ok = s.Next("b")
	require.False(t, ok)
	_, err = s.RunNow(ctx, RunRequest{Integration: "b"})
	require.ErrorIs(t, err, ErrDisabled)
	bRuns := runner.count("b")
	time.Sleep(3 * every)
	require.LessOrEqual(t, runner.count("b"), bRuns+1, "a disabled integration keeps running") // one tick may have been in flight
}

func TestCronScheduleNext(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		cron   string
		verify func(t *testing.T, now, next time.Time)
	}{
		{
			name: "every five minutes",
			cron: "*/5 * * * *",
			verify: func(t *testing.T, now, next time.Time) {
				t.Helper()
				require.True(t, next.After(now.Add(-time.Second)))
				require.LessOrEqual(t, next.Sub(now), 5*time.Minute)
				require.Zero(t, next.Minute()%5)
				require.Zero(t, next.Second())
				require.Zero(t, next.Nanosecond())
			},
		},
		{
			name: "new year in UTC",
			cron: "CRON_TZ=UTC 0 0 1 1 *",
			verify: func(t *testing.T, now, next time.Time) {
				t.Helper()
				want := time.Date(now.UTC().Year()+1, time.January, 1, 0, 0, 0, 0, time.UTC)
				require.True(t, want.Equal(next), "next %s, want %s", next, want)
			},
		},
		{
			name: "descriptor",
			cron: "@hourly",
			verify: func(t *testing.T, now, next time.Time) {
				t.Helper()
				require.True(t, next.After(now.Add(-time.Second)))
				require.LessOrEqual(t, next.Sub(now), time.Hour)
				require.Zero(t, next.Minute())
				require.Zero(t, next.Second())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t, newFakeRunner(func(context.Context, RunRequest, int) error { return nil }))
			cfg.Periodic = true
			cfg.Schedules = []Schedule{{Name: "c", Enabled: true, Cron: tt.cron}}
			s, _ := openTest(t, cfg)

			// Before the leader plans it, Next is the cron's next activation.
			next, ok := s.Next("c")
			require.True(t, ok)
			tt.verify(t, time.Now(), next)

			// Once River planned the tick, Next is River's own plan.
			start(t, s)
			s.mu.Lock()
			tracked := s.entries["c"].tracked
			s.mu.Unlock()
			require.Eventually(t, func() bool { return !tracked.last().IsZero() }, 10*time.Second, 10*time.Millisecond)
			next, ok = s.Next("c")
			require.True(t, ok)
			require.Equal(t, tracked.last(), next)
			tt.verify(t, time.Now(), next)
			parsed, err := cron.ParseStandard(tt.cron)
			require.NoError(t, err)
			require.Equal(t, parsed.Next(next.Add(-time.Nanosecond)), next)
		})
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()

	runner := newFakeRunner(func(context.Context, RunRequest, int) error { return nil })
	tests := []struct {
		name        string
		mutate      func(*Config)
		errContains string
	}{
		{"no runner", func(c *Config) { c.Runner = nil }, "runner is required"},
		{"negative workers", func(c *Config) { c.Workers = -1 }, "workers must be between"},
		{"negative attempts", func(c *Config) { c.MaxAttempts = -2 }, "max attempts"},
		{"bad cron", func(c *Config) { c.Schedules = []Schedule{{Name: "x", Enabled: true, Cron: "61 * * * *"}} }, `schedule "x": parsing cron`},
		{"both every and cron", func(c *Config) {
			c.Schedules = []Schedule{{Name: "x", Enabled: true, Every: time.Minute, Cron: "@hourly"}}
		}, "either every or cron"},
		{"negative every", func(c *Config) { c.Schedules = []Schedule{{Name: "x", Every: -time.Second}} }, "every must be positive"},
		{"duplicate", func(c *Config) { c.Schedules = []Schedule{{Name: "x"}, {Name: "x"}} }, "duplicate name"},
		{"no name", func(c *Config) { c.Schedules = []Schedule{{Every: time.Minute}} }, "name is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t, runner)
			cfg.Periodic = true
			tt.mutate(&cfg)
			s, err := OpenSQLite(t.Context(), ":memory:", cfg)
			require.ErrorContains(t, err, tt.errContains)
			require.Nil(t, s)
		})
	}
}
