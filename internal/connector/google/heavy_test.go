package google

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	gemu "github.com/integrator-oss/integrator/internal/emulator/google"
	"github.com/integrator-oss/integrator/internal/record"
)

// countSink counts records without keeping them.
type countSink struct{ users, groups, members int }

func (s *countSink) Page(_ context.Context, recs []record.Record) error {
	for _, r := range recs {
		if r.Kind == record.KindUser {
			s.users++
		} else {
			s.groups++
			s.members += len(r.Members.Added)
		}
	}
	return nil
}

func (s *countSink) Progress(connector.Progress) {}

// TestHeavyFullListing lists 100,000 users in 50 groups through the
// emulator and reports the rate. INTEGRATOR_HEAVY=1 runs it.
func TestHeavyFullListing(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to list 100,000 users through the emulator")
	}
	const users, groups = 100_000, 50
	b := setup(t, gemu.Options{})
	start := time.Now()
	_, _, err := b.emu.Generate(users, groups)
	require.NoError(t, err)
	t.Logf("generated %d users in %d groups in %s", users, groups, time.Since(start).Round(time.Millisecond))

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sink := &countSink{}
	start = time.Now()
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	took := time.Since(start)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Equal(t, users+1, sink.users)
	require.Equal(t, groups, sink.groups)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("listed %d users and %d groups (%d memberships) in %s with %d requests: %.0f users/s; heap in use %d MiB after",
		sink.users, sink.groups, sink.members, took.Round(time.Millisecond), b.emu.Stats().Requests,
		float64(sink.users)/took.Seconds(), after.HeapInuse>>20)
}
