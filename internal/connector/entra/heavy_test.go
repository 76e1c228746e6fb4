package entra

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

// countSink counts records and keeps nothing, as a streaming engine would.
type countSink struct {
	users, groups, contacts int
	peakHeap                uint64
	pages                   int
	nextSample              int
}

func (s *countSink) Page(_ context.Context, recs []record.Record) error {
	for _, r := range recs {
		switch r.Kind {
		case record.KindUser:
			s.users++
		case record.KindContact:
			s.contacts++
		default:
			s.groups++
		}
	}
	s.pages++
	if s.users+s.contacts >= s.nextSample {
		s.nextSample += 20_000
		// Live heap only: collect first, so garbage does not count.
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		s.peakHeap = max(s.peakHeap, ms.HeapInuse)
	}
	return nil
}

func (s *countSink) Progress(connector.Progress) {}

// TestHeavyFullRound pages a large tenant and checks that the connector's
// memory follows the page size, not the tenant size. Set INTEGRATOR_HEAVY=1.
func TestHeavyFullRound(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") == "" {
		t.Skip("set INTEGRATOR_HEAVY=1 to page a 200,000-user tenant")
	}
	const users = 200_000
	b := setupEmulator(t, graph.Options{PageSize: 999}, nil)
	b.emu.Generate(users, 50, 1)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	sink := &countSink{}
	start := time.Now()
	_, err := b.src.Fetch(t.Context(), connector.FetchRequest{Full: true}, sink)
	require.NoError(t, err)
	elapsed := time.Since(start)
	require.Equal(t, users, sink.users)
	t.Logf("%d users in %s (%.0f users/s), %d pages, heap in use %d MiB before, peak %d MiB during",
		users, elapsed, float64(users)/elapsed.Seconds(), sink.pages, before.HeapInuse>>20, sink.peakHeap>>20)
	// The emulator's tenant dominates the heap; the fetch may add a few
	// pages' worth, never the tenant again.
	require.Less(t, sink.peakHeap, before.HeapInuse+32<<20)
}

// TestHeavyContacts pages 100,000 organisational contacts. Set
// INTEGRATOR_HEAVY=1.
func TestHeavyContacts(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") == "" {
		t.Skip("set INTEGRATOR_HEAVY=1 to page 100,000 contacts")
	}
	const contacts = 100_000
	b := setupEmulator(t, graph.Options{PageSize: 999, Contacts: contacts}, nil)
	b.emu.Generate(1000, 1, 1)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	sink := &countSink{}
	start := time.Now()
	_, err := b.src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindContact}}, sink)
	require.NoError(t, err)
	elapsed := time.Since(start)
	require.Equal(t, contacts, sink.contacts)
	t.Logf("%d contacts in %s (%.0f contacts/s), %d pages, heap in use %d MiB before, peak %d MiB during",
		contacts, elapsed, float64(contacts)/elapsed.Seconds(), sink.pages, before.HeapInuse>>20, sink.peakHeap>>20)
	require.Less(t, sink.peakHeap, before.HeapInuse+32<<20)
}
