package jobs

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/jobs/jobstest"
)

// run is one call of the fake runner.
type run struct {
	req    RunRequest
	start  time.Time
	end    time.Time // zero while running
	ctxErr error     // ctx.Err() when Run returned
}

// fakeRunner records every run and delegates its behaviour to behave, which
// gets the 1-based number of the call for that integration.
type fakeRunner struct {
	behave func(ctx context.Context, req RunRequest, n int) error

	mu      sync.Mutex
	runs    []run
	started chan RunRequest
}

func newFakeRunner(behave func(ctx context.Context, req RunRequest, n int) error) *fakeRunner {
	return &fakeRunner{behave: behave, started: make(chan RunRequest, 100)}
}

func (f *fakeRunner) Run(ctx context.Context, req RunRequest) error {
	f.mu.Lock()
	n := 1
	for _, r := range f.runs {
		if r.req.Integration == req.Integration {
			n++
		}
	}
	i := len(f.runs)
	f.runs = append(f.runs, run{req: req, start: time.Now()})
	f.mu.Unlock()
	select {
	case f.started <- req:
	default:
	}

	err := f.behave(ctx, req, n)

	f.mu.Lock()
	f.runs[i].end = time.Now()
	f.runs[i].ctxErr = ctx.Err()
	f.mu.Unlock()
	return err
}

// runsOf returns a copy of the runs of one integration, in start order.
func (f *fakeRunner) runsOf(name string) []run {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []run
	for _, r := range f.runs {
		if r.req.Integration == name {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeRunner) count(name string) int { return len(f.runsOf(name)) }

// waitStarted waits for the next run to start.
func (f *fakeRunner) waitStarted(t *testing.T) RunRequest {
	t.Helper()
	select {
	case req := <-f.started:
		return req
	case <-time.After(10 * time.Second):
		t.Fatal("no run started within 10s")
		return RunRequest{}
	}
}

// blockUntil returns nil once release is closed, or ctx's error.
func blockUntil(ctx context.Context, release <-chan struct{}) error {
	select {
	case <-release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sleepCtx sleeps d unless ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fakeSkips records skipped ticks.
type fakeSkips struct {
	mu    sync.Mutex
	skips []string // "integration: reason"
}

func (f *fakeSkips) RecordSkip(_ context.Context, integration, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.skips = append(f.skips, integration+": "+reason)
	return nil
}

func (f *fakeSkips) list() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.skips)
}

// testConfig is a Config with fast polling for tests.
func testConfig(t *testing.T, runner Runner) Config {
	t.Helper()
	return Config{
		Runner:            runner,
		Logger:            testLogger(t),
		fetchPollInterval: 20 * time.Millisecond,
		fetchCooldown:     5 * time.Millisecond,
		waitPollInterval:  20 * time.Millisecond,
		testOnly:          true,
	}
}

// openTest opens a scheduler on a new temp-file database, closed at the end
// of the test.
func openTest(t *testing.T, cfg Config) (*Scheduler, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jobs.db")
	return openAt(t, path, cfg), path
}

func openAt(t *testing.T, path string, cfg Config) *Scheduler {
	t.Helper()
	s, err := OpenSQLite(t.Context(), path, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func start(t *testing.T, s *Scheduler) {
	t.Helper()
	require.NoError(t, s.Start(t.Context()))
}

// testLogger logs warnings and errors to the test's output, and drops what
// River's goroutines log after the test has finished.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	w := &closableWriter{w: t.Output()}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type closableWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed bool
}

func (c *closableWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return len(p), nil
	}
	return c.w.Write(p)
}

func (c *closableWriter) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
}

// testDriver opens schedulers on one kind of database.
type testDriver struct {
	name  string
	newDB func(t *testing.T) string
	open  func(ctx context.Context, db string, cfg Config) (*Scheduler, error)
}

var testDrivers = []testDriver{ //nolint:gochecknoglobals // test table
	{name: "sqlite", newDB: func(t *testing.T) string { return filepath.Join(t.TempDir(), "jobs.db") }, open: OpenSQLite},
	{name: "postgres", newDB: func(t *testing.T) string { return jobstest.PostgresDSN(t) }, open: OpenPostgres},
}

// forEachDriver runs fn once per driver, in parallel; the PostgreSQL run
// is skipped when no server is available.
func forEachDriver(t *testing.T, fn func(t *testing.T, d testDriver)) {
	t.Helper()
	t.Parallel()
	for _, d := range testDrivers {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// openTest opens a scheduler on a new database of the driver's kind and
// returns it with the database's location.
func (d testDriver) openTest(t *testing.T, cfg Config) (*Scheduler, string) {
	t.Helper()
	db := d.newDB(t)
	return d.openAt(t, db, cfg), db
}

func (d testDriver) openAt(t *testing.T, db string, cfg Config) *Scheduler {
	t.Helper()
	s, err := d.open(t.Context(), db, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}
