package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func testRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "contoso")

	_, err := s.RunGet(ctx, 999999)
	require.ErrorIs(t, err, store.ErrNotFound)

	var run *store.Run
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		run, err = tx.RunStart(ctx, &store.RunStartParams{
			IntegrationID: in.ID, Mode: "delta", DryRun: true, Trigger: "schedule", At: baseTime,
		})
		return err
	})
	require.NotZero(t, run.ID)
	require.Equal(t, store.RunRunning, run.Status)
	require.Equal(t, "delta", run.Mode)
	require.True(t, run.DryRun)
	require.Equal(t, "schedule", run.Trigger)
	require.True(t, run.StartedAt.Equal(baseTime))
	require.True(t, run.FinishedAt.IsZero())

	progress := store.Counts{Fetched: 100, Created: 3}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RunProgress(ctx, run.ID, progress) })
	got, err := s.RunGet(ctx, run.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunRunning, got.Status)
	require.Equal(t, progress, got.Counts)

	final := store.Counts{Fetched: 250, Created: 3, Updated: 7, Unchanged: 240, Writes: 20}
	byKind := map[record.Kind]store.Counts{
		record.KindUser:  {Fetched: 200, Created: 3, Updated: 7, Unchanged: 190, Writes: 20},
		record.KindGroup: {Fetched: 50, Unchanged: 50},
	}
	finished := baseTime.Add(90 * time.Second)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.RunFinish(ctx, &store.RunFinishParams{
			ID: run.ID, Status: store.RunSucceeded, Full: true, Counts: final, ByKind: byKind,
			Notes: "the source refused the delta cursor; a full resync was done", At: finished,
		})
	})
	got, err = s.RunGet(ctx, run.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunSucceeded, got.Status)
	require.True(t, got.Full)
	require.Equal(t, final, got.Counts)
	require.Equal(t, byKind, got.ByKind)
	require.Equal(t, "the source refused the delta cursor; a full resync was done", got.Notes)
	require.Empty(t, got.Error)
	require.True(t, got.FinishedAt.Equal(finished))
	require.True(t, got.StartedAt.Equal(baseTime))

	// Progress of a run that is no longer running is refused, and so is
	// finishing a run that does not exist.
	err = s.Tx(ctx, func(tx store.Tx) error { return tx.RunProgress(ctx, run.ID, store.Counts{Fetched: 1}) })
	require.Error(t, err)
	err = s.Tx(ctx, func(tx store.Tx) error {
		return tx.RunFinish(ctx, &store.RunFinishParams{ID: 999999, Status: store.RunFailed, At: finished})
	})
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err = s.RunGet(ctx, run.ID)
	require.NoError(t, err)
	require.Equal(t, final, got.Counts)

	// A failed run keeps its error.
	failed := newRun(t, s, in.ID)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.RunFinish(ctx, &store.RunFinishParams{
			ID: failed.ID, Status: store.RunFailed, Error: "fetching from source: 503", At: finished,
		})
	})
	got, err = s.RunGet(ctx, failed.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunFailed, got.Status)
	require.Equal(t, "fetching from source: 503", got.Error)

	// A skipped tick is a run row.
	var skipped *store.Run
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		skipped, err = tx.RunSkip(ctx, &store.RunSkipParams{IntegrationID: in.ID, Reason: "previous run still in progress", At: finished})
		return err
	})
	got, err = s.RunGet(ctx, skipped.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunSkipped, got.Status)
	require.Equal(t, in.ID, got.IntegrationID)
	require.Contains(t, got.Notes+got.Error, "previous run still in progress")
	require.True(t, got.StartedAt.Equal(finished))

	// Abandon fails only the integration's running runs.
	other := newIntegration(t, s, "acme")
	r1 := newRun(t, s, in.ID)
	r2 := newRun(t, s, in.ID)
	r3 := newRun(t, s, other.ID)
	var n int
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.RunAbandon(ctx, in.ID, "the process stopped during the run")
		return err
	})
	require.Equal(t, 2, n)
	for _, id := range []int64{r1.ID, r2.ID} {
		got, err := s.RunGet(ctx, id)
		require.NoError(t, err)
		require.Equal(t, store.RunFailed, got.Status)
		require.Equal(t, "the process stopped during the run", got.Error)
		require.False(t, got.FinishedAt.IsZero())
	}
	got, err = s.RunGet(ctx, r3.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunRunning, got.Status)
	got, err = s.RunGet(ctx, run.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunSucceeded, got.Status, "abandon touched a finished run")
}

func testRunListFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newIntegration(t, s, "contoso")
	b := newIntegration(t, s, "acme")
	// Runs started an hour apart, alternating integrations; every third
	// one succeeds.
	var ids []int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		for i := range 6 {
			integ := a.ID
			if i%2 == 1 {
				integ = b.ID
			}
			run, err := tx.RunStart(ctx, &store.RunStartParams{
				IntegrationID: integ, Mode: "full", Trigger: "schedule", At: baseTime.Add(time.Duration(i) * time.Hour),
			})
			if err != nil {
				return err
			}
			ids = append(ids, run.ID)
			if i%3 == 0 {
				err := tx.RunFinish(ctx, &store.RunFinishParams{ID: run.ID, Status: store.RunSucceeded, At: run.StartedAt.Add(time.Minute)})
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	runIDs := func(runs []store.Run) []int64 {
		out := make([]int64, len(runs))
		for i, r := range runs {
			out[i] = r.ID
		}
		return out
	}
	tests := []struct {
		name string
		p    store.RunListParams
		want []int64
	}{
		{"all newest first", store.RunListParams{}, []int64{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"integration", store.RunListParams{IntegrationID: a.ID}, []int64{ids[4], ids[2], ids[0]}},
		{"status", store.RunListParams{Status: store.RunSucceeded}, []int64{ids[3], ids[0]}},
		{"since", store.RunListParams{Since: baseTime.Add(4 * time.Hour)}, []int64{ids[5], ids[4]}},
		{"limit", store.RunListParams{Limit: 2}, []int64{ids[5], ids[4]}},
		{"combined", store.RunListParams{IntegrationID: b.ID, Status: store.RunRunning, Since: baseTime.Add(2 * time.Hour)}, []int64{ids[5]}},
	}
	for _, tc := range tests {
		got, err := s.RunList(ctx, &tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, runIDs(got), tc.name)
	}
}
