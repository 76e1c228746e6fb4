package jobs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
)

var errFatal = errors.New("tenant not found")

func TestRunNowWhileRunning(t *testing.T) { forEachDriver(t, testRunNowWhileRunning) }

func testRunNowWhileRunning(t *testing.T, d testDriver) {

	release := make(chan struct{})
	runner := newFakeRunner(func(ctx context.Context, req RunRequest, n int) error {
		if req.Integration == "contoso" && n == 1 {
			if err := blockUntil(ctx, release); err != nil {
				return err
			}
			return fmt.Errorf("listing users: %w", errFatal)
		}
		return nil
	})
	s, path := d.openTest(t, testConfig(t, runner))
	start(t, s)
	ctx := t.Context()

	id, err := s.RunNow(ctx, RunRequest{Integration: "contoso", Full: true, AllowMassDeactivation: true})
	require.NoError(t, err)
	req := runner.waitStarted(t)
	require.Equal(t, RunRequest{Integration: "contoso", Full: true, AllowMassDeactivation: true, Trigger: TriggerManual}, req)

	dup, err := s.RunNow(ctx, RunRequest{Integration: "contoso", Trigger: TriggerAPI})
	require.ErrorIs(t, err, ErrAlreadyRunning)
	require.Equal(t, id, dup, "the duplicate points at the running job")

	// Another integration is not blocked.
	other, err := s.RunNow(ctx, RunRequest{Integration: "fabrikam"})
	require.NoError(t, err)
	require.NoError(t, s.Wait(ctx, other))

	close(release)
	err = s.Wait(ctx, id)
	require.ErrorIs(t, err, errFatal, "Wait returns the runner's own error")
	var je *JobError
	require.ErrorAs(t, err, &je)
	require.Equal(t, JobError{JobID: id, Integration: "contoso", State: "cancelled", Attempts: 1, Err: je.Err}, *je)
	require.Equal(t, 1, runner.count("contoso"), "a fatal error is not retried")

	// A process that did not run the job gets the recorded message.
	cli := d.openAt(t, path, testConfig(t, runner))
	err = cli.Wait(ctx, id)
	require.ErrorAs(t, err, &je)
	require.Equal(t, "listing users: tenant not found", je.Err.Error())
	require.Equal(t, "cancelled", je.State)

	// Finished, the integration may run again.
	id2, err := s.RunNow(ctx, RunRequest{Integration: "contoso"})
	require.NoError(t, err)
	require.NotEqual(t, id, id2)
	require.NoError(t, s.Wait(ctx, id2))

	_, err = s.RunNow(ctx, RunRequest{})
	require.ErrorContains(t, err, "integration is required")
	require.ErrorIs(t, s.Wait(ctx, 999_999), ErrJobNotFound)
}

func TestRetries(t *testing.T) { forEachDriver(t, testRetries) }

func testRetries(t *testing.T, d testDriver) {

	throttled := errors.New("429 too many requests")
	tests := []struct {
		name        string
		maxAttempts int
		behave      func(ctx context.Context, req RunRequest, n int) error
		wantCalls   int
		wantState   string // "" for success
		wantErrIs   error
		minGap      time.Duration // between the end of call 1 and the start of call 2
	}{
		{
			name: "retryable with after then success",
			behave: func(_ context.Context, _ RunRequest, n int) error {
				if n == 1 {
					return fmt.Errorf("fetching: %w", &connector.RetryableError{Err: throttled, After: 300 * time.Millisecond})
				}
				return nil
			},
			wantCalls: 2,
			minGap:    250 * time.Millisecond,
		},
		{
			name: "retryable with river backoff then success",
			behave: func(_ context.Context, _ RunRequest, n int) error {
				if n == 1 {
					return &connector.RetryableError{Err: throttled}
				}
				return nil
			},
			wantCalls: 2,
			minGap:    500 * time.Millisecond, // River's first backoff is 1s ± 10%
		},
		{
			name: "fatal is not retried",
			behave: func(context.Context, RunRequest, int) error {
				return errFatal
			},
			wantCalls: 1,
			wantState: string(rivertype.JobStateCancelled),
			wantErrIs: errFatal,
		},
		{
			name:        "retryable until attempts run out",
			maxAttempts: 2,
			behave: func(context.Context, RunRequest, int) error {
				return &connector.RetryableError{Err: throttled, After: 10 * time.Millisecond}
			},
			wantCalls: 2,
			wantState: string(rivertype.JobStateDiscarded),
			wantErrIs: throttled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runner := newFakeRunner(tt.behave)
			cfg := testConfig(t, runner)
			cfg.MaxAttempts = tt.maxAttempts
			s, _ := d.openTest(t, cfg)
			start(t, s)

			id, err := s.RunNow(t.Context(), RunRequest{Integration: "contoso", Trigger: TriggerAPI})
			require.NoError(t, err)
			err = s.Wait(t.Context(), id)
			if tt.wantState == "" {
				require.NoError(t, err)
			} else {
				var je *JobError
				require.ErrorAs(t, err, &je)
				require.Equal(t, tt.wantState, je.State)
				require.Equal(t, tt.wantCalls, je.Attempts)
				require.ErrorIs(t, err, tt.wantErrIs)
			}
			runs := runner.runsOf("contoso")
			require.Len(t, runs, tt.wantCalls)
			require.Equal(t, TriggerAPI, runs[0].req.Trigger)
			for _, r := range runs[1:] {
				require.Equal(t, TriggerRetry, r.req.Trigger)
			}
			if tt.minGap > 0 {
				gap := runs[1].start.Sub(runs[0].end)
				require.GreaterOrEqual(t, gap, tt.minGap, "retried too early")
			}
		})
	}
}

func TestTimeoutCancelsRun(t *testing.T) { forEachDriver(t, testTimeoutCancelsRun) }

func testTimeoutCancelsRun(t *testing.T, d testDriver) {

	runner := newFakeRunner(func(ctx context.Context, _ RunRequest, n int) error {
		if n == 1 {
			<-ctx.Done()
			return fmt.Errorf("fetching page 3: %w", ctx.Err())
		}
		return nil
	})
	cfg := testConfig(t, runner)
	cfg.MaxAttempts = 2
	cfg.Schedules = []Schedule{{Name: "slow", Enabled: true, RunTimeout: 200 * time.Millisecond}}
	s, _ := d.openTest(t, cfg)
	start(t, s)

	id, err := s.RunNow(t.Context(), RunRequest{Integration: "slow"})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t.Context(), id), "a timed-out run is retried")

	runs := runner.runsOf("slow")
	require.Len(t, runs, 2)
	require.ErrorIs(t, runs[0].ctxErr, context.DeadlineExceeded)
	took := runs[0].end.Sub(runs[0].start)
	require.GreaterOrEqual(t, took, 150*time.Millisecond)
	require.Less(t, took, 5*time.Second)
	require.NoError(t, runs[1].ctxErr)
}

func TestTimeoutOnLastAttemptFails(t *testing.T) { forEachDriver(t, testTimeoutOnLastAttemptFails) }

func testTimeoutOnLastAttemptFails(t *testing.T, d testDriver) {

	runner := newFakeRunner(func(ctx context.Context, _ RunRequest, _ int) error {
		<-ctx.Done()
		return ctx.Err()
	})
	cfg := testConfig(t, runner)
	cfg.MaxAttempts = 1
	cfg.Schedules = []Schedule{{Name: "slow", Enabled: true, RunTimeout: 100 * time.Millisecond}}
	s, _ := d.openTest(t, cfg)
	start(t, s)

	id, err := s.RunNow(t.Context(), RunRequest{Integration: "slow"})
	require.NoError(t, err)
	err = s.Wait(t.Context(), id)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var je *JobError
	require.ErrorAs(t, err, &je)
	require.Equal(t, string(rivertype.JobStateDiscarded), je.State)
}

func TestStopLetsRunsFinish(t *testing.T) { forEachDriver(t, testStopLetsRunsFinish) }

func testStopLetsRunsFinish(t *testing.T, d testDriver) {

	release := make(chan struct{})
	runner := newFakeRunner(func(ctx context.Context, _ RunRequest, _ int) error {
		return blockUntil(ctx, release)
	})
	s, _ := d.openTest(t, testConfig(t, runner))
	start(t, s)
	ctx := t.Context()

	id, err := s.RunNow(ctx, RunRequest{Integration: "contoso"})
	require.NoError(t, err)
	runner.waitStarted(t)

	stopped := make(chan error, 1)
	go func() {
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		stopped <- s.Stop(stopCtx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned %v while a run was going", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	require.NoError(t, <-stopped)

	runs := runner.runsOf("contoso")
	require.Len(t, runs, 1)
	require.NoError(t, runs[0].ctxErr, "the run's ctx was cancelled by a graceful stop")
	require.NoError(t, s.Wait(ctx, id))
	require.NoError(t, s.Stop(ctx), "a second Stop")
}

func TestStopDeadlineCancelsAndRequeues(t *testing.T) {
	forEachDriver(t, testStopDeadlineCancelsAndRequeues)
}

func testStopDeadlineCancelsAndRequeues(t *testing.T, d testDriver) {

	runner := newFakeRunner(func(ctx context.Context, _ RunRequest, n int) error {
		if n == 1 {
			<-ctx.Done()
			return fmt.Errorf("writing batch: %w", ctx.Err())
		}
		return nil
	})
	s, _ := d.openTest(t, testConfig(t, runner))
	start(t, s)
	ctx := t.Context()

	id, err := s.RunNow(ctx, RunRequest{Integration: "contoso"})
	require.NoError(t, err)
	runner.waitStarted(t)

	stopCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	require.NoError(t, s.Stop(stopCtx))
	runs := runner.runsOf("contoso")
	require.Len(t, runs, 1)
	require.ErrorIs(t, runs[0].ctxErr, context.Canceled)

	// Interrupted, not failed: the job is queued again with its attempt back.
	row, err := s.client.JobGet(ctx, id)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateAvailable, row.State)
	require.Equal(t, 0, row.Attempt)

	// Restarted, the scheduler works it to the end.
	start(t, s)
	require.NoError(t, s.Wait(ctx, id))
	require.Equal(t, 2, runner.count("contoso"))
}

func TestMemoryDatabase(t *testing.T) {
	t.Parallel()

	runner := newFakeRunner(func(context.Context, RunRequest, int) error { return nil })
	s, err := OpenSQLite(t.Context(), ":memory:", testConfig(t, runner))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	start(t, s)

	id, err := s.RunNow(t.Context(), RunRequest{Integration: "contoso"})
	require.NoError(t, err)
	require.NoError(t, s.Wait(t.Context(), id))
	require.Equal(t, 1, runner.count("contoso"))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "a second Close")
}
