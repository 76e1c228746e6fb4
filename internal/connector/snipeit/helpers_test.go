package snipeit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/connectortest"
	emu "github.com/integrator-oss/integrator/internal/emulator/snipeit"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testClock is the emulator's clock; the connector's sleeps move it on, so
// a wait for the throttle window is as long as it should be without taking
// it.
type testClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
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
	emu   *emu.Emulator
	clock *testClock
	cfg   Config
	src   *Source
}

// setup starts an emulator on a fake clock and opens a source on it with
// no request budget (tests of the budget set one); mod changes the
// configuration before the source is opened.
func setup(t *testing.T, o emu.Options, mod ...func(*Config)) *testBundle {
	t.Helper()
	b := &testBundle{clock: &testClock{now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}}
	if o.Now == nil {
		o.Now = b.clock.Now
	}
	b.emu = emu.New(o)
	base := b.emu.StartTest(t)
	b.cfg = Config{URL: base, APIToken: secret.New(b.emu.Token())}
	b.cfg.RequestsPerSecond = 1e6
	for _, m := range mod {
		m(&b.cfg)
	}
	b.cfg = b.cfg.WithDefaults()
	src, err := open(b.cfg, "test", nil, httpclient.Options{Sleep: b.clock.sleep, Jitter: func() float64 { return 0 }})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	b.src = src
	return b
}

func (b *testBundle) fetch(t *testing.T) (*testSink, connector.FetchResult, error) {
	t.Helper()
	sink := &testSink{}
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	return sink, res, err
}

type testSink = connectortest.Sink
