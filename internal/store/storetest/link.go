package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func testLinks(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "contoso")
	other := newIntegration(t, s, "acme")
	users := newUsers(t, s, user("ada"), store.User{Role: store.RoleUser, DisplayName: "gone", Active: false})
	groups := newGroups(t, s, store.Group{Name: "eng", Active: true})
	run := newRun(t, s, in.ID)

	a := link(in.ID, record.KindUser, "ext-a", users[0].ID)
	a.LastRunID, a.ManagerRef = run.ID, "ext-b"
	b := link(in.ID, record.KindUser, "ext-b", users[1].ID)
	b.ManagerRef = "ext-boss"
	oos := link(in.ID, record.KindUser, "ext-oos", 0)
	oos.Status, oos.Reason = store.LinkOutOfScope, "not in a mapped group"
	g := link(in.ID, record.KindGroup, "ext-a", groups[0].ID)  // same external ID, other kind
	x := link(other.ID, record.KindUser, "ext-a", users[0].ID) // same external ID, other integration
	links := upsertLinks(t, s, a, b, oos, g, x)
	seen := map[int64]bool{}
	for _, l := range links {
		require.NotZero(t, l.ID)
		require.False(t, seen[l.ID], "link IDs must be distinct")
		seen[l.ID] = true
	}
	a, b, g, x = links[0], links[1], links[3], links[4]

	got, err := s.LinkGetMany(ctx, &store.LinkGetManyParams{
		IntegrationID: in.ID, Kind: record.KindUser, ExternalIDs: []string{"ext-a", "ext-oos", "ext-missing", "ext-b"},
	})
	require.NoError(t, err)
	require.Equal(t, []string{"ext-a", "ext-b", "ext-oos"}, externalIDs(got))
	byExt := map[string]store.Link{}
	for _, l := range got {
		byExt[l.ExternalID] = l
	}
	ga := byExt["ext-a"]
	require.Equal(t, a.ID, ga.ID)
	require.Equal(t, in.ID, ga.IntegrationID)
	require.Equal(t, record.KindUser, ga.Kind)
	require.Equal(t, users[0].ID, ga.EntityID)
	require.Equal(t, store.LinkLinked, ga.Status)
	require.Equal(t, "created", ga.MatchedBy)
	require.Equal(t, "fp-ext-a", ga.Fingerprint)
	require.JSONEq(t, `{"state":"present"}`, string(ga.Data))
	require.Equal(t, run.ID, ga.LastRunID)
	require.Equal(t, "ext-b", ga.ManagerRef)
	require.Equal(t, "ext-boss", byExt["ext-b"].ManagerRef)
	require.Empty(t, byExt["ext-oos"].ManagerRef, "no manager reads back as empty")
	require.False(t, ga.CreatedAt.IsZero())
	require.True(t, ga.EntityActive, "the entity's state is joined")
	require.False(t, byExt["ext-b"].EntityActive)
	require.Zero(t, byExt["ext-oos"].EntityID)
	require.Equal(t, store.LinkOutOfScope, byExt["ext-oos"].Status)
	require.Equal(t, "not in a mapped group", byExt["ext-oos"].Reason)

	got, err = s.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: in.ID, Kind: record.KindGroup, ExternalIDs: []string{"ext-a"}})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, g.ID, got[0].ID)
	require.True(t, got[0].EntityActive)

	got, err = s.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: in.ID, Kind: record.KindUser})
	require.NoError(t, err)
	require.Empty(t, got)

	// Upserting the same key replaces the link and keeps its ID.
	a2 := link(in.ID, record.KindUser, "ext-a", users[1].ID)
	a2.Status, a2.MatchedBy, a2.Fingerprint, a2.Data, a2.Reason = store.LinkRemoved, "upn", "fp-2", []byte(`{"state":"removed"}`), "removed at source"
	a2 = upsertLinks(t, s, a2)[0]
	require.Equal(t, a.ID, a2.ID)
	got, err = s.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: in.ID, Kind: record.KindUser, ExternalIDs: []string{"ext-a"}})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, users[1].ID, got[0].EntityID)
	require.Equal(t, store.LinkRemoved, got[0].Status)
	require.Equal(t, "upn", got[0].MatchedBy)
	require.Equal(t, "fp-2", got[0].Fingerprint)
	require.JSONEq(t, `{"state":"removed"}`, string(got[0].Data))
	require.Equal(t, "removed at source", got[0].Reason)
	require.Empty(t, got[0].ManagerRef, "replacing clears the manager")
	require.True(t, got[0].CreatedAt.Equal(ga.CreatedAt), "replacing keeps the creation time")

	// Links by entity: across integrations, one kind.
	byEntity, err := s.LinkListByEntity(ctx, record.KindUser, users[0].ID)
	require.NoError(t, err)
	require.Len(t, byEntity, 1)
	require.Equal(t, x.ID, byEntity[0].ID)
	byEntity, err = s.LinkListByEntity(ctx, record.KindUser, users[1].ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []int64{a.ID, b.ID}, []int64{byEntity[0].ID, byEntity[1].ID})
	for _, l := range byEntity {
		if l.ID == b.ID {
			require.Equal(t, "ext-boss", l.ManagerRef)
		}
	}
	byEntity, err = s.LinkListByEntity(ctx, record.KindGroup, groups[0].ID)
	require.NoError(t, err)
	require.Len(t, byEntity, 1)
	require.Equal(t, g.ID, byEntity[0].ID)
}

func testLinkGetManyLarge(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "contoso")
	const n = 1300 // more than one lookup chunk
	links := make([]store.Link, n)
	ids := make([]string, 0, n+10)
	for i := range links {
		links[i] = link(in.ID, record.KindUser, fmt.Sprintf("ext-%05d", i), 0)
		links[i].Status = store.LinkOutOfScope
		ids = append(ids, links[i].ExternalID)
	}
	for i := range 10 {
		ids = append(ids, fmt.Sprintf("missing-%d", i))
	}
	links = upsertLinks(t, s, links...)
	byExt := map[string]int64{}
	for _, l := range links {
		require.NotZero(t, l.ID)
		byExt[l.ExternalID] = l.ID
	}
	require.Len(t, byExt, n)

	got, err := s.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: in.ID, Kind: record.KindUser, ExternalIDs: ids})
	require.NoError(t, err)
	require.Len(t, got, n)
	for _, l := range got {
		require.Equal(t, byExt[l.ExternalID], l.ID, l.ExternalID)
	}
}

func testLinkListUnseen(t *testing.T, s store.Store) {
	in := newIntegration(t, s, "contoso")
	other := newIntegration(t, s, "acme")
	run := newRun(t, s, in.ID)
	inactive := store.User{Role: store.RoleUser, DisplayName: "inactive", Active: false}
	users := newUsers(t, s, user("seen"), user("unseen1"), inactive, user("unseen2"), user("other"), user("unseen3"))
	groups := newGroups(t, s, store.Group{Name: "seen", Active: true}, store.Group{Name: "unseen", Active: true},
		store.Group{Name: "inactive", Active: false})
	unseen1 := link(in.ID, record.KindUser, "u-unseen1", users[1].ID)
	unseen1.ManagerRef = "u-seen"
	links := upsertLinks(t, s,
		link(in.ID, record.KindUser, "u-seen", users[0].ID),
		unseen1,
		link(in.ID, record.KindUser, "u-inactive", users[2].ID),
		link(in.ID, record.KindUser, "u-unseen2", users[3].ID),
		link(other.ID, record.KindUser, "u-other", users[4].ID),
		link(in.ID, record.KindUser, "u-noentity", 0),
		link(in.ID, record.KindUser, "u-unseen3", users[5].ID),
		link(in.ID, record.KindGroup, "g-seen", groups[0].ID),
		link(in.ID, record.KindGroup, "g-unseen", groups[1].ID),
		link(in.ID, record.KindGroup, "g-inactive", groups[2].ID),
	)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindUser, ExternalIDs: []string{"u-seen", "u-not-linked"}}); err != nil {
			return err
		}
		// Marking twice is harmless; a group mark does not cover a user.
		if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindUser, ExternalIDs: []string{"u-seen"}}); err != nil {
			return err
		}
		return tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindGroup, ExternalIDs: []string{"g-seen", "u-unseen1"}})
	})

	unseen := func(kind record.Kind, runID, after int64, limit int) []store.Link {
		var out []store.Link
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			out, err = tx.LinkListUnseen(ctx, &store.LinkListUnseenParams{
				IntegrationID: in.ID, Kind: kind, RunID: runID, AfterID: after, Limit: limit,
			})
			return err
		})
		return out
	}
	ids := func(ls []store.Link) []int64 {
		out := make([]int64, len(ls))
		for i, l := range ls {
			out[i] = l.ID
		}
		return out
	}

	all := unseen(record.KindUser, run.ID, 0, 100)
	require.Equal(t, []int64{links[1].ID, links[3].ID, links[6].ID}, ids(all))
	require.Equal(t, "u-seen", all[0].ManagerRef)
	for _, l := range all {
		require.True(t, l.EntityActive)
		require.NotEmpty(t, l.Data, "the sweep needs the link data")
	}
	// Paging by ascending ID.
	page1 := unseen(record.KindUser, run.ID, 0, 2)
	require.Equal(t, []int64{links[1].ID, links[3].ID}, ids(page1))
	page2 := unseen(record.KindUser, run.ID, page1[1].ID, 2)
	require.Equal(t, []int64{links[6].ID}, ids(page2))

	require.Equal(t, []int64{links[8].ID}, ids(unseen(record.KindGroup, run.ID, 0, 100)))

	// Another run has its own marks.
	run2 := newRun(t, s, in.ID)
	require.Len(t, unseen(record.KindUser, run2.ID, 0, 100), 4)
}

func testEntityCount(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "contoso")
	other := newIntegration(t, s, "acme")
	inactive := store.User{Role: store.RoleUser, DisplayName: "inactive", Active: false}
	users := newUsers(t, s, user("a"), user("b"), inactive, user("d"))
	groups := newGroups(t, s, store.Group{Name: "g", Active: true}, store.Group{Name: "h", Active: false})
	upsertLinks(t, s,
		link(in.ID, record.KindUser, "a", users[0].ID),
		link(in.ID, record.KindUser, "b", users[1].ID),
		link(in.ID, record.KindUser, "c", users[2].ID),
		// A second link to an entity does not count it twice, active or not.
		link(in.ID, record.KindUser, "a-again", users[0].ID),
		link(in.ID, record.KindUser, "c-again", users[2].ID),
		link(in.ID, record.KindUser, "nothing", 0),
		link(other.ID, record.KindUser, "d", users[3].ID),
		link(in.ID, record.KindGroup, "g", groups[0].ID),
		link(in.ID, record.KindGroup, "h", groups[1].ID),
	)
	c, err := s.EntityCount(ctx, in.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, store.EntityCount{Active: 2, Inactive: 1}, c)
	c, err = s.EntityCount(ctx, other.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, store.EntityCount{Active: 1}, c)
	c, err = s.EntityCount(ctx, in.ID, record.KindGroup)
	require.NoError(t, err)
	require.Equal(t, store.EntityCount{Active: 1, Inactive: 1}, c)

	empty := newIntegration(t, s, "empty")
	c, err = s.EntityCount(ctx, empty.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, store.EntityCount{}, c)
}
