package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const benchPage = 1000

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
	b.ResetTimer()
	for b.Loop() {
		// Building the page is the engine's work, not the store's.
		b.StopTimer()
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
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRawInsert writes the same rows into the same schema with plain
// single-row prepared statements (BaselineInsert's pages): the "SQLite
// alone" baseline BenchmarkApplyPage is measured against.
func BenchmarkRawInsert(b *testing.B) {
	s, in, run, siteID := benchSetup(b)
	ctx := b.Context()
	n := 0
	for b.Loop() {
		b.StopTimer()
		page := baselinePage(n, benchPage)
		b.StartTimer()
		if err := baselineWrite(ctx, s, in.ID, run.ID, siteID, page); err != nil {
			b.Fatal(err)
		}
		n += benchPage
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
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
