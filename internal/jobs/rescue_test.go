package jobs

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
)

// crashHelperEnv makes the test binary act as a daemon that dies mid-run:
// it queues a run on the database at the path (or PostgreSQL DSN) it
// names, prints the job ID and "started" once the run is going, and blocks
// until it is killed.
const crashHelperEnv = "INTEGRATOR_JOBS_CRASH_HELPER"

func runCrashHelper(path string) int {
	ctx := context.Background()
	started := make(chan struct{})
	runner := runnerFunc(func(context.Context, RunRequest) error {
		close(started)
		select {} // until killed
	})
	open := OpenSQLite
	if strings.HasPrefix(path, "postgres") {
		open = OpenPostgres
	}
	s, err := open(ctx, path, Config{Runner: runner, fetchPollInterval: 20 * time.Millisecond, fetchCooldown: 5 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := s.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	id, err := s.RunNow(ctx, RunRequest{Integration: "contoso"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("job %d\n", id)
	<-started
	fmt.Println("started")
	select {}
}

type runnerFunc func(ctx context.Context, req RunRequest) error

func (f runnerFunc) Run(ctx context.Context, req RunRequest) error { return f(ctx, req) }

// crashMidRun runs the crash helper on path, kills it once its run has
// started, and returns the run's job ID.
func crashMidRun(t *testing.T, path string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+path)
	cmd.Stderr = t.Output()
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var id int64
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		line := lines.Text()
		if rest, ok := strings.CutPrefix(line, "job "); ok {
			id, err = strconv.ParseInt(rest, 10, 64)
			require.NoError(t, err)
		}
		if line == "started" {
			break
		}
	}
	require.NotZero(t, id, "helper printed no job")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait() // killed: the error says so
	return id
}

func TestRestartRescuesOrphans(t *testing.T) {
	t.Parallel()

	path := t.TempDir() + "/jobs.db"
	id := crashMidRun(t, path)

	release := make(chan struct{})
	runner := newFakeRunner(func(ctx context.Context, req RunRequest, _ int) error {
		if req.Integration == "blocked" {
			return blockUntil(ctx, release)
		}
		return nil
	})
	s := openAt(t, path, testConfig(t, runner))
	ctx := t.Context()

	row, err := s.client.JobGet(ctx, id)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateRunning, row.State, "the dead process left its job running")

	n, err := s.RescueOrphans(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	row, err = s.client.JobGet(ctx, id)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateAvailable, row.State)
	require.Equal(t, orphanMessage, row.Errors[len(row.Errors)-1].Error)

	start(t, s)
	require.NoError(t, s.Wait(ctx, id))
	runs := runner.runsOf("contoso")
	require.Len(t, runs, 1)
	require.Equal(t, TriggerRetry, runs[0].req.Trigger)

	// The scheduler's own running jobs are not orphans.
	blocked, err := s.RunNow(ctx, RunRequest{Integration: "blocked"})
	require.NoError(t, err)
	for runner.waitStarted(t).Integration != "blocked" {
	}
	n, err = s.RescueOrphans(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	close(release)
	require.NoError(t, s.Wait(ctx, blocked))
	require.Equal(t, 1, runner.count("blocked"))
}
