package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func pendingList(t *testing.T, s store.Store, runID, after int64, limit int) []store.Pending {
	t.Helper()
	var out []store.Pending
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = tx.PendingList(ctx, runID, after, limit)
		return err
	})
	return out
}

func rescopeList(t *testing.T, s store.Store, runID int64, after string, limit int) []string {
	t.Helper()
	var out []string
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = tx.RescopeList(ctx, runID, after, limit)
		return err
	})
	return out
}

func testPending(t *testing.T, s store.Store) {
	in := newIntegration(t, s, "contoso")
	run := newRun(t, s, in.ID)
	other := newRun(t, s, in.ID)
	first := []store.Pending{
		{Kind: record.KindUser, ExternalID: "u1", Record: []byte(`{"state":"removed"}`), Reason: "removed at source (deleted)"},
		{Kind: record.KindGroup, ExternalID: "g1", Record: []byte(`{"state":"removed"}`), Reason: "removed at source (deleted)"},
	}
	second := []store.Pending{
		{Kind: record.KindUser, ExternalID: "u2", Reason: "not found at source"},
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.PendingAdd(ctx, run.ID, first); err != nil {
			return err
		}
		if err := tx.PendingAdd(ctx, other.ID, []store.Pending{{Kind: record.KindUser, ExternalID: "x"}}); err != nil {
			return err
		}
		return tx.PendingAdd(ctx, run.ID, second)
	})

	all := pendingList(t, s, run.ID, 0, 100)
	require.Len(t, all, 3)
	require.Equal(t, []string{"u1", "g1", "u2"}, []string{all[0].ExternalID, all[1].ExternalID, all[2].ExternalID},
		"queued records come back in the order they were added")
	require.Less(t, all[0].Seq, all[1].Seq)
	require.Less(t, all[1].Seq, all[2].Seq)
	require.Equal(t, record.KindGroup, all[1].Kind)
	require.JSONEq(t, `{"state":"removed"}`, string(all[0].Record))
	require.Empty(t, all[2].Record)
	require.Equal(t, "removed at source (deleted)", all[0].Reason)

	page := pendingList(t, s, run.ID, 0, 2)
	require.Equal(t, all[:2], page)
	page = pendingList(t, s, run.ID, page[1].Seq, 2)
	require.Equal(t, all[2:], page)
	require.Empty(t, pendingList(t, s, run.ID, all[2].Seq, 2))

	require.Len(t, pendingList(t, s, other.ID, 0, 100), 1)
}

func testRescope(t *testing.T, s store.Store) {
	in := newIntegration(t, s, "contoso")
	run := newRun(t, s, in.ID)
	other := newRun(t, s, in.ID)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.RescopeAdd(ctx, run.ID, []string{"c", "a", "b", "d"}); err != nil {
			return err
		}
		if err := tx.RescopeAdd(ctx, run.ID, []string{"a", "e"}); err != nil {
			return err
		}
		if err := tx.RescopeAdd(ctx, other.ID, []string{"z"}); err != nil {
			return err
		}
		// b was fetched in this run, so it needs no re-scoping; d was seen
		// only in another run, and e only as a group.
		if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindUser, ExternalIDs: []string{"b"}}); err != nil {
			return err
		}
		if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: other.ID, Kind: record.KindUser, ExternalIDs: []string{"d"}}); err != nil {
			return err
		}
		return tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindGroup, ExternalIDs: []string{"e"}})
	})
	require.Equal(t, []string{"a", "c", "d", "e"}, rescopeList(t, s, run.ID, "", 100))
	require.Equal(t, []string{"a", "c"}, rescopeList(t, s, run.ID, "", 2))
	require.Equal(t, []string{"d", "e"}, rescopeList(t, s, run.ID, "c", 2))
	require.Empty(t, rescopeList(t, s, run.ID, "e", 2))
	require.Equal(t, []string{"z"}, rescopeList(t, s, other.ID, "", 100))
}

func testRunScratchClear(t *testing.T, s store.Store) {
	in := newIntegration(t, s, "contoso")
	run := newRun(t, s, in.ID)
	other := newRun(t, s, in.ID)
	users := newUsers(t, s, user("a"), user("b"))
	upsertLinks(t, s, link(in.ID, record.KindUser, "a", users[0].ID), link(in.ID, record.KindUser, "b", users[1].ID))
	fill := func(runID int64) {
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: runID, Kind: record.KindUser, ExternalIDs: []string{"a"}}); err != nil {
				return err
			}
			if err := tx.PendingAdd(ctx, runID, []store.Pending{{Kind: record.KindUser, ExternalID: "b", Reason: "r"}}); err != nil {
				return err
			}
			if err := tx.RescopeAdd(ctx, runID, []string{"x"}); err != nil {
				return err
			}
			_, err := tx.MemberApply(ctx, &store.MemberApplyParams{IntegrationID: in.ID, RunID: runID, GroupExternalID: "g", Added: []string{"a"}})
			return err
		})
	}
	fill(run.ID)
	fill(other.ID)
	unseen := func(runID int64) int {
		var n int
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			ls, err := tx.LinkListUnseen(ctx, &store.LinkListUnseenParams{IntegrationID: in.ID, Kind: record.KindUser, RunID: runID, Limit: 100})
			n = len(ls)
			return err
		})
		return n
	}
	require.Equal(t, 1, unseen(run.ID))

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.RunScratchClear(ctx, run.ID) })

	require.Empty(t, pendingList(t, s, run.ID, 0, 100))
	require.Empty(t, rescopeList(t, s, run.ID, "", 100))
	require.Equal(t, 2, unseen(run.ID), "seen marks are gone")
	// The other run's scratch is intact.
	require.Len(t, pendingList(t, s, other.ID, 0, 100), 1)
	require.Equal(t, []string{"x"}, rescopeList(t, s, other.ID, "", 100))
	require.Equal(t, 1, unseen(other.ID))
	// Membership seen marks went too: sweeping for the cleared run removes
	// the membership it had marked; memberships themselves are platform
	// data and survive the clear.
	require.Equal(t, map[string][]string{"a": {"g"}}, memberGroupsOf(t, s, in.ID, "a"))
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		removed, err := tx.MemberSweep(ctx, in.ID, run.ID)
		require.Equal(t, []string{"a"}, removed)
		return err
	})
}
