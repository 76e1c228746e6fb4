package graph

import (
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const userSelect = "/v1.0/users/delta?$select=displayName,userPrincipalName,accountEnabled,jobTitle,manager"

func TestDeltaDeliversEachMutationKind(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{DisableReplay: true})
	b.emu.Generate(60, 4, 11)
	users := b.emu.Users()
	_, delta, _ := b.round(t, b.base+userSelect, 25)

	// next runs the deltaLink round and returns its items keyed by id.
	next := func(t *testing.T) map[string]map[string]any {
		t.Helper()
		items, link, _ := b.round(t, delta, 0)
		delta = link
		out := map[string]map[string]any{}
		for _, it := range items {
			id := it["id"].(string)
			require.NotContains(t, out, id, "replay is off: one item per object")
			out[id] = it
		}
		return out
	}

	require.Empty(t, next(t), "nothing changed")

	hire := b.emu.AddUser(User{DisplayName: "New Hire", UserPrincipalName: "new.hire@contoso.com", AccountEnabled: true, ManagerID: users[0].ID})
	got := next(t)
	require.Len(t, got, 1)
	require.Equal(t, "New Hire", got[hire]["displayName"])
	require.Equal(t, true, got[hire]["accountEnabled"])
	require.Equal(t, []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": users[0].ID}}, got[hire]["manager@delta"])
	require.NotContains(t, got[hire], "@removed")

	// Several updates in one window: one item, in the latest state.
	require.NoError(t, b.emu.UpdateUser(users[1].ID, func(u *User) { u.DisplayName = "First" }))
	require.NoError(t, b.emu.UpdateUser(users[1].ID, func(u *User) { u.DisplayName = "Second"; u.JobTitle = "CFO" }))
	got = next(t)
	require.Len(t, got, 1)
	require.Equal(t, "Second", got[users[1].ID]["displayName"])
	require.Equal(t, "CFO", got[users[1].ID]["jobTitle"])

	require.NoError(t, b.emu.UpdateUser(users[2].ID, func(u *User) { u.AccountEnabled = false }))
	got = next(t)
	require.Equal(t, false, got[users[2].ID]["accountEnabled"], "a disabled user is a plain object with accountEnabled false")
	require.NotContains(t, got[users[2].ID], "@removed")

	require.NoError(t, b.emu.SoftDeleteUser(users[3].ID))
	got = next(t)
	require.Equal(t, map[string]any{"id": users[3].ID, "@removed": map[string]any{"reason": "changed"}}, got[users[3].ID])

	require.NoError(t, b.emu.RestoreUser(users[3].ID))
	got = next(t)
	require.Equal(t, users[3].DisplayName, got[users[3].ID]["displayName"])
	require.NotContains(t, got[users[3].ID], "@removed")

	require.NoError(t, b.emu.SoftDeleteUser(users[4].ID))
	require.NoError(t, b.emu.HardDeleteUser(users[4].ID))
	got = next(t)
	require.Equal(t, map[string]any{"id": users[4].ID, "@removed": map[string]any{"reason": "deleted"}}, got[users[4].ID])
	for _, u := range b.emu.Users() {
		require.NotEqual(t, users[4].ID, u.ManagerID, "a deleted user manages no one")
	}
	// Users users[4] managed lost their manager: reported as a removed manager.
	for id, it := range got {
		if id == users[4].ID {
			continue
		}
		md := it["manager@delta"].([]any)
		require.Equal(t, "deleted", md[0].(map[string]any)["@removed"].(map[string]any)["reason"])
	}

	// Created and deleted inside one window: the removal is still sent.
	ghost := b.emu.AddUser(User{DisplayName: "Ghost"})
	require.NoError(t, b.emu.HardDeleteUser(ghost))
	got = next(t)
	require.Equal(t, "deleted", got[ghost]["@removed"].(map[string]any)["reason"])

	require.ErrorIs(t, b.emu.UpdateUser(users[4].ID, func(u *User) {}), ErrNotFound)
	require.ErrorIs(t, b.emu.RestoreUser(users[5].ID), ErrNotFound)
	require.ErrorIs(t, b.emu.UpdateUser(users[5].ID, func(u *User) { u.ManagerID = "nobody" }), ErrInvalid)
}

func TestGroupDeltaMembershipChanges(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{DisableReplay: true})
	b.emu.Generate(40, 3, 5)
	users, groups := b.emu.Users(), b.emu.Groups()
	items, delta, _ := b.round(t, b.base+"/v1.0/groups/delta?$select=displayName,mail,securityEnabled,members", 0)
	r := newReplica()
	r.applyGroups(items)
	r.requireGroupsMatch(t, b.emu)

	sales, support, eng := groups[0], groups[1], groups[2]
	require.NoError(t, b.emu.AddMember(support.ID, users[0].ID)) // users[0] is in Sales
	require.NoError(t, b.emu.RemoveMember(sales.ID, users[3].ID))
	require.NoError(t, b.emu.AddMember(eng.ID, support.ID)) // nested group
	items, delta, _ = b.round(t, delta, 0)
	byID := map[string]map[string]any{}
	for _, it := range items {
		byID[it["id"].(string)] = it
	}
	require.Len(t, byID, 3)
	require.Equal(t, []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": users[0].ID}}, byID[support.ID]["members@delta"],
		"only the changed membership, not the whole member list")
	require.Equal(t, []any{map[string]any{"@odata.type": "#microsoft.graph.user", "id": users[3].ID, "@removed": map[string]any{"reason": "deleted"}}},
		byID[sales.ID]["members@delta"])
	require.Equal(t, "#microsoft.graph.group", byID[eng.ID]["members@delta"].([]any)[0].(map[string]any)["@odata.type"])
	r.applyGroups(items)
	r.requireGroupsMatch(t, b.emu)

	// A soft-deleted user leaves its groups and comes back with a restore.
	require.NoError(t, b.emu.SoftDeleteUser(users[1].ID))
	items, delta, _ = b.round(t, delta, 0)
	r.applyGroups(items)
	require.False(t, r.members[support.ID][users[1].ID])
	require.NoError(t, b.emu.RestoreUser(users[1].ID))
	items, delta, _ = b.round(t, delta, 0)
	r.applyGroups(items)
	require.True(t, r.members[support.ID][users[1].ID])
	r.requireGroupsMatch(t, b.emu)

	// A property change alone carries no members@delta.
	require.NoError(t, b.emu.UpdateGroup(eng.ID, func(g *Group) { g.DisplayName = "R&D" }))
	items, delta, _ = b.round(t, delta, 0)
	require.Len(t, items, 1)
	require.Equal(t, "R&D", items[0]["displayName"])
	require.NotContains(t, items[0], "members@delta")

	require.NoError(t, b.emu.DeleteGroup(support.ID))
	items, _, _ = b.round(t, delta, 0)
	var removed map[string]any
	for _, it := range items {
		if it["id"] == support.ID {
			removed = it
		}
	}
	require.Equal(t, map[string]any{"id": support.ID, "@removed": map[string]any{"reason": "deleted"}}, removed)
	r.applyGroups(items)
	r.requireGroupsMatch(t, b.emu)
	require.False(t, r.members[eng.ID][support.ID], "a deleted group leaves the groups it was in")
}

func TestMembersDeltaSplitsLargeGroupAcrossPages(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{DisableReplay: true})
	b.emu.Generate(1000, 0, 2)
	big := b.emu.AddGroup(Group{DisplayName: "All Staff", SecurityEnabled: true})
	small := b.emu.AddGroup(Group{DisplayName: "Board", SecurityEnabled: true})
	for _, u := range b.emu.Users() {
		require.NoError(t, b.emu.AddMember(big, u.ID))
	}
	require.NoError(t, b.emu.AddMember(small, b.emu.Users()[0].ID))

	var seen []string
	pagesWithBig := 0
	u := b.base + "/v1.0/groups/delta?$select=displayName,members"
	var delta string
	for u != "" {
		c := b.getPage(t, u, 0)
		onPage := 0
		for _, it := range c.Value {
			if it["id"] != big {
				continue
			}
			onPage++
			require.Equal(t, "All Staff", it["displayName"], "the group object repeats with its properties")
			ms := it["members@delta"].([]any)
			require.LessOrEqual(t, len(ms), DefaultMemberSliceSize)
			for _, m := range ms {
				seen = append(seen, m.(map[string]any)["id"].(string))
			}
		}
		if onPage > 0 {
			pagesWithBig++
		}
		u, delta = c.Next, c.Delta
	}
	require.Equal(t, b.emu.Members(big), seen, "every member exactly once, in order")
	require.Equal(t, 1000/DefaultMemberSliceSize, pagesWithBig, "one slice per page")

	// A delta round after 120 membership changes splits them as well.
	for _, u := range b.emu.Users()[:120] {
		require.NoError(t, b.emu.RemoveMember(big, u.ID))
	}
	items, _, pages := b.round(t, delta, 0)
	require.Equal(t, 3, pages)
	removed := 0
	for _, it := range items {
		for _, m := range it["members@delta"].([]any) {
			require.Contains(t, m, "@removed")
			removed++
		}
	}
	require.Equal(t, 120, removed)
}

func TestMutationsDuringRoundAreDeliveredNextRound(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(500, 6, 21)
	users := b.emu.Users()
	r := newReplica()
	rg := newReplica()

	// Full round of users, mutating between pages.
	c := b.getPage(t, b.base+userSelect, 50)
	r.applyUsers(c.Value)
	require.NoError(t, b.emu.UpdateUser(users[10].ID, func(u *User) { u.DisplayName = "Renamed After Delivery" })) // already delivered
	require.NoError(t, b.emu.UpdateUser(users[400].ID, func(u *User) { u.JobTitle = "Changed Before Delivery" }))
	require.NoError(t, b.emu.SoftDeleteUser(users[20].ID))  // delivered, then deleted
	require.NoError(t, b.emu.SoftDeleteUser(users[300].ID)) // deleted before its page
	added := b.emu.AddUser(User{DisplayName: "Mid Round", UserPrincipalName: "mid@contoso.com", AccountEnabled: true})
	items, delta, _ := b.round(t, c.Next, 50)
	r.applyUsers(items)
	require.Equal(t, "Changed Before Delivery", r.users[users[400].ID]["jobTitle"])
	require.NotContains(t, r.users, users[300].ID)

	// Group round, mutating memberships between pages.
	gc := b.getPage(t, b.base+"/v1.0/groups/delta?$select=displayName,members", 0)
	rg.applyGroups(gc.Value)
	sales := b.emu.Groups()[0]
	require.NoError(t, b.emu.RemoveMember(sales.ID, users[0].ID))
	require.NoError(t, b.emu.AddMember(sales.ID, added))
	gitems, gdelta := gc.Value, gc.Delta
	if gc.Next != "" {
		more, link, _ := b.round(t, gc.Next, 0)
		rg.applyGroups(more)
		gitems, gdelta = append(gitems, more...), link
	}
	require.NotEmpty(t, gitems)

	// More changes after the round, while no client is looking.
	require.NoError(t, b.emu.UpdateUser(users[30].ID, func(u *User) { u.AccountEnabled = !u.AccountEnabled }))

	items, delta, _ = b.round(t, delta, 0)
	r.applyUsers(items)
	r.requireUsersMatch(t, b.emu)
	require.Equal(t, "Renamed After Delivery", r.users[users[10].ID]["displayName"])
	require.NotContains(t, r.users, users[20].ID)
	require.Contains(t, r.users, added)

	gitems, _, _ = b.round(t, gdelta, 0)
	rg.applyGroups(gitems)
	rg.requireGroupsMatch(t, b.emu)

	// The same holds when the mutations fall inside a delta round.
	require.NoError(t, b.emu.UpdateUser(users[40].ID, func(u *User) { u.JobTitle = "Round Two A" }))
	require.NoError(t, b.emu.UpdateUser(users[41].ID, func(u *User) { u.JobTitle = "Round Two B" }))
	first := b.getPage(t, delta, 1)
	r.applyUsers(first.Value)
	require.NoError(t, b.emu.UpdateUser(users[40].ID, func(u *User) { u.JobTitle = "Changed Mid Delta" }))
	require.NoError(t, b.emu.HardDeleteUser(users[42].ID))
	items, delta, _ = b.round(t, first.Next, 1)
	r.applyUsers(items)
	items, _, _ = b.round(t, delta, 0)
	r.applyUsers(items)
	r.requireUsersMatch(t, b.emu)
	require.Equal(t, "Changed Mid Delta", r.users[users[40].ID]["jobTitle"])
}

func TestReplayRepeatsSomeObjectsInDeltaRounds(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(400, 4, 8)
	_, delta, _ := b.round(t, b.base+userSelect, 999)
	for _, u := range b.emu.Users()[:200] {
		require.NoError(t, b.emu.UpdateUser(u.ID, func(v *User) { v.JobTitle = "Replayed" }))
	}
	items, _, _ := b.round(t, delta, 0)
	counts := map[string]int{}
	for _, it := range items {
		counts[it["id"].(string)]++
		require.Equal(t, "Replayed", it["jobTitle"])
	}
	require.Len(t, counts, 200, "every changed user")
	require.Greater(t, len(items), 200, "some objects are sent twice")
	require.Less(t, len(items), 260, "only a few")
}

func TestDeltaTokenLatestReturnsOnlyALink(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{DisableReplay: true})
	b.emu.Generate(50, 2, 4)
	c := b.getPage(t, b.base+"/v1.0/users/delta?$deltatoken=latest&$select=displayName", 0)
	require.Empty(t, c.Value)
	require.NotEmpty(t, c.Delta)
	u := b.emu.Users()[7]
	require.NoError(t, b.emu.UpdateUser(u.ID, func(v *User) { v.DisplayName = "Only Me" }))
	items, _, _ := b.round(t, c.Delta, 0)
	require.Equal(t, []map[string]any{{"id": u.ID, "displayName": "Only Me"}}, items)
}

func TestEmptyTenantMishap(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{DisableReplay: true})
	b.emu.Generate(30, 2, 4)
	_, delta, _ := b.round(t, b.base+userSelect, 0)
	b.emu.Clear()
	items, _, _ := b.round(t, b.base+userSelect, 0)
	require.Empty(t, items, "a full enumeration returns nothing")
	list := b.getPage(t, b.base+"/v1.0/users", 0)
	require.Empty(t, list.Value)
	items, _, _ = b.round(t, delta, 0)
	require.Len(t, items, 30, "a delta round reports every user removed")
	for _, it := range items {
		require.Contains(t, it, "@removed")
	}
	b.emu.Empty(false)
	items, _, _ = b.round(t, b.base+userSelect, 0)
	require.Len(t, items, 30)
}

func TestChurnIsDeliveredByDelta(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(300, 8, 13)
	r := newReplica()
	items, delta, _ := b.round(t, b.base+userSelect, 100)
	r.applyUsers(items)
	gr := newReplica()
	gitems, gdelta, _ := b.round(t, b.base+"/v1.0/groups/delta?$select=displayName,members", 0)
	gr.applyGroups(gitems)
	rng := mrand.New(mrand.NewPCG(1, 2))
	kinds := map[string]bool{}
	for range 5 {
		for _, line := range b.emu.Churn(rng, 40) {
			kind, _, ok := strings.Cut(line, ":")
			require.True(t, ok, line)
			kinds[kind] = true
		}
		items, delta, _ = b.round(t, delta, 37)
		r.applyUsers(items)
		r.requireUsersMatch(t, b.emu)
		gitems, gdelta, _ = b.round(t, gdelta, 0)
		gr.applyGroups(gitems)
		gr.requireGroupsMatch(t, b.emu)
	}
	for _, k := range []string{"hire", "leaver", "rename", "title", "disable", "enable", "group move", "restore"} {
		require.True(t, kinds[k], "churn made no %q change in 200 changes", k)
	}

	// The same seed on the same tenant makes the same changes.
	x, y := New(Options{}), New(Options{})
	x.Generate(100, 5, 1)
	y.Generate(100, 5, 1)
	require.Equal(t, x.Churn(mrand.New(mrand.NewPCG(9, 9)), 30), y.Churn(mrand.New(mrand.NewPCG(9, 9)), 30))
	require.Equal(t, x.Users(), y.Users())
}

func TestWrongResourceTokenIsRejected(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(10, 2, 4)
	_, delta, _ := b.round(t, b.base+"/v1.0/users/delta", 0)
	token := delta[strings.Index(delta, "=")+1:]
	_, ge := b.graphError(t, b.base+"/v1.0/groups/delta?$deltatoken="+token, http.StatusBadRequest)
	require.Equal(t, "Request_BadRequest", ge.Error.Code)
	_, ge = b.graphError(t, b.base+"/v1.0/users/delta?$skiptoken="+token, http.StatusBadRequest)
	require.Equal(t, "Request_BadRequest", ge.Error.Code, "a deltatoken is not a skiptoken")
}

func TestConcurrentChurnWhilePaging(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(800, 10, 17)
	r, gr := newReplica(), newReplica()
	items, delta, _ := b.round(t, b.base+userSelect, 0)
	r.applyUsers(items)
	gitems, gdelta, _ := b.round(t, b.base+"/v1.0/groups/delta?$select=displayName,members", 0)
	gr.applyGroups(gitems)

	done := make(chan struct{})
	go func() {
		defer close(done)
		rng := mrand.New(mrand.NewPCG(3, 4))
		for range 30 {
			b.emu.Churn(rng, 10)
		}
	}()
	for rounds := 0; ; rounds++ {
		select {
		case <-done:
			// One more round each after the writer stopped brings the
			// replicas level with the directory.
			items, _, _ = b.round(t, delta, 13)
			r.applyUsers(items)
			r.requireUsersMatch(t, b.emu)
			gitems, _, _ = b.round(t, gdelta, 3)
			gr.applyGroups(gitems)
			gr.requireGroupsMatch(t, b.emu)
			return
		default:
		}
		items, delta, _ = b.round(t, delta, 13)
		r.applyUsers(items)
		gitems, gdelta, _ = b.round(t, gdelta, 3)
		gr.applyGroups(gitems)
		require.Less(t, rounds, 10_000)
	}
}
