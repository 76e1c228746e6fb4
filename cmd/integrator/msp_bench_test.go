package main_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/jobs/jobstest"
)

// mspBenchEnv runs TestMSPRound: "TENANTSxUSERS" and optionally
// ":P1,P2,..." process counts, e.g. INTEGRATOR_MSP_BENCH=500x2000:1,2,3.
const mspBenchEnv = "INTEGRATOR_MSP_BENCH"

// TestMSPRound measures the MSP case of BENCHMARKS.md: many small tenants,
// one full round (an initial full sync of every integration) through 1 to 3
// `integrator serve` processes on one PostgreSQL database. Each process
// count gets a fresh database; the round is queued at once, as a restart
// after an outage or a new deployment would, and timed from the queueing
// to the end of the last run.
func TestMSPRound(t *testing.T) {
	spec := os.Getenv(mspBenchEnv)
	if spec == "" {
		t.Skipf("a benchmark: set %s=TENANTSxUSERS[:P1,P2,...], e.g. 100x2000:1,2,3", mspBenchEnv)
	}
	tenantsN, usersN, procs := parseMSPSpec(t, spec)

	tenants := make([]tenant, tenantsN)
	for i := range tenants {
		tenants[i] = newTenant(t, i, usersN, 10, graph.Options{PageSize: 999, DisableReplay: true}, nil)
	}
	var rows []string
	for _, p := range procs {
		elapsed := mspRound(t, tenants, p)
		total := tenantsN * usersN
		rows = append(rows, fmt.Sprintf("| %d | %d × %d | %s | %.0f |", p, tenantsN, usersN,
			elapsed.Round(time.Second), float64(total)/elapsed.Seconds()))
	}
	t.Logf("\n| processes | tenants × users | full round | users/s |\n|---|---|---|---|\n%s", strings.Join(rows, "\n"))
}

func parseMSPSpec(t *testing.T, spec string) (tenants, users int, procs []int) {
	t.Helper()
	size, plist, _ := strings.Cut(spec, ":")
	ts, us, ok := strings.Cut(size, "x")
	var err1, err2 error
	tenants, err1 = strconv.Atoi(ts)
	users, err2 = strconv.Atoi(us)
	require.True(t, ok && err1 == nil && err2 == nil && tenants > 0 && users > 0, "%s: want TENANTSxUSERS[:P1,P2,...], got %q", mspBenchEnv, spec)
	if plist == "" {
		plist = "1,2,3"
	}
	for _, f := range strings.Split(plist, ",") {
		p, err := strconv.Atoi(f)
		require.NoError(t, err, "%s: process counts", mspBenchEnv)
		procs = append(procs, p)
	}
	return tenants, users, procs
}

// mspRound runs one full round of every tenant through p processes on a
// fresh database and returns its wall time.
func mspRound(t *testing.T, tenants []tenant, p int) time.Duration {
	t.Helper()
	dsn := jobstest.PostgresDSN(t)
	// Daily ticks: nothing but the queued round runs while it is measured.
	cfg := writeMultiConfig(t, t.TempDir(), dsn, tenants, `    schedule: 24h
    run_timeout: 2h
    scope: {all_users: true}
    threshold: {max_count: -1, max_percent: -1}`)
	var nodes []*node
	for i := range p {
		nodes = append(nodes, startNode(t, fmt.Sprintf("node%d", i+1), cfg))
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	defer conn.Close(t.Context())
	waitUntil(t, 2*time.Minute, "every process to serve", func() bool {
		for _, n := range nodes {
			if !strings.Contains(n.logs.String(), "integrator serving") {
				return false
			}
		}
		return true
	})

	// Queue the round through River as "run now" would, from a client that
	// works nothing itself.
	q, err := jobs.OpenPostgres(t.Context(), dsn, jobs.Config{Runner: noRunner{}})
	require.NoError(t, err)
	defer q.Close()
	emuBefore := selfCPU(t)
	began := time.Now()
	for i := range tenants {
		_, err := q.RunNow(t.Context(), jobs.RunRequest{Integration: fmt.Sprintf("i%04d", i), Full: true})
		require.NoError(t, err)
	}
	waitUntil(t, 3*time.Hour, "the round", func() bool {
		var done, failed int
		err := conn.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status = 'failed') FROM runs`).Scan(&done, &failed)
		require.NoError(t, err)
		require.Zero(t, failed, "failed runs")
		return done == len(tenants)
	})
	var last time.Time
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT max(finished_at) FROM runs`).Scan(&last))
	elapsed := last.Sub(began)
	var users int
	var busy float64 // seconds of runs, summed over all runs
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM users`).Scan(&users))
	require.NoError(t, conn.QueryRow(t.Context(),
		`SELECT extract(epoch FROM sum(finished_at - started_at)) FROM runs WHERE status = 'succeeded'`).Scan(&busy))
	emuCPU := selfCPU(t) - emuBefore
	dbCPU := postgresCPU(t, dsn)
	var appCPU time.Duration
	for _, n := range nodes {
		n.stop(t)
		appCPU += n.cmd.ProcessState.UserTime() + n.cmd.ProcessState.SystemTime()
	}
	// The mean number of runs going at once, what one run does at that
	// concurrency, and where the CPU went: the factors of the round's
	// speed that more cores and a database host of its own would change.
	t.Logf("%d process(es): %d integrations, %d platform users in %s; %.1f runs at once on average, %.0f users/s per run; "+
		"CPU: integrator %s, PostgreSQL backends %s, emulators %s",
		p, len(tenants), users, elapsed.Round(time.Second), busy/elapsed.Seconds(), float64(users)/busy,
		appCPU.Round(time.Second), dbCPU.Round(time.Second), emuCPU.Round(time.Second))
	return elapsed
}

// selfCPU is the CPU time this test process (the emulators) has used.
func selfCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	require.NoError(t, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU sums the CPU time of the PostgreSQL backends serving the
// database of dsn, from /proc: the connections of the integrator processes'
// pools, which live as long as the processes. Zero where /proc does not
// show them.
func postgresCPU(t *testing.T, dsn string) time.Duration {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	db := strings.TrimPrefix(u.Path, "/")
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var ticks int64
	for _, d := range dirs {
		cmdline, err := os.ReadFile(d + "/cmdline")
		if err != nil || !strings.HasPrefix(string(cmdline), "postgres: ") || !strings.Contains(string(cmdline), " "+db+" ") {
			continue
		}
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// Fields after the ")" closing the command: utime and stime are
		// the 12th and 13th.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += ut + st
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

// noRunner is the Runner of a client that only queues.
type noRunner struct{}

func (noRunner) Run(context.Context, jobs.RunRequest) error { return nil }

func waitUntil(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		require.True(t, time.Now().Before(deadline), "waiting for %s: over %s", what, limit)
		time.Sleep(200 * time.Millisecond)
	}
}
