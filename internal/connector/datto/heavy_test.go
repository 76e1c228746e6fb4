package datto

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/datto"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

func heavy(t *testing.T) {
	t.Helper()
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to run the Datto scale tests")
	}
}

// heavySource opens a source against emu with the connector's default
// audit concurrency and a token bucket of rps with a burst of burst, which
// it returns.
func heavySource(t *testing.T, emu *datto.Emulator, rps float64, burst int) (*Source, *rate.Limiter) {
	t.Helper()
	cfg := Config{
		APIURL:    emu.StartTest(t),
		APIKey:    secret.New(emu.APIKey()),
		APISecret: secret.New(emu.APISecret()),
	}.WithDefaults()
	opts := httpclient.Options{}
	if rps > 0 {
		opts.Limiter = rate.NewLimiter(rate.Limit(rps), burst)
	} else {
		cfg.RequestsPerSecond = 1e6
	}
	src, err := open(cfg, "heavy", nil, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.Close() })
	return src, opts.Limiter
}

func envScale(t *testing.T, name string, def float64) float64 {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return v
}

// TestHeavyRealLimitScaled runs a first and a steady-state sync of 10,000
// devices against Datto's real throttling (600 reads per rolling 60 s, the
// one-second slowdown past 90 %, 429 and the IP block) with the
// connector's default budget (8 requests a second, burst 8), with time
// compressed: the quota's window, the slowdown and the budget's rate are
// scaled by INTEGRATOR_DATTO_SCALE (default 60) for the first sync and by
// INTEGRATOR_DATTO_STEADY_SCALE (default 4) for the steady one, whose few
// hundred requests would otherwise be bound by the emulator's own speed
// rather than the budget. Real durations are the measured ones times the
// scale.
func TestHeavyRealLimitScaled(t *testing.T) {
	heavy(t)
	scale := envScale(t, "INTEGRATOR_DATTO_SCALE", 60)
	steadyScale := envScale(t, "INTEGRATOR_DATTO_STEADY_SCALE", 4)
	emu := datto.New(datto.Options{
		RateLimit:  datto.DefaultRateLimit,
		RateWindow: time.Duration(float64(datto.DefaultRateWindow) / scale),
		Slowdown:   time.Duration(float64(datto.DefaultSlowdown) / scale),
	})
	_, devs, err := emu.Generate(10000, 100)
	require.NoError(t, err)
	src, limiter := heavySource(t, emu, DefaultRequestsPerSecond*scale, DefaultRequestsPerSecond)

	sink := &testSink{}
	start := time.Now()
	res, err := src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.NoError(t, err)
	first := time.Since(start)
	st1 := emu.Stats()
	require.Len(t, sink.ByID(record.KindAsset), len(devs))
	require.Zero(t, st1.Throttled+st1.Blocked, "the budget keeps the run under the quota")

	// Steady state, a while later: 2 % of the devices sent a new audit.
	for i := 0; i < len(devs); i += 50 {
		require.NoError(t, emu.ChangeAudit(devs[i].UID, func(a *datto.Audit) { a.TotalPhysicalMemory += 1 << 30 }))
	}
	emu.SetRateLimit(datto.DefaultRateLimit, time.Duration(float64(datto.DefaultRateWindow)/steadyScale),
		time.Duration(float64(datto.DefaultSlowdown)/steadyScale))
	limiter.SetLimit(rate.Limit(DefaultRequestsPerSecond * steadyScale))
	sink = &testSink{}
	start = time.Now()
	_, err = src.Fetch(t.Context(), connector.FetchRequest{Cursor: res.Cursor}, sink)
	require.NoError(t, err)
	steady := time.Since(start)
	st2 := emu.Stats()
	require.Zero(t, st2.Throttled+st2.Blocked)

	real := func(d time.Duration, f float64) time.Duration {
		return time.Duration(float64(d) * f).Round(time.Second)
	}
	t.Logf("datto 10,000 devices, quota 600/60s, budget 8/s")
	t.Logf("first sync (time 1:%g):  %d requests (%d audits), %d slowed, %d throttled, peak window %d, measured %s -> real %s",
		scale, st1.Requests, st1.Audits, st1.Slowed, st1.Throttled, st1.PeakWindow, first.Round(time.Millisecond), real(first, scale))
	t.Logf("steady sync (time 1:%g): %d requests (%d audits), %d slowed, %d throttled, measured %s -> real %s",
		steadyScale, st2.Requests-st1.Requests, st2.Audits-st1.Audits, st2.Slowed-st1.Slowed, st2.Throttled-st1.Throttled,
		steady.Round(time.Millisecond), real(steady, steadyScale))
}

// TestHeavyHundredThousandDevices lists 100,000 devices with no rate
// limit, then again with nothing changed, and reports the cursor's size
// per device and the heap.
func TestHeavyHundredThousandDevices(t *testing.T) {
	heavy(t)
	emu := datto.New(datto.Options{RateLimit: -1})
	_, devs, err := emu.Generate(100000, 500)
	require.NoError(t, err)
	src, _ := heavySource(t, emu, 0, 0)

	var ms runtime.MemStats
	sink := &recordCounter{}
	start := time.Now()
	res, err := src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.NoError(t, err)
	first := time.Since(start)
	require.Equal(t, len(devs), sink.assets)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	cache, err := parseCursor(res.Cursor)
	require.NoError(t, err)

	sink = &recordCounter{}
	start = time.Now()
	_, err = src.Fetch(t.Context(), connector.FetchRequest{Cursor: res.Cursor}, sink)
	require.NoError(t, err)
	second := time.Since(start)
	require.Equal(t, len(devs), sink.assets)

	t.Logf("datto 100,000 devices, no limit: first sync %s (%.0f devices/s, %d audits), unchanged resync %s (%.0f devices/s)",
		first.Round(time.Millisecond), float64(len(devs))/first.Seconds(), emu.Stats().Audits,
		second.Round(time.Millisecond), float64(len(devs))/second.Seconds())
	t.Logf("cursor: %d bytes for %d audited devices (%.1f bytes each); heap after the first sync %s",
		len(res.Cursor), len(cache), float64(len(res.Cursor))/float64(len(cache)), mib(ms.HeapAlloc))
}

func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// recordCounter counts assets without keeping them.
type recordCounter struct {
	testSink
	assets int
}

func (c *recordCounter) Page(_ context.Context, recs []record.Record) error {
	for _, r := range recs {
		if r.Kind == record.KindAsset {
			c.assets++
		}
	}
	return nil
}
