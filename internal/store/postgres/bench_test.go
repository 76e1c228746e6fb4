package postgres

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// cpuTime is the process's user and system CPU time so far. PostgreSQL's
// own work runs in its server processes and is not in it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter adds up the CPU time between its starts and stops, alongside
// the benchmark timer.
type cpuMeter struct{ total, at time.Duration }

func (m *cpuMeter) start() { m.at = cpuTime() }
func (m *cpuMeter) stop()  { m.total += cpuTime() - m.at }

// report reports n units over the benchmark as a rate and as this
// process's CPU time per unit.
func (m *cpuMeter) report(b *testing.B, n int, unit string) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit+"s/s")
	b.ReportMetric(float64(m.total.Microseconds())/float64(n), "cpu-µs/"+unit)
}

func benchSetup(b *testing.B) (*Store, *store.Integration, *store.Run, int64) {
	b.Helper()
	s, _ := openTest(b)
	in, run, siteID, err := baselineSetup(b.Context(), s)
	require.NoError(b, err)
	return s, in, run, siteID
}

// benchPages are the page sizes measured: the SQLite benchmarks' page and
// the engine's transaction.
var benchPages = []int{1000, BaselinePageSize}

// BenchmarkApplyPage applies pages of new users the way the engine's
// initial sync does: per record a seen mark, a user, a link and an audit
// event, one transaction per page, through the store's methods.
func BenchmarkApplyPage(b *testing.B) {
	for _, size := range benchPages {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			s, in, run, siteID := benchSetup(b)
			ctx := b.Context()
			n := 0
			var cpu cpuMeter
			cpu.start()
			for b.Loop() {
				// Building the page is the engine's work, not the store's.
				b.StopTimer()
				cpu.stop()
				page := baselinePage(n, size)
				users := make([]store.User, size)
				links := make([]store.Link, size)
				ids := make([]string, size)
				audits := make([]store.AuditEvent, size)
				for i, rec := range page {
					users[i] = rec.user
					users[i].SiteID = siteID
					ids[i] = rec.ext
					links[i] = store.Link{IntegrationID: in.ID, Kind: record.KindUser, ExternalID: ids[i],
						Status: store.LinkLinked, MatchedBy: "created", Fingerprint: "0123456789abcdef0123456789abcdef",
						Data: rec.data, Reason: "in group Staff", ManagerRef: rec.manager, LastRunID: run.ID}
				}
				b.StartTimer()
				cpu.start()
				err := s.Tx(ctx, func(tx store.Tx) error {
					if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindUser, ExternalIDs: ids}); err != nil {
						return err
					}
					if err := tx.UserInsertMany(ctx, users); err != nil {
						return err
					}
					for i := range links {
						links[i].EntityID = users[i].ID
						audits[i] = store.AuditEvent{RunID: run.ID, IntegrationID: in.ID, Kind: record.KindUser,
							EntityID: users[i].ID, Action: store.ActionCreated, Reason: "in group Staff"}
					}
					if err := tx.LinkUpsertMany(ctx, links); err != nil {
						return err
					}
					return tx.AuditInsertMany(ctx, audits)
				})
				if err != nil {
					b.Fatal(err)
				}
				n += size
			}
			cpu.stop()
			cpu.report(b, n, "record")
		})
	}
}

// BenchmarkRawCopy writes the same rows into the same schema with four raw
// COPYs per page (BaselineInsert's pages): the "PostgreSQL alone" limit
// BenchmarkApplyPage is measured against.
func BenchmarkRawCopy(b *testing.B) {
	for _, size := range benchPages {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			s, in, run, siteID := benchSetup(b)
			ctx := b.Context()
			n := 0
			var cpu cpuMeter
			cpu.start()
			for b.Loop() {
				b.StopTimer()
				cpu.stop()
				page := baselinePage(n, size)
				b.StartTimer()
				cpu.start()
				if err := baselineWrite(ctx, s, in.ID, run.ID, siteID, page); err != nil {
					b.Fatal(err)
				}
				n += size
			}
			cpu.stop()
			cpu.report(b, n, "record")
		})
	}
}

func TestBaselineInsert(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := freshSchema(t)
	require.NoError(t, BaselineInsert(ctx, dsn, BaselinePageSize+1500))
	s, err := Open(ctx, dsn, nil)
	require.NoError(t, err)
	defer s.Close()
	in, err := s.IntegrationGet(ctx, "baseline")
	require.NoError(t, err)
	c, err := s.EntityCount(ctx, in.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, int64(BaselinePageSize+1500), c.Active)
	links, err := s.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: in.ID, Kind: record.KindUser,
		ExternalIDs: []string{baselineExternalID(0), baselineExternalID(BaselinePageSize + 1499)}})
	require.NoError(t, err)
	require.Len(t, links, 2)
	for _, l := range links {
		u, err := s.UserGet(ctx, l.EntityID)
		require.NoError(t, err)
		require.True(t, u.Active)
	}
	events, err := s.AuditList(ctx, &store.AuditListParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, events, 10)
}
