package exchange

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/record"
)

// countSink counts records without keeping them.
type countSink struct{ n, requests int }

func (s *countSink) Page(_ context.Context, recs []record.Record) error {
	s.n += len(recs)
	return nil
}

func (s *countSink) Progress(p connector.Progress) { s.requests = max(s.requests, p.Requests) }

// TestHeavyFiveHundredMailboxes syncs 500 mailboxes of 20 events each
// (two weekly series among them), then runs again with no change, with no
// added latency and with 100 ms per calendar request (Exchange Online's
// order of magnitude). INTEGRATOR_HEAVY=1 runs it:
//
//	INTEGRATOR_HEAVY=1 go test ./internal/connector/exchange -run Heavy -v -count=1
func TestHeavyFiveHundredMailboxes(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to sync 500 mailboxes through the emulator")
	}
	for _, latency := range []time.Duration{0, 100 * time.Millisecond} {
		t.Run(latency.String(), func(t *testing.T) {
			const mailboxes = 500
			b := setup(t, mailboxes, graph.CalendarOptions{Latency: latency})
			ids := make([]string, 0, mailboxes)
			for _, u := range b.users {
				ids = append(ids, u.ID)
			}
			require.NoError(t, b.cal.GenerateCalendars(ids, 20, 1))
			src := b.open(t, func(c *Config) { c.PageSize = DefaultPageSize })

			run := func(label string) (int, int) {
				sink := &countSink{}
				before := b.emu.Stats().Requests
				cpu0 := cpuTime()
				start := time.Now()
				res, err := src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindAppointment}, Cursor: b.cursor}, sink)
				took := time.Since(start)
				cpu := cpuTime() - cpu0
				require.NoError(t, err)
				require.Empty(t, res.FailedParts)
				b.cursor = res.Cursor
				served := b.emu.Stats().Requests - before
				t.Logf("%s, latency %s: %d appointments, %d requests (%d seen by the connector), %s wall, %s CPU (connector and emulator), cursor %d bytes",
					label, latency, sink.n, served, sink.requests, took.Round(time.Millisecond), cpu.Round(time.Millisecond), len(b.cursor))
				return sink.n, int(served)
			}
			n, _ := run("first sync")
			require.Greater(t, n, mailboxes*10)
			n, requests := run("no change")
			require.Zero(t, n)
			require.Equal(t, mailboxes, requests, "one request per mailbox")
			require.Zero(t, b.emu.Stats().Throttled)
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
