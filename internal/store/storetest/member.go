package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// memberApply applies a membership change and returns the rows changed.
func memberApply(t *testing.T, s store.Store, p store.MemberApplyParams) int {
	t.Helper()
	var n int
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		n, err = tx.MemberApply(ctx, &p)
		return err
	})
	return n
}

func memberGroupsOf(t *testing.T, s store.Store, integ int64, members ...string) map[string][]string {
	t.Helper()
	var out map[string][]string
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = tx.MemberGroupsOf(ctx, integ, members)
		return err
	})
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

func testMembers(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "contoso")
	other := newIntegration(t, s, "acme")
	run := newRun(t, s, in.ID)
	apply := func(group string, added, removed []string) int {
		return memberApply(t, s, store.MemberApplyParams{
			IntegrationID: in.ID, RunID: run.ID, GroupExternalID: group, Added: added, Removed: removed,
		})
	}

	require.Equal(t, 3, apply("g1", []string{"m1", "m2", "m3"}, nil))
	require.Equal(t, 1, apply("g1", []string{"m1", "m4"}, nil), "an existing membership is not a change")
	require.Equal(t, 1, apply("g1", nil, []string{"m2", "m-unknown"}), "removing a non-member is not a change")
	require.Equal(t, 2, apply("g2", []string{"m1", "m5"}, nil))
	require.Equal(t, 0, apply("g2", nil, nil))
	require.Equal(t, 1, memberApply(t, s, store.MemberApplyParams{
		IntegrationID: other.ID, RunID: run.ID, GroupExternalID: "g1", Added: []string{"m2"},
	}))

	require.Equal(t, map[string][]string{
		"m1": {"g1", "g2"},
		"m3": {"g1"},
		"m5": {"g2"},
	}, memberGroupsOf(t, s, in.ID, "m1", "m2", "m3", "m5", "m-unknown"))
	require.Equal(t, map[string][]string{"m2": {"g1"}}, memberGroupsOf(t, s, other.ID, "m1", "m2"))
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.MemberList(ctx, in.ID, "g1")
		require.NoError(t, err)
		require.Equal(t, []string{"m1", "m3", "m4"}, got)
		got, err = tx.MemberList(ctx, other.ID, "g2")
		require.NoError(t, err)
		require.Empty(t, got)
		return nil
	})

	// GroupMembers resolves source memberships through links: g1's members
	// are m1, m3 and m4, whose link has no entity; the other integration's
	// g1 is another platform group.
	users := newUsers(t, s, user("one"), user("three"), user("five"), user("two"))
	groups := newGroups(t, s, store.Group{Name: "g1", Active: true}, store.Group{Name: "g2", Active: true},
		store.Group{Name: "acme g1", Active: true})
	upsertLinks(t, s,
		link(in.ID, record.KindGroup, "g1", groups[0].ID),
		link(in.ID, record.KindGroup, "g2", groups[1].ID),
		link(other.ID, record.KindGroup, "g1", groups[2].ID),
		link(in.ID, record.KindUser, "m1", users[0].ID),
		link(in.ID, record.KindUser, "m3", users[1].ID),
		link(in.ID, record.KindUser, "m5", users[2].ID),
		link(other.ID, record.KindUser, "m2", users[3].ID),
		link(in.ID, record.KindUser, "m4", 0),
	)
	members, err := s.GroupMembers(ctx, groups[0].ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []int64{users[0].ID, users[1].ID}, members)
	members, err = s.GroupMembers(ctx, groups[1].ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []int64{users[0].ID, users[2].ID}, members)
	members, err = s.GroupMembers(ctx, groups[2].ID)
	require.NoError(t, err)
	require.Equal(t, []int64{users[3].ID}, members)

	// A platform group linked from two integrations has the members of both.
	upsertLinks(t, s, link(other.ID, record.KindGroup, "g1", groups[0].ID))
	members, err = s.GroupMembers(ctx, groups[0].ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []int64{users[0].ID, users[1].ID, users[3].ID}, members)

	members, err = s.GroupMembers(ctx, 999999)
	require.NoError(t, err)
	require.Empty(t, members)
}

func testMemberSweep(t *testing.T, s store.Store) {
	in := newIntegration(t, s, "contoso")
	other := newIntegration(t, s, "acme")
	run1 := newRun(t, s, in.ID)
	memberApply(t, s, store.MemberApplyParams{IntegrationID: in.ID, RunID: run1.ID, GroupExternalID: "g1", Added: []string{"a", "b", "c"}})
	memberApply(t, s, store.MemberApplyParams{IntegrationID: in.ID, RunID: run1.ID, GroupExternalID: "g2", Added: []string{"b", "d"}})
	memberApply(t, s, store.MemberApplyParams{IntegrationID: other.ID, RunID: run1.ID, GroupExternalID: "g1", Added: []string{"x"}})

	// The next full run sees g1 with a and c only, across two slices, and
	// g2 not at all.
	run2 := newRun(t, s, in.ID)
	memberApply(t, s, store.MemberApplyParams{IntegrationID: in.ID, RunID: run2.ID, GroupExternalID: "g1", Added: []string{"a"}})
	memberApply(t, s, store.MemberApplyParams{IntegrationID: in.ID, RunID: run2.ID, GroupExternalID: "g1", Added: []string{"c"}})

	sweep := func(integ, run int64) []string {
		var out []string
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			out, err = tx.MemberSweep(ctx, integ, run)
			return err
		})
		slices.Sort(out)
		return slices.Compact(out)
	}
	require.Equal(t, []string{"b", "d"}, sweep(in.ID, run2.ID), "b left both groups, d left g2")
	require.Equal(t, map[string][]string{"a": {"g1"}, "c": {"g1"}},
		memberGroupsOf(t, s, in.ID, "a", "b", "c", "d"))
	require.Equal(t, map[string][]string{"x": {"g1"}}, memberGroupsOf(t, s, other.ID, "x"),
		"another integration's memberships are not swept")
	require.Empty(t, sweep(in.ID, run2.ID), "a second sweep removes nothing")
}
