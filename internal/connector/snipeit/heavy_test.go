package snipeit

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	emu "github.com/integrator-oss/integrator/internal/emulator/snipeit"
	"github.com/integrator-oss/integrator/internal/record"
)

// countSink counts records and keeps nothing.
type countSink struct{ n map[record.Kind]int }

func (c *countSink) Page(_ context.Context, recs []record.Record) error {
	for _, r := range recs {
		c.n[r.Kind]++
	}
	return nil
}
func (c *countSink) Progress(connector.Progress) {}

// TestHeavyFullListing lists 100,000 assets from the emulator with its
// throttle and the connector's budget off, and reports the rate and the
// heap. Run with
//
//	INTEGRATOR_HEAVY=1 go test ./internal/connector/snipeit/ -run Heavy -v
func TestHeavyFullListing(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to list 100,000 assets")
	}
	const n = 100_000
	b := setup(t, emu.Options{RateLimit: -1})
	start := time.Now()
	b.emu.Generate(n, emu.GenerateOptions{Locations: 200, Companies: 20})
	t.Logf("generated %d assets in %s", n, time.Since(start).Round(time.Millisecond))
	runtime.GC()

	var peak uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	sink := &countSink{n: map[record.Kind]int{}}
	cpu0 := cpuTime()
	start = time.Now()
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	close(done)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Equal(t, n, sink.n[record.KindAsset])
	t.Logf("full listing: %d assets, %d sites, %d requests in %s: %.0f assets/s; %s of CPU (emulator included, %.0f assets per CPU second); peak heap in use %d MiB (emulator included)",
		sink.n[record.KindAsset], sink.n[record.KindSite], b.emu.Stats().Requests, elapsed.Round(time.Millisecond),
		float64(n)/elapsed.Seconds(), cpu.Round(time.Millisecond), float64(n)/cpu.Seconds(), peak>>20)
}

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it says more about the cost of a run than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
