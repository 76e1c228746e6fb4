package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// testOwners: field owners and the deactivating integration round-trip,
// and a user with no owners reads back with none.
func testOwners(t *testing.T, s store.Store) {
	ctx := t.Context()
	ad, entra := newIntegration(t, s, "ad"), newIntegration(t, s, "entra")
	u := user("ada")
	u.Owners = map[string]int64{"department": ad.ID, "email": entra.ID}
	users := newUsers(t, s, u, user("grace"))
	got, err := s.UserGet(ctx, users[0].ID)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"department": ad.ID, "email": entra.ID}, got.Owners)
	other, err := s.UserGet(ctx, users[1].ID)
	require.NoError(t, err)
	require.Empty(t, other.Owners)

	got.Owners["job_title"] = ad.ID
	got.Active, got.DeactivatedAt, got.DeactivatedReason, got.DeactivatedBy = false, baseTime, "disabled at source", ad.ID
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UserUpdateMany(ctx, []store.User{*got}) })
	again, err := s.UserGet(ctx, got.ID)
	require.NoError(t, err)
	require.Equal(t, ad.ID, again.Owners["job_title"])
	require.Equal(t, ad.ID, again.DeactivatedBy)
}

// testUserFindContacts: contacts and people never find each other.
func testUserFindContacts(t *testing.T, s store.Store) {
	ctx := t.Context()
	person := user("ada")
	contact := user("ada")
	contact.Role = store.RoleContact
	users := newUsers(t, s, person, contact)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		hits, err := tx.UserFind(ctx, &store.UserFindParams{Key: store.KeyEmail, Values: []string{"ADA@example.com"}})
		require.NoError(t, err)
		require.Equal(t, []int64{users[0].ID}, hits["ADA@example.com"])
		hits, err = tx.UserFind(ctx, &store.UserFindParams{Key: store.KeyEmail, Values: []string{"ada@example.com"}, Contacts: true})
		require.NoError(t, err)
		require.Equal(t, []int64{users[1].ID}, hits["ada@example.com"])
		return nil
	})
	// A contact sharing a person's email is not a duplicate person.
	dups, err := s.UserDuplicates(ctx, 10)
	require.NoError(t, err)
	require.Empty(t, dups)
}

// testReview: items upsert by (integration, kind, external ID), list by
// status and count.
func testReview(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "entra")
	run := newRun(t, s, in.ID)
	_, err := s.ReviewGet(ctx, 12345)
	require.ErrorIs(t, err, store.ErrNotFound)

	items := []store.ReviewItem{
		{IntegrationID: in.ID, Kind: record.KindUser, ExternalID: "u-1", Rule: "email", Reason: "email matches 2 platform users",
			Candidates: []int64{7, 9}, Data: []byte(`{"a":1}`), Status: store.ReviewOpen, RunID: run.ID},
		{IntegrationID: in.ID, Kind: record.KindUser, ExternalID: "u-2", Rule: "upn", Reason: "x",
			Candidates: []int64{3}, Status: store.ReviewOpen, RunID: run.ID},
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.ReviewUpsert(ctx, items) })
	require.NotZero(t, items[0].ID)
	require.NotEqual(t, items[0].ID, items[1].ID)

	got, err := s.ReviewGet(ctx, items[0].ID)
	require.NoError(t, err)
	require.Equal(t, []int64{7, 9}, got.Candidates)
	require.JSONEq(t, `{"a":1}`, string(got.Data))
	require.Equal(t, "email", got.Rule)
	require.False(t, got.CreatedAt.IsZero())

	n, err := s.ReviewCount(ctx, store.ReviewOpen)
	require.NoError(t, err)
	require.EqualValues(t, 2, n)

	// Resolving replaces the item in place.
	res := *got
	res.Status, res.ResolvedAt, res.ResolvedBy = store.ReviewIgnored, baseTime, "operator"
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.ReviewUpsert(ctx, []store.ReviewItem{res}) })
	require.Equal(t, items[0].ID, res.ID)
	got, err = s.ReviewGet(ctx, items[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.ReviewIgnored, got.Status)
	require.True(t, got.ResolvedAt.Equal(baseTime))

	open, err := s.ReviewList(ctx, &store.ReviewListParams{Status: store.ReviewOpen})
	require.NoError(t, err)
	require.Len(t, open, 1)
	require.Equal(t, "u-2", open[0].ExternalID)
	all, err := s.ReviewList(ctx, &store.ReviewListParams{IntegrationID: in.ID})
	require.NoError(t, err)
	require.Len(t, all, 2)
	n, err = s.ReviewCount(ctx, "")
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
}

// testUserDuplicates: active people sharing a key are reported, strongest
// key first; inactive ones are not.
func testUserDuplicates(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := user("ada"), user("ada")
	b.UPN = "ada.two@example.com"
	c := user("grace")
	d := user("grace")
	d.Active, d.Email, d.UPN = false, "g2@example.com", "g2@example.com"
	users := newUsers(t, s, a, b, c, d)
	dups, err := s.UserDuplicates(ctx, 10)
	require.NoError(t, err)
	require.Equal(t, []store.DuplicateSet{
		{Key: store.KeyEmail, Value: "ada@example.com", UserIDs: []int64{users[0].ID, users[1].ID}},
		{Key: "display_name", Value: "ada", UserIDs: []int64{users[0].ID, users[1].ID}},
	}, dups)
}
