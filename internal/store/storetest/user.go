package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	var site *store.Site
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		site, err = tx.SiteEnsure(ctx, "Contoso", "London")
		return err
	})

	_, err := s.UserGet(ctx, 999999)
	require.ErrorIs(t, err, store.ErrNotFound)

	full := store.User{
		SiteID: site.ID, Role: store.RoleAgent, Active: true,
		DisplayName: "Ada Lovelace", GivenName: "Ada", Surname: "Lovelace",
		UPN: "ada@contoso.com", Email: "Ada.Lovelace@contoso.com", JobTitle: "Analyst",
		Department: "Engines", EmployeeID: "E-1815", ImmutableID: "aW1tdXRhYmxl", UserType: "Member",
	}
	users := newUsers(t, s, full, user("grace"), user("edsger"))
	require.NotZero(t, users[0].ID)
	require.Len(t, slices.Compact(slices.Sorted(slices.Values(userIDs(users)))), 3, "IDs must be distinct")
	for _, u := range users {
		require.False(t, u.CreatedAt.IsZero())
		require.False(t, u.UpdatedAt.IsZero())
	}

	got, err := s.UserGet(ctx, users[0].ID)
	require.NoError(t, err)
	want := full
	want.ID, want.CreatedAt, want.UpdatedAt = users[0].ID, got.CreatedAt, got.UpdatedAt
	require.Equal(t, want, *got)
	require.True(t, got.CreatedAt.Equal(users[0].CreatedAt))

	// UserGetMany returns those that exist.
	many, err := s.UserGetMany(ctx, []int64{users[2].ID, 999999, users[0].ID})
	require.NoError(t, err)
	require.ElementsMatch(t, []int64{users[0].ID, users[2].ID}, userIDs(many))

	// An update replaces every stored field but the creation time.
	u := *got
	u.Role, u.Active, u.DisplayName, u.Email, u.SiteID = store.RoleUser, false, "Ada King", "ada.king@contoso.com", 0
	u.DeactivatedAt, u.DeactivatedReason = baseTime, "disabled at source (accountEnabled=false)"
	u.ManagerID = users[1].ID
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UserUpdateMany(ctx, []store.User{u}) })
	got, err = s.UserGet(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, "Ada King", got.DisplayName)
	require.Equal(t, "ada.king@contoso.com", got.Email)
	require.Equal(t, store.RoleUser, got.Role)
	require.False(t, got.Active)
	require.Zero(t, got.SiteID)
	require.Equal(t, users[1].ID, got.ManagerID)
	require.True(t, got.DeactivatedAt.Equal(baseTime))
	require.Equal(t, "disabled at source (accountEnabled=false)", got.DeactivatedReason)
	require.True(t, got.CreatedAt.Equal(users[0].CreatedAt))
	require.False(t, got.UpdatedAt.Before(users[0].UpdatedAt))
	found, err := s.UserList(ctx, &store.EntityListParams{Search: "ada king"})
	require.NoError(t, err)
	require.Equal(t, []int64{u.ID}, userIDs(found), "search finds the new name")
	found, err = s.UserList(ctx, &store.EntityListParams{Search: "lovelace@"})
	require.NoError(t, err)
	require.Empty(t, found, "search forgets the old email")

	// Reactivation clears the deactivation fields.
	u = *got
	u.Active, u.DeactivatedAt, u.DeactivatedReason = true, time.Time{}, ""
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UserUpdateMany(ctx, []store.User{u}) })
	got, err = s.UserGet(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, got.Active)
	require.True(t, got.DeactivatedAt.IsZero())
	require.Empty(t, got.DeactivatedReason)

	// Updating a user that does not exist fails and changes nothing.
	ghost := user("ghost")
	ghost.ID = 999999
	renamed := *got
	renamed.DisplayName = "renamed"
	err = s.Tx(ctx, func(tx store.Tx) error { return tx.UserUpdateMany(ctx, []store.User{renamed, ghost}) })
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err = s.UserGet(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, "Ada King", got.DisplayName)

	// Inserting nothing is fine.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UserInsertMany(ctx, nil) })
}

func testUserList(t *testing.T, s store.Store) {
	ctx := t.Context()
	var london, paris *store.Site
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if london, err = tx.SiteEnsure(ctx, "Contoso", "London"); err != nil {
			return err
		}
		paris, err = tx.SiteEnsure(ctx, "Contoso", "Paris")
		return err
	})
	mk := func(name, upn, email string, site int64, active bool) store.User {
		return store.User{Role: store.RoleUser, Active: active, DisplayName: name, UPN: upn, Email: email, SiteID: site}
	}
	users := newUsers(t, s,
		mk("Ada Lovelace", "ada@contoso.com", "ada@contoso.com", london.ID, true),
		mk("Grace Hopper", "grace@contoso.com", "g.hopper@navy.example", paris.ID, true),
		mk("Édouard Lucas", "edouard@contoso.com", "", paris.ID, false),
		mk("Alan Turing", "alan@contoso.com", "alan@bletchley.example", london.ID, false),
		mk("Barbara Liskov", "barbara@contoso.com", "LISKOV@mit.example", london.ID, true),
	)
	ids := userIDs(users)
	tests := []struct {
		name string
		p    *store.EntityListParams
		want []int64
	}{
		{"all", &store.EntityListParams{}, ids},
		{"nil params", nil, ids},
		{"search name any case", &store.EntityListParams{Search: "HOPPER"}, []int64{ids[1]}},
		{"search non-ascii name", &store.EntityListParams{Search: "édouard"}, []int64{ids[2]}},
		{"search upn", &store.EntityListParams{Search: "alan@"}, []int64{ids[3]}},
		{"search email", &store.EntityListParams{Search: "liskov@"}, []int64{ids[4]}},
		{"search many", &store.EntityListParams{Search: "contoso"}, ids},
		{"active", &store.EntityListParams{Active: ptr(true)}, []int64{ids[0], ids[1], ids[4]}},
		{"inactive", &store.EntityListParams{Active: ptr(false)}, []int64{ids[2], ids[3]}},
		{"site", &store.EntityListParams{SiteID: paris.ID}, []int64{ids[1], ids[2]}},
		{"page 1", &store.EntityListParams{Limit: 2}, ids[:2]},
		{"page 2", &store.EntityListParams{AfterID: ids[1], Limit: 2}, ids[2:4]},
		{"page 3", &store.EntityListParams{AfterID: ids[3], Limit: 2}, ids[4:]},
		{"combined", &store.EntityListParams{Search: "contoso", Active: ptr(true), SiteID: london.ID}, []int64{ids[0], ids[4]}},
	}
	for _, tc := range tests {
		got, err := s.UserList(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, userIDs(got), tc.name)
	}
}

func testUserFind(t *testing.T, s store.Store) {
	users := newUsers(t, s,
		store.User{Role: store.RoleUser, Active: true, DisplayName: "A", UPN: "Ada@Contoso.com", Email: "shared@contoso.com", EmployeeID: "E-1", ImmutableID: "ImmA=="},
		store.User{Role: store.RoleUser, Active: false, DisplayName: "B", UPN: "bob@contoso.com", Email: "SHARED@contoso.com", EmployeeID: "e-2", ImmutableID: "ImmB=="},
		store.User{Role: store.RoleUser, Active: true, DisplayName: "C", UPN: "carol@contoso.com"},
	)
	a, b, c := users[0].ID, users[1].ID, users[2].ID
	tests := []struct {
		key    string
		values []string
		want   map[string][]int64
	}{
		{store.KeyUPN, []string{"ada@contoso.com", "BOB@CONTOSO.COM", "nobody@contoso.com", "Carol@Contoso.com"},
			map[string][]int64{"ada@contoso.com": {a}, "BOB@CONTOSO.COM": {b}, "Carol@Contoso.com": {c}}},
		{store.KeyEmail, []string{"shared@CONTOSO.com"}, map[string][]int64{"shared@CONTOSO.com": {a, b}}},
		{store.KeyEmployeeID, []string{"e-1", "E-2"}, map[string][]int64{"e-1": {a}, "E-2": {b}}},
		// Immutable IDs are base64: case matters to the source, but the
		// store compares case-insensitively like every key.
		{store.KeyImmutableID, []string{"imma==", "ImmB=="}, map[string][]int64{"imma==": {a}, "ImmB==": {b}}},
		// Blank fields never match.
		{store.KeyEmail, []string{""}, map[string][]int64{}},
		{store.KeyUPN, nil, map[string][]int64{}},
	}
	for _, tc := range tests {
		var got map[string][]int64
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			got, err = tx.UserFind(ctx, &store.UserFindParams{Key: tc.key, Values: tc.values})
			return err
		})
		for v := range got {
			slices.Sort(got[v])
		}
		require.Equal(t, tc.want, got, "%s %v", tc.key, tc.values)
	}

	// An unknown key is an error, not an empty answer.
	err := s.Tx(t.Context(), func(tx store.Tx) error {
		_, err := tx.UserFind(t.Context(), &store.UserFindParams{Key: "shoe_size", Values: []string{"42"}})
		return err
	})
	require.Error(t, err)
}

func testGroups(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GroupGet(ctx, 999999)
	require.ErrorIs(t, err, store.ErrNotFound)

	groups := newGroups(t, s,
		store.Group{Name: "Engineering", Mail: "eng@contoso.com", Active: true},
		store.Group{Name: "Finance", Mail: "fin@contoso.com", Active: true},
		store.Group{Name: "Old Team", Active: false, DeactivatedAt: baseTime, DeactivatedReason: "deleted at source"},
	)
	require.NotZero(t, groups[0].ID)
	got, err := s.GroupGet(ctx, groups[0].ID)
	require.NoError(t, err)
	require.Equal(t, "Engineering", got.Name)
	require.Equal(t, "eng@contoso.com", got.Mail)
	require.True(t, got.Active)
	require.False(t, got.CreatedAt.IsZero())

	old, err := s.GroupGet(ctx, groups[2].ID)
	require.NoError(t, err)
	require.True(t, old.DeactivatedAt.Equal(baseTime))
	require.Equal(t, "deleted at source", old.DeactivatedReason)

	g := *got
	g.Name, g.Active, g.DeactivatedAt, g.DeactivatedReason = "Platform Engineering", false, baseTime, "removed"
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.GroupUpdateMany(ctx, []store.Group{g}) })
	got, err = s.GroupGet(ctx, g.ID)
	require.NoError(t, err)
	require.Equal(t, "Platform Engineering", got.Name)
	require.False(t, got.Active)
	require.Equal(t, "removed", got.DeactivatedReason)

	groupIDs := func(gs []store.Group) []int64 {
		out := make([]int64, len(gs))
		for i, g := range gs {
			out[i] = g.ID
		}
		return out
	}
	list, err := s.GroupList(ctx, &store.EntityListParams{Search: "ENGINEERING"})
	require.NoError(t, err)
	require.Equal(t, []int64{groups[0].ID}, groupIDs(list))
	list, err = s.GroupList(ctx, &store.EntityListParams{Search: "platform"})
	require.NoError(t, err)
	require.Equal(t, []int64{groups[0].ID}, groupIDs(list), "search finds the new name")
	list, err = s.GroupList(ctx, &store.EntityListParams{Search: "FIN@"})
	require.NoError(t, err)
	require.Equal(t, []int64{groups[1].ID}, groupIDs(list), "search covers the mail")
	list, err = s.GroupList(ctx, &store.EntityListParams{Active: ptr(true)})
	require.NoError(t, err)
	require.Equal(t, []int64{groups[1].ID}, groupIDs(list))
	list, err = s.GroupList(ctx, &store.EntityListParams{AfterID: groups[0].ID, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, []int64{groups[1].ID}, groupIDs(list))

	ghost := store.Group{ID: 999999, Name: "ghost"}
	err = s.Tx(ctx, func(tx store.Tx) error { return tx.GroupUpdateMany(ctx, []store.Group{ghost}) })
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testUserManagersResolve(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "contoso")
	other := newIntegration(t, s, "acme")
	users := newUsers(t, s, user("boss"), user("worker"), user("orphan"), user("bystander"),
		user("waiting"), user("late"), user("elsewhere"), user("stale"))
	boss, worker, orphan, bystander := users[0], users[1], users[2], users[3]
	waiting, late, elsewhere, stale := users[4], users[5], users[6], users[7]

	// userLink is a user link of the integration written in the run.
	userLink := func(integ int64, run *store.Run, ext string, entity int64, manager string) store.Link {
		l := link(integ, record.KindUser, ext, entity)
		l.ManagerRef, l.LastRunID = manager, run.ID
		return l
	}
	resolve := func(integ int64, run *store.Run) int {
		var n int
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.UserManagersResolve(ctx, integ, run.ID)
			return err
		})
		return n
	}
	managerOf := func(id int64) int64 {
		u, err := s.UserGet(ctx, id)
		require.NoError(t, err)
		return u.ManagerID
	}

	run1 := newRun(t, s, in.ID)
	groupLink := link(in.ID, record.KindGroup, "ext-late", newGroups(t, s, store.Group{Name: "late", Active: true})[0].ID)
	groupLink.LastRunID = run1.ID
	otherRun1 := newRun(t, s, other.ID)
	upsertLinks(t, s,
		userLink(in.ID, run1, "ext-boss", boss.ID, ""),
		userLink(in.ID, run1, "ext-worker", worker.ID, "ext-boss"),
		userLink(in.ID, run1, "ext-orphan", orphan.ID, "ext-nobody"),
		userLink(in.ID, run1, "ext-bystander", bystander.ID, ""),
		userLink(in.ID, run1, "ext-waiting", waiting.ID, "ext-late"),
		userLink(in.ID, run1, "ext-stale", stale.ID, "ext-boss"),
		// A group link is no manager, whatever its external ID.
		groupLink,
		// The same manager ID in another integration means another object.
		userLink(other.ID, otherRun1, "ext-elsewhere", elsewhere.ID, "ext-boss"),
	)
	require.Equal(t, 2, resolve(in.ID, run1), "the worker's and the stale user's managers change")
	require.Equal(t, boss.ID, managerOf(worker.ID))
	require.Equal(t, boss.ID, managerOf(stale.ID))
	require.Zero(t, managerOf(orphan.ID), "an unlinked manager resolves to none")
	require.Zero(t, managerOf(waiting.ID), "a group link is not a manager")
	require.Zero(t, managerOf(boss.ID))
	require.Zero(t, managerOf(elsewhere.ID), "another integration's users are not touched")
	require.Equal(t, 0, resolve(in.ID, run1), "a second pass changes nothing")
	require.Equal(t, 0, resolve(in.ID, otherRun1), "another integration's run names none of its links")

	// A user left untouched by a run keeps its manager, even a stale one,
	// unless the run wrote its manager's link.
	st := users[7]
	st.ManagerID = orphan.ID
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UserUpdateMany(ctx, []store.User{st}) })

	// The manager changes at source for the worker, the orphan's manager
	// is now linked, and the late manager's link appears: the waiting
	// user's link is not written in this run, but its manager's is.
	run2 := newRun(t, s, in.ID)
	upsertLinks(t, s,
		userLink(in.ID, run2, "ext-worker", worker.ID, "ext-orphan"),
		userLink(in.ID, run2, "ext-orphan", orphan.ID, "ext-boss"),
		userLink(in.ID, run2, "ext-late", late.ID, ""),
	)
	require.Equal(t, 3, resolve(in.ID, run2))
	require.Equal(t, orphan.ID, managerOf(worker.ID))
	require.Equal(t, boss.ID, managerOf(orphan.ID))
	require.Equal(t, late.ID, managerOf(waiting.ID), "a manager linked in the run reaches its unchanged report")
	require.Equal(t, orphan.ID, managerOf(stale.ID), "neither the user's link nor its manager's was written")
	require.Zero(t, managerOf(bystander.ID))

	// The late manager's link loses its entity: its unchanged report loses
	// its manager. A manager no longer linked clears the reference, and a
	// link that names no manager clears it too.
	run3 := newRun(t, s, in.ID)
	gone := userLink(in.ID, run3, "ext-late", 0, "")
	gone.Status = store.LinkOutOfScope
	upsertLinks(t, s, gone,
		userLink(in.ID, run3, "ext-worker", worker.ID, "ext-gone"),
		userLink(in.ID, run3, "ext-orphan", orphan.ID, ""),
	)
	require.Equal(t, 3, resolve(in.ID, run3))
	require.Zero(t, managerOf(waiting.ID))
	require.Zero(t, managerOf(worker.ID))
	require.Zero(t, managerOf(orphan.ID))
	require.Equal(t, orphan.ID, managerOf(stale.ID))

	// The boss's link is rewritten pointing at another user: every report
	// follows, written in the run or not, the stale one included.
	run4 := newRun(t, s, in.ID)
	upsertLinks(t, s, userLink(in.ID, run4, "ext-boss", bystander.ID, ""))
	require.Equal(t, 1, resolve(in.ID, run4), "only the stale user still named ext-boss")
	require.Equal(t, bystander.ID, managerOf(stale.ID))
	require.Zero(t, managerOf(elsewhere.ID))

	// In the other integration, ext-boss is another object.
	otherRun2 := newRun(t, s, other.ID)
	upsertLinks(t, s, userLink(other.ID, otherRun2, "ext-boss", late.ID, ""))
	require.Equal(t, 1, resolve(other.ID, otherRun2), "the other integration resolves within itself")
	require.Equal(t, late.ID, managerOf(elsewhere.ID))
	require.Equal(t, bystander.ID, managerOf(stale.ID))
}
