package intune

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/record"
)

// countSink counts records without keeping them.
type countSink struct{ assets int }

func (s *countSink) Page(_ context.Context, recs []record.Record) error {
	s.assets += len(recs)
	return nil
}

func (s *countSink) Progress(connector.Progress) {}

// TestHeavyHundredThousandDevices lists 100,000 managed devices through
// the emulator, 1,000 a page, and reports the rate. INTEGRATOR_HEAVY=1
// runs it:
//
//	INTEGRATOR_HEAVY=1 go test ./internal/connector/intune -run Heavy -v
func TestHeavyHundredThousandDevices(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to list 100,000 Intune devices through the emulator")
	}
	const devices = 100_000
	b := setup(t, graph.Options{Contacts: -1}, func(c *Config) { c.PageSize = 1000 })
	start := time.Now()
	b.emu.Generate(20_000, 20, 1)
	b.emu.GenerateManagedDevices(devices, 1)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("generated 20,000 users and %d devices in %s; heap %d MiB", devices, time.Since(start).Round(time.Millisecond), ms.HeapAlloc>>20)

	sink := &countSink{}
	start = time.Now()
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	took := time.Since(start)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Equal(t, devices, sink.assets)
	t.Logf("listed %d devices in %s with %d requests: %.0f devices/s",
		sink.assets, took.Round(time.Millisecond), b.emu.Stats().Requests, float64(devices)/took.Seconds())
}
