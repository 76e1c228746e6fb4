package intune

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/connectortest"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

const emuSecret = "intune-secret-Xq7~Lp"

type testSink = connectortest.Sink

// fakeSleep records the waits between attempts and returns at once.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeSleep) all() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

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

// bundle is a source opened against a Graph emulator.
type bundle struct {
	emu   *graph.Emulator
	base  string
	src   *Source
	sleep *fakeSleep
	logs  *logBuffer
}

func (b *bundle) config() Config {
	c := Config{PageSize: 10}
	c.TenantID, c.ClientID, c.ClientSecret = b.emu.TenantID(), b.emu.ClientID(), secret.New(emuSecret)
	c.AuthorityURL, c.GraphURL = b.base, b.emu.GraphURL(b.base)
	c.RequestsPerSecond = 1e6
	return c.WithDefaults()
}

// setup starts an emulator and opens a source against it; mod may change
// the connector's configuration.
func setup(t *testing.T, opts graph.Options, mod func(*Config)) *bundle {
	t.Helper()
	if opts.ClientSecret == "" {
		opts.ClientSecret = emuSecret
	}
	b := &bundle{emu: graph.New(opts), sleep: &fakeSleep{}, logs: &logBuffer{}}
	b.base = b.emu.StartTest(t)
	cfg := b.config()
	if mod != nil {
		mod(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := open(cfg, "contoso-intune", logger, httpclient.Options{Sleep: b.sleep.sleep})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	b.src = src
	return b
}

func (b *bundle) fetch(t *testing.T) (connector.FetchResult, *testSink, error) {
	t.Helper()
	sink := &testSink{}
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindAsset}}, sink)
	return res, sink, err
}

func byID(recs []record.Record) map[string]record.Record {
	m := make(map[string]record.Record, len(recs))
	for _, r := range recs {
		m[r.ID] = r
	}
	return m
}
