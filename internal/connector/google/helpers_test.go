package google

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/integrator-oss/integrator/internal/connector"
	gemu "github.com/integrator-oss/integrator/internal/emulator/google"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testClock is the emulator's clock; the connector's sleeps move it on, so
// a wait for a quota window is as long as it should be without taking it.
type testClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newTestClock() *testClock {
	// Real time, so the JWT's iat and exp (stamped by the oauth2 library)
	// agree with it; 30 s into a minute, so a per-minute quota window ends
	// in half a minute.
	return &testClock{now: time.Now().Truncate(time.Minute).Add(30 * time.Second)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *testClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

type testBundle struct {
	emu   *gemu.Emulator
	base  string
	clock *testClock
	cfg   Config
	src   *Source
	logs  *logBuffer
}

// setup starts an emulator and opens a source on it with a key file; mod
// changes the configuration before the source is opened.
func setup(t *testing.T, o gemu.Options, mod ...func(*Config)) *testBundle {
	t.Helper()
	b := &testBundle{clock: newTestClock(), logs: &logBuffer{}}
	if o.Now == nil {
		o.Now = b.clock.Now
	}
	b.emu = gemu.New(o)
	b.base = b.emu.StartTest(t)
	keyFile := filepath.Join(t.TempDir(), "sa.json")
	require.NoError(t, os.WriteFile(keyFile, b.emu.KeyJSON(b.base), 0o600))
	b.cfg = Config{CredentialsFile: keyFile, Subject: b.emu.AdminEmail(), APIURL: b.emu.APIURL(b.base)}
	for _, m := range mod {
		m(&b.cfg)
	}
	b.cfg = b.cfg.WithDefaults()
	b.reopen(t)
	return b
}

func (b *testBundle) reopen(t *testing.T) {
	t.Helper()
	src, err := open(b.cfg, "test", b.logs.logger(), httpclient.Options{
		Sleep:  b.clock.sleep,
		Jitter: func() float64 { return 0 },
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	b.src = src
}

func (b *testBundle) fetch(t *testing.T) (*testSink, connector.FetchResult, error) {
	t.Helper()
	sink := &testSink{}
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	return sink, res, err
}

// testSink records what Fetch hands it.
type testSink struct {
	mu       sync.Mutex
	pages    [][]record.Record
	progress []connector.Progress
}

func (s *testSink) Page(_ context.Context, recs []record.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages = append(s.pages, recs)
	return nil
}

func (s *testSink) Progress(p connector.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.progress = append(s.progress, p)
}

func (s *testSink) records() []record.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []record.Record
	for _, p := range s.pages {
		all = append(all, p...)
	}
	return all
}

func (s *testSink) byID() map[string]record.Record {
	m := map[string]record.Record{}
	for _, r := range s.records() {
		m[r.ID] = r
	}
	return m
}

func (s *testSink) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var w []time.Duration
	for _, p := range s.progress {
		if p.Waiting > 0 {
			w = append(w, p.Waiting)
		}
	}
	return w
}

// logBuffer is a concurrency-safe buffer for a slog text handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
