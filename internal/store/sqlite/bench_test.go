package sqlite

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const benchPage = 1000

// cpuTime is the process's user and system CPU time so far. Next to wall
// time it shows the work done on a machine busy with other things.
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

// report reports n units over the benchmark as a rate and as CPU time per
// unit.
func (m *cpuMeter) report(b *testing.B, n int, unit string) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit+"s/s")
	b.ReportMetric(float64(m.total.Microseconds())/float64(n), "cpu-µs/"+unit)
}

func benchSetup(b *testing.B) (*Store, *store.Integration, *store.Run, int64) {
	b.Helper()
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	in, run, siteID, err := baselineSetup(b.Context(), s)
	require.NoError(b, err)
	return s, in, run, siteID
}

// BenchmarkApplyPage applies pages of new users the way the engine does:
// per record a user, a link, an audit event and a seen mark, one
// transaction per page.
func BenchmarkApplyPage(b *testing.B) {
	s, in, run, siteID := benchSetup(b)
	ctx := b.Context()
	n := 0
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		// Building the page is the engine's work, not the store's.
		b.StopTimer()
		cpu.stop()
		page := baselinePage(n, benchPage)
		users := make([]store.User, benchPage)
		links := make([]store.Link, benchPage)
		ids := make([]string, benchPage)
		audits := make([]store.AuditEvent, benchPage)
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
		n += benchPage
	}
	cpu.stop()
	cpu.report(b, n, "record")
}

// BenchmarkRawInsert writes the same rows into the same schema with plain
// single-row prepared statements (BaselineInsert's pages): the "SQLite
// alone" baseline BenchmarkApplyPage is measured against.
func BenchmarkRawInsert(b *testing.B) {
	s, in, run, siteID := benchSetup(b)
	ctx := b.Context()
	n := 0
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		b.StopTimer()
		cpu.stop()
		page := baselinePage(n, benchPage)
		b.StartTimer()
		cpu.start()
		if err := baselineWrite(ctx, s, in.ID, run.ID, siteID, page); err != nil {
			b.Fatal(err)
		}
		n += benchPage
	}
	cpu.stop()
	cpu.report(b, n, "record")
}

func TestBaselineInsert(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "baseline.db")
	require.NoError(t, BaselineInsert(ctx, path, 1500))
	s, err := Open(ctx, path, nil)
	require.NoError(t, err)
	defer s.Close()
	users, err := s.UserList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	require.Len(t, users, 1500)
	in, err := s.IntegrationGet(ctx, "baseline")
	require.NoError(t, err)
	c, err := s.EntityCount(ctx, in.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, int64(1500), c.Active)
}

// benchLoad fills a store with n users linked from one integration in one
// run, their IDs GUIDs and each one's manager another of them, and returns
// their external IDs in insertion order.
func benchLoad(b *testing.B, s *Store, in *store.Integration, run *store.Run, siteID int64, n int) []string {
	b.Helper()
	ctx := b.Context()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = baselineExternalID(i)
	}
	for from := 0; from < n; from += benchPage {
		page := baselinePage(from, min(benchPage, n-from))
		users := make([]store.User, len(page))
		links := make([]store.Link, len(page))
		for i, rec := range page {
			users[i] = rec.user
			users[i].SiteID = siteID
			links[i] = store.Link{IntegrationID: in.ID, Kind: record.KindUser, ExternalID: ids[from+i],
				Status: store.LinkLinked, MatchedBy: "created", Fingerprint: "0123456789abcdef0123456789abcdef",
				Data: rec.data, Reason: "in group Staff", ManagerRef: ids[(from+i)/50], LastRunID: run.ID}
		}
		require.NoError(b, s.Tx(ctx, func(tx store.Tx) error {
			if err := tx.UserInsertMany(ctx, users); err != nil {
				return err
			}
			for i := range links {
				links[i].EntityID = users[i].ID
			}
			return tx.LinkUpsertMany(ctx, links)
		}))
	}
	return ids
}

// benchRun starts a run of the integration.
func benchRun(b *testing.B, s *Store, in *store.Integration) *store.Run {
	b.Helper()
	var run *store.Run
	require.NoError(b, s.Tx(b.Context(), func(tx store.Tx) error {
		var err error
		run, err = tx.RunStart(b.Context(), &store.RunStartParams{IntegrationID: in.ID, Mode: "full"})
		return err
	}))
	return run
}

const benchUsers = 20000

// BenchmarkResyncPage reads pages of existing users the way a full resync
// does when nothing changed: their links by external ID and a seen mark
// each, one transaction per page, a new run every pass over the users.
func BenchmarkResyncPage(b *testing.B) {
	s, in, run, siteID := benchSetup(b)
	ctx := b.Context()
	ids := benchLoad(b, s, in, run, siteID, benchUsers)
	n := 0
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		from := n % benchUsers
		if from == 0 {
			run = benchRun(b, s, in)
		}
		page := ids[from : from+benchPage]
		err := s.Tx(ctx, func(tx store.Tx) error {
			links, err := tx.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: in.ID, Kind: record.KindUser, ExternalIDs: page})
			if err != nil {
				return err
			}
			if len(links) != len(page) {
				return fmt.Errorf("got %d links of %d", len(links), len(page))
			}
			return tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindUser, ExternalIDs: page})
		})
		if err != nil {
			b.Fatal(err)
		}
		n += benchPage
	}
	cpu.stop()
	cpu.report(b, n, "record")
}

// BenchmarkMemberApply applies full member lists of 1,000-member groups,
// as a full run does: the first pass inserts them, the next ones find
// them all present and only mark them seen.
func BenchmarkMemberApply(b *testing.B) {
	s, in, run, _ := benchSetup(b)
	ctx := b.Context()
	const groups = 20
	n := 0
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		g := (n / benchPage) % groups
		if g == 0 {
			run = benchRun(b, s, in)
		}
		members := make([]string, benchPage)
		for i := range members {
			members[i] = baselineExternalID(g*benchPage + i)
		}
		err := s.Tx(ctx, func(tx store.Tx) error {
			_, err := tx.MemberApply(ctx, &store.MemberApplyParams{IntegrationID: in.ID, RunID: run.ID,
				GroupExternalID: baselineExternalID(-1 - g), Added: members})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		n += benchPage
	}
	cpu.stop()
	cpu.report(b, n, "member")
}

// BenchmarkFinishFull runs the reads that close a full run that saw every
// user: the pass over the links not seen, the count of linked users and
// the membership sweep.
func BenchmarkFinishFull(b *testing.B) {
	s, in, run, siteID := benchSetup(b)
	ctx := b.Context()
	ids := benchLoad(b, s, in, run, siteID, benchUsers)
	require.NoError(b, s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindUser, ExternalIDs: ids}); err != nil {
			return err
		}
		_, err := tx.MemberApply(ctx, &store.MemberApplyParams{IntegrationID: in.ID, RunID: run.ID,
			GroupExternalID: "all", Added: ids})
		return err
	}))
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		err := s.Tx(ctx, func(tx store.Tx) error {
			ls, err := tx.LinkListUnseen(ctx, &store.LinkListUnseenParams{IntegrationID: in.ID, Kind: record.KindUser,
				RunID: run.ID, Limit: 500})
			if err != nil {
				return err
			}
			if len(ls) != 0 {
				return fmt.Errorf("%d links unseen", len(ls))
			}
			c, err := tx.EntityCount(ctx, in.ID, record.KindUser)
			if err != nil {
				return err
			}
			if c.Active != benchUsers {
				return fmt.Errorf("%d users active", c.Active)
			}
			removed, err := tx.MemberSweep(ctx, in.ID, run.ID)
			if len(removed) != 0 {
				return fmt.Errorf("%d members swept", len(removed))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop()
	cpu.report(b, benchUsers*b.N, "user")
}
